import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { CoreError } from '../base/index.ts';

/**
 * `installation.json` beside the database says which installation lives in this data directory.
 * It holds no secret — the installation id and when it was first recorded — and exists so that a
 * start which finds no `strongroom.db` can tell a fresh directory from one whose database went
 * missing (a volume that did not mount, a deleted or moved file). Without it, the first start
 * after such an accident would quietly create a new, empty installation with a new audit chain,
 * and people would carry on working in it.
 */
export const markerFileName = 'installation.json';

const markerSchema = z.object({ installationId: z.string().min(1).max(200), recordedAt: z.string().max(40) });
export type InstallationMarker = z.infer<typeof markerSchema>;

/** The marker in `dataDir`; undefined when there is none. An unreadable marker still counts. */
export function readMarker(dataDir: string): InstallationMarker | undefined {
  const file = join(dataDir, markerFileName);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = markerSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: a damaged marker is still evidence of an earlier installation
  }
  return { installationId: 'unknown (its installation.json is damaged)', recordedAt: 'unknown' };
}

/** Records (or corrects, after a restore brought in another installation) the marker. */
export function writeMarker(dataDir: string, installationId: string, now: number): void {
  if (readMarker(dataDir)?.installationId === installationId) return;
  const file = join(dataDir, markerFileName);
  const staged = `${file}.tmp-${process.pid}`;
  writeFileSync(staged, `${JSON.stringify({ installationId, recordedAt: new Date(now).toISOString() }, null, 2)}\n`, { mode: 0o600 });
  renameSync(staged, file);
}

/** Files SQLite leaves beside a database; any of them without the database means it went missing. */
const sqliteCompanions = ['-wal', '-shm', '-journal'];

/**
 * Throws ERR_STORAGE_NOT_INITIALISED (details.reason 'database-missing') when `dataDir` has no
 * database but shows that one was there: the marker, or SQLite's companion files. Creating a new
 * installation there needs `strongroom init`, which says so in its output.
 */
export function refuseIfDatabaseMissing(dataDir: string, databaseFile: string): void {
  if (existsSync(databaseFile)) return;
  const marker = readMarker(dataDir);
  const companions = sqliteCompanions.map((suffix) => `${databaseFile}${suffix}`).filter((file) => existsSync(file));
  if (marker === undefined && companions.length === 0) return;
  const evidence = marker ? `installation ${marker.installationId} (recorded ${marker.recordedAt})` : `SQLite's ${companions.map((file) => basename(file)).join(', ')}`;
  throw new CoreError(
    'ERR_STORAGE_NOT_INITIALISED',
    `The database ${databaseFile} is missing, but this data directory held ${evidence}. Nothing was created. ` +
      'If its volume is not mounted or the file was moved, put it back and start again; to bring back a backup, use `strongroom restore`; ' +
      'to start a new, empty installation here on purpose, run `strongroom init` for this data directory.',
    { details: { reason: 'database-missing', ...(marker ? { installationId: marker.installationId } : {}) } },
  );
}

/**
 * Renames SQLite companion files left by a missing database out of the way (to
 * `<name>.abandoned-<time>`), so a new database in their place never replays an old WAL into
 * itself. Returns the new names.
 */
export function setAsideCompanions(databaseFile: string, now: number): string[] {
  const moved: string[] = [];
  for (const suffix of sqliteCompanions) {
    const file = `${databaseFile}${suffix}`;
    if (!existsSync(file)) continue;
    const target = `${file}.abandoned-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(file, target);
    moved.push(target);
  }
  return moved;
}
