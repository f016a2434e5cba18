import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../base/index.ts';
import type { StrongroomBridge } from '../contracts/index.ts';
import { createCore } from '../createCore.ts';
import type { Core } from '../createCore.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { signInThroughIdp } from './testing/browserFlow.ts';
import { startHostileIdp } from './testing/hostileIdp.ts';
import type { Forge, HostileIdp } from './testing/hostileIdp.ts';
import { startTestIdp } from './testing/testIdp.ts';
import type { TestIdp } from './testing/testIdp.ts';
import { as, call, manualClock, operator } from './testing/bridges.ts';
import { hashSessionId } from './sessions.ts';

const redirectUri = 'http://127.0.0.1:47123/callback';
const cores: Core[] = [];
afterEach(async () => { for (const core of cores.splice(0)) await core.dispose(); });

async function openCore(options: { dataDir?: string; secrets?: MemorySecretStore; clock?: Clock } = {}) {
  const core = await createCore({ dataDir: options.dataDir ?? mkdtempSync(join(tmpdir(), 'strongroom-identity-')), mode: 'test', heartbeatMs: 0, secrets: options.secrets ?? new MemorySecretStore(), ...(options.clock ? { clock: options.clock } : {}) });
  cores.push(core);
  return core;
}


async function signIn(core: Core, login: string) {
  const url = await core.identity!.beginSignIn(redirectUri);
  const callback = await signInThroughIdp(url, login, redirectUri);
  return { callback, session: await core.identity!.completeSignIn(callback) };
}

/** An IdP is configured only once some group administers the installation (the first account). */
async function mapAdminGroup(ops: StrongroomBridge, group = 'strongroom-admins'): Promise<void> {
  const [administration] = await call(ops, 'admin.accounts.list', {});
  await call(ops, 'admin.groups.map', { accountId: administration!.id, group, role: 'admin' });
}

