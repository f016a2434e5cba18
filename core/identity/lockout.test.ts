import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../base/index.ts';
import { rolePermissions } from '../contracts/index.ts';
import { createCore } from '../createCore.ts';
import type { Core } from '../createCore.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { hashSessionId } from './sessions.ts';
import { signInThroughIdp } from './testing/browserFlow.ts';
import { startTestIdp } from './testing/testIdp.ts';
import type { TestIdp } from './testing/testIdp.ts';
import { as, call, manualClock, operator } from './testing/bridges.ts';

// Findings from the admin UI review (serve mode, local administrator): saving an IdP stranded the
// administrator, a boundary could lock admins out of boundaries, a repeated mapping was audited
// as a change, and pages showed ids where names belong.

const passphrase = 'local admin passphrase';
const cores: Core[] = [];
afterEach(async () => { for (const core of cores.splice(0)) await core.dispose(); });

async function openCore(clock?: Clock): Promise<Core> {
  const core = await createCore({ dataDir: mkdtempSync(join(tmpdir(), 'strongroom-lockout-')), mode: 'test', heartbeatMs: 0, secrets: new MemorySecretStore(), ...(clock ? { clock } : {}) });
  cores.push(core);
  await core.identity!.setLocalPassphrase(passphrase);
  return core;
}

