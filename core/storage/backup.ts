import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CoreError } from '../base/index.ts';
import { MasterKey } from '../crypto/index.ts';
import { masterKeySecretName } from '../secrets/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { integrityProblems, openDatabase } from './database.ts';
import { assertNotTooNew, schemaVersion } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { appMigrations } from './schema.ts';
import { databaseFileName } from './storage.ts';

export interface BackupReport {
  file: string;
  bytes: number;
  pages: number;
  schemaVersion: number;
}

/**
 * Online backup with SQLite's backup API: a consistent copy while the app keeps reading and
 * writing. The copy holds ciphertext and wrapped keys only; it is useless without the master key,
 * which stays in the keychain (back that up separately, e.g. as STRONGROOM_MASTER_KEY in a vault).
 */
export async function backupDatabase(source: Database.Database, out: string): Promise<BackupReport> {
  if (existsSync(out)) throw new CoreError('ERR_CONFLICT', `${out} already exists; choose a new file name.`);
  let pages = 0;
  await source.backup(out, { progress: (info) => { pages = info.totalPages; return 256; } });
  chmodSync(out, 0o600);
  const copy = new Database(out, { fileMustExist: true });
  try {
    const problems = integrityProblems(copy);
    if (problems.length > 0) throw new CoreError('ERR_INTERNAL', `The backup at ${out} failed its integrity check: ${problems.slice(0, 3).join('; ')}.`);
    const version = schemaVersion(copy);
    // One self-contained file: no -wal beside it to forget when copying the backup elsewhere.
    copy.pragma('journal_mode = DELETE');
    copy.close();
    return { file: out, bytes: statSync(out).size, pages, schemaVersion: version };
  } finally {
    if (copy.open) copy.close();
  }
}

/** `strongroom backup` from a data directory, without needing the master key. */
export async function backupDataDir(dataDir: string, out: string): Promise<BackupReport> {
  const db = openDatabase(join(dataDir, databaseFileName), { mustExist: true });
  try {
    return await backupDatabase(db, out);
  } finally {
    db.close();
  }
}

export interface RestoreOptions {
  dataDir: string;
  from: string;
  secrets: SecretStore;
  /** Replace an existing database (the caller confirmed it). */
  force: boolean;
  now: () => number;
  migrations?: readonly Migration[];
}

export interface RestoreReport {
  restoredFrom: string;
  file: string;
  schemaVersion: number;
  /** Where the database that was replaced was moved, if there was one. */
  previous: string | null;
}

function readBackupMeta(db: Database.Database, key: string): string | undefined {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!table) return undefined;
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

/**
 * Restores a backup into a stopped installation. The backup must pass integrity_check, must not
 * be from a newer schema, and its master key must be in the secret store — otherwise restoring
 * would leave unreadable content. An existing database is replaced only with `force`, only when
 * no other process has it open, and is kept beside it as `strongroom.db.before-restore-<time>`.
 */
export async function restoreDatabase(options: RestoreOptions): Promise<RestoreReport> {
  const migrations = options.migrations ?? appMigrations;
  if (!existsSync(options.from)) throw new CoreError('ERR_NOT_FOUND', `There is no backup at ${options.from}.`);
  const target = join(options.dataDir, databaseFileName);
  const staging = `${target}.restoring`;
  const backup = new Database(options.from, { fileMustExist: true, readonly: true });
  let version: number;
  try {
    const problems = integrityProblems(backup);
    if (problems.length > 0) throw new CoreError('ERR_STORAGE_TAMPERED', `The backup ${options.from} is damaged (integrity_check: ${problems.slice(0, 3).join('; ')}); it was not restored.`);
    version = assertNotTooNew(backup, migrations, options.from);
    const installationId = readBackupMeta(backup, 'installation_id');
    const check = readBackupMeta(backup, 'master_key_check');
    if (installationId && check) {
      const keyVersion = Number(readBackupMeta(backup, 'master_key_version') ?? '1');
      const stored = await options.secrets.get(masterKeySecretName(installationId, keyVersion));
      const matches = stored !== null && MasterKey.fromBase64(stored, keyVersion, options.secrets.describe()).checkValue(installationId) === check;
      if (!matches) {
        throw new CoreError('ERR_SECRETS_KEY_MISSING', `The master key of this backup (installation ${installationId}, version ${keyVersion}) is not in ${options.secrets.describe()}; restoring it would leave its content unreadable. Make that key available (keychain entry or STRONGROOM_MASTER_KEY) and try again.`);
      }
    }
    rmSync(staging, { force: true });
    await backup.backup(staging);
    chmodSync(staging, 0o600);
  } finally {
    backup.close();
  }

  let previous: string | null = null;
  if (existsSync(target)) {
    if (!options.force) {
      rmSync(staging, { force: true });
      throw new CoreError('ERR_CONFLICT', `A database already exists at ${target}. Stop Strongroom, then run restore again with --force to replace it (the current one is kept beside it).`);
    }
    // Exclusive lock: fails at once if the app, serve mode or another command has the file open.
    const live = new Database(target, { fileMustExist: true, timeout: 0 });
    try {
      live.pragma('locking_mode = EXCLUSIVE');
      live.exec('BEGIN EXCLUSIVE; COMMIT');
      live.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      live.close();
      rmSync(staging, { force: true });
      throw new CoreError('ERR_STORAGE_UNAVAILABLE', `The database at ${target} is in use by a running Strongroom; stop it, then restore.`, { cause: error });
    }
    live.close();
    previous = `${target}.before-restore-${new Date(options.now()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, previous);
  }
  for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  renameSync(staging, target);
  return { restoredFrom: options.from, file: target, schemaVersion: version, previous };
}
