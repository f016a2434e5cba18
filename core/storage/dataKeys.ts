import type Database from 'better-sqlite3';
import { CoreError } from '../base/index.ts';
import type { DataKeyRecord, DataKeyStatus, DataKeyStore } from '../crypto/index.ts';
import type { SqliteDatabase } from './database.ts';
import { durableTransaction } from './database.ts';

interface DataKeyRow {
  id: number;
  account_id: string;
  version: number;
  master_version: number;
  wrapped_key: Buffer | null;
  status: DataKeyStatus;
  encryptions: number;
  created_at: number;
}

function toRecord(row: DataKeyRow): DataKeyRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    version: row.version,
    masterVersion: row.master_version,
    wrappedKey: row.wrapped_key,
    status: row.status,
    encryptions: row.encryptions,
    createdAt: row.created_at,
  };
}

const columns = 'id, account_id, version, master_version, wrapped_key, status, encryptions, created_at';

/** The data_keys table behind the key ring. Statements are prepared once. */
export class SqliteDataKeyStore implements DataKeyStore {
  private readonly db: SqliteDatabase;
  private readonly statements: {
    active: Database.Statement<[string], DataKeyRow>;
    byId: Database.Statement<[number], DataKeyRow>;
    ofAccount: Database.Statement<[string], DataKeyRow>;
    all: Database.Statement<[], DataKeyRow>;
    nextVersion: Database.Statement<[string], { next: number }>;
    retire: Database.Statement<[number, string]>;
    insert: Database.Statement<[string, number, number, number], { id: number }>;
    setWrapped: Database.Statement<[Buffer, number, number]>;
    reserve: Database.Statement<[number, number], { encryptions: number }>;
    destroy: Database.Statement<[number, string]>;
    dataVersion: Database.Statement<[], number>;
  };

  constructor(db: SqliteDatabase) {
    this.db = db;
    this.statements = {
      active: db.prepare(`SELECT ${columns} FROM data_keys WHERE account_id = ? AND status = 'active'`),
      byId: db.prepare(`SELECT ${columns} FROM data_keys WHERE id = ?`),
      ofAccount: db.prepare(`SELECT ${columns} FROM data_keys WHERE account_id = ? ORDER BY version`),
      all: db.prepare(`SELECT ${columns} FROM data_keys ORDER BY account_id, version`),
      nextVersion: db.prepare('SELECT coalesce(max(version), 0) + 1 AS next FROM data_keys WHERE account_id = ?'),
      retire: db.prepare("UPDATE data_keys SET status = 'retired', retired_at = ? WHERE account_id = ? AND status = 'active'"),
      insert: db.prepare("INSERT INTO data_keys (account_id, version, master_version, wrapped_key, status, created_at) VALUES (?, ?, ?, x'', 'active', ?) RETURNING id"),
      setWrapped: db.prepare('UPDATE data_keys SET wrapped_key = ?, master_version = ? WHERE id = ?'),
      reserve: db.prepare('UPDATE data_keys SET encryptions = encryptions + ? WHERE id = ? RETURNING encryptions'),
      destroy: db.prepare("UPDATE data_keys SET wrapped_key = NULL, status = 'destroyed', destroyed_at = ? WHERE account_id = ? AND status != 'destroyed'"),
      dataVersion: db.prepare('PRAGMA data_version').pluck() as Database.Statement<[], number>,
    };
  }

  activeKey(accountId: string): DataKeyRecord | undefined {
    const row = this.statements.active.get(accountId);
    return row ? toRecord(row) : undefined;
  }

  keyById(id: number): DataKeyRecord | undefined {
    const row = this.statements.byId.get(id);
    return row ? toRecord(row) : undefined;
  }

  accountKeys(accountId: string): DataKeyRecord[] {
    return this.statements.ofAccount.all(accountId).map(toRecord);
  }

  allKeys(): DataKeyRecord[] {
    return this.statements.all.all().map(toRecord);
  }

  /** Key changes commit with synchronous=FULL: rare, and their audit entries ride in them. */
  writeTransaction<T>(fn: () => T): T {
    return durableTransaction(this.db, fn);
  }

  inTransaction(): boolean {
    return this.db.inTransaction;
  }

  insertActiveKey(accountId: string, masterVersion: number, createdAt: number): { id: number; version: number } {
    // A deleted (crypto-shredded) account never gets a key again: a run still writing after the
    // deletion must fail, not quietly make new data readable under a fresh key.
    const shredded = this.db.prepare<[string, string], { n: number }>("SELECT (SELECT count(*) FROM accounts WHERE id = ? AND deleted_at IS NOT NULL) + (SELECT count(*) FROM data_keys WHERE account_id = ? AND status = 'destroyed') AS n").get(accountId, accountId);
    if ((shredded?.n ?? 0) > 0) throw new CoreError('ERR_STORAGE_KEY_DESTROYED', 'This account was deleted and its keys destroyed; nothing more can be written for it.', { details: { accountId } });
    const version = this.statements.nextVersion.get(accountId)?.next ?? 1;
    this.statements.retire.run(createdAt, accountId);
    const inserted = this.statements.insert.get(accountId, version, masterVersion, createdAt);
    if (!inserted) throw new Error('Inserting a data key returned no id.');
    return { id: inserted.id, version };
  }

  setWrappedKey(id: number, wrappedKey: Buffer, masterVersion: number): void {
    this.statements.setWrapped.run(wrappedKey, masterVersion, id);
  }

  reserveEncryptions(id: number, count: number): number {
    const row = this.statements.reserve.get(count, id);
    if (!row) throw new Error(`Data key ${id} does not exist.`);
    return row.encryptions;
  }

  destroyAccountKeys(accountId: string, at: number): number {
    return this.statements.destroy.run(at, accountId).changes;
  }

  changeCounter(): number {
    return this.statements.dataVersion.get() ?? 0;
  }
}
