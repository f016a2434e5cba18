import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCoreError } from '../base/index.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { markerFileName } from './marker.ts';
import { databaseFileName, openStorage, requireInstallation } from './storage.ts';
import { tempDir } from './testing/helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function dir(): string {
  const made = tempDir('marker');
  cleanups.push(made.cleanup);
  return made.path;
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (isCoreError(error)) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('a data directory whose database went missing', () => {
  it('records the installation beside its database, and the next start refuses to create an empty one in its place', async () => {
    const dataDir = dir();
    const secrets = new MemorySecretStore();
    const first = await openStorage({ dataDir, secrets });
    const installationId = first.installationId;
    await first.dispose();
    expect(JSON.parse(readFileSync(join(dataDir, markerFileName), 'utf8'))).toMatchObject({ installationId });

    // The volume did not mount, or the file was moved.
    const file = join(dataDir, databaseFileName);
    renameSync(file, join(dataDir, 'elsewhere.db'));
    const before = readdirSync(dataDir).sort();
    const refused = await refusal(openStorage({ dataDir, secrets }));
    expect(refused).toMatchObject({ code: 'ERR_STORAGE_NOT_INITIALISED', details: { reason: 'database-missing', installationId } });
    expect(refused.message).toContain(`held installation ${installationId}`);
    expect(refused.message).toContain('strongroom restore');
    // Nothing was created: no database, no WAL, and the marker still names the old installation.
    expect(readdirSync(dataDir).sort()).toEqual(before);
    expect(() => requireInstallation(dataDir)).toThrow(/is missing, but this data directory held installation/);

    // Putting the file back is all it takes.
    renameSync(join(dataDir, 'elsewhere.db'), file);
    const back = await openStorage({ dataDir, secrets });
    expect(back.installationId).toBe(installationId);
    await back.dispose();
  });

  it('refuses on SQLite companion files alone (an installation from before the marker), and init sets them aside before starting afresh', async () => {
    const dataDir = dir();
    const secrets = new MemorySecretStore();
    const first = await openStorage({ dataDir, secrets });
    const oldId = first.installationId;
    await first.dispose();
    rmSync(join(dataDir, markerFileName));
    rmSync(join(dataDir, databaseFileName));
    writeFileSync(join(dataDir, `${databaseFileName}-wal`), 'left behind by the missing database');

    const refused = await refusal(openStorage({ dataDir, secrets }));
    expect(refused).toMatchObject({ code: 'ERR_STORAGE_NOT_INITIALISED', details: { reason: 'database-missing' } });
    expect(refused.message).toContain('strongroom.db-wal');
    expect(existsSync(join(dataDir, databaseFileName))).toBe(false);

    const fresh = await openStorage({ dataDir, secrets, replaceMissingDatabase: true });
    expect(fresh.installationId).not.toBe(oldId);
    expect(fresh.accounts.list().map((account) => account.name)).toEqual(['Default']);
    await fresh.dispose();
    const names = readdirSync(dataDir);
    // The old WAL was renamed, never replayed into the new database.
    expect(names.filter((name) => name.startsWith(`${databaseFileName}-wal.abandoned-`))).toHaveLength(1);
    expect(readFileSync(join(dataDir, names.find((name) => name.startsWith(`${databaseFileName}-wal.abandoned-`))!), 'utf8')).toBe('left behind by the missing database');
    expect(JSON.parse(readFileSync(join(dataDir, markerFileName), 'utf8'))).toMatchObject({ installationId: fresh.installationId });
  });

  it('creates an installation in an empty or unrelated directory as before', async () => {
    const dataDir = dir();
    writeFileSync(join(dataDir, 'notes.txt'), 'not Strongroom');
    const storage = await openStorage({ dataDir, secrets: new MemorySecretStore() });
    expect(storage.firstRun.database).toBe(true);
    await storage.dispose();
  });

  it('corrects the marker when a restore brought in another installation', async () => {
    const one = dir();
    const two = dir();
    const secrets = new MemorySecretStore();
    const a = await openStorage({ dataDir: one, secrets });
    const aId = a.installationId;
    await a.dispose();
    const b = await openStorage({ dataDir: two, secrets: new MemorySecretStore() });
    await b.dispose();
    // The file-level effect of restoring installation one's backup into directory two.
    writeFileSync(join(two, databaseFileName), readFileSync(join(one, databaseFileName)));
    const restored = await openStorage({ dataDir: two, secrets });
    expect(restored.installationId).toBe(aId);
    await restored.dispose();
    expect(JSON.parse(readFileSync(join(two, markerFileName), 'utf8'))).toMatchObject({ installationId: aId });
  });
});
