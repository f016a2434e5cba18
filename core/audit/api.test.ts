import { createHash, createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localOperator } from '../api/index.ts';
import type { Core } from '../createCore.ts';
import { verifyBytes } from '../../scripts/verify-audit.mjs';
import { AuditService } from './service.ts';
import { apiAs, openCore, principalFor, tempDir } from './testing.ts';

const dir = tempDir('api');
let core: Core;
let alpha: { id: string };
let beta: { id: string };

beforeAll(async () => {
  core = await openCore(dir.path, { every: 20 });
  const ops = apiAs(core);
  alpha = await ops.call('admin.accounts.create', { name: 'Alpha' });
  beta = await ops.call('admin.accounts.create', { name: 'Beta' });
  for (let i = 0; i < 30; i += 1) {
    const account = i % 2 === 0 ? alpha : beta;
    core.audit!.append({ action: i % 3 === 0 ? 'auth.signIn' : 'runs.start', outcome: i % 4 === 0 ? 'failure' : 'success', actor: { userId: `user-${i % 5}`, accountId: account.id }, resource: `run:${i}`, details: { i } });
  }
  // A failed sign-in by nobody known concerns no account: only installation administrators see it.
  core.audit!.append({ action: 'auth.signIn', outcome: 'failure', actor: null, details: { method: 'local', reason: 'wrong-passphrase' } });
});
afterAll(async () => {
  await core.dispose();
  dir.cleanup();
});

describe('audit API', () => {
  it('lists newest first in pages, and filters by action prefix, outcome, actor, text and time', async () => {
    const ops = apiAs(core);
    const first = await ops.call('audit.list', { limit: 10 });
    expect(first.entries).toHaveLength(10);
    expect(first.entries[0]!.seq).toBeGreaterThan(first.entries[9]!.seq);
    const second = await ops.call('audit.list', { limit: 10, beforeSeq: first.nextBeforeSeq! });
    expect(second.entries[0]!.seq).toBeLessThan(first.entries[9]!.seq);
    const failures = await ops.call('audit.list', { action: 'auth.*', outcome: 'failure', limit: 100 });
    expect(failures.entries.length).toBeGreaterThan(0);
    expect(failures.entries.every((e) => e.action.startsWith('auth.') && e.outcome === 'failure')).toBe(true);
    const byActor = await ops.call('audit.list', { actor: 'user-3', limit: 100 });
    expect(byActor.entries.every((e) => e.actor.userId === 'user-3')).toBe(true);
    expect((await ops.call('audit.list', { text: 'run:17', limit: 100 })).entries.map((e) => e.resource)).toEqual(['run:17']);
    expect((await ops.call('audit.list', { to: '2000-01-01T00:00:00Z', limit: 100 })).entries).toEqual([]);
    const literal = await ops.call('audit.list', { text: '100%_', limit: 100 });
    expect(literal.entries).toEqual([]);
  });

  it('confines officers and auditors to their account; installation administrators see every account', async () => {
    const officer = apiAs(core, principalFor(alpha.id, 'compliance'));
    const seen = await officer.call('audit.list', { limit: 500 });
    expect(seen.entries.length).toBeGreaterThan(10);
    expect(seen.entries.every((e) => e.accountId === alpha.id)).toBe(true);
    await expect(officer.call('audit.list', { accountId: beta.id, limit: 10 })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    const auditor = await apiAs(core, principalFor(beta.id, 'auditor')).call('audit.list', { limit: 500 });
    expect(auditor.entries.every((e) => e.accountId === beta.id)).toBe(true);
    const everything = await apiAs(core).call('audit.list', { limit: 500 });
    // The installation's own first entries belong to the default account (and to none).
    const defaultAccount = core.storage!.accounts.list().find((account) => account.name === 'Default')!;
    expect(new Set(everything.entries.map((e) => e.accountId))).toEqual(new Set([defaultAccount.id, alpha.id, beta.id, null]));
    await expect(apiAs(core, principalFor(alpha.id, 'analyst')).call('audit.list', { limit: 10 })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
  });

  it('names the account each entry concerns, also once the account is deleted', async () => {
    const ops = apiAs(core);
    const doomed = await ops.call('admin.accounts.create', { name: 'Delta Doomed' });
    core.audit!.append({ action: 'runs.start', outcome: 'success', actor: { userId: 'user-d', accountId: doomed.id }, details: {} });
    await ops.call('admin.accounts.delete', { accountId: doomed.id, confirmName: 'Delta Doomed' });
    const listed = await ops.call('audit.list', { accountId: doomed.id, limit: 100 });
    expect(listed.entries.length).toBeGreaterThan(0);
    expect(listed.entries.every((e) => e.accountName === 'Delta Doomed' && e.accountDeleted)).toBe(true);
    const live = await ops.call('audit.list', { accountId: alpha.id, limit: 1 });
    expect(live.entries[0]).toMatchObject({ accountName: 'Alpha', accountDeleted: false });
    const none = await ops.call('audit.list', { action: 'auth.signIn', outcome: 'failure', text: 'wrong-passphrase', limit: 1 });
    expect(none.entries[0]).toMatchObject({ accountId: null, accountName: null, accountDeleted: false });
    expect((await ops.call('audit.get', { seq: listed.entries[0]!.seq })).entry).toMatchObject({ accountName: 'Delta Doomed', accountDeleted: true });
  });

  it('exports through the API as content the browser can save, verifiable offline, and records the export', async () => {
    const officer = apiAs(core, principalFor(alpha.id, 'compliance'));
    const file = await officer.call('audit.export', { format: 'jsonl', action: 'runs.*' });
    expect(file).toMatchObject({ encoding: 'utf8', mediaType: 'application/x-ndjson', fileName: expect.stringMatching(/^strongroom-audit-.+\.jsonl$/) as string });
    const bytes = Buffer.from(file.content, 'utf8');
    expect(file.bytes).toBe(bytes.length);
    expect(file.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(verifyBytes(bytes)).toMatchObject({ ok: true, scope: 'filtered' });
    const recorded = await officer.call('audit.list', { action: 'audit.export', limit: 10 });
    expect(recorded.entries[0]).toMatchObject({ accountId: alpha.id, details: { format: 'jsonl', filter: { account: alpha.id, action: 'runs.*' } } });
    const csv = await officer.call('audit.export', { format: 'csv' });
    expect(csv.content.split('\r\n')[0]).toMatch(/^seq,time,account/);
  });

  it('refuses an export too large for the API and names the CLI', async () => {
    const small = new AuditService({ log: core.audit!, retention: core.auditService!.retention, clock: { now: () => Date.now(), monotonic: () => performance.now() }, maxApiExportEntries: 5 });
    await expect(small.exportForApi(localOperator(), {}, 'jsonl', 'r')).rejects.toMatchObject({ code: 'ERR_CONFLICT', details: { reason: 'too-large' } });
  });

  it('verifies the database and hands out the public key that checks its checkpoints', async () => {
    const ops = apiAs(core);
    const report = await ops.call('audit.verify', {});
    expect(report).toMatchObject({ ok: true, firstProblem: null });
    expect(report.checkpoints).toBeGreaterThan(0);
    const [key] = await ops.call('audit.publicKey', {});
    expect(key).toMatchObject({ algorithm: 'Ed25519', keyId: report.lastCheckpoint!.keyId });
    const checkpoint = core.audit!.checkpoints().at(-1)!;
    expect(verify(null, Buffer.from(checkpoint.body), createPublicKey(key!.publicKeyPem), Buffer.from(checkpoint.signature, 'base64'))).toBe(true);
  });
});
