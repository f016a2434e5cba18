import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CoreError } from '../base/index.ts';
import { MasterKey } from '../crypto/index.ts';
import { masterKeySecretName } from '../secrets/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { integrityProblems } from './database.ts';
import { assertNotTooNew, schemaVersion } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { appMigrations } from './schema.ts';
import { databaseFileName } from './storage.ts';

export interface BackupReport {
  file: string;
  bytes: number;
  pages: number;
  schemaVersion: number;
  /** Written into the copy's meta table, so a restore can say which backup it came from. */
  backupId: string;
  takenAt: number;
  /** SHA-256 of the backup file as written. */
  sha256: string;
}

/** SHA-256 of a file, read in chunks (backups can be large). */
export async function fileSha256(file: string): Promise<string> {
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
  return digest.digest('hex');
}

/**
 * Online backup with SQLite's backup API: a consistent copy while the app keeps reading and
 * writing. The copy holds ciphertext and wrapped keys only; it is useless without the master key,
 * which stays in the keychain (back that up separately, e.g. as STRONGROOM_MASTER_KEY in a vault).
 * The copy's meta table records its backup id and time; the caller records the backup itself.
 */
export async function backupDatabase(source: Database.Database, out: string, options: { now: () => number; backupId?: string }): Promise<BackupReport> {
  if (existsSync(out)) throw new CoreError('ERR_CONFLICT', `${out} already exists; choose a new file name.`);
  const backupId = options.backupId ?? randomUUID();
  const takenAt = options.now();
  let pages = 0;
  await source.backup(out, { progress: (info) => { pages = info.totalPages; return 256; } });
  chmodSync(out, 0o600);
  const copy = new Database(out, { fileMustExist: true });
  try {
    const problems = integrityProblems(copy);
    if (problems.length > 0) throw new CoreError('ERR_INTERNAL', `The backup at ${out} failed its integrity check: ${problems.slice(0, 3).join('; ')}.`);
    const version = schemaVersion(copy);
    const meta = copy.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    copy.transaction(() => {
      meta.run('backup_id', backupId);
      meta.run('backup_taken_at', String(takenAt));
    })();
    // One self-contained file: no -wal beside it to forget when copying the backup elsewhere.
    copy.pragma('journal_mode = DELETE');
    copy.close();
    return { file: out, bytes: statSync(out).size, pages, schemaVersion: version, backupId, takenAt, sha256: await fileSha256(out) };
  } finally {
    if (copy.open) copy.close();
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
  /**
   * Runs on the staged copy, in a directory of its own, before it replaces anything — the place to
   * append the restore's audit entry, so the restored log arrives with its record. If it throws,
   * nothing is replaced.
   */
  beforeSwap?: (staged: StagedRestore) => Promise<void>;
}

/** What a restore is about to put in place, for its audit entry. */
export interface StagedRestore {
  /** A data directory holding only the staged database. */
  dataDir: string;
  from: string;
  /** The backup's id and time from its meta table; null for backups made before they were recorded. */
  backupId: string | null;
  takenAt: number | null;
  sha256: string;
  schemaVersion: number;
  previous: string | null;
}

export interface RestoreReport {
  restoredFrom: string;
  file: string;
  schemaVersion: number;
  /** Where the database that was replaced was moved, if there was one. */
  previous: string | null;
  backupId: string | null;
  takenAt: number | null;
  sha256: string;
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
  // Staged as <dataDir>/.restoring/strongroom.db, so it can be opened as an installation of its own.
  const stagingDir = join(options.dataDir, '.restoring');
  const staging = join(stagingDir, databaseFileName);
  const sha256 = await fileSha256(options.from);
  const backup = new Database(options.from, { fileMustExist: true, readonly: true });
  let version: number;
  let backupId: string | null;
  let takenAt: number | null;
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
    backupId = readBackupMeta(backup, 'backup_id') ?? null;
    const takenAtText = readBackupMeta(backup, 'backup_taken_at');
    takenAt = takenAtText === undefined ? null : Number(takenAtText);
    rmSync(stagingDir, { recursive: true, force: true });
    mkdirSync(stagingDir, { recursive: true, mode: 0o700 });
    await backup.backup(staging);
    chmodSync(staging, 0o600);
  } finally {
    backup.close();
  }
  const discardStaging = () => rmSync(stagingDir, { recursive: true, force: true });

  let previous: string | null = null;
  if (existsSync(target)) {
    if (!options.force) {
      discardStaging();
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
      discardStaging();
      throw new CoreError('ERR_STORAGE_UNAVAILABLE', `The database at ${target} is in use by a running Strongroom; stop it, then restore.`, { cause: error });
    }
    live.close();
    previous = `${target}.before-restore-${new Date(options.now()).toISOString().replace(/[:.]/g, '-')}`;
  }
  try {
    await options.beforeSwap?.({ dataDir: stagingDir, from: options.from, backupId, takenAt, sha256, schemaVersion: version, previous });
  } catch (error) {
    discardStaging();
    throw error;
  }
  if (previous) renameSync(target, previous);
  for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  renameSync(staging, target);
  discardStaging();
  return { restoredFrom: options.from, file: target, schemaVersion: version, previous, backupId, takenAt, sha256 };
}
