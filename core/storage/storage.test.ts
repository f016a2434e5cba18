import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreError, isCoreError } from '../base/index.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { openDatabase } from './database.ts';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from './storage.ts';
import type { Storage } from './storage.ts';
import { databaseBytes, openTestStorage, tempDir } from './testing/helpers.ts';
import { NotesRepository } from './testing/notes.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(secrets = new MemorySecretStore()): Promise<{ storage: Storage; dataDir: string; secrets: MemorySecretStore }> {
  const dir = tempDir('storage');
  cleanups.push(dir.cleanup);
  const storage = await openTestStorage(dir.path, { secrets });
  cleanups.push(() => storage.dispose());
  return { storage, dataDir: dir.path, secrets };
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('storage on disk', () => {
  it('first run creates the database, a master key in the store, a default account with a data key, and the local administrator', async () => {
    const { storage, secrets } = await setup();
    expect(storage.firstRun).toEqual({ database: true, masterKey: true, defaultAccount: true, administrator: true });
    expect(await secrets.get(`${storage.installationId}/master-key/v1`)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const [account] = storage.accounts.list();
    expect(account?.name).toBe('Default');
    expect(storage.keys.describeKeys()).toMatchObject([{ accountId: account?.id, status: 'active', version: 1, unwraps: true }]);
    expect(storage.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(storage.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(storage.health().status).toBe('ok');
  });

  it('a second open finds everything and creates nothing', async () => {
    const { storage, dataDir, secrets } = await setup();
    const installationId = storage.installationId;
    await storage.dispose();
    const again = await openTestStorage(dataDir, { secrets });
    cleanups.push(() => again.dispose());
    expect(again.installationId).toBe(installationId);
    expect(again.firstRun).toEqual({ database: false, masterKey: false, defaultAccount: false, administrator: false });
  });

  it('leaves no plaintext at rest: markers written through repositories are absent from the database, WAL and SHM bytes', async () => {
    const { storage } = await setup();
    const marker = `MARKER-${randomBytes(8).toString('hex')}`;
    const notes = new NotesRepository(storage.scopeFor({ accountId: storage.accounts.list()[0]!.id }));
    notes.addMany(Array.from({ length: 200 }, (_, index) => ({ title: `${marker} title ${index}`, body: `${marker} ${'body text '.repeat(50)}`, seq: index })));
    expect(notes.list()).toHaveLength(200);
    expect(notes.list()[7]?.title).toBe(`${marker} title 7`);
    // While open (WAL holds the pages) and after closing (checkpointed into the file).
    expect(databaseBytes(storage.file).includes(marker)).toBe(false);
    expect(databaseBytes(storage.file).includes(Buffer.from(marker, 'utf16le'))).toBe(false);
    await storage.dispose();
    const bytes = databaseBytes(storage.file);
    expect(bytes.length).toBeGreaterThan(200 * 500);
    expect(bytes.includes(marker)).toBe(false);
  });

  it('rejects ciphertext swapped between two rows, naming table and row, while other rows keep working', async () => {
    const { storage } = await setup();
    const notes = new NotesRepository(storage.scopeFor({ accountId: storage.accounts.list()[0]!.id }));
    const [first, second, third] = notes.addMany([{ title: 'one', body: 'first body' }, { title: 'two', body: 'second body' }, { title: 'three', body: 'third' }]) as [string, string, string];
    const body = (id: string) => storage.db.prepare('SELECT body FROM notes WHERE id = ?').get(id) as { body: Buffer };
    const firstBody = body(first).body;
    storage.db.prepare('UPDATE notes SET body = ? WHERE id = ?').run(body(second).body, first);
    storage.db.prepare('UPDATE notes SET body = ? WHERE id = ?').run(firstBody, second);
    for (const id of [first, second]) {
      const error = catchError(() => notes.get(id));
      expect(isCoreError(error) && error.code).toBe('ERR_STORAGE_TAMPERED');
      expect(isCoreError(error) && error.details).toEqual({ table: 'notes', rowId: id, column: 'body' });
      expect((error as Error).message).toContain(id);
    }
    expect(notes.get(third)?.body).toBe('third');
    const fourth = notes.add({ title: 'four', body: 'still writable' });
    expect(notes.get(fourth)?.body).toBe('still writable');
    expect(storage.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('rejects ciphertext moved between columns of one row and a flipped bit', async () => {
    const { storage } = await setup();
    const notes = new NotesRepository(storage.scopeFor({ accountId: storage.accounts.list()[0]!.id }));
    const id = notes.add({ title: 'title', body: 'body' });
    const row = storage.db.prepare('SELECT title, body FROM notes WHERE id = ?').get(id) as { title: Buffer; body: Buffer };
    storage.db.prepare('UPDATE notes SET title = ? WHERE id = ?').run(row.body, id);
    expect((catchError(() => notes.get(id)) as { code?: string }).code).toBe('ERR_STORAGE_TAMPERED');
    const flipped = Buffer.from(row.body);
    flipped[flipped.length - 20]! ^= 1;
    storage.db.prepare('UPDATE notes SET title = ?, body = ? WHERE id = ?').run(row.title, flipped, id);
    expect((catchError(() => notes.get(id)) as { details?: unknown }).details).toEqual({ table: 'notes', rowId: id, column: 'body' });
  });

  it('rejects ciphertext copied between two accounts, even when the row id is copied too', async () => {
    const { storage } = await setup();
    const credit = storage.createAccount('Credit Risk');
    const hr = storage.createAccount('HR');
    const creditNotes = new NotesRepository(storage.scopeFor({ accountId: credit.id }));
    const hrNotes = new NotesRepository(storage.scopeFor({ accountId: hr.id }));
    const secretId = creditNotes.add({ title: 'credit memo', body: 'exposure to counterparty X' });
    const hrId = hrNotes.add({ title: 'hr note', body: 'harmless' });
    const stolen = storage.db.prepare('SELECT title, body FROM notes WHERE id = ?').get(secretId) as { title: Buffer; body: Buffer };
    // Into an existing HR row, and as a new HR row carrying the original id's ciphertext under a new id.
    storage.db.prepare('UPDATE notes SET title = ?, body = ? WHERE id = ?').run(stolen.title, stolen.body, hrId);
    expect((catchError(() => hrNotes.get(hrId)) as { code?: string }).code).toBe('ERR_STORAGE_TAMPERED');
    // Re-labelling the row itself to the other account is also caught: the key belongs to Credit Risk but the AAD says HR.
    storage.db.prepare('UPDATE notes SET account_id = ? WHERE id = ?').run(hr.id, secretId);
    expect((catchError(() => hrNotes.get(secretId)) as { code?: string }).code).toBe('ERR_STORAGE_TAMPERED');
    expect(creditNotes.get(secretId)).toBeUndefined();
  });

  it('repositories are bound to one account and never read another account’s rows', async () => {
    const { storage } = await setup();
    const a = new NotesRepository(storage.scopeFor({ accountId: storage.createAccount('A').id }));
    const b = new NotesRepository(storage.scopeFor({ accountId: storage.createAccount('B').id }));
    const id = a.add({ title: 'only A', body: 'a' });
    expect(b.get(id)).toBeUndefined();
    expect(b.list()).toEqual([]);
    expect((catchError(() => storage.scopeFor({ accountId: null })) as { code?: string }).code).toBe('ERR_AUTH_FORBIDDEN');
    expect((catchError(() => storage.scopeFor({ accountId: 'no-such-account' })) as { code?: string }).code).toBe('ERR_NOT_FOUND');
  });

  it('crypto-shreds a deleted account: its rows stay unreadable with the old database file and the master key', async () => {
    const { storage, dataDir, secrets } = await setup();
    const doomed = storage.createAccount('Doomed');
    const kept = storage.createAccount('Kept');
    const doomedNotes = new NotesRepository(storage.scopeFor({ accountId: doomed.id }));
    const keptNotes = new NotesRepository(storage.scopeFor({ accountId: kept.id }));
    const doomedIds = doomedNotes.addMany(Array.from({ length: 50 }, (_, index) => ({ title: `doomed ${index}`, body: 'confidential' })));
    const keptId = keptNotes.add({ title: 'kept', body: 'stays' });
    const wrapped = storage.db.prepare('SELECT wrapped_key FROM data_keys WHERE account_id = ?').pluck().all(doomed.id) as Buffer[];
    expect(wrapped).toHaveLength(1);
    storage.checkpoint();
    expect(databaseBytes(storage.file).includes(wrapped[0]!)).toBe(true);

    const result = storage.deleteAccount(doomed.id);
    expect(result).toEqual({ destroyedKeys: 1, walTruncated: true });
    expect((catchError(() => storage.scopeFor({ accountId: doomed.id })) as { code?: string }).code).toBe('ERR_NOT_FOUND');
    await storage.dispose();

    // The file on disk no longer contains the wrapped key anywhere (secure_delete + WAL truncate)…
    expect(databaseBytes(storage.file).includes(wrapped[0]!)).toBe(false);
    // …so even reopening the same file with the same master key cannot decrypt the rows, which still exist.
    const reopened = await openTestStorage(dataDir, { secrets });
    cleanups.push(() => reopened.dispose());
    const rows = reopened.db.prepare('SELECT id, body FROM notes WHERE account_id = ?').all(doomed.id) as { id: string; body: Buffer }[];
    expect(rows.map((row) => row.id).sort()).toEqual([...doomedIds].sort());
    for (const row of rows.slice(0, 5)) {
      const error = catchError(() => reopened.keys.open(row.body, { table: 'notes', rowId: row.id, column: 'body', accountId: doomed.id }));
      expect((error as { code?: string }).code).toBe('ERR_STORAGE_KEY_DESTROYED');
    }
    expect(new NotesRepository(reopened.scopeFor({ accountId: kept.id })).get(keptId)?.body).toBe('stays');
  });

  it('rotates a data key: new version active, every value re-encrypted in batches, all still readable', async () => {
    const { storage } = await setup();
    const account = storage.accounts.list()[0]!;
    const notes = new NotesRepository(storage.scopeFor({ accountId: account.id }));
    notes.addMany(Array.from({ length: 1234 }, (_, index) => ({ title: `t${index}`, body: `b${index}`, seq: index })));
    const oldKeyId = storage.keys.activeKeyId(account.id);
    const { rotateAccountKey } = await import('./rotation.ts');
    const progress: number[] = [];
    const report = await rotateAccountKey(storage, account.id, { batchSize: 500, onProgress: (p) => progress.push(p.rowsScanned) });
    expect(report.keyId).not.toBe(oldKeyId);
    expect(report).toMatchObject({ keyVersion: 2, rowsScanned: 1234, valuesResealed: 2468, batches: 3, failures: [] });
    expect(progress).toEqual([500, 1000, 1234]);
    const keyIds = storage.db.prepare('SELECT DISTINCT substr(body, 2, 4) AS k FROM notes UNION SELECT DISTINCT substr(title, 2, 4) FROM notes').all() as { k: Buffer }[];
    expect(keyIds.map((row) => row.k.readUInt32BE(0))).toEqual([report.keyId]);
    expect(notes.list()[1233]).toMatchObject({ title: 't1233', body: 'b1233' });
    expect(storage.keys.describeKeys().map((key) => key.status)).toEqual(['retired', 'active']);
  });

  it('rotates without blocking the app: another connection keeps writing and reading between batches, and writes under the new key', async () => {
    const { storage: rotator, dataDir, secrets } = await setup();
    const app = await openTestStorage(dataDir, { secrets });
    cleanups.push(() => app.dispose());
    const account = app.accounts.list()[0]!;
    const notes = new NotesRepository(app.scopeFor({ accountId: account.id }));
    notes.addMany(Array.from({ length: 3000 }, (_, index) => ({ title: `t${index}`, body: `b${index}`, seq: index })));
    const { rotateAccountKey } = await import('./rotation.ts');
    let done = false;
    const rotation = rotateAccountKey(rotator, account.id, { batchSize: 100 }).finally(() => { done = true; });
    // The app, as a second process would on the same file: a write and a read per turn of the event loop.
    const written: string[] = [];
    while (!done) {
      written.push(notes.add({ title: `during ${written.length}`, body: 'written while the key rotates', seq: 10_000 + written.length }));
      expect(notes.get(written.at(-1)!)?.body).toBe('written while the key rotates');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const report = await rotation;
    expect(report.batches).toBeGreaterThan(25);
    expect(written.length).toBeGreaterThan(10); // the app got its turns between the batches
    expect(report.failures).toEqual([]);
    // The app picked up the new key (another connection made it): what it wrote meanwhile is under it,
    // or was re-encrypted to it; everything reads back on both connections.
    const keyIds = app.db.prepare('SELECT DISTINCT substr(body, 2, 4) AS k FROM notes').all() as { k: Buffer }[];
    expect(keyIds.map((row) => row.k.readUInt32BE(0))).toEqual([report.keyId]);
    expect(notes.list()).toHaveLength(3000 + written.length);
    expect(new NotesRepository(rotator.scopeFor({ accountId: account.id })).get(written.at(-1)!)?.body).toBe('written while the key rotates');
  });

  it('a rotation whose record fails inside its transaction leaves no new key behind, and the hook sees ids and versions', async () => {
    const { storage } = await setup();
    const account = storage.accounts.list()[0]!;
    const notes = new NotesRepository(storage.scopeFor({ accountId: account.id }));
    const id = notes.add({ title: 't', body: 'b' });
    const { rotateAccountKey } = await import('./rotation.ts');
    const seen: unknown[] = [];
    await expect(rotateAccountKey(storage, account.id, { withinTransaction: (rotation) => { seen.push({ ...rotation, inTransaction: storage.db.inTransaction }); throw new Error('audit refused'); } })).rejects.toThrow('audit refused');
    expect(seen).toEqual([{ accountId: account.id, keyId: 2, keyVersion: 2, previousKeyId: 1, previousKeyVersion: 1, inTransaction: true }]);
    expect(storage.keys.describeKeys().map((key) => [key.version, key.status])).toEqual([[1, 'active']]);
    // The ring forgot the rolled-back key: writes and reads go on under version 1.
    notes.add({ title: 't2', body: 'b2' });
    expect(notes.get(id)).toMatchObject({ title: 't', body: 'b' });
    expect(storage.keys.describeKeys()).toHaveLength(1);
  });

  it('starts a new key version by itself once a key passes its encryption limit', async () => {
    const dir = tempDir('limits');
    cleanups.push(dir.cleanup);
    const storage = await openTestStorage(dir.path, { keyLimits: { rotateAfter: 100, reserveBlock: 16 } });
    cleanups.push(() => storage.dispose());
    const notes = new NotesRepository(storage.scopeFor({ accountId: storage.accounts.list()[0]!.id }));
    for (let batch = 0; batch < 4; batch += 1) notes.addMany(Array.from({ length: 30 }, (_, index) => ({ title: 'x', body: 'y', seq: batch * 30 + index })));
    const keys = storage.keys.describeKeys();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(keys.filter((key) => key.status === 'active')).toHaveLength(1);
    expect(keys[0]!.encryptions).toBeGreaterThanOrEqual(100);
    expect(notes.list()).toHaveLength(120);
  });

  it('refuses a master key that is not the one the database was set up with', async () => {
    const { storage, dataDir, secrets } = await setup();
    const name = `${storage.installationId}/master-key/v1`;
    await storage.dispose();
    await secrets.set(name, randomBytes(32).toString('base64'));
    await expect(openTestStorage(dataDir, { secrets })).rejects.toMatchObject({ code: 'ERR_SECRETS_KEY_MISMATCH' });
    await secrets.delete(name);
    await expect(openTestStorage(dataDir, { secrets })).rejects.toMatchObject({ code: 'ERR_SECRETS_KEY_MISSING' });
  });

  it('a tampered wrapped data key fails only its own account, naming the row it cannot open; the rest keeps working', async () => {
    const { storage, dataDir, secrets } = await setup();
    const [defaultAccount] = storage.accounts.list();
    const credit = storage.createAccount('Credit');
    const kept = new NotesRepository(storage.scopeFor({ accountId: defaultAccount!.id })).add({ title: 'default title', body: 'default body' });
    const lost = new NotesRepository(storage.scopeFor({ accountId: credit.id })).add({ title: 'credit title', body: 'credit body' });
    await storage.dispose();
    const db = openDatabase(storage.file);
    const wrapped = db.prepare('SELECT id, wrapped_key FROM data_keys WHERE account_id = ?').get(credit.id) as { id: number; wrapped_key: Buffer };
    wrapped.wrapped_key[20]! ^= 0xff;
    db.prepare('UPDATE data_keys SET wrapped_key = ? WHERE id = ?').run(wrapped.wrapped_key, wrapped.id);
    db.close();

    // The installation opens; the other account reads and writes as before.
    const reopened = await openTestStorage(dataDir, { secrets });
    cleanups.push(() => reopened.dispose());
    const defaultNotes = new NotesRepository(reopened.scopeFor({ accountId: defaultAccount!.id }));
    expect(defaultNotes.get(kept)).toMatchObject({ title: 'default title', body: 'default body' });
    defaultNotes.add({ title: 'after', body: 'after' });
    expect(defaultNotes.list()).toHaveLength(2);

    // The tampered account's read names the value's table and row, and the data key behind it.
    const creditNotes = new NotesRepository(reopened.scopeFor({ accountId: credit.id }));
    const readError = catchError(() => creditNotes.get(lost));
    expect(readError).toMatchObject({ code: 'ERR_STORAGE_TAMPERED', details: { table: 'notes', rowId: lost, dataKeyId: wrapped.id } });
    expect(String((readError as Error).message)).toContain(`data_keys row ${wrapped.id}`);
    // A write is refused too (never a silent new key that would hide the damage), naming data_keys.
    expect(catchError(() => creditNotes.add({ title: 'x', body: 'y' }))).toMatchObject({ code: 'ERR_STORAGE_TAMPERED', details: { table: 'data_keys', rowId: String(wrapped.id) } });
    expect(reopened.keys.describeKeys().map((key) => [key.accountId, key.unwraps])).toEqual(expect.arrayContaining([[defaultAccount!.id, true], [credit.id, false]]));
  });
});

describe('crypto-shredding with writers still holding a scope', () => {
  it('never creates a new data key for a deleted account', async () => {
    const storage = await openStorage({ dataDir: mkdtempSync(join(tmpdir(), 'strongroom-shred-')), secrets: new MemorySecretStore() });
    try {
      const account = storage.createAccount('Doomed');
      const scope = storage.scopeFor({ accountId: account.id });
      scope.prepareForWrite();
      storage.deleteAccount(account.id);
      expect(() => { scope.prepareForWrite(); scope.sealText({ table: 'runs', rowId: 'r', column: 'output' }, 'after deletion'); }).toThrow(/deleted/);
      const live = storage.db.prepare("SELECT count(*) AS n FROM data_keys WHERE account_id = ? AND status = 'active'").get(account.id) as { n: number };
      expect(live.n).toBe(0);
    } finally {
      await storage.dispose();
    }
  });
});

describe('a first run that cannot get its master key', () => {
  /** A store that answers nothing, like a keychain with no Secret Service behind it. */
  class UnavailableSecretStore extends MemorySecretStore {
    override async get(): Promise<string | null> {
      throw new CoreError('ERR_SECRETS_UNAVAILABLE', 'The OS keychain is not reachable (test).');
    }
  }

  it('leaves no database behind, nor the data directory it created; an existing directory stays', async () => {
    const root = tempDir('unfinished');
    cleanups.push(root.cleanup);
    const dataDir = join(root.path, 'nested', 'data');
    await expect(openTestStorage(dataDir, { secrets: new UnavailableSecretStore() })).rejects.toMatchObject({ code: 'ERR_SECRETS_UNAVAILABLE' });
    expect(readdirSync(root.path)).toEqual([]);

    const existing = join(root.path, 'existing');
    mkdirSync(existing);
    await expect(openTestStorage(existing, { secrets: new UnavailableSecretStore() })).rejects.toMatchObject({ code: 'ERR_SECRETS_UNAVAILABLE' });
    expect(readdirSync(existing)).toEqual([]);
  });

  it('keeps an installation whose key is bound: a later start that cannot reach the keychain deletes nothing', async () => {
    const { storage, dataDir, secrets } = await setup();
    await storage.dispose();
    await expect(openTestStorage(dataDir, { secrets: new UnavailableSecretStore() })).rejects.toMatchObject({ code: 'ERR_SECRETS_UNAVAILABLE' });
    expect(existsSync(storage.file)).toBe(true);
    const again = await openTestStorage(dataDir, { secrets });
    cleanups.push(() => again.dispose());
    expect(again.installationId).toBe(storage.installationId);
    expect(again.firstRun).toEqual({ database: false, masterKey: false, defaultAccount: false, administrator: false });
  });
});
