import { createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CoreError, systemClock } from '../base/index.ts';
import type { Clock } from '../base/index.ts';
import { decrypt, encrypt, nonceLength, readKeyId } from './aead.ts';
import type { MasterKey, WrapContext } from './masterKey.ts';
import { NonceSource, secureRandom } from './random.ts';
import type { RandomSource } from './random.ts';
import { decodePlaintext, encodePlaintext, undecodable, wipePlaintext } from './sealed.ts';
import type { Codec, SealContext } from './sealed.ts';

export type DataKeyStatus = 'active' | 'retired' | 'destroyed';

/** One row of the data-key table, as the store returns it. */
export interface DataKeyRecord {
  id: number;
  accountId: string;
  version: number;
  masterVersion: number;
  wrappedKey: Buffer | null;
  status: DataKeyStatus;
  /** Encryptions reserved under this key so far (≥ the number actually made). */
  encryptions: number;
  createdAt: number;
}

/** Persistence the key ring needs; core/storage implements it on SQLite. */
export interface DataKeyStore {
  activeKey(accountId: string): DataKeyRecord | undefined;
  keyById(id: number): DataKeyRecord | undefined;
  accountKeys(accountId: string): DataKeyRecord[];
  allKeys(): DataKeyRecord[];
  /** Runs fn in one write transaction (nested calls join the outer one). */
  writeTransaction<T>(fn: () => T): T;
  inTransaction(): boolean;
  /** Retires the account's active key and inserts a new active one with an empty wrapped key. */
  insertActiveKey(accountId: string, masterVersion: number, createdAt: number): { id: number; version: number };
  setWrappedKey(id: number, wrappedKey: Buffer, masterVersion: number): void;
  /** Adds `count` to the key's counter and returns the new total. */
  reserveEncryptions(id: number, count: number): number;
  destroyAccountKeys(accountId: string, at: number): number;
  /** Changes whenever another connection commits (SQLite's data_version). */
  changeCounter(): number;
}

/**
 * Per-key encryption limits. With random 96-bit nonces the chance that two of n encryptions share
 * a nonce is about n²/2⁹⁷; NIST SP 800-38D caps a key at 2³² such encryptions (≈2⁻³³). Strongroom
 * starts a new key version after 2²⁸ (≈268 million; collision chance ≈2⁻⁴¹, 256 times below the
 * NIST bound) and refuses to encrypt at all past 2³¹, which only a single transaction sealing two
 * billion values could reach. Counters are persisted in blocks: a crash over-counts by at most one
 * block, and a block reserved inside a transaction that rolls back under-counts by at most one
 * block — both negligible against the margin.
 */
export interface KeyLimits {
  rotateAfter: number;
  hardLimit: number;
  reserveBlock: number;
}

/** A key change Strongroom made on its own. */
export interface AutomaticRotation {
  accountId: string;
  keyId: number;
  keyVersion: number;
  previousKeyId: number | null;
  previousKeyVersion: number | null;
  reason: 'first key' | 'encryption limit';
}

export const defaultKeyLimits: KeyLimits = { rotateAfter: 2 ** 28, hardLimit: 2 ** 31, reserveBlock: 4096 };

interface LoadedKey {
  id: number;
  accountId: string;
  version: number;
  key: KeyObject;
  /** Encryptions this process may still make before reserving another block: [used, reservedUntil). */
  used: number;
  reservedUntil: number;
  /** The persisted counter when this process loaded the key (other processes count too). */
  countAtLoad: number;
}

export interface KeyRingOptions {
  master: MasterKey;
  store: DataKeyStore;
  clock?: Clock;
  random?: RandomSource;
  limits?: Partial<KeyLimits>;
}

/** What doctor and health report about one data key; never key material. */
export interface DataKeyInfo {
  keyId: number;
  accountId: string;
  version: number;
  status: DataKeyStatus;
  encryptions: number;
  masterVersion: number;
  unwraps: boolean;
}

function tampered(context: { table: string; rowId: string | number | bigint; column: string }, why: string, extra: { dataKeyId?: number } = {}): CoreError {
  return new CoreError('ERR_STORAGE_TAMPERED', `The value in ${context.table}.${context.column} of row ${String(context.rowId)} cannot be decrypted (${why}); it was altered or copied from elsewhere. The rest of the database is unaffected.`, {
    details: { table: context.table, rowId: String(context.rowId), column: context.column, ...extra },
  });
}

