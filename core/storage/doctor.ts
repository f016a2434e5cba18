import { existsSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isCoreError } from '../base/index.ts';
import { defaultKeyLimits, KeyRing } from '../crypto/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { loadMasterKey, readMeta } from './bootstrap.ts';
import { SqliteDataKeyStore } from './dataKeys.ts';
import { integrityProblems, openReadOnly } from './database.ts';
import type { SqliteDatabase } from './database.ts';
import { latestVersion, schemaVersion } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { appMigrations } from './schema.ts';
import { readMarker } from './marker.ts';
import { databaseFileName } from './storage.ts';

export type CheckStatus = 'ok' | 'degraded' | 'failed';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface DoctorReport {
  status: CheckStatus;
  dataDir: string;
  checks: DoctorCheck[];
}

function overall(checks: readonly DoctorCheck[]): CheckStatus {
  if (checks.some((check) => check.status === 'failed')) return 'failed';
  return checks.some((check) => check.status === 'degraded') ? 'degraded' : 'ok';
}

function messageOf(error: unknown): string {
  return isCoreError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}

const restoreFix = 'restore the latest backup: strongroom restore FILE';

/**
 * Free space on the data directory's file system below which doctor fails or warns. SQLite needs
 * room for its WAL and checkpoints (and a backup for a copy of the database); when it runs out,
 * every change is refused with ERR_STORAGE_UNAVAILABLE.
 */
export interface DiskSpaceLimits {
  failBelow: number;
  warnBelow: number;
}
export const diskSpaceLimits: DiskSpaceLimits = { failBelow: 100 * 2 ** 20, warnBelow: 2 ** 30 };

const mebibytes = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function diskSpace(dataDir: string, limits: DiskSpaceLimits): DoctorCheck {
  let free: number;
  try {
    const fs = statfsSync(dataDir);
    free = fs.bavail * fs.bsize; // what an unprivileged process may still use
  } catch (error) {
    return { name: 'disk-space', status: 'degraded', detail: `Free space could not be read: ${messageOf(error)}.` };
  }
  if (free < limits.failBelow) return { name: 'disk-space', status: 'failed', detail: `Only ${mebibytes(free)} free where ${dataDir} lives: changes will soon be refused. Free space or move the data directory to a larger volume.` };
  if (free < limits.warnBelow) return { name: 'disk-space', status: 'degraded', detail: `${mebibytes(free)} free where ${dataDir} lives (under ${mebibytes(limits.warnBelow)}); free space before it runs out.` };
  return { name: 'disk-space', status: 'ok', detail: `${mebibytes(free)} free.` };
}

