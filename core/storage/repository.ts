import type Database from 'better-sqlite3';
import { CoreError } from '../base/index.ts';
import { codecs } from '../crypto/index.ts';
import type { JsonValue, KeyRing, Sealed } from '../crypto/index.ts';
import { durableTransaction } from './database.ts';
import type { SqliteDatabase } from './database.ts';

/** Where a sealed value lives, less the account (the scope supplies it). */
export interface ColumnRef {
  table: string;
  rowId: string | number | bigint;
  column: string;
}

/**
 * One account's view of storage: its id and its data key. Storage.scopeFor() makes one from an
 * authorized principal; repositories take it at construction, so no repository method ever takes
 * an account id from a caller.
 */
export class AccountScope {
  readonly accountId: string;
  readonly db: SqliteDatabase;
  private readonly keys: KeyRing;

  /** @internal Storage.scopeFor() is the only caller. */
  constructor(db: SqliteDatabase, keys: KeyRing, accountId: string) {
    this.db = db;
    this.keys = keys;
    this.accountId = accountId;
  }

  sealText(at: ColumnRef, text: string): Sealed<string> {
    return this.keys.seal(codecs.text, text, { ...at, accountId: this.accountId }) as Sealed<string>;
  }

  sealJson<T extends JsonValue>(at: ColumnRef, value: T): Sealed<T> {
    return this.keys.seal(codecs.json, value, { ...at, accountId: this.accountId }) as Sealed<T>;
  }

  sealBytes(at: ColumnRef, bytes: Uint8Array): Sealed<Uint8Array> {
    return this.keys.seal(codecs.bytes, bytes, { ...at, accountId: this.accountId }) as Sealed<Uint8Array>;
  }

  /** Decrypts; ERR_STORAGE_TAMPERED (naming table, row and column) if it was altered or moved. */
  open<T>(at: ColumnRef, sealed: Sealed<T>): T {
    return this.keys.open(sealed, { ...at, accountId: this.accountId }) as T;
  }

  /** Key rotation and key creation happen here, never inside a caller's transaction. */
  prepareForWrite(): void {
    this.keys.prepareForWrite(this.accountId);
  }
}

/**
 * Base of every SQLite repository: statements prepared once and reused, and synchronous
 * transactions that refuse an async body (a transaction never spans an await).
 */
export abstract class Repository {
  protected readonly db: SqliteDatabase;
  private readonly prepared = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  /** The prepared statement for this SQL, prepared on first use. */
  protected statement<Params extends unknown[] = unknown[], Row = unknown>(sql: string): Database.Statement<Params, Row> {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement as unknown as Database.Statement<Params, Row>;
  }

  /** Like transaction(), committed with synchronous=FULL: for changes that carry an audit entry. */
  protected durably<T>(fn: () => T): T {
    return durableTransaction(this.db, fn);
  }

  /** Runs fn in one IMMEDIATE transaction (joins an enclosing one). fn must be synchronous. */
  protected transaction<T>(fn: () => T): T {
    const guarded = (): T => {
      const result = fn();
      if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
        throw new CoreError('ERR_INTERNAL', 'A storage transaction body returned a promise; transactions must be synchronous and never span an await.');
      }
      return result;
    };
    if (this.db.inTransaction) return guarded();
    return this.db.transaction(guarded).immediate();
  }
}

/**
 * Base of repositories for account-scoped tables. The account id is bound at construction from
 * an AccountScope; sealing binds each value to `table`, its row and column, and that account.
 */
export abstract class AccountRepository extends Repository {
  protected readonly accountId: string;
  protected readonly scope: AccountScope;
  /** The table this repository owns; bound into every ciphertext it seals. */
  protected abstract readonly table: string;

  constructor(scope: AccountScope) {
    super(scope.db);
    this.scope = scope;
    this.accountId = scope.accountId;
  }

  protected override transaction<T>(fn: () => T): T {
    if (!this.db.inTransaction) this.scope.prepareForWrite();
    return super.transaction(fn);
  }

  protected sealText(column: string, rowId: ColumnRef['rowId'], text: string): Sealed<string> {
    return this.scope.sealText({ table: this.table, rowId, column }, text);
  }

  protected sealJson<T extends JsonValue>(column: string, rowId: ColumnRef['rowId'], value: T): Sealed<T> {
    return this.scope.sealJson({ table: this.table, rowId, column }, value);
  }

  protected sealBytes(column: string, rowId: ColumnRef['rowId'], bytes: Uint8Array): Sealed<Uint8Array> {
    return this.scope.sealBytes({ table: this.table, rowId, column }, bytes);
  }

  protected open<T>(column: string, rowId: ColumnRef['rowId'], sealed: Sealed<T>): T {
    return this.scope.open({ table: this.table, rowId, column }, sealed);
  }
}