/** The IdP set up as the refresh tests need it: group `analysts` → analyst in the first account, an admin group, refresh tokens asked for. */
async function useRefreshingIdp(ops: StrongroomBridge, idp: Pick<TestIdp, 'issuer' | 'clientId'>): Promise<void> {
  const [account] = await call(ops, 'admin.accounts.list', {});
  await call(ops, 'admin.groups.map', { accountId: account!.id, group: 'analysts', role: 'analyst' });
  await mapAdminGroup(ops);
  await call(ops, 'admin.idp.set', { issuer: idp.issuer, clientId: idp.clientId, groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid', 'groups', 'offline_access'] });
}

const count = (core: Core, sql: string, ...params: unknown[]) => (core.storage!.db.prepare(sql).get(...params) as { n: number }).n;

describe('sign-in through a real IdP', () => {
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp({ users: [
      { login: 'alice', name: 'Alice Analyst', email: 'alice@bank.example', groups: ['credit-analysts'] },
      { login: 'carol', name: 'Carol Admin', email: 'carol@bank.example', groups: ['strongroom-admins'] },
    ] });
  });
  afterAll(() => idp.stop());

  it('maps groups to roles at sign-in, applies role changes at the next sign-in, and removes access with the group', async () => {
    const core = await openCore();
    const ops = operator(core);
    const creditRisk = await call(ops, 'admin.accounts.create', { name: 'Credit Risk' });
    const [administration] = await call(ops, 'admin.accounts.list', {});
    await call(ops, 'admin.groups.map', { accountId: creditRisk.id, group: 'credit-analysts', role: 'analyst' });
    await call(ops, 'admin.groups.map', { accountId: administration!.id, group: 'strongroom-admins', role: 'admin' });
    await call(ops, 'admin.idp.set', { issuer: idp.issuer, clientId: idp.clientId, groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'] });

    const first = await signIn(core, 'alice');
    const alice = as(core, first.session.id);
    const status = await call(alice, 'auth.status', {});
    expect(status).toMatchObject({ mode: 'oidc', signedIn: true, user: { displayName: 'Alice Analyst', email: 'alice@bank.example' }, activeAccount: { id: creditRisk.id, roles: ['analyst'] } });
    expect(status.accounts.map((a) => a.name)).toEqual(['Credit Risk']);
    expect((await alice.invoke('admin.groups.map', { accountId: creditRisk.id, group: 'x', role: 'admin' })).ok).toBe(false);
    // The authorization code cannot be used twice.
    await expect(core.identity!.completeSignIn(first.callback)).rejects.toMatchObject({ code: 'ERR_AUTH_SIGNIN_FAILED' });

    // The directory moves alice to the KYC reviewers; an admin maps that group. Her live session keeps its
    // role; her next sign-in picks up the change.
    idp.setGroups('alice', ['kyc-reviewers']);
    await call(ops, 'admin.groups.map', { accountId: creditRisk.id, group: 'kyc-reviewers', role: 'reviewer' });
    expect(core.identity!.resolve(first.session.id)?.principal.roles).toEqual(['analyst']);
    const second = await signIn(core, 'alice');
    expect(second.session.principal.roles).toEqual(['reviewer']);
    expect(second.session.principal.permissions.has('drafts.approve')).toBe(true);
    expect(second.session.principal.permissions.has('drafts.write')).toBe(false);

    idp.setGroups('alice', ['cafeteria']);
    await expect(signIn(core, 'alice')).rejects.toMatchObject({ code: 'ERR_AUTH_NO_ACCESS' });

    // An admin of the administration account administers the installation.
    const carol = await signIn(core, 'carol');
    expect(carol.session.principal).toMatchObject({ installationAdmin: true, accountId: administration!.id });
    const audit = core.audit!.list({ actionPrefix: 'auth.signIn' });
    expect(audit.filter((e) => e.outcome === 'success')).toHaveLength(3);
    expect(audit.filter((e) => e.outcome === 'failure').map((e) => e.details.reason)).toEqual(expect.arrayContaining(['no-access']));
    expect(core.audit!.list({ actionPrefix: 'groups.map' })).toHaveLength(3);
  });

  it('records the IdP configuration, account lifecycle, switching accounts and signing out in the audit log', async () => {
    const core = await openCore();
    const ops = operator(core);
    await mapAdminGroup(ops);
    await call(ops, 'admin.idp.set', { issuer: idp.issuer, clientId: idp.clientId, groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'] });
    const credit = await call(ops, 'admin.accounts.create', { name: 'Credit Risk' });
    const kyc = await call(ops, 'admin.accounts.create', { name: 'KYC' });
    const scratch = await call(ops, 'admin.accounts.create', { name: 'Scratch' });
    await call(ops, 'admin.accounts.delete', { accountId: scratch.id, confirmName: 'Scratch' });
    idp.setGroups('alice', ['credit-analysts', 'kyc-reviewers']);
    await call(ops, 'admin.groups.map', { accountId: credit.id, group: 'credit-analysts', role: 'analyst' });
    await call(ops, 'admin.groups.map', { accountId: kyc.id, group: 'kyc-reviewers', role: 'reviewer' });

    const { session } = await signIn(core, 'alice');
    const alice = as(core, session.id);
    const other = session.principal.accountId === credit.id ? kyc : credit;
    await call(alice, 'auth.switchAccount', { accountId: other.id });
    await call(alice, 'auth.signOut', {});

    const entries = core.audit!.list({});
    const one = (action: string) => entries.filter((entry) => entry.action === action);
    expect(one('idp.configure')).toMatchObject([{ outcome: 'success', actorUserId: 'local-operator', details: { issuer: idp.issuer, clientId: idp.clientId, clientSecretChanged: false } }]);
    expect(one('account.create').map((entry) => entry.details.name)).toEqual(expect.arrayContaining(['Credit Risk', 'KYC', 'Scratch']));
    expect(one('account.delete')).toMatchObject([{ outcome: 'success', resource: `account:${scratch.id}`, details: { name: 'Scratch' } }]);
    const userId = session.principal.userId;
    expect(one('auth.switchAccount')).toMatchObject([{ outcome: 'success', actorUserId: userId, resource: `account:${other.id}` }]);
    expect(one('auth.signOut')).toMatchObject([{ actorUserId: userId }]);
    idp.setGroups('alice', ['credit-analysts']);
  });

  it('keeps a cached session working offline within the grace period and refuses it after', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-identity-'));
    const secrets = new MemorySecretStore();
    const clock = manualClock();
    const offlineIdp = await startTestIdp({ users: [{ login: 'dora', name: 'Dora', email: 'dora@bank.example', groups: ['analysts'] }] });
    const online = await openCore({ dataDir, secrets, clock });
    const ops = operator(online);
    await useRefreshingIdp(ops, offlineIdp);
    const { session } = await signIn(online, 'dora');
    await online.dispose();
    cores.splice(cores.indexOf(online), 1);
    await offlineIdp.stop();

    // The laptop restarts without network: the stored session resumes.
    const offline = await openCore({ dataDir, secrets, clock });
    clock.advance(60 * 60_000);
    const status = await call(as(offline, session.id), 'auth.status', {});
    expect(status.signedIn).toBe(true);
    expect(status.offlineUntil).not.toBeNull();
    expect((await as(offline, session.id).invoke('system.info', {})).ok).toBe(true);

    clock.advance(8 * 60 * 60_000);
    expect(offline.identity!.resolve(session.id)).toBeUndefined();
    expect(await as(offline, session.id).invoke('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } });
    expect((await call(as(offline, session.id), 'auth.status', {})).signedIn).toBe(false);
  });
});

describe('token attacks through the full sign-in path', () => {
  let hostile: HostileIdp;
  let core: Core;
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = (issuer: string, clientId: string, nonce: string, extra: JWTPayload = {}): JWTPayload => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: issuer, aud: clientId, sub: 'mallory', iat: now, exp: now + 300, nonce, groups: ['strongroom-admins'], ...extra };
  };
  const signed = (payload: JWTPayload, key: Parameters<SignJWT['sign']>[0], kid = 'hostile-1') => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key);

  beforeAll(async () => {
    hostile = await startHostileIdp('strongroom-desktop');
    core = await createCore({ dataDir: mkdtempSync(join(tmpdir(), 'strongroom-identity-')), mode: 'test', heartbeatMs: 0, secrets: new MemorySecretStore() });
    const ops = operator(core);
    const [account] = await call(ops, 'admin.accounts.list', {});
    await call(ops, 'admin.groups.map', { accountId: account!.id, group: 'strongroom-admins', role: 'admin' });
    await call(ops, 'admin.idp.set', { issuer: hostile.issuer, clientId: 'strongroom-desktop', groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid', 'groups'] });
  });
  afterAll(async () => { await core.dispose(); await hostile.stop(); });

  const attacks: Array<[string, Forge]> = [
    ['alg none', async ({ issuer, clientId, nonce }) => `${b64({ alg: 'none', kid: 'hostile-1' })}.${b64(claims(issuer, clientId, nonce))}.`],
    ['HS256 signed with the RSA public key', async ({ issuer, clientId, nonce, key }) => {
      const head = `${b64({ alg: 'HS256', kid: 'hostile-1' })}.${b64(claims(issuer, clientId, nonce))}`;
      const publicPem = (await import('node:crypto')).createPublicKey(key).export({ type: 'spki', format: 'pem' });
      return `${head}.${createHmac('sha256', publicPem).update(head).digest('base64url')}`;
    }],
    ['wrong issuer', ({ clientId, nonce, key }) => signed(claims('https://evil.example', clientId, nonce), key)],
    ['wrong audience', ({ issuer, nonce, key }) => signed(claims(issuer, 'another-app', nonce), key)],
    ['expired beyond skew', ({ issuer, clientId, nonce, key }) => signed(claims(issuer, clientId, nonce, { exp: Math.floor(Date.now() / 1000) - 120 }), key)],
    ['nbf in the future', ({ issuer, clientId, nonce, key }) => signed(claims(issuer, clientId, nonce, { nbf: Math.floor(Date.now() / 1000) + 600 }), key)],
    ['unknown kid', ({ issuer, clientId, nonce, key }) => signed(claims(issuer, clientId, nonce), key, 'not-published')],
    ['bad signature', ({ issuer, clientId, nonce }) => signed(claims(issuer, clientId, nonce), otherKey)],
    ['missing nonce', ({ issuer, clientId, key }) => { const { nonce: _n, ...rest } = claims(issuer, clientId, 'x'); return signed(rest, key); }],
    ['mismatched nonce', ({ issuer, clientId, key }) => signed(claims(issuer, clientId, 'someone-elses-nonce'), key)],
  ];

  it.each(attacks)('%s: refused with a clear error and nothing stored', async (name, forge) => {
    hostile.forge = forge;
    const auditBefore = core.audit!.list({ actionPrefix: 'auth.signIn' }).length;
    const url = await core.identity!.beginSignIn(redirectUri);
    const authorize = await fetch(url, { redirect: 'manual' });
    const callback = new URL(authorize.headers.get('location')!);
    const error = await core.identity!.completeSignIn(callback).then(() => undefined, (e: unknown) => e as { code: string; message: string });
    expect(error, name).toBeDefined();
    expect(['ERR_AUTH_TOKEN_INVALID', 'ERR_AUTH_SIGNIN_FAILED']).toContain(error!.code);
    expect(error!.message).toMatch(/refused|rejected|not sign you in|does not belong/i);
    expect(count(core, "SELECT count(*) AS n FROM users WHERE subject = 'mallory'")).toBe(0);
    expect(count(core, 'SELECT count(*) AS n FROM auth_sessions')).toBe(0);
    expect(count(core, 'SELECT count(*) AS n FROM memberships')).toBe(0);
    const audit = core.audit!.list({ actionPrefix: 'auth.signIn' });
    expect(audit).toHaveLength(auditBefore + 1);
    expect(audit.at(-1)).toMatchObject({ outcome: 'failure', details: { method: 'oidc' } });
  });

  it('accepts a correctly signed token from the same issuer (the attacks fail for their flaw alone)', async () => {
    hostile.forge = ({ issuer, clientId, nonce, key }) => signed(claims(issuer, clientId, nonce), key);
    const url = await core.identity!.beginSignIn(redirectUri);
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    const session = await core.identity!.completeSignIn(callback);
    expect(session.principal.installationAdmin).toBe(true);
  });
});

describe('local mode first run', () => {
  it('lets an unauthenticated first caller choose the passphrase once, then refuses', async () => {
    const core = await openCore();
    const anonymous = as(core, 'no-session');
    expect(await call(anonymous, 'auth.status', {})).toMatchObject({ mode: 'local', signedIn: false, localSetupRequired: true });
    expect(await anonymous.invoke('auth.setupLocal', { passphrase: 'short' })).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
    let bound: string | null = null;
    const result = await core.router.call('auth.setupLocal', { passphrase: 'first-run passphrase' }, { sessionId: null, transport: 'in-process', setSession: (id) => { bound = id; } });
    expect(result).toMatchObject({ ok: true, value: { signedIn: true, localSetupRequired: false, user: { kind: 'local-admin' } } });
    expect(bound).toEqual(expect.any(String));
    expect(await anonymous.invoke('auth.setupLocal', { passphrase: 'second passphrase!!' })).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT' } });
    expect(await anonymous.invoke('auth.signInLocal', { passphrase: 'second passphrase!!' })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_SIGNIN_FAILED' } });
    expect((await anonymous.invoke('auth.signInLocal', { passphrase: 'first-run passphrase' })).ok).toBe(true);
  });

  it('locks local sign-in for a minute after five wrong passphrases', async () => {
    const clock = manualClock();
    const core = await openCore({ clock });
    await core.identity!.setLocalPassphrase('the right passphrase');
    const anonymous = as(core, 'no-session');
    for (let i = 0; i < 5; i += 1) expect(await anonymous.invoke('auth.signInLocal', { passphrase: `wrong ${i}` })).toMatchObject({ ok: false, error: { details: { reason: 'wrong-passphrase' } } });
    expect(await anonymous.invoke('auth.signInLocal', { passphrase: 'the right passphrase' })).toMatchObject({ ok: false, error: { details: { reason: 'locked' } } });
    clock.advance(61_000);
    expect((await anonymous.invoke('auth.signInLocal', { passphrase: 'the right passphrase' })).ok).toBe(true);
    expect(core.audit!.list({ actionPrefix: 'auth.signIn' }).filter((e) => e.outcome === 'failure')).toHaveLength(6);
  });
});

describe('account deletion and legal hold', () => {
  it('refuses to delete an account under legal hold with ERR_CONFLICT, and deletes it once released', async () => {
    const core = await openCore();
    const ops = operator(core);
    const account = await call(ops, 'admin.accounts.create', { name: 'Litigation' });
    await call(ops, 'audit.legalHold.set', { accountId: account.id, hold: true, reason: 'Case 2026-114' });
    const refused = await ops.invoke('admin.accounts.delete', { accountId: account.id, confirmName: 'Litigation' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT', details: { reason: 'legal-hold' } } });
    expect((await call(ops, 'admin.accounts.list', {})).map((a) => a.name)).toContain('Litigation');
    await call(ops, 'audit.legalHold.set', { accountId: account.id, hold: false, reason: 'Case 2026-114 closed' });
    expect(await ops.invoke('admin.accounts.delete', { accountId: account.id, confirmName: 'Litigation' })).toEqual({ ok: true, value: { deleted: true } });
  });
});

describe('findings from review', () => {
  it('lets only one of two racing first-run setups set the passphrase', async () => {
    const core = await openCore();
    const anonymous = as(core, 'no-session');
    const [first, second] = await Promise.all([
      anonymous.invoke('auth.setupLocal', { passphrase: 'owner passphrase 111' }),
      anonymous.invoke('auth.setupLocal', { passphrase: 'attacker passphrase 2' }),
    ]);
    expect([first.ok, second.ok].filter(Boolean)).toHaveLength(1);
    const winner = first.ok ? 'owner passphrase 111' : 'attacker passphrase 2';
    const loser = first.ok ? 'attacker passphrase 2' : 'owner passphrase 111';
    expect([first, second].find((r) => !r.ok)).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT' } });
    expect((await anonymous.invoke('auth.signInLocal', { passphrase: winner })).ok).toBe(true);
    expect((await anonymous.invoke('auth.signInLocal', { passphrase: loser })).ok).toBe(false);
  });

  it('counts parallel passphrase guesses against the limit', async () => {
    const core = await openCore();
    await core.identity!.setLocalPassphrase('the right passphrase');
    const anonymous = as(core, 'no-session');
    const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => anonymous.invoke('auth.signInLocal', { passphrase: i === 11 ? 'the right passphrase' : `wrong guess ${i}` })));
    const evaluated = guesses.filter((g) => !g.ok && (g.error.details as { reason?: string } | undefined)?.reason === 'wrong-passphrase');
    expect(evaluated.length).toBeLessThanOrEqual(5);
    expect(guesses.filter((g) => !g.ok && (g.error.details as { reason?: string } | undefined)?.reason === 'locked').length).toBeGreaterThanOrEqual(6);
  });

  it('ends local sessions when an IdP is configured, and every session after 12 hours', async () => {
    const clock = manualClock();
    const core = await openCore({ clock });
    await core.identity!.setLocalPassphrase('local admin passphrase');
    const first = await core.identity!.signInLocal('local admin passphrase');
    expect(core.identity!.resolve(first.id)).toBeDefined();
    clock.advance(12 * 3_600_000 + 1);
    expect(core.identity!.resolve(first.id)).toBeUndefined();

    const second = await core.identity!.signInLocal('local admin passphrase');
    const idp = await startTestIdp({ users: [] });
    try {
      await mapAdminGroup(operator(core));
      await call(operator(core), 'admin.idp.set', { issuer: idp.issuer, clientId: idp.clientId, groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid'] });
    } finally {
      await idp.stop();
    }
    expect(core.identity!.resolve(second.id)).toBeUndefined();
  });

  it('sends one refresh grant for a stale session, however many callers see it stale at once', async () => {
    const idp = await startTestIdp({ users: [{ login: 'finn', name: 'Finn', email: 'finn@bank.example', groups: ['analysts'] }] });
    try {
      const clock = manualClock();
      const core = await openCore({ clock });
      const ops = operator(core);
      await useRefreshingIdp(ops, idp);
      const { session } = await signIn(core, 'finn');
      const refreshes: string[] = [];
      const realFetch = globalThis.fetch;
      globalThis.fetch = (input, init) => {
        const body = typeof init?.body === 'string' ? init.body : init?.body instanceof URLSearchParams ? init.body.toString() : '';
        if (body.includes('grant_type=refresh_token')) refreshes.push(String(input instanceof Request ? input.url : input));
        return realFetch(input, init);
      };
      try {
        clock.advance(20 * 60_000);
        // The router resolves the session (starting a background refresh) and auth.status awaits one.
        const [status] = await Promise.all([call(as(core, session.id), 'auth.status', {}), call(as(core, session.id), 'auth.status', {})]);
        expect(status.signedIn).toBe(true);
        expect(refreshes).toHaveLength(1);
        expect(core.identity!.resolve(session.id)).toBeDefined();
      } finally {
        globalThis.fetch = realFetch;
      }
    } finally {
      await idp.stop();
    }
  });

  it('applies group changes at the IdP when a stale session is refreshed, not only at the next sign-in', async () => {
    const idp = await startTestIdp({ users: [{ login: 'erin', name: 'Erin', email: 'erin@bank.example', groups: ['analysts'] }] });
    try {
      const clock = manualClock();
      const core = await openCore({ clock });
      const ops = operator(core);
      await useRefreshingIdp(ops, idp);
      const { session } = await signIn(core, 'erin');
      expect(core.identity!.resolve(session.id)?.principal.roles).toEqual(['analyst']);
      idp.setGroups('erin', ['cafeteria']);
      clock.advance(20 * 60_000);
      core.identity!.resolve(session.id); // stale: revalidates in the background
      for (let i = 0; i < 100 && core.identity!.resolve(session.id); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(core.identity!.resolve(session.id)).toBeUndefined();
      expect(core.audit!.list({ actionPrefix: 'auth.sessionExpired' }).at(-1)).toMatchObject({ details: { reason: 'access-removed' } });
    } finally {
      await idp.stop();
    }
  });
});

describe('auth.status', () => {
  it('lists each account once with every role held there, and all the active account\'s roles', async () => {
    const idp = await startTestIdp({ users: [{ login: 'dana', name: 'Dana', email: 'dana@bank.example', groups: ['a-analysts', 'b-analysts', 'b-reviewers'] }] });
    try {
      const core = await openCore();
      const ops = operator(core);
      const [first] = await call(ops, 'admin.accounts.list', {});
      const beta = await call(ops, 'admin.accounts.create', { name: 'Beta' });
      await call(ops, 'admin.groups.map', { accountId: first!.id, group: 'a-analysts', role: 'analyst' });
      await call(ops, 'admin.groups.map', { accountId: beta.id, group: 'b-reviewers', role: 'reviewer' });
      await call(ops, 'admin.groups.map', { accountId: beta.id, group: 'b-analysts', role: 'analyst' });
      await mapAdminGroup(ops);
      await call(ops, 'admin.idp.set', { issuer: idp.issuer, clientId: idp.clientId, groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'] });
      const { session } = await signIn(core, 'dana');
      const dana = as(core, session.id);
      await call(dana, 'auth.switchAccount', { accountId: beta.id });
      const status = await call(dana, 'auth.status', {});
      expect(status.accounts).toEqual([{ id: first!.id, name: 'Default', roles: ['analyst'] }, { id: beta.id, name: 'Beta', roles: ['analyst', 'reviewer'] }]);
      expect(status.activeAccount).toEqual({ id: beta.id, name: 'Beta', roles: ['analyst', 'reviewer'] });
    } finally {
      await idp.stop();
    }
  });
});

describe('sessions that end say why, to their holder only', () => {
  /** What `auth.sessionEnded` the core published, by session hash. */
  function endedEvents(core: Core): Array<{ sessionHash: string; reason: string }> {
    const seen: Array<{ sessionHash: string; reason: string }> = [];
    core.events.subscribe((name, payload) => { if (name === 'auth.sessionEnded') seen.push(payload as { sessionHash: string; reason: string }); });
    return seen;
  }

  it('the IdP refusing to vouch again, and access removed at the IdP: the event for that session, the reason for its holder', async () => {
    const idp = await startTestIdp({ users: [
      { login: 'gus', name: 'Gus', email: 'gus@bank.example', groups: ['analysts'] },
      { login: 'hal', name: 'Hal', email: 'hal@bank.example', groups: ['analysts'] },
      { login: 'ida', name: 'Ida', email: 'ida@bank.example', groups: ['analysts'] },
    ] });
    try {
      const clock = manualClock();
      const core = await openCore({ clock });
      const ops = operator(core);
      await useRefreshingIdp(ops, idp);
      const gus = (await signIn(core, 'gus')).session;
      const hal = (await signIn(core, 'hal')).session;
      const ida = (await signIn(core, 'ida')).session;
      const events = endedEvents(core);

      // Gus is gone from the directory (the IdP refuses his refresh token); Hal lost his group.
      idp.users.delete('gus');
      idp.setGroups('hal', ['cafeteria']);
      clock.advance(20 * 60_000);
      expect(await call(as(core, gus.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: { reason: 'refresh-refused', accountName: null, hours: null } });
      expect(await call(as(core, hal.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: { reason: 'access-removed', accountName: 'Default', hours: null } });
      expect(events).toEqual([{ sessionHash: hashSessionId(gus.id), reason: 'refresh-refused' }, { sessionHash: hashSessionId(hal.id), reason: 'access-removed' }]);
      expect(core.audit!.list({ actionPrefix: 'auth.sessionExpired' }).map((e) => e.details.reason)).toEqual(['refresh-refused', 'access-removed']);

      // Ida, still vouched for, is told nothing; a stranger's session id learns nothing.
      expect(await call(as(core, ida.id), 'auth.status', {})).toMatchObject({ signedIn: true, sessionEnded: null });
      expect(await call(as(core, 'not-a-session'), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: null });
    } finally {
      await idp.stop();
    }
  });

  it('a session past its lifetime: its pages hear of it once, and its sign-in page says how long sessions last', async () => {
    const clock = manualClock();
    const core = await openCore({ clock });
    await core.identity!.setLocalPassphrase('local admin passphrase');
    const session = await core.identity!.signInLocal('local admin passphrase');
    expect(await call(as(core, session.id), 'auth.status', {})).toMatchObject({ signedIn: true, sessionEnded: null, sessionEndsAt: new Date(clock.now() + 12 * 3_600_000).toISOString() });
    const events = endedEvents(core);
    clock.advance(12 * 3_600_000 + 1);
    // Nothing ends it at that moment; the next look at it (every event stream's heartbeat) does.
    expect(core.identity!.resolve(session.id)).toBeUndefined();
    expect(core.identity!.resolve(session.id)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events).toEqual([{ sessionHash: hashSessionId(session.id), reason: 'lifetime' }]);
    expect(await call(as(core, session.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEndsAt: null, sessionEnded: { reason: 'lifetime', hours: 12 } });
    // A session that can no longer act is not held in memory, however often its cookie calls.
    expect(core.identity!.heldSessions).toBe(0);
  });

  it('an account deleted under someone working in it: their pages are told their access went', async () => {
    const core = await openCore();
    await core.identity!.setLocalPassphrase('local admin passphrase');
    const ops = operator(core);
    const scratch = await call(ops, 'admin.accounts.create', { name: 'Scratch' });
    const inScratch = await core.identity!.signInLocal('local admin passphrase');
    const elsewhere = await core.identity!.signInLocal('local admin passphrase');
    await call(as(core, inScratch.id), 'auth.switchAccount', { accountId: scratch.id });
    const events = endedEvents(core);
    await call(ops, 'admin.accounts.delete', { accountId: scratch.id, confirmName: 'Scratch' });
    expect(events).toEqual([{ sessionHash: hashSessionId(inScratch.id), reason: 'access-removed' }]);
    expect(await call(as(core, inScratch.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: { reason: 'access-removed', accountName: 'Scratch' } });
    expect(await call(as(core, elsewhere.id), 'auth.status', {})).toMatchObject({ signedIn: true });
  });
});