const idpInput = (idp: { issuer: string; clientId: string }) => ({ issuer: idp.issuer, clientId: idp.clientId, groupsClaim: 'groups', algorithms: ['RS256' as const], offlineGraceHours: 8, scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'] });
const administration = async (core: Core) => (await call(operator(core), 'admin.accounts.list', {}))[0]!;
const actions = (core: Core, prefix: string) => core.audit!.list({ actionPrefix: prefix });

let idp: TestIdp;
beforeAll(async () => {
  idp = await startTestIdp({ users: [{ login: 'carol', name: 'Carol Admin', email: 'carol@bank.example', groups: ['strongroom-admins'] }] });
});
afterAll(() => idp.stop());

describe('auth.status agrees with the router', () => {
  it('says signed out once a local session has outlived its 12 hours, as every call does', async () => {
    const clock = manualClock();
    const core = await openCore(clock);
    const session = await core.identity!.signInLocal(passphrase);
    expect((await call(as(core, session.id), 'auth.status', {})).signedIn).toBe(true);
    clock.advance(12 * 3_600_000 + 1);
    expect(await as(core, session.id).invoke('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } });
    expect(await call(as(core, session.id), 'auth.status', {})).toMatchObject({ signedIn: false, user: null, activeAccount: null });
  });

  it('says signed out for the local administrator once an IdP is configured, and the local session is ended on record', async () => {
    const core = await openCore();
    const session = await core.identity!.signInLocal(passphrase);
    const admin = as(core, session.id);
    const [account] = await call(admin, 'admin.accounts.list', {});
    // Mappings can be made in local mode, before the IdP exists: that is how the admin group comes first.
    await call(admin, 'admin.groups.map', { accountId: account!.id, group: 'strongroom-admins', role: 'admin' });
    expect(await call(admin, 'admin.idp.set', idpInput(idp))).toEqual({ issuer: idp.issuer, localSessionsEnded: 1 });
    expect(await call(admin, 'auth.status', {})).toMatchObject({ mode: 'oidc', signedIn: false, idp: { issuer: idp.issuer } });
    expect(await admin.invoke('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } });
    expect(core.storage!.db.prepare('SELECT ended_at FROM auth_sessions WHERE id_hash = ?').get(hashSessionId(session.id))).toMatchObject({ ended_at: expect.any(Number) as number });
    expect(actions(core, 'idp.configure')).toMatchObject([{ outcome: 'success', details: { issuer: idp.issuer, localSessionsEnded: 1 } }]);
  });
});

describe('signing out', () => {
  it('works for a session no other call accepts: the session ends, the cookie is cleared, it is audited', async () => {
    const clock = manualClock();
    const core = await openCore(clock);
    const session = await core.identity!.signInLocal(passphrase);
    clock.advance(12 * 3_600_000 + 1);
    let bound: string | null | undefined;
    const result = await core.router.call('auth.signOut', {}, { sessionId: session.id, transport: 'http', setSession: (id) => { bound = id; } });
    expect(result).toEqual({ ok: true, value: { signedOut: true } });
    expect(bound).toBeNull();
    expect(core.storage!.db.prepare('SELECT ended_at FROM auth_sessions WHERE id_hash = ?').get(hashSessionId(session.id))).toMatchObject({ ended_at: expect.any(Number) as number });
    expect(actions(core, 'auth.signOut')).toMatchObject([{ outcome: 'success', actorUserId: session.userId }]);
  });

  it('clears the cookie of a caller with no session at all and records nothing', async () => {
    const core = await openCore();
    let bound: string | null | undefined;
    expect(await core.router.call('auth.signOut', {}, { sessionId: 'never-issued', transport: 'http', setSession: (id) => { bound = id; } })).toEqual({ ok: true, value: { signedOut: true } });
    expect(bound).toBeNull();
    expect(actions(core, 'auth.signOut')).toEqual([]);
  });
});

describe('configuring the IdP refuses what would lock everyone out', () => {
  it('needs a group mapped to admin in the administration account first (a mapping elsewhere does not count)', async () => {
    const core = await openCore();
    const ops = operator(core);
    const credit = await call(ops, 'admin.accounts.create', { name: 'Credit Risk' });
    await call(ops, 'admin.groups.map', { accountId: credit.id, group: 'credit-admins', role: 'admin' });
    const refused = await ops.invoke('admin.idp.set', idpInput(idp));
    expect(refused).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT', details: { reason: 'no-admin-group' } } });
    expect(refused.ok ? '' : refused.error.message).toContain('--role admin');
    expect(await call(ops, 'admin.idp.get', {})).toBeNull();
    expect(actions(core, 'idp.configure')).toMatchObject([{ outcome: 'failure', details: { reason: 'no-admin-group' } }]);
    const session = await core.identity!.signInLocal(passphrase);
    expect((await call(as(core, session.id), 'auth.status', {})).signedIn).toBe(true);
  });

  it('needs https, except for an IdP on this machine', async () => {
    const core = await openCore();
    const ops = operator(core);
    await call(ops, 'admin.groups.map', { accountId: (await administration(core)).id, group: 'strongroom-admins', role: 'admin' });
    const plain = await ops.invoke('admin.idp.set', idpInput({ issuer: 'http://login.bank.internal/realms/staff', clientId: 'strongroom' }));
    expect(plain).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', details: { issues: [{ path: 'issuer', message: expect.stringContaining('https') as string }] } } });
    expect(await call(ops, 'admin.idp.get', {})).toBeNull();
  });

  it('refuses an issuer that publishes no discovery document for itself, unreachable or mistyped, and stores nothing', async () => {
    const core = await openCore();
    const ops = operator(core);
    await call(ops, 'admin.groups.map', { accountId: (await administration(core)).id, group: 'strongroom-admins', role: 'admin' });
    const unreachable = await ops.invoke('admin.idp.set', { ...idpInput({ issuer: 'https://127.0.0.1:1/realms/staff', clientId: 'strongroom' }), clientSecret: 'not kept' });
    expect(unreachable).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_IDP_UNREACHABLE', details: { reason: 'discovery-failed', issues: [{ path: 'issuer' }] } } });
    // The same IdP under another name: its discovery document names a different issuer.
    const mistyped = await ops.invoke('admin.idp.set', idpInput({ issuer: idp.issuer.replace('127.0.0.1', 'localhost'), clientId: idp.clientId }));
    expect(mistyped).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_IDP_UNREACHABLE' } });
    expect(await call(ops, 'admin.idp.get', {})).toBeNull();
    expect(await core.storage!.secrets.get(`${core.storage!.installationId}/idp/client-secret`).catch(() => null)).toBeNull();
    expect(actions(core, 'idp.configure').map((e) => [e.outcome, e.details.reason])).toEqual([['failure', 'discovery-failed'], ['failure', 'discovery-failed']]);
  });

  it('keeps the last admin mapping of the administration account while an IdP is configured', async () => {
    const core = await openCore();
    const ops = operator(core);
    const account = await administration(core);
    const first = await call(ops, 'admin.groups.map', { accountId: account.id, group: 'strongroom-admins', role: 'admin' });
    await call(ops, 'admin.idp.set', idpInput(idp));
    expect(await ops.invoke('admin.groups.unmap', { accountId: account.id, mappingId: first.id })).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT', details: { reason: 'last-admin-group' } } });
    expect((await call(ops, 'admin.groups.list', { accountId: account.id })).map((m) => m.group)).toEqual(['strongroom-admins']);
    // With another admin group it may go.
    await call(ops, 'admin.groups.map', { accountId: account.id, group: 'platform-admins', role: 'admin' });
    expect(await call(ops, 'admin.groups.unmap', { accountId: account.id, mappingId: first.id })).toEqual({ removed: true });
  });
});

describe('the way back to local mode', () => {
  it('admin.idp.clear removes the IdP, ends its sessions, lets the local administrator in again, and is audited', async () => {
    const core = await openCore();
    const ops = operator(core);
    await call(ops, 'admin.groups.map', { accountId: (await administration(core)).id, group: 'strongroom-admins', role: 'admin' });
    await call(ops, 'admin.idp.set', idpInput(idp));
    const url = await core.identity!.beginSignIn('http://127.0.0.1:47123/callback');
    const carol = await core.identity!.completeSignIn(await signInThroughIdp(url, 'carol', 'http://127.0.0.1:47123/callback'));
    expect(core.identity!.resolve(carol.id)).toBeDefined();

    expect(await call(ops, 'admin.idp.clear', {})).toEqual({ cleared: true, issuer: idp.issuer, sessionsEnded: 1 });
    expect(core.identity!.resolve(carol.id)).toBeUndefined();
    expect(await call(as(core, carol.id), 'auth.status', {})).toMatchObject({ mode: 'local', signedIn: false, idp: null });
    expect(await call(ops, 'admin.idp.get', {})).toBeNull();
    const local = await core.identity!.signInLocal(passphrase);
    expect((await call(as(core, local.id), 'auth.status', {})).signedIn).toBe(true);
    expect(actions(core, 'idp.clear')).toMatchObject([{ outcome: 'success', actorUserId: 'local-operator', details: { issuer: idp.issuer, sessionsEnded: 1 } }]);
    // Nothing left to clear: nothing changes, nothing is recorded.
    expect(await call(ops, 'admin.idp.clear', {})).toEqual({ cleared: false, issuer: null, sessionsEnded: 0 });
    expect(actions(core, 'idp.clear')).toHaveLength(1);
  });
});

describe('boundaries', () => {
  it('refuses a cap on admin that drops what undoing it needs, in any account; other caps pass', async () => {
    const core = await openCore();
    const session = await core.identity!.signInLocal(passphrase);
    const admin = as(core, session.id);
    const account = await administration(core);
    const without = (...dropped: string[]) => rolePermissions.admin.filter((p) => !dropped.includes(p));
    for (const dropped of ['boundaries.manage', 'account.read']) {
      const refused = await admin.invoke('admin.boundaries.set', { accountId: account.id, role: 'admin', permissions: without(dropped) });
      expect(refused, dropped).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT', details: { reason: 'admin-lockout', missing: [dropped] } } });
    }
    expect(await call(admin, 'admin.boundaries.get', { accountId: account.id })).toContainEqual({ role: 'admin', permissions: null });
    expect(actions(core, 'boundaries.set')).toEqual([]);
    // The admin still manages boundaries: a cap that keeps both is saved, and can be lifted again.
    expect(await call(admin, 'admin.boundaries.set', { accountId: account.id, role: 'admin', permissions: without('drafts.export') })).toMatchObject({ role: 'admin' });
    expect(await call(admin, 'admin.boundaries.set', { accountId: account.id, role: 'admin', permissions: null })).toEqual({ role: 'admin', permissions: null });
    expect(await call(admin, 'admin.boundaries.set', { accountId: account.id, role: 'analyst', permissions: [] })).toEqual({ role: 'analyst', permissions: [] });
    const credit = await call(admin, 'admin.accounts.create', { name: 'Credit Risk' });
    expect(await admin.invoke('admin.boundaries.set', { accountId: credit.id, role: 'admin', permissions: [] })).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT' } });
  });
});

describe('group mappings', () => {
  it('mapping the same group to the same role again changes nothing and writes no audit entry', async () => {
    const core = await openCore();
    const ops = operator(core);
    const account = await administration(core);
    const first = await call(ops, 'admin.groups.map', { accountId: account.id, group: 'credit-analysts', role: 'analyst' });
    const again = await call(ops, 'admin.groups.map', { accountId: account.id, group: 'credit-analysts', role: 'analyst' });
    expect(first).toMatchObject({ created: true });
    expect(again).toMatchObject({ id: first.id, created: false });
    expect(actions(core, 'groups.map')).toHaveLength(1);
    expect(await call(ops, 'admin.groups.list', { accountId: account.id })).toHaveLength(1);
  });
});

describe('names where ids were', () => {
  it('counts the members the Members page lists, the local administrator included', async () => {
    const core = await openCore();
    const ops = operator(core);
    const credit = await call(ops, 'admin.accounts.create', { name: 'Credit Risk' });
    for (const account of await call(ops, 'admin.accounts.list', {})) {
      const members = await call(ops, 'admin.members.list', { accountId: account.id });
      expect(members.map((m) => m.displayName)).toContain('Local administrator');
      expect(account.members, account.name).toBe(new Set(members.map((m) => m.userId)).size);
    }
    expect((await call(ops, 'admin.accounts.list', {})).find((a) => a.id === credit.id)?.members).toBe(1);
  });

  it('names whoever changed an account’s approval policy, and only people of that account or the installation’s administrators', async () => {
    const core = await openCore();
    const session = await core.identity!.signInLocal(passphrase);
    const admin = as(core, session.id);
    const account = await administration(core);
    const policy = await call(admin, 'workflows.approvalPolicy.set', { accountId: account.id, fourEyes: true });
    expect(policy.updatedBy).toBe(session.userId);
    const names = await call(admin, 'admin.people.names', { accountId: account.id, userIds: [policy.updatedBy!, 'local-operator', 'someone-else', policy.updatedBy!] });
    expect(names).toEqual([{ userId: session.userId, displayName: 'Local administrator' }, { userId: 'local-operator', displayName: 'Local operator (CLI)' }]);
  });
});
