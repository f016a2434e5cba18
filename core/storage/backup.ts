import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CoreError } from '../base/index.ts';
import { MasterKey } from '../crypto/index.ts';
import { masterKeySecretName } from '../secrets/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { hasSqliteHeader, integrityProblems, openReadOnly } from './database.ts';
import { assertNotTooNew, schemaVersion } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { appMigrations } from './schema.ts';
import { setAsideCompanions } from './marker.ts';
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
  /** The backup's id and time from its meta table (a time is null if it was not recorded). */
  backupId: string;
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
  backupId: string;
  takenAt: number | null;
  sha256: string;
}

function readBackupMeta(db: Database.Database, key: string): string | undefined {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

/** A refusal that names the file and why it is not a Strongroom backup; nothing was restored. */
function notABackup(from: string, reason: string, cause?: unknown): CoreError {
  return new CoreError('ERR_INPUT_INVALID', `${from} is not a Strongroom backup: ${reason}. Nothing was restored; give a file made by \`strongroom backup\`.`, { details: { file: from, reason }, ...(cause === undefined ? {} : { cause }) });
}

function sqliteMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a backup's meta table must say, read once it passed integrity_check. */
interface BackupIdentity {
  installationId: string;
  masterKeyCheck: string;
  masterKeyVersion: number;
  backupId: string;
  takenAt: number | null;
}

/**
 * Refuses anything `strongroom backup` did not make before it is read further: not a regular file,
 * not SQLite, damaged (integrity_check, or SQLite reporting corruption), no schema_migrations or
 * meta table, or no installation id, master-key check value or backup id in meta.
 */
function checkBackup(from: string, backup: Database.Database): BackupIdentity {
  let problems: string[];
  try {
    problems = integrityProblems(backup);
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_NOTADB') throw notABackup(from, `it is not a SQLite database (${sqliteMessage(error)})`, error);
    throw new CoreError('ERR_STORAGE_TAMPERED', `The backup ${from} is damaged (integrity_check: ${sqliteMessage(error)}); it was not restored.`, { details: { file: from, reason: 'damaged' }, cause: error });
  }
  if (problems.length > 0) throw new CoreError('ERR_STORAGE_TAMPERED', `The backup ${from} is damaged (integrity_check: ${problems.slice(0, 3).join('; ')}); it was not restored.`, { details: { file: from, reason: 'damaged' } });
  const tables = new Set((backup.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((row) => row.name));
  const missingTables = ['schema_migrations', 'meta'].filter((name) => !tables.has(name));
  if (missingTables.length > 0) throw notABackup(from, `it has no ${missingTables.join(' or ')} table`);
  const installationId = readBackupMeta(backup, 'installation_id');
  const masterKeyCheck = readBackupMeta(backup, 'master_key_check');
  const backupId = readBackupMeta(backup, 'backup_id');
  const missingMeta = [...(installationId ? [] : ['installation_id']), ...(masterKeyCheck ? [] : ['master_key_check']), ...(backupId ? [] : ['backup_id'])];
  if (!installationId || !masterKeyCheck || !backupId) throw notABackup(from, `its meta table has no ${missingMeta.join(', ')}`);
  const takenAt = Number(readBackupMeta(backup, 'backup_taken_at'));
  return { installationId, masterKeyCheck, masterKeyVersion: Number(readBackupMeta(backup, 'master_key_version') ?? '1'), backupId, takenAt: Number.isFinite(takenAt) ? takenAt : null };
}

/**
 * Restores a backup into a stopped installation. The file must be a backup `strongroom backup`
 * made (meta records installation id, master-key check and backup id), must pass integrity_check,
 * must not be from a newer schema, and its master key must be in the secret store — otherwise
 * restoring would leave unreadable content, or a foreign database that the next start would turn
 * into a new, empty installation. Anything else is refused with ERR_INPUT_INVALID (not a backup),
 * ERR_STORAGE_TAMPERED (damaged), ERR_STORAGE_SCHEMA_TOO_NEW or ERR_SECRETS_KEY_MISSING, before
 * the data directory is touched. An existing database is replaced only with `force`, only when
 * no other process has it open, and is kept beside it as `strongroom.db.before-restore-<time>`.
 */
export async function restoreDatabase(options: RestoreOptions): Promise<RestoreReport> {
  const migrations = options.migrations ?? appMigrations;
  let stat;
  try {
    stat = statSync(options.from);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CoreError('ERR_NOT_FOUND', `There is no backup at ${options.from}.`, { details: { file: options.from } });
    throw notABackup(options.from, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? sqliteMessage(error)})`, error);
  }
  if (stat.isDirectory()) throw notABackup(options.from, 'it is a directory');
  if (!stat.isFile()) throw notABackup(options.from, 'it is not a regular file');
  try {
    if (!hasSqliteHeader(options.from)) throw notABackup(options.from, 'it is not a SQLite database (no SQLite header)');
  } catch (error) {
    if (error instanceof CoreError) throw error;
    throw notABackup(options.from, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? sqliteMessage(error)})`, error);
  }
  const target = join(options.dataDir, databaseFileName);
  // Staged as <dataDir>/.restoring/strongroom.db, so it can be opened as an installation of its own.
  const stagingDir = join(options.dataDir, '.restoring');
  const staging = join(stagingDir, databaseFileName);
  const sha256 = await fileSha256(options.from);
  let backup: Database.Database;
  try {
    backup = openReadOnly(options.from).db;
  } catch (error) {
    throw notABackup(options.from, `SQLite cannot open it (${sqliteMessage(error)})`, error);
  }
  let version: number;
  let identity: BackupIdentity;
  try {
    identity = checkBackup(options.from, backup);
    version = assertNotTooNew(backup, migrations, options.from);
    if (version < 1) throw notABackup(options.from, 'it records no schema version');
    const stored = await options.secrets.get(masterKeySecretName(identity.installationId, identity.masterKeyVersion));
    let matches = false;
    if (stored !== null) {
      const master = MasterKey.fromBase64(stored, identity.masterKeyVersion, options.secrets.describe());
      matches = master.checkValue(identity.installationId) === identity.masterKeyCheck;
      master.dispose();
    }
    if (!matches) {
      throw new CoreError('ERR_SECRETS_KEY_MISSING', `The master key of this backup (installation ${identity.installationId}, version ${identity.masterKeyVersion}) is not in ${options.secrets.describe()}; restoring it would leave its content unreadable. Make that key available (keychain entry or STRONGROOM_MASTER_KEY) and try again.`);
    }
  } catch (error) {
    backup.close();
    if (error instanceof CoreError) throw error;
    throw notABackup(options.from, `SQLite cannot read it (${sqliteMessage(error)})`, error);
  }
  const { backupId, takenAt } = identity;
  try {
    rmSync(stagingDir, { recursive: true, force: true });
    mkdirSync(stagingDir, { recursive: true, mode: 0o700 });
    await backup.backup(staging);
    chmodSync(staging, 0o600);
  } catch (error) {
    rmSync(stagingDir, { recursive: true, force: true });
    throw new CoreError('ERR_STORAGE_UNAVAILABLE', `The backup could not be copied into ${stagingDir}: ${sqliteMessage(error)}. Nothing was replaced.`, { cause: error });
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
    // Exclusive lock: fails at once (SQLITE_BUSY) if the app, serve mode or another command has the
    // file open. A file SQLite cannot read as a database (truncated, overwritten) is what a restore
    // is for: it is replaced all the same, and kept beside.
    let live: Database.Database | undefined;
    try {
      live = new Database(target, { fileMustExist: true, timeout: 0 });
      live.pragma('locking_mode = EXCLUSIVE');
      live.exec('BEGIN EXCLUSIVE; COMMIT');
      live.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      const code = String((error as { code?: unknown }).code);
      if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') {
        live?.close();
        discardStaging();
        const inUse = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
        throw new CoreError('ERR_STORAGE_UNAVAILABLE', inUse ? `The database at ${target} is in use by a running Strongroom; stop it, then restore.` : `The database at ${target} cannot be replaced: ${sqliteMessage(error)}. Nothing was changed.`, { cause: error });
      }
    }
    live?.close();
    previous = `${target}.before-restore-${new Date(options.now()).toISOString().replace(/[:.]/g, '-')}`;
  }
  try {
    await options.beforeSwap?.({ dataDir: stagingDir, from: options.from, backupId, takenAt, sha256, schemaVersion: version, previous });
  } catch (error) {
    discardStaging();
    throw error;
  }
  // SQLite's files beside the database go with it, never into the restored one: a leftover
  // -journal would be rolled back into it, a -wal replayed. With the replaced database kept, they
  // are kept beside it; when the database had gone missing, they are set aside.
  if (previous) {
    renameSync(target, previous);
    for (const suffix of ['-wal', '-shm', '-journal']) if (existsSync(`${target}${suffix}`)) renameSync(`${target}${suffix}`, `${previous}${suffix}`);
  } else {
    setAsideCompanions(target, options.now());
  }
  renameSync(staging, target);
  discardStaging();
  return { restoredFrom: options.from, file: target, schemaVersion: version, previous, backupId, takenAt, sha256 };
}
