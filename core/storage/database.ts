import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CoreError } from '../base/index.ts';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** Milliseconds a connection waits for another's write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Fail instead of creating a missing file. */
  mustExist?: boolean;
}

/**
 * Opens a database file with Strongroom's settings:
 * - WAL: readers never block the writer, and a crash loses no committed transaction;
 * - synchronous=NORMAL: in WAL mode a commit survives a process crash; only an OS crash or power
 *   loss can drop the last transactions (the audit log opts into FULL for its own writes);
 * - foreign_keys=ON, and a busy timeout so the CLI and the app can share the file;
 * - secure_delete=ON: freed content is zeroed, so a destroyed data key leaves no bytes behind.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const isNew = !existsSync(file);
  if (isNew && options.mustExist) {
    throw new CoreError('ERR_STORAGE_NOT_INITIALISED', `There is no Strongroom database at ${file}; run \`strongroom init\` first.`);
  }
  let db: SqliteDatabase;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs ?? 5_000 });
  } catch (error) {
    throw new CoreError('ERR_STORAGE_UNAVAILABLE', `The database ${file} cannot be opened: ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
  }
  try {
    if (isNew) chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    return db;
  } catch (error) {
    db.close();
    throw new CoreError('ERR_STORAGE_UNAVAILABLE', `The database ${file} cannot be used: ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
  }
}

/** Runs `PRAGMA integrity_check`; returns the problems it lists (empty when the file is sound). */
/**
 * Runs fn in one IMMEDIATE transaction committed with synchronous=FULL — the WAL is on disk before
 * it returns — then puts the connection back to NORMAL. For writes that must survive power loss,
 * such as an audit entry with its change; everything else (run checkpoints, traces) commits at
 * NORMAL, which survives a process crash. SQLite cannot change the safety level inside a
 * transaction, so a nested call joins the outer one (AuditLog.append checks it is durable).
 */
export function durableTransaction<T>(db: SqliteDatabase, fn: () => T): T {
  if (db.inTransaction) return fn();
  db.pragma('synchronous = FULL');
  try {
    return db.transaction(fn).immediate();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}

/** Whether the connection will commit the current transaction with synchronous=FULL. */
export function commitsDurably(db: SqliteDatabase): boolean {
  return db.pragma('synchronous', { simple: true }) === 2;
}

export function integrityProblems(db: SqliteDatabase): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((row) => row.integrity_check).filter((line) => line !== 'ok');
}