/**
 * Per-account data keys, wrapped by the master key: creates, caches, counts, rotates and destroys
 * them, and seals and opens values with them. Only this class sees unwrapped key material.
 */
export class KeyRing {
  private master: MasterKey;
  private readonly store: DataKeyStore;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly nonces: NonceSource;
  /** The nonce of the seal in progress; encrypt() copies it into the ciphertext and the cipher. */
  private readonly nonce = Buffer.alloc(nonceLength);
  readonly limits: KeyLimits;
  private readonly active = new Map<string, LoadedKey>();
  private readonly byId = new Map<number, LoadedKey>();
  private seenChange: number;
  private lastChangeCheck = 0;

  constructor(options: KeyRingOptions) {
    this.master = options.master;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? secureRandom;
    this.nonces = new NonceSource(this.random);
    this.limits = { ...defaultKeyLimits, ...options.limits };
    this.seenChange = this.store.changeCounter();
  }

  get masterVersion(): number {
    return this.master.version;
  }

  /**
   * Call before opening a write transaction for an account (AccountRepository does): picks up keys
   * another process rotated, creates the account's first key, and rotates a key past its limit —
   * work that must not happen inside the caller's transaction, whose rollback would orphan it.
   */
  prepareForWrite(accountId: string): void {
    this.refreshIfChanged(true);
    const key = this.active.get(accountId) ?? this.loadActive(accountId);
    if (!key) {
      this.rotateAutomatically(accountId, 'first key');
      return;
    }
    if (Math.max(key.reservedUntil, key.countAtLoad) >= this.limits.rotateAfter) this.rotateAutomatically(accountId, 'encryption limit', key);
  }

  /**
   * Told of every key change Strongroom makes on its own — an account's first data key, a key
   * rotated at its encryption limit — inside the transaction that makes it (the audit entry: no
   * key without its record). Requested rotations (`strongroom keys rotate`) record their own.
   */
  onAutomaticRotation: ((rotation: AutomaticRotation) => void) | null = null;

  private rotateAutomatically(accountId: string, reason: AutomaticRotation['reason'], previous?: { id: number; version: number }): number {
    try {
      return this.store.writeTransaction(() => {
        const keyId = this.rotate(accountId);
        this.onAutomaticRotation?.({ accountId, keyId, keyVersion: this.byId.get(keyId)!.version, previousKeyId: previous?.id ?? null, previousKeyVersion: previous?.version ?? null, reason });
        return keyId;
      });
    } catch (error) {
      // The key's row rolled back with the failed record: drop it from memory too.
      this.forget(accountId);
      throw error;
    }
  }

  /** Encrypts an encoded value for its context with the account's active key. */
  seal(codec: Codec, value: unknown, context: SealContext): Buffer {
    const plaintext = encodePlaintext(codec, value);
    try {
      return this.sealPlaintext(plaintext, context);
    } finally {
      wipePlaintext(plaintext);
    }
  }

  private sealPlaintext(plaintext: Buffer, context: SealContext): Buffer {
    this.refreshIfChanged(false);
    let key = this.active.get(context.accountId) ?? this.loadActive(context.accountId);
    if (!key) {
      if (this.store.inTransaction()) {
        throw new CoreError('ERR_INTERNAL', 'No data key is ready for this account; open write transactions through AccountRepository.transaction.');
      }
      this.prepareForWrite(context.accountId);
      key = this.active.get(context.accountId);
      if (!key) throw new CoreError('ERR_INTERNAL', 'Creating a data key failed.');
    }
    if (key.used >= key.reservedUntil) this.reserve(key);
    key.used += 1;
    this.nonces.nextInto(this.nonce);
    return encrypt(key.key, key.id, this.nonce, plaintext, context);
  }

  /**
   * Re-encrypts a stored value under the account's active key (key rotation). Returns undefined
   * when it already uses that key; throws like open() when it cannot be decrypted.
   */
  reseal(blob: Uint8Array, context: SealContext): Buffer | undefined {
    if (readKeyId(blob) === this.activeKeyId(context.accountId)) return undefined;
    const plaintext = this.openPlaintext(blob, context);
    try {
      return this.sealPlaintext(plaintext, context);
    } finally {
      plaintext.fill(0);
    }
  }

