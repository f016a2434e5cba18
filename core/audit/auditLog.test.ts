import { verify } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localOperator } from '../api/index.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { appMigrations, databaseFileName, migrate, openDatabase, rotateAccountKey, rotateMasterKey } from '../storage/index.ts';
import type { Core } from '../createCore.ts';
import { parseCheckpointBody } from './checkpoints.ts';
import { MerkleTree } from './merkle.ts';
import { publicKeyFromRaw } from './signing.ts';
import { apiAs, manualClock, openCore, principalFor, tempDir } from './testing.ts';
import { verifyDatabase } from './verifyDatabase.ts';
import { commitsDurably, durableTransaction } from '../storage/index.ts';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fresh(options: { every?: number; intervalMs?: number; clock?: ReturnType<typeof manualClock>; secrets?: MemorySecretStore } = {}): Promise<{ core: Core; dataDir: string }> {
  const dir = tempDir('log');
  const core = await openCore(dir.path, options);
  cleanups.push(dir.cleanup, () => core.dispose());
  return { core, dataDir: dir.path };
}

const entry = (n: number, accountId: string | null = null) => ({ action: 'test.event', outcome: 'success' as const, actor: { userId: `user-${n}`, accountId, roles: ['analyst'] }, details: { n } });

describe('the audit log', () => {
  it('chains every entry to the one before it and keeps the fields services pass', async () => {
    const { core } = await fresh();
    const log = core.audit!;
    const first = log.append({ ...entry(1), resource: 'run:1', requestId: 'req-1' });
    const second = log.append(entry(2));
    expect(second).toBe(first + 1);
    const [a, b] = [log.row(first)!, log.row(second)!];
    expect(b.prev).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(log.list({ actionPrefix: 'test.' })).toMatchObject([
      { seq: first, action: 'test.event', outcome: 'success', actorUserId: 'user-1', actorRoles: ['analyst'], resource: 'run:1', requestId: 'req-1', details: { n: 1 } },
      { seq: second, details: { n: 2 } },
    ]);
    // Entries commit with synchronous=FULL; the connection returns to NORMAL for everything else.
    expect(core.storage!.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL between writes
    durableTransaction(core.storage!.db, () => expect(commitsDurably(core.storage!.db)).toBe(true));
    expect(() => core.storage!.db.transaction(() => log.append(entry(9)))()).toThrow(/durable transaction/);
    expect(() => core.storage!.db.prepare('UPDATE audit_log SET outcome = ? WHERE seq = ?').run('denied', first)).toThrow(/append-only/);
    expect(() => core.storage!.db.prepare('DELETE FROM audit_log WHERE seq = ?').run(first)).toThrow(/append-only/);
    expect(() => core.storage!.db.prepare('DELETE FROM audit_checkpoints').run()).toThrow(/append-only/);
  });

  it('writes nothing when the caller’s transaction rolls back, and the next entry links to the last committed one', async () => {
    const { core } = await fresh();
    const log = core.audit!;
    const db = core.storage!.db;
    const kept = log.append(entry(1));
    expect(() =>
      durableTransaction(db, () => {
        db.prepare("INSERT INTO meta (key, value) VALUES ('change', 'x')").run();
        log.append(entry(2));
        throw new Error('the change failed after its entry was written');
      }),
    ).toThrow(/change failed/);
    expect(db.prepare("SELECT count(*) FROM meta WHERE key = 'change'").pluck().get()).toBe(0);
    const next = log.append(entry(3));
    expect(next).toBe(kept + 1);
    expect(log.row(next)!.prev).toBe(log.row(kept)!.hash);
    expect(await verifyDatabase(log)).toMatchObject({ ok: true });
  });

  it('seals content with the account’s key: no plaintext at rest, readable by compliance, withheld from auditors, gone with the account', async () => {
    const { core } = await fresh();
    const ops = apiAs(core);
    const account = await ops.call('admin.accounts.create', { name: 'Credit Risk' });
    const secret = 'Borrower reports income of 123,456 and a pending lawsuit';
    const seq = core.audit!.append({ ...entry(1, account.id), content: { prompt: secret } });
    const row = core.audit!.row(seq)!;
    expect(row.sealed).not.toBeNull();
    expect(JSON.stringify(row)).not.toContain('lawsuit');
    const compliance = apiAs(core, principalFor(account.id, 'compliance'));
    expect(await compliance.call('audit.get', { seq })).toMatchObject({ contentStatus: 'shown', content: { prompt: secret } });
    const auditor = apiAs(core, principalFor(account.id, 'auditor'));
    const seen = await auditor.call('audit.get', { seq });
    expect(seen.contentStatus).toBe('withheld');
    expect(JSON.stringify(seen)).not.toContain('lawsuit');
    // Another account's officer cannot even see that the entry exists.
    const other = await ops.call('admin.accounts.create', { name: 'HR' });
    await expect(apiAs(core, principalFor(other.id, 'compliance')).call('audit.get', { seq })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    // Crypto-shredding the account destroys the content; the chain still verifies over the ciphertext.
    await ops.call('admin.accounts.delete', { accountId: account.id, confirmName: 'Credit Risk' });
    expect(await apiAs(core).call('audit.get', { seq })).toMatchObject({ contentStatus: 'destroyed' });
    expect(await verifyDatabase(core.audit!)).toMatchObject({ ok: true });
  });

  it('signs a checkpoint every N entries and after T minutes, over the RFC 6962 root of all entries so far', async () => {
    const clock = manualClock();
    const { core } = await fresh({ every: 10, intervalMs: 60_000, clock });
    const log = core.audit!;
    // The first run's own entries (installation, default account, its key, the administrator).
    const start = log.currentHead().seq;
    expect(start).toBe(4);
    for (let n = start; n < 25; n += 1) log.append(entry(n));
    // The first entry is sealed at once (no checkpoint was ever made), then every 10th.
    expect(log.checkpoints().map((checkpoint) => [checkpoint.kind, checkpoint.size])).toEqual([['periodic', 1], ['periodic', 10], ['periodic', 20]]);
    expect(log.checkpointIfDue()).toBeUndefined();
    clock.advance(61_000);
    const timed = log.checkpointIfDue()!;
    expect(timed.size).toBe(log.currentHead().seq);
    expect(log.checkpointIfDue()).toBeUndefined(); // nothing new since
    const hashes = core.storage!.db.prepare('SELECT hash FROM audit_log ORDER BY seq').pluck().all() as string[];
    expect(timed.root).toBe(new MerkleTree(hashes).root());
    const [key] = log.signer.publicKeys();
    expect(verify(null, Buffer.from(timed.body), publicKeyFromRaw(key!.publicKey), Buffer.from(timed.signature, 'base64'))).toBe(true);
    expect(parseCheckpointBody(timed.body)).toMatchObject({ kind: 'periodic', size: timed.size, root: timed.root, installationId: core.storage!.installationId });
  });

  it('resumes its Merkle frontier after a restart, and the signing key survives data-key and master-key rotation', async () => {
    const secrets = new MemorySecretStore();
    const dir = tempDir('restart');
    cleanups.push(dir.cleanup);
    let core = await openCore(dir.path, { secrets, every: 4 });
    for (let n = 0; n < 11; n += 1) core.audit!.append(entry(n));
    const keyId = core.audit!.signer.publicKeys()[0]!.keyId;
    await rotateAccountKey(core.storage!, core.storage!.accounts.list()[0]!.id);
    await rotateMasterKey(core.storage!);
    await core.dispose();
    core = await openCore(dir.path, { secrets, every: 4 });
    cleanups.push(() => core.dispose());
    for (let n = 0; n < 6; n += 1) core.audit!.append(entry(n));
    const last = core.audit!.checkpoint();
    expect(last.keyId).toBe(keyId);
    const hashes = core.storage!.db.prepare('SELECT hash FROM audit_log ORDER BY seq').pluck().all() as string[];
    expect(last.root).toBe(new MerkleTree(hashes).root());
    expect(await verifyDatabase(core.audit!)).toMatchObject({ ok: true });
  });

  it('reports the first altered, removed or re-signed record in the database', async () => {
    const { core } = await fresh({ every: 5 });
    const log = core.audit!;
    for (let n = 0; n < 12; n += 1) log.append(entry(n));
    const db = core.storage!.db;
    expect(await verifyDatabase(log)).toMatchObject({ ok: true, firstProblem: null });
    // Someone with the file drops the trigger and edits an entry.
    db.exec('DROP TRIGGER audit_log_guard_update');
    db.prepare("UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 7").run();
    expect(await verifyDatabase(log)).toMatchObject({ ok: false, firstProblem: { seq: 7, reason: expect.stringMatching(/altered/) as string } });
    // …recomputes its hash too: now the next entry's link breaks.
    const row = log.row(7)!;
    const { canonicalOf } = await import('./auditLog.ts');
    const { encodeEntry, entryHash } = await import('./canonical.ts');
    db.prepare('UPDATE audit_log SET hash = ? WHERE seq = 7').run(entryHash(encodeEntry(canonicalOf(row))));
    expect(await verifyDatabase(log)).toMatchObject({ ok: false, firstProblem: { seq: 8, reason: expect.stringMatching(/does not link/) as string } });
  });

  it('reports a deleted entry and a checkpoint whose root or signature was changed', async () => {
    const { core } = await fresh({ every: 5 });
    const log = core.audit!;
    for (let n = 0; n < 12; n += 1) log.append(entry(n));
    const db = core.storage!.db;
    db.exec('DROP TRIGGER audit_checkpoints_no_update');
    const checkpoint = log.checkpoints().find((c) => c.size >= 5)!;
    db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE id = ?').run(Buffer.alloc(64, 1).toString('base64'), checkpoint.id);
    expect(await verifyDatabase(log)).toMatchObject({ ok: false, firstProblem: { checkpoint: checkpoint.id, reason: expect.stringMatching(/signature/) as string } });
    db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE id = ?').run(checkpoint.signature, checkpoint.id);
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE seq = 3').run();
    expect(await verifyDatabase(log)).toMatchObject({ ok: false, firstProblem: { seq: 3, reason: expect.stringMatching(/missing/) as string } });
  });

  it('chains the entries of a schema-3 database when it first opens after the upgrade', async () => {
    const dir = tempDir('legacy');
    cleanups.push(dir.cleanup);
    const file = join(dir.path, databaseFileName);
    const db = openDatabase(file);
    migrate(db, appMigrations.slice(0, 3), { file, now: () => 1 });
    const insert = db.prepare('INSERT INTO audit_log (at, actor_user_id, actor_account_id, actor_roles, action, resource, outcome, request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run(1_000, null, null, null, 'auth.signIn', null, 'failure', 'r1', JSON.stringify({ reason: 'wrong-passphrase', method: 'local' }));
    insert.run(2_000, 'u1', 'acc', JSON.stringify(['admin']), 'groups.map', 'account:acc2', 'success', 'r2', JSON.stringify({ role: 'analyst', group: 'g' }));
    db.close();
    const core = await openCore(dir.path);
    cleanups.push(() => core.dispose());
    const legacy = core.audit!.list({ limit: 2 });
    expect(legacy).toMatchObject([{ seq: 1, action: 'auth.signIn', details: { reason: 'wrong-passphrase' } }, { seq: 2, accountId: 'acc2' }]);
    expect(legacy[1]!.prev).toBe(legacy[0]!.hash);
    const seq = core.audit!.append(entry(3));
    expect(core.audit!.row(seq)!.prev).toBe(core.audit!.row(seq - 1)!.hash);
    expect(await verifyDatabase(core.audit!)).toMatchObject({ ok: true });
    await apiAs(core, localOperator()).call('audit.verify', {});
  });
});
