import { existsSync, mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CoreError, silentLogger, systemClock } from '../base/index.ts';
import type { Clock, Disposable, Logger } from '../base/index.ts';
import { KeyRing, secureRandom } from '../crypto/index.ts';
import type { KeyLimits, RandomSource } from '../crypto/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { Account } from './accounts.ts';
import { AccountsRepository } from './accounts.ts';
import { ensureInstallationId, loadMasterKey, readMeta } from './bootstrap.ts';
import { readMarker, refuseIfDatabaseMissing, setAsideCompanions, writeMarker } from './marker.ts';
import { SqliteDataKeyStore } from './dataKeys.ts';
import { durableTransaction, openDatabase } from './database.ts';
import type { SqliteDatabase } from './database.ts';
import { latestVersion, migrate, schemaVersion } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { AccountScope } from './repository.ts';
import { appMigrations, appSealedTables } from './schema.ts';
import type { SealedTable } from './schema.ts';

export const databaseFileName = 'strongroom.db';
export const defaultAccountName = 'Default';

export interface StorageOptions {
  dataDir: string;
  secrets: SecretStore;
  /** Create the database, master key, default account and local administrator when missing (first run). Default true. */
  create?: boolean;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  /** The schema; tests append their own tables. Default: appMigrations. */
  migrations?: readonly Migration[];
  /** Tables with content columns, for key rotation. Default: appSealedTables. */
  sealedTables?: readonly SealedTable[];
  keyLimits?: Partial<KeyLimits>;
  busyTimeoutMs?: number;
  /**
   * Create a new installation even where the data directory shows that one was there and its
   * database is missing (see marker.ts). Only `strongroom init` passes true: everything else
   * refuses with ERR_STORAGE_NOT_INITIALISED rather than start an empty installation by accident.
   */
  replaceMissingDatabase?: boolean;
}

/** What a first run created, for `strongroom init` to report. */
export interface FirstRun {
  database: boolean;
  masterKey: boolean;
  defaultAccount: boolean;
  administrator: boolean;
  /** The installation recorded in the data directory whose missing database this one replaced (`strongroom init` only). */
  replacedInstallationId?: string;
}

export interface StorageHealth {
  status: 'ok' | 'degraded' | 'failed';
  detail?: string;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The open database with its key ring: the one object the composition root builds first and
 * disposes last. Repositories get an AccountScope from scopeFor(), never the raw account id.
 */
export class Storage implements Disposable {
  readonly dataDir: string;
  readonly file: string;
  readonly db: SqliteDatabase;
  readonly installationId: string;
  readonly secrets: SecretStore;
  readonly keys: KeyRing;
  readonly accounts: AccountsRepository;
  readonly sealedTables: readonly SealedTable[];
  readonly migrations: readonly Migration[];
  readonly firstRun: FirstRun;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;

  /** @internal openStorage() is the only caller. */
  constructor(parts: Omit<Storage, 'scopeFor' | 'createAccount' | 'deleteAccount' | 'health' | 'schemaVersion' | 'checkpoint' | 'dispose'>) {
    this.dataDir = parts.dataDir;
    this.file = parts.file;
    this.db = parts.db;
    this.installationId = parts.installationId;
    this.secrets = parts.secrets;
    this.keys = parts.keys;
    this.accounts = parts.accounts;
    this.sealedTables = parts.sealedTables;
    this.migrations = parts.migrations;
    this.firstRun = parts.firstRun;
    this.clock = parts.clock;
    this.random = parts.random;
    this.logger = parts.logger;
  }

  /**
   * The storage view for an authorized principal's account. Throws ERR_AUTH_FORBIDDEN for an
   * installation-wide principal and ERR_NOT_FOUND for a missing or deleted account.
   */
  scopeFor(context: { accountId: string | null }): AccountScope {
    if (context.accountId === null) throw new CoreError('ERR_AUTH_FORBIDDEN', 'This action needs an account; the caller acts for the whole installation.');
    const account = this.accounts.byId(context.accountId);
    if (!account || account.deletedAt !== null) throw new CoreError('ERR_NOT_FOUND', 'The account does not exist or was deleted.');
    return new AccountScope(this.db, this.keys, account.id);
  }

