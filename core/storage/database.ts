import { chmodSync, closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
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

/**
 * Files up to this size are read into memory rather than leave empty -wal/-shm files beside
 * them; larger ones are read in place (their main file is still never written), so that doctor
 * never holds more than this in memory.
 */
const snapshotLimitBytes = 256 * 1024 * 1024;

/** The first 100 bytes of a file (the SQLite header), or fewer if it is shorter. */
function readHeader(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(100);
    return header.subarray(0, readSync(fd, header, 0, header.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Whether a file starts with the SQLite 3 header. */
export function hasSqliteHeader(file: string): boolean {
  return readHeader(file).subarray(0, 16).equals(Buffer.from('SQLite format 3\0', 'latin1'));
}

export interface ReadOnlyDatabase {
  db: SqliteDatabase;
  /**
   * 'in-place': a read-only connection to the file. 'snapshot': a WAL-mode file nobody has open,
   * read into memory, because a read-only connection to it would create -wal and -shm files.
   */
  how: 'in-place' | 'snapshot';
}

/**
 * Opens a database file read-only without changing anything on disk: no journal-mode switch, no
 * -wal or -shm beside it. A rollback-journal file, or a WAL file some connection has open (its -wal
 * exists), is read in place; a WAL file nobody has open is complete in its main file, which is
 * then read into memory (up to 256 MiB; beyond that in place, where SQLite leaves empty -wal and
 * -shm files behind but never writes the main file). Throws what better-sqlite3 throws; SQLite reports a file that is not a
 * database at the first query.
 */
export function openReadOnly(file: string, options: { busyTimeoutMs?: number } = {}): ReadOnlyDatabase {
  const header = readHeader(file);
  const walMode = header.length >= 20 && header[18] === 2 && header[19] === 2;
  if (walMode && !existsSync(`${file}-wal`) && statSync(file).size <= snapshotLimitBytes) {
    const bytes = readFileSync(file);
    // Only the copy in memory: bytes 18-19 = 1 (rollback journal), which an in-memory database needs.
    bytes[18] = 1;
    bytes[19] = 1;
    return { db: new Database(bytes, { readonly: true }), how: 'snapshot' };
  }
  return { db: new Database(file, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? 5_000 }), how: 'in-place' };
}

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

/** Runs `PRAGMA integrity_check`; returns the problems it lists (empty when the file is sound). */
export function integrityProblems(db: SqliteDatabase): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((row) => row.integrity_check).filter((line) => line !== 'ok');
}