  /** Decrypts a sealed value; throws ERR_STORAGE_TAMPERED or ERR_STORAGE_KEY_DESTROYED naming where it lives. */
  open(blob: Uint8Array, context: SealContext): unknown {
    const plaintext = this.openPlaintext(blob, context);
    const value = decodePlaintext(plaintext);
    // The value is a string or a copy now; do not leave the decrypted bytes in freed memory.
    plaintext.fill(0);
    if (value === undecodable) throw tampered(context, 'unknown encoding');
    return value;
  }

  private openPlaintext(blob: Uint8Array, context: SealContext): Buffer {
    this.refreshIfChanged(false);
    const bytes = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    const keyId = readKeyId(bytes);
    if (keyId < 0) throw tampered(context, 'not a Strongroom ciphertext');
    const key = this.byId.get(keyId) ?? this.loadById(keyId, context);
    if (key.accountId !== context.accountId) throw tampered(context, 'its key belongs to another account');
    const plaintext = decrypt(key.key, bytes, context);
    if (!plaintext) throw tampered(context, 'authentication failed');
    return plaintext;
  }

  /** Key id a stored value was sealed with, or undefined when it is not a ciphertext. */
  keyIdOf(blob: Uint8Array): number | undefined {
    const keyId = readKeyId(blob);
    return keyId < 0 ? undefined : keyId;
  }

  /**
   * Creates the account's first key when it has none, without unwrapping an existing one: a data
   * key that no longer unwraps (tampered) then fails only that account's reads and writes, when
   * they happen, instead of the whole installation's start.
   */
  ensureActiveKey(accountId: string): void {
    if (!this.active.has(accountId) && !this.store.activeKey(accountId)) this.rotateAutomatically(accountId, 'first key');
  }

  /** The account's active key id, creating the first key if needed. */
  activeKeyId(accountId: string): number {
    const key = this.active.get(accountId) ?? this.loadActive(accountId);
    if (key) return key.id;
    return this.rotateAutomatically(accountId, 'first key');
  }

  /** Starts a new key version for the account; the previous one stays for decryption only. */
  rotate(accountId: string): number {
    const raw = this.random(32);
    try {
      const created = this.store.writeTransaction(() => {
        const inserted = this.store.insertActiveKey(accountId, this.master.version, this.clock.now());
        if (inserted.id > 0xffffffff) throw new CoreError('ERR_INTERNAL', 'Data key ids are exhausted.');
        const context: WrapContext = { accountId, keyId: inserted.id, keyVersion: inserted.version, masterVersion: this.master.version };
        this.store.setWrappedKey(inserted.id, this.master.wrap(raw, context, this.random), this.master.version);
        return inserted;
      });
      const loaded: LoadedKey = { id: created.id, accountId, version: created.version, key: createSecretKey(raw), used: 0, reservedUntil: 0, countAtLoad: 0 };
      this.active.set(accountId, loaded);
      this.byId.set(created.id, loaded);
      return created.id;
    } finally {
      raw.fill(0);
    }
  }

  /** Crypto-shredding: removes every wrapped key of the account from the store and from memory. */
  destroyAccount(accountId: string): number {
    const destroyed = this.store.writeTransaction(() => this.store.destroyAccountKeys(accountId, this.clock.now()));
    this.forget(accountId);
    return destroyed;
  }

  /**
   * Re-wraps every live data key under a new master key (master rotation). Runs in one
   * transaction; afterwards this ring uses the new master key.
   */
  rewrapAll(next: MasterKey): number {
    const count = this.store.writeTransaction(() => {
      let rewrapped = 0;
      for (const record of this.store.allKeys()) {
        if (!record.wrappedKey) continue;
        const raw = this.master.unwrap(record.wrappedKey, this.wrapContext(record));
        if (!raw) throw tampered({ table: 'data_keys', rowId: record.id, column: 'wrapped_key' }, 'the master key does not open it');
        const context: WrapContext = { accountId: record.accountId, keyId: record.id, keyVersion: record.version, masterVersion: next.version };
        this.store.setWrappedKey(record.id, next.wrap(raw, context, this.random), next.version);
        raw.fill(0);
        rewrapped += 1;
      }
      return rewrapped;
    });
    this.master = next;
    return count;
  }