function hasTable(db: SqliteDatabase, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/**
 * Everything `strongroom doctor` reports, without changing anything: the database is opened
 * read-only (see openReadOnly: no journal-mode switch, no -wal/-shm), nothing is migrated, no key
 * is created or bound. Checks the keychain (or environment key), `PRAGMA integrity_check`,
 * foreign keys, the schema version, the installation's accounts and local administrator, the
 * master key against the database and every data key. Each check runs on its own, so a damaged
 * database still gets every check that can be made.
 */
export async function inspectStorage(options: { dataDir: string; secrets: SecretStore; migrations?: readonly Migration[]; minimumFreeBytes?: DiskSpaceLimits }): Promise<DoctorReport> {
  const migrations = options.migrations ?? appMigrations;
  const checks: DoctorCheck[] = [];
  // Free space is checked first (a full disk explains most failures below) but listed last.
  const space = existsSync(options.dataDir) ? [diskSpace(options.dataDir, options.minimumFreeBytes ?? diskSpaceLimits)] : [];
  const report = (): DoctorReport => ({ status: overall([...checks, ...space]), dataDir: options.dataDir, checks: [...checks, ...space] });

  try {
    await options.secrets.probe();
    checks.push({ name: 'secrets', status: 'ok', detail: `${options.secrets.describe()} is reachable.` });
  } catch (error) {
    checks.push({ name: 'secrets', status: 'failed', detail: messageOf(error) });
  }

  const file = join(options.dataDir, databaseFileName);
  if (!existsSync(file)) {
    const marker = readMarker(options.dataDir);
    checks.push({
      name: 'database',
      status: 'failed',
      detail: marker
        ? `No database at ${file}, but installation ${marker.installationId} was recorded here on ${marker.recordedAt}: if its volume is not mounted or the file was moved, put it back; otherwise ${restoreFix} (\`strongroom init\` would start a new, empty installation).`
        : `No database at ${file}; run \`strongroom init --data-dir ${options.dataDir}\`.`,
    });
    return report();
  }
  const stat = statSync(file);
  if (!stat.isFile()) {
    checks.push({ name: 'database', status: 'failed', detail: `${file} is not a file; move it away and run \`strongroom init\`, or ${restoreFix}.` });
    return report();
  }
  const mode = stat.mode & 0o777;
  checks.push({ name: 'database', status: (mode & 0o077) === 0 ? 'ok' : 'degraded', detail: (mode & 0o077) === 0 ? `${file} (owner-only permissions).` : `${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it.` });

  let db: SqliteDatabase;
  try {
    db = openReadOnly(file).db;
  } catch (error) {
    checks.push({ name: 'integrity', status: 'failed', detail: `${file} cannot be opened: ${messageOf(error)}. Check its permissions, or ${restoreFix}.` });
    return report();
  }
  try {
    /** Runs one check; an exception (e.g. SQLITE_CORRUPT) fails that check only. */
    const attempt = async (name: string, body: () => DoctorCheck | Promise<DoctorCheck>, onError: (message: string) => string): Promise<void> => {
      try {
        checks.push(await body());
      } catch (error) {
        checks.push({ name, status: 'failed', detail: onError(messageOf(error)) });
      }
    };
    await attempt('integrity', () => {
      const problems = integrityProblems(db);
      return problems.length === 0 ? { name: 'integrity', status: 'ok', detail: 'PRAGMA integrity_check: ok.' } : { name: 'integrity', status: 'failed', detail: `PRAGMA integrity_check: ${problems.slice(0, 5).join('; ')}. The database is damaged; ${restoreFix}.` };
    }, (message) => `PRAGMA integrity_check failed: ${message}. The database is damaged; ${restoreFix}.`);
    await attempt('foreign-keys', () => {
      const foreignKeyProblems = (db.pragma('foreign_key_check') as unknown[]).length;
      return { name: 'foreign-keys', status: foreignKeyProblems === 0 ? 'ok' : 'failed', detail: foreignKeyProblems === 0 ? 'No dangling references.' : `${foreignKeyProblems} row(s) reference missing rows.` };
    }, (message) => `PRAGMA foreign_key_check failed: ${message}.`);

    const latest = latestVersion(migrations);
    let version: number;
    try {
      version = schemaVersion(db);
    } catch (error) {
      checks.push({ name: 'schema', status: 'failed', detail: `The schema version cannot be read: ${messageOf(error)}.` });
      return report();
    }
    checks.push(
      version === latest ? { name: 'schema', status: 'ok', detail: `Schema version ${version} (current).` }
        : version > latest ? { name: 'schema', status: 'failed', detail: `Schema version ${version} is newer than this Strongroom (${latest}); install the newer release.` }
          : version === 0 ? { name: 'schema', status: 'failed', detail: `${file} holds no Strongroom schema; move it away and run \`strongroom init\`, or ${restoreFix}.` }
            : { name: 'schema', status: 'degraded', detail: `Schema version ${version}; the next start migrates it to ${latest}.` },
    );
    if (version === 0) return report();

    await attempt('installation', () => installationCheck(db), (message) => `The accounts and the local administrator cannot be read: ${message}.`);

    if (version > latest) {
      const why = `not checked: schema version ${version} is newer than this Strongroom.`;
      checks.push({ name: 'master-key', status: 'degraded', detail: `Master key ${why}` }, { name: 'data-keys', status: 'degraded', detail: `Data keys ${why}` });
      return report();
    }
    let keys: KeyRing | undefined;
    try {
      try {
        const result = await masterKeyCheck(db, options.secrets, version);
        checks.push(result.check);
        keys = result.keys;
      } catch (error) {
        checks.push({ name: 'master-key', status: 'failed', detail: messageOf(error) });
      }
      const ring = keys;
      if (ring) await attempt('data-keys', () => dataKeyCheck(db, ring), (message) => `The data keys cannot be read: ${message}.`);
      else checks.push({ name: 'data-keys', status: 'degraded', detail: version < 2 ? `Not checked: schema version ${version} predates encryption, so there are no data keys yet; the next start creates one per account.` : 'Not checked: they need the master key (see master-key).' });
    } finally {
      keys?.dispose();
    }
  } finally {
    db.close();
  }
  return report();
}

/** A finished `strongroom init` leaves at least one account and the local administrator. */
function installationCheck(db: SqliteDatabase): DoctorCheck {
  const accounts = (db.prepare('SELECT count(*) AS n FROM accounts WHERE deleted_at IS NULL').get() as { n: number }).n;
  const administrator = db.prepare("SELECT 1 FROM users WHERE kind = 'local-admin'").get() !== undefined;
  const missing = [...(accounts === 0 ? ['no account'] : []), ...(administrator ? [] : ['no local administrator'])];
  if (missing.length > 0) return { name: 'installation', status: 'failed', detail: `The installation has ${missing.join(' and ')}: \`strongroom init\` did not finish. Run \`strongroom init\`.` };
  return { name: 'installation', status: 'ok', detail: `${accounts} account(s) and the local administrator.` };
}

/**
 * Proves the secret store holds this database's master key by its recorded check value — read
 * only: a database without a check value (old schema, or an init that stopped before the key)
 * is reported, never bound to whatever key the store has now.
 */
async function masterKeyCheck(db: SqliteDatabase, secrets: SecretStore, version: number): Promise<{ check: DoctorCheck; keys?: KeyRing }> {
  const installationId = hasTable(db, 'meta') ? readMeta(db, 'installation_id') : undefined;
  if (!installationId) return { check: { name: 'master-key', status: 'failed', detail: 'The database has no installation id; run `strongroom init`.' } };
  if (readMeta(db, 'master_key_check') === undefined) {
    if (version < 2) return { check: { name: 'master-key', status: 'degraded', detail: `Not checked: schema version ${version} predates encryption, so no master key is bound to this database yet; the next start binds one from ${secrets.describe()}.` } };
    return { check: { name: 'master-key', status: 'failed', detail: 'No master key is bound to this database: `strongroom init` stopped before it had the key (e.g. the keychain was unavailable). Run `strongroom init` again.' } };
  }
  // With a check value recorded, loadMasterKey only reads: it verifies the key or throws.
  const { master } = await loadMasterKey(db, secrets, { installationId, create: false, random: () => Buffer.alloc(0) });
  const keys = new KeyRing({ master, store: new SqliteDataKeyStore(db) });
  return { check: { name: 'master-key', status: 'ok', detail: `Master key version ${master.version} from ${secrets.describe()} matches this database.` }, keys };
}

function dataKeyCheck(db: SqliteDatabase, keys: KeyRing): DoctorCheck {
  const described = keys.describeKeys();
  const live = described.filter((key) => key.status !== 'destroyed');
  const broken = live.filter((key) => !key.unwraps);
  if (broken.length > 0) return { name: 'data-keys', status: 'failed', detail: `${broken.length} data key(s) do not unwrap with the master key (ids ${broken.map((key) => key.keyId).join(', ')}).` };
  const accounts = db.prepare('SELECT id FROM accounts WHERE deleted_at IS NULL').all() as { id: string }[];
  const withoutActive = accounts.filter((account) => !live.some((key) => key.accountId === account.id && key.status === 'active'));
  if (withoutActive.length > 0) return { name: 'data-keys', status: 'degraded', detail: `${withoutActive.length} account(s) have no active data key; the next start creates them.` };
  const due = live.filter((key) => key.status === 'active' && key.encryptions >= defaultKeyLimits.rotateAfter);
  if (due.length > 0) return { name: 'data-keys', status: 'degraded', detail: `${due.length} data key(s) passed ${defaultKeyLimits.rotateAfter} encryptions; run \`strongroom keys rotate\`.` };
  const destroyed = described.length - live.length;
  return { name: 'data-keys', status: 'ok', detail: `${accounts.length} account(s); ${live.length} data key(s) unwrap${destroyed > 0 ? `; ${destroyed} destroyed (deleted accounts)` : ''}.` };
}
