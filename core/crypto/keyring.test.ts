import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DataKeyRecord, DataKeyStore } from './keyring.ts';
import { KeyRing } from './keyring.ts';
import { MasterKey } from './masterKey.ts';
import { codecs } from './sealed.ts';
import type { SealContext } from './sealed.ts';

/** An in-memory DataKeyStore; the SQLite one is exercised by core/storage's tests. */
function memoryStore(): DataKeyStore & { records: DataKeyRecord[] } {
  const records: DataKeyRecord[] = [];
  return {
    records,
    activeKey: (accountId) => records.find((r) => r.accountId === accountId && r.status === 'active'),
    keyById: (id) => records.find((r) => r.id === id),
    accountKeys: (accountId) => records.filter((r) => r.accountId === accountId),
    allKeys: () => [...records],
    writeTransaction: (fn) => fn(),
    inTransaction: () => false,
    insertActiveKey(accountId, masterVersion, createdAt) {
      for (const r of records) if (r.accountId === accountId && r.status === 'active') r.status = 'retired';
      const version = records.filter((r) => r.accountId === accountId).length + 1;
      const id = records.length + 1;
      records.push({ id, accountId, version, masterVersion, wrappedKey: Buffer.alloc(0), status: 'active', encryptions: 0, createdAt });
      return { id, version };
    },
    setWrappedKey(id, wrappedKey, masterVersion) {
      Object.assign(records[id - 1]!, { wrappedKey, masterVersion });
    },
    reserveEncryptions(id, count) {
      records[id - 1]!.encryptions += count;
      return records[id - 1]!.encryptions;
    },
    destroyAccountKeys(accountId) {
      let n = 0;
      for (const r of records) if (r.accountId === accountId && r.status !== 'destroyed') { r.status = 'destroyed'; r.wrappedKey = null; n += 1; }
      return n;
    },
    changeCounter: () => 0,
  };
}

const at: SealContext = { table: 'notes', rowId: 'row-1', column: 'body', accountId: 'acct-a' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('KeyRing', () => {
  it('round-trips text, JSON and bytes, and the ciphertext carries no plaintext', () => {
    const ring = new KeyRing({ master: MasterKey.generate((n) => randomBytes(n), 1), store: memoryStore() });
    const text = ring.seal(codecs.text, 'confidential memo ✓', at);
    expect(text.includes(Buffer.from('confidential'))).toBe(false);
    expect(ring.open(text, at)).toBe('confidential memo ✓');
    expect(ring.open(ring.seal(codecs.json, { a: [1, 'x'] }, at), at)).toEqual({ a: [1, 'x'] });
    expect(ring.open(ring.seal(codecs.bytes, Buffer.from([0, 1, 255]), at), at)).toEqual(Buffer.from([0, 1, 255]));
  });

  it('binds each ciphertext to its table, row, column and account', () => {
    const store = memoryStore();
    const ring = new KeyRing({ master: MasterKey.generate((n) => randomBytes(n), 1), store });
    ring.activeKeyId('acct-b');
    const sealed = ring.seal(codecs.text, 'x', at);
    expect(codeOf(() => ring.open(sealed, { ...at, rowId: 'row-2' }))).toBe('ERR_STORAGE_TAMPERED');
    expect(codeOf(() => ring.open(sealed, { ...at, column: 'title' }))).toBe('ERR_STORAGE_TAMPERED');
    expect(codeOf(() => ring.open(sealed, { ...at, table: 'other' }))).toBe('ERR_STORAGE_TAMPERED');
    expect(codeOf(() => ring.open(sealed, { ...at, accountId: 'acct-b' }))).toBe('ERR_STORAGE_TAMPERED');
    // Length-prefixed AAD: shifting a separator between fields does not collide.
    expect(codeOf(() => ring.open(ring.seal(codecs.text, 'x', { ...at, table: 'ab', column: 'c' }), { ...at, table: 'a', column: 'bc' }))).toBe('ERR_STORAGE_TAMPERED');
    // Relabelling the key id in the header (to the other account's key) fails too.
    const relabelled = Buffer.from(sealed);
    relabelled.writeUInt32BE(ring.activeKeyId('acct-b'), 1);
    expect(codeOf(() => ring.open(relabelled, { ...at, accountId: 'acct-b' }))).toBe('ERR_STORAGE_TAMPERED');
    expect(codeOf(() => ring.open(Buffer.from('plaintext slipped in'), at))).toBe('ERR_STORAGE_TAMPERED');
    expect(ring.open(sealed, at)).toBe('x');
  });

  it('uses a fresh nonce for every encryption and counts encryptions in persisted blocks', () => {
    const store = memoryStore();
    const ring = new KeyRing({ master: MasterKey.generate((n) => randomBytes(n), 1), store, limits: { reserveBlock: 100 } });
    const nonces = new Set<string>();
    for (let i = 0; i < 2500; i += 1) nonces.add(ring.seal(codecs.text, 'same', at).subarray(5, 17).toString('hex'));
    expect(nonces.size).toBe(2500);
    expect(store.records[0]!.encryptions).toBe(2500);
  });

  it('rotates after the limit, keeps old versions readable, and destroys all of an account’s keys', () => {
    const store = memoryStore();
    const ring = new KeyRing({ master: MasterKey.generate((n) => randomBytes(n), 1), store, limits: { rotateAfter: 10, reserveBlock: 5 } });
    const early = ring.seal(codecs.text, 'early', at);
    for (let i = 0; i < 12; i += 1) { ring.prepareForWrite(at.accountId); ring.seal(codecs.text, 'x', at); }
    const statuses = store.records.filter((r) => r.accountId === 'acct-a').map((r) => r.status);
    // Counting is conservative (a reserved block counts as used), so rotation may come early, never late.
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses).toEqual([...statuses.slice(0, -1).map(() => 'retired'), 'active']);
    expect(store.records.every((r) => r.encryptions <= 10)).toBe(true);
    expect(ring.open(early, at)).toBe('early');
    expect(ring.destroyAccount('acct-a')).toBe(statuses.length);
    expect(codeOf(() => ring.open(early, at))).toBe('ERR_STORAGE_KEY_DESTROYED');
  });

  it('re-wraps data keys under a new master key; the old master key no longer opens them', () => {
    const store = memoryStore();
    const first = MasterKey.generate((n) => randomBytes(n), 1);
    const firstCopy = new MasterKey(Buffer.from(first.toBase64(), 'base64'), 1);
    const ring = new KeyRing({ master: first, store });
    const sealed = ring.seal(codecs.text, 'kept', at);
    expect(ring.rewrapAll(MasterKey.generate((n) => randomBytes(n), 2))).toBe(1);
    expect(ring.describeKeys()[0]).toMatchObject({ masterVersion: 2, unwraps: true });
    ring.forget();
    expect(ring.open(sealed, at)).toBe('kept');
    // A process still holding the old key (rotated elsewhere while it ran) is told so, not "tampered".
    const stale = new KeyRing({ master: firstCopy, store });
    expect(codeOf(() => stale.open(sealed, at))).toBe('ERR_SECRETS_KEY_MISMATCH');
  });

  it('accepts only base64 of exactly 32 bytes as a master key', () => {
    expect(codeOf(() => MasterKey.fromBase64(randomBytes(16).toString('base64'), 1, 'test'))).toBe('ERR_SECRETS_INVALID');
    expect(codeOf(() => MasterKey.fromBase64('not base64 at all!', 1, 'test'))).toBe('ERR_SECRETS_INVALID');
    expect(MasterKey.fromBase64(` ${randomBytes(32).toString('base64')}\n`, 1, 'test').version).toBe(1);
  });
});