  /** Creates an account together with its first data key. */
  createAccount(name: string): Account {
    const account = this.accounts.create(name, this.clock.now());
    this.keys.activeKeyId(account.id);
    return account;
  }

  /**
   * Deletes an account by crypto-shredding: its data keys are overwritten (secure_delete zeroes
   * the freed bytes) and the WAL is checkpointed and truncated, so neither this file nor its WAL
   * holds a key that opens the account's rows. Backups taken earlier still hold the key — rotate
   * the master key to shred those too.
   */
  deleteAccount(accountId: string, options: { withinTransaction?: () => void } = {}): { destroyedKeys: number; walTruncated: boolean } {
    const destroyedKeys = durableTransaction(this.db, () => {
      this.accounts.markDeleted(accountId, this.clock.now());
      // e.g. the audit entry, so the deletion and its record commit together.
      options.withinTransaction?.();
      return this.keys.destroyAccount(accountId);
    });
    this.keys.forget(accountId);
    const walTruncated = this.checkpoint();
    this.logger.info({ accountId, destroyedKeys, walTruncated }, 'account deleted; its data keys were destroyed');
    return { destroyedKeys, walTruncated };
  }

  /** Copies the WAL into the database and truncates it; false if a reader kept part of it. */
  checkpoint(): boolean {
    const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    return result !== undefined && result.busy === 0;
  }

  schemaVersion(): number {
    return schemaVersion(this.db);
  }

  /** A cheap check for system.health (the full integrity_check belongs to `strongroom doctor`). */
  health(): StorageHealth {
    if (!this.db.open) return { status: 'failed', detail: 'The database is closed.' };
    const version = this.schemaVersion();
    const latest = latestVersion(this.migrations);
    if (version !== latest) return { status: 'failed', detail: `Schema version ${version}, expected ${latest}.` };
    const withoutKey = this.db.prepare("SELECT count(*) AS n FROM accounts a WHERE a.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM data_keys k WHERE k.account_id = a.id AND k.status = 'active')").get() as { n: number };
    if (withoutKey.n > 0) return { status: 'degraded', detail: `${withoutKey.n} account(s) have no active data key yet.` };
    const due = this.db.prepare("SELECT count(*) AS n FROM data_keys WHERE status = 'active' AND encryptions >= ?").get(this.keys.limits.rotateAfter) as { n: number };
    if (due.n > 0) return { status: 'degraded', detail: `${due.n} data key(s) are due for rotation; run \`strongroom keys rotate\`.` };
    return { status: 'ok', detail: `Schema version ${version}; ${this.secrets.backend} master key.` };
  }