  /** Status of every key, checking that each live one unwraps. */
  describeKeys(): DataKeyInfo[] {
    return this.store.allKeys().map((record) => {
      let unwraps = false;
      if (record.wrappedKey) {
        const raw = this.master.unwrap(record.wrappedKey, this.wrapContext(record));
        unwraps = raw !== undefined;
        raw?.fill(0);
      }
      return { keyId: record.id, accountId: record.accountId, version: record.version, status: record.status, encryptions: record.encryptions, masterVersion: record.masterVersion, unwraps };
    });
  }

  /** Drops cached keys of one account (or all), e.g. after destroying them. */
  forget(accountId?: string): void {
    for (const [id, key] of this.byId) if (accountId === undefined || key.accountId === accountId) this.byId.delete(id);
    for (const [id] of this.active) if (accountId === undefined || id === accountId) this.active.delete(id);
  }

  dispose(): void {
    this.forget();
    this.master.dispose();
  }

  private wrapContext(record: DataKeyRecord): WrapContext {
    return { accountId: record.accountId, keyId: record.id, keyVersion: record.version, masterVersion: record.masterVersion };
  }

  private reserve(key: LoadedKey): void {
    if (key.used >= this.limits.hardLimit) {
      throw new CoreError('ERR_INTERNAL', `Data key ${key.id} reached its encryption limit; run \`strongroom keys rotate\`.`);
    }
    const total = this.store.reserveEncryptions(key.id, this.limits.reserveBlock);
    key.used = total - this.limits.reserveBlock;
    key.reservedUntil = total;
  }

  /** Another connection may have rotated or destroyed keys; drop the cache when the data changed. */
  private refreshIfChanged(force: boolean): void {
    const now = this.clock.monotonic();
    if (!force && now - this.lastChangeCheck < 250) return;
    this.lastChangeCheck = now;
    const change = this.store.changeCounter();
    if (change !== this.seenChange) {
      this.seenChange = change;
      this.forget();
    }
  }

  private loadActive(accountId: string): LoadedKey | undefined {
    const record = this.store.activeKey(accountId);
    if (!record) return undefined;
    const loaded = this.unwrapRecord(record);
    this.active.set(accountId, loaded);
    return loaded;
  }

  private loadById(keyId: number, context: SealContext): LoadedKey {
    const record = this.store.keyById(keyId);
    if (!record) throw tampered(context, `its key ${keyId} does not exist`);
    if (record.status === 'destroyed' || !record.wrappedKey) {
      throw new CoreError('ERR_STORAGE_KEY_DESTROYED', `The value in ${context.table}.${context.column} of row ${String(context.rowId)} belongs to a deleted account whose key was destroyed; it cannot be recovered.`, {
        details: { table: context.table, rowId: String(context.rowId), column: context.column },
      });
    }
    // A read names the value it could not open; the cause is its data key (row `keyId` of data_keys).
    return this.unwrapRecord(record, { context, why: `its data key (data_keys row ${keyId}) was altered: the master key does not open it` });
  }

  private unwrapRecord(record: DataKeyRecord, failure?: { context: SealContext; why: string }): LoadedKey {
    const raw = record.wrappedKey ? this.master.unwrap(record.wrappedKey, this.wrapContext(record)) : undefined;
    // Wrapped by a newer master key than this process holds: `keys rotate --master` ran elsewhere
    // while it was running. Nothing was altered; the process must start again with the new key.
    if (!raw && record.masterVersion > this.master.version) {
      throw new CoreError('ERR_SECRETS_KEY_MISMATCH', `The master key was rotated (to version ${record.masterVersion}) while this Strongroom was running with version ${this.master.version}. Restart Strongroom so it loads the new key (if the key comes from STRONGROOM_MASTER_KEY, set it to the new key first); nothing was changed.`, {
        details: { masterVersion: this.master.version, dataKeyMasterVersion: record.masterVersion },
      });
    }
    if (!raw && failure) throw tampered(failure.context, failure.why, { dataKeyId: record.id });
    if (!raw) throw tampered({ table: 'data_keys', rowId: record.id, column: 'wrapped_key' }, 'the master key does not open this data key');
    const loaded: LoadedKey = { id: record.id, accountId: record.accountId, version: record.version, key: createSecretKey(raw), used: 0, reservedUntil: 0, countAtLoad: record.encryptions };
    raw.fill(0);
    this.byId.set(record.id, loaded);
    return loaded;
  }
}