  async dispose(): Promise<void> {
    this.keys.dispose();
    if (this.db.open) {
      this.checkpoint();
      this.db.close();
    }
  }
}

/**
 * Throws ERR_STORAGE_NOT_INITIALISED unless `dataDir` holds a database: for commands that act on
 * an installation through createCore, which would otherwise create one.
 */
export function requireInstallation(dataDir: string): void {
  const file = join(dataDir, databaseFileName);
  refuseIfDatabaseMissing(dataDir, file);
  if (!existsSync(file)) throw new CoreError('ERR_STORAGE_NOT_INITIALISED', `There is no Strongroom database at ${file}; run \`strongroom init\` first.`);
}

function assertSealedTables(tables: readonly SealedTable[]): void {
  for (const table of tables) {
    for (const name of [table.table, table.idColumn, table.accountColumn, ...table.columns]) {
      if (!identifier.test(name)) throw new Error(`Sealed table declaration uses an invalid identifier: ${name}`);
    }
  }
}

/**
 * Opens (and on first run creates) the installation's storage in `dataDir`: database file with
 * migrations applied, master key from the secret store, key ring, default account and local
 * administrator. Throws a CoreError that names the fix when something is missing.
 */
export async function openStorage(options: StorageOptions): Promise<Storage> {
  const create = options.create ?? true;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? secureRandom;
  const logger = options.logger ?? silentLogger();
  const migrations = options.migrations ?? appMigrations;
  const sealedTables = options.sealedTables ?? appSealedTables;
  assertSealedTables(sealedTables);
  const createdDir = create ? mkdirSync(options.dataDir, { recursive: true, mode: 0o700 }) : undefined;
  const file = join(options.dataDir, databaseFileName);
  const createdFile = create && !existsSync(file);
  let replacedInstallationId: string | undefined;
  if (createdFile) {
    if (options.replaceMissingDatabase === true) {
      replacedInstallationId = readMarker(options.dataDir)?.installationId;
      const setAside = setAsideCompanions(file, clock.now());
      if (setAside.length > 0) logger.warn({ files: setAside }, 'set aside SQLite files of a missing database before creating a new one');
    } else {
      refuseIfDatabaseMissing(options.dataDir, file);
    }
  }
  let db: SqliteDatabase;
  try {
    db = openDatabase(file, { mustExist: !create, ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }) });
  } catch (error) {
    if (createdFile) discardUnfinished(file, options.dataDir, createdDir);
    throw error;
  }
  try {
    const databaseWasEmpty = schemaVersion(db) === 0;
    const migrated = migrate(db, migrations, { file, now: () => clock.now() });
    if (migrated.from !== migrated.to) logger.info({ from: migrated.from, to: migrated.to }, 'database migrated');
    const installation = ensureInstallationId(db);
    const { master, created: masterCreated } = await loadMasterKey(db, options.secrets, { installationId: installation.id, create, random });
    const keys = new KeyRing({ master, store: new SqliteDataKeyStore(db), clock, random, ...(options.keyLimits ? { limits: options.keyLimits } : {}) });
    const accounts = new AccountsRepository(db);
    const storage = new Storage({ dataDir: options.dataDir, file, db, installationId: installation.id, secrets: options.secrets, keys, accounts, sealedTables, migrations, clock, random, logger, firstRun: { database: databaseWasEmpty, masterKey: masterCreated, defaultAccount: false, administrator: false, ...(replacedInstallationId === undefined ? {} : { replacedInstallationId }) } });
    let defaultAccount = false;
    if (accounts.list({ includeDeleted: true }).length === 0) {
      storage.createAccount(defaultAccountName);
      defaultAccount = true;
    }
    // Accounts from before encryption existed (schema 1) get their first key now, outside any
    // caller's transaction. Existing keys are not unwrapped here: one that was tampered with fails
    // its own account's reads (ERR_STORAGE_TAMPERED), not the whole installation's start.
    for (const account of accounts.list()) keys.ensureActiveKey(account.id);
    const administrator = accounts.ensureLocalAdministrator(clock.now()).created;
    Object.assign(storage.firstRun, { defaultAccount, administrator });
    if (masterCreated) logger.info({ backend: options.secrets.backend }, 'master key created');
    try {
      writeMarker(options.dataDir, installation.id, clock.now());
    } catch (error) {
      // A read-only data directory still opens; only the missing-database guard loses its evidence.
      logger.warn({ code: (error as NodeJS.ErrnoException).code }, 'could not record installation.json in the data directory');
    }
    return storage;
  } catch (error) {
    // A first run that stopped before the master key was bound (keychain unavailable, invalid
    // key) leaves nothing behind: a database without its key is no installation, and doctor or
    // the next start would otherwise take it for one. Once a key is bound the file stays, and the
    // next start (or `strongroom init`) finishes it.
    const unbound = createdFile && isUnbound(db);
    db.close();
    if (unbound) discardUnfinished(file, options.dataDir, createdDir);
    throw error;
  }
}

function isUnbound(db: SqliteDatabase): boolean {
  try {
    return readMeta(db, 'master_key_check') === undefined;
  } catch {
    return true;
  }
}

/** Removes a database this call created (and its -wal/-shm), and the directories it created if empty. */
function discardUnfinished(file: string, dataDir: string, createdDir: string | undefined): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
  if (createdDir === undefined) return;
  const top = resolve(createdDir);
  for (let dir = resolve(dataDir); dir.startsWith(top); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
    if (dir === top) return;
  }
}
