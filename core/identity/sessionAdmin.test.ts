import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../base/index.ts';
import { createCore } from '../createCore.ts';
import type { Core } from '../createCore.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { rolePermissions } from '../contracts/index.ts';
import { hashSessionId } from './sessions.ts';
import { signInThroughIdp } from './testing/browserFlow.ts';
import { as, call, manualClock, operator } from './testing/bridges.ts';
import { startTestIdp } from './testing/testIdp.ts';
import type { TestIdp } from './testing/testIdp.ts';

// Gaps 1 and 9 of the enterprise review: administrators see who is signed in and end sessions
// (by the same path as every end, so the person's pages hear why), also from another process
// (the CLI beside a running serve); and open pages hear at once when what they may do changed.

const redirectUri = 'http://127.0.0.1:47123/callback';
const cores: Core[] = [];
afterEach(async () => { for (const core of cores.splice(0)) await core.dispose(); });

async function openCore(options: { dataDir?: string; secrets?: MemorySecretStore; clock?: Clock } = {}): Promise<Core> {
  const core = await createCore({ dataDir: options.dataDir ?? mkdtempSync(join(tmpdir(), 'strongroom-sessions-')), mode: 'test', heartbeatMs: 0, secrets: options.secrets ?? new MemorySecretStore(), ...(options.clock ? { clock: options.clock } : {}) });
  cores.push(core);
  return core;
}

async function signIn(core: Core, login: string) {
  const url = await core.identity!.beginSignIn(redirectUri);
  return core.identity!.completeSignIn(await signInThroughIdp(url, login, redirectUri));
}

/** Every session-scoped event the core publishes, in order. */
function sessionEvents(core: Core): Array<{ name: string; sessionHash: string; reason?: string }> {
  const seen: Array<{ name: string; sessionHash: string; reason?: string }> = [];
  core.events.subscribe((name, payload) => {
    if (name === 'auth.sessionEnded' || name === 'auth.sessionChanged') seen.push({ name, ...(payload as { sessionHash: string; reason?: string }) });
  });
  return seen;
}

const flushMicrotasks = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('administrators see and end sessions (real IdP)', () => {
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp({ users: [
      { login: 'alice', name: 'Alice Analyst', email: 'alice@bank.example', groups: ['credit-analysts'] },
      { login: 'carol', name: 'Carol Admin', email: 'carol@bank.example', groups: ['strongroom-admins'] },
      { login: 'dave', name: 'Dave Credit Admin', email: 'dave@bank.example', groups: ['credit-admins'] },
      { login: 'erin', name: 'Erin KYC', email: 'erin@bank.example', groups: ['kyc-analysts'] },
      { login: 'frank', name: 'Frank Both', email: 'frank@bank.example', groups: ['credit-analysts', 'kyc-analysts'] },
    ] });
  });
  afterAll(() => idp.stop());

  async function installation(clock?: ReturnType<typeof manualClock>) {
    const core = await openCore(clock ? { clock } : {});
    const ops = operator(core);
    const [administration] = await call(ops, 'admin.accounts.list', {});
    // Accounts list in the order they were made: a hand-moved clock must move between them.
    clock?.advance(1);
    const credit = await call(ops, 'admin.accounts.create', { name: 'Credit Risk' });
    clock?.advance(1);
    const kyc = await call(ops, 'admin.accounts.create', { name: 'KYC' });
    await call(ops, 'admin.groups.map', { accountId: administration!.id, group: 'strongroom-admins', role: 'admin' });
    await call(ops, 'admin.groups.map', { accountId: credit.id, group: 'credit-analysts', role: 'analyst' });
    await call(ops, 'admin.groups.map', { accountId: credit.id, group: 'credit-admins', role: 'admin' });
    await call(ops, 'admin.groups.map', { accountId: kyc.id, group: 'kyc-analysts', role: 'analyst' });
    await call(ops, 'admin.idp.set', { issuer: idp.issuer, clientId: idp.clientId, groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'] });
    const alice = await signIn(core, 'alice');
    const carol = await signIn(core, 'carol');
    const dave = await signIn(core, 'dave');
    const erin = await signIn(core, 'erin');
    // Frank is in both accounts and works in KYC now.
    const frank = await signIn(core, 'frank');
    await call(as(core, frank.id), 'auth.switchAccount', { accountId: kyc.id });
    return { core, ops, administration: administration!, credit, kyc, alice, carol, dave, erin, frank };
  }

  it('lists every session to an installation administrator, and to an account administrator only those acting in the account', async () => {
    const { core, administration, credit, kyc, alice, carol, dave, erin, frank } = await installation();
    const byCarol = await call(as(core, carol.id), 'admin.sessions.list', {});
    expect(byCarol.map((row) => [row.displayName, row.accountName, row.own])).toEqual([
      ['Alice Analyst', 'Credit Risk', false],
      ['Carol Admin', 'Default', true],
      ['Dave Credit Admin', 'Credit Risk', false],
      ['Erin KYC', 'KYC', false],
      ['Frank Both', 'KYC', false],
    ]);
    const aliceRow = byCarol[0]!;
    expect(aliceRow).toEqual({
      handle: hashSessionId(alice.id),
      userId: alice.userId,
      displayName: 'Alice Analyst',
      email: 'alice@bank.example',
      kind: 'oidc',
      accountId: credit.id,
      accountName: 'Credit Risk',
      startedAt: new Date(alice.createdAt).toISOString(),
      verifiedAt: new Date(alice.verifiedAt).toISOString(),
      lastSeenAt: null,
      endsAt: new Date(alice.createdAt + 12 * 3_600_000).toISOString(),
      own: false,
    });
    expect(byCarol.find((row) => row.own)?.accountId).toBe(administration.id);
    // Handles name sessions; nothing a session cookie could be made from leaves.
    const listed = JSON.stringify(byCarol);
    for (const session of [alice, carol, dave, erin, frank]) expect(listed).not.toContain(session.id);

    // Dave administers Credit Risk: Alice and himself. Frank, also a member there, works in KYC.
    const byDave = await call(as(core, dave.id), 'admin.sessions.list', {});
    expect(byDave.map((row) => [row.displayName, row.own])).toEqual([['Alice Analyst', false], ['Dave Credit Admin', true]]);
    expect(JSON.stringify(byDave)).not.toContain(kyc.id);
    // Alice cannot list at all: the router refuses her (members.manage).
    expect(await as(core, alice.id).invoke('admin.sessions.list', {})).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
  });

  it('ends one session by the path every end takes: audited, its pages told, its holder told why, nobody else touched', async () => {
    const { core, credit, alice, dave, erin } = await installation();
    const events = sessionEvents(core);
    const result = await as(core, dave.id).invoke('admin.sessions.end', { handle: hashSessionId(alice.id) });
    expect(result).toEqual({ ok: true, value: { ended: 1 } });
    expect(events).toEqual([{ name: 'auth.sessionEnded', sessionHash: hashSessionId(alice.id), reason: 'ended-by-admin' }]);
    expect(await as(core, alice.id).invoke('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } });
    expect(await call(as(core, alice.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: { reason: 'ended-by-admin', accountName: null, hours: null } });
    expect(core.identity!.resolve(erin.id)).toBeDefined();
    expect(core.identity!.resolve(dave.id)).toBeDefined();
    // Credit Risk's own record says who ended whose session.
    expect(core.audit!.list({ actionPrefix: 'auth.sessionEnded' })).toMatchObject([{
      outcome: 'success',
      accountId: credit.id,
      actorUserId: dave.userId,
      actorAccountId: credit.id,
      resource: `user:${alice.userId}`,
      details: { reason: 'ended-by-admin', session: hashSessionId(alice.id), kind: 'oidc', by: 'session' },
    }]);
    // Ended is ended: the same handle again is refused as an unknown one.
    const again = await as(core, dave.id).invoke('admin.sessions.end', { handle: hashSessionId(alice.id) });
    expect(again).toEqual(await as(core, dave.id).invoke('admin.sessions.end', { handle: randomBytes(32).toString('base64url') }));
    expect(again).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });
    // A signed-out browser's sign-out stays quiet: nothing more is audited.
    await call(as(core, alice.id), 'auth.signOut', {});
    expect(core.audit!.list({ actionPrefix: 'auth.signOut' })).toEqual([]);
  });

  it('refuses an account administrator what is not in the account — by handle or by person — as what does not exist, and audits the attempt', async () => {
    const { core, credit, erin, frank, dave, carol } = await installation();
    const daveApi = as(core, dave.id);
    const unknownHandle = await daveApi.invoke('admin.sessions.end', { handle: randomBytes(32).toString('base64url') });
    for (const handle of [hashSessionId(erin.id), hashSessionId(frank.id), hashSessionId(carol.id)]) {
      expect(await daveApi.invoke('admin.sessions.end', { handle })).toEqual(unknownHandle);
    }
    const unknownPerson = await daveApi.invoke('admin.sessions.end', { userId: randomUUID() });
    expect(unknownPerson).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND', message: 'This person has no session open among those you administer.' } });
    // Frank is a member of Credit Risk too, but works in KYC: not Dave's to end.
    expect(await daveApi.invoke('admin.sessions.end', { userId: frank.userId })).toEqual(unknownPerson);
    for (const session of [erin, frank, carol]) expect(core.identity!.resolve(session.id)).toBeDefined();
    const denied = core.audit!.list({ actionPrefix: 'admin.sessions.end' }).filter((entry) => entry.outcome === 'denied');
    expect(denied.map((entry) => entry.resource)).toEqual(expect.arrayContaining([`session:${hashSessionId(erin.id)}`, `user:${frank.userId}`]));
    for (const entry of denied) expect(entry).toMatchObject({ accountId: credit.id, actorUserId: dave.userId });
  });

  it('ends every session of one person, and lets an administrator end their own', async () => {
    const { core, kyc, carol, frank, erin } = await installation();
    const frankAgain = await signIn(core, 'frank');
    const events = sessionEvents(core);
    expect(await call(as(core, carol.id), 'admin.sessions.end', { userId: frank.userId })).toEqual({ ended: 2 });
    expect(events.map((event) => event.sessionHash).sort()).toEqual([hashSessionId(frank.id), hashSessionId(frankAgain.id)].sort());
    expect(core.identity!.resolve(frank.id)).toBeUndefined();
    expect(core.identity!.resolve(frankAgain.id)).toBeUndefined();
    expect(core.identity!.resolve(erin.id)).toBeDefined();
    expect(core.audit!.list({ actionPrefix: 'auth.sessionEnded' }).map((entry) => [entry.resource, entry.details.by])).toEqual([[`user:${frank.userId}`, 'user'], [`user:${frank.userId}`, 'user']]);
    expect(core.audit!.list({ actionPrefix: 'auth.sessionEnded' }).map((entry) => entry.accountId)).toContain(kyc.id);

    expect(await call(as(core, carol.id), 'admin.sessions.end', { handle: hashSessionId(carol.id) })).toEqual({ ended: 1 });
    expect(await call(as(core, carol.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: { reason: 'ended-by-admin' } });
  });

  it('shows when each session was last seen, to the minute, so one left on a lost laptop stands out', async () => {
    const clock = manualClock();
    const { core, alice, carol } = await installation(clock);
    const started = clock.now();
    const lastSeen = async (name: string) => (await call(as(core, carol.id), 'admin.sessions.list', {})).find((row) => row.displayName === name)!.lastSeenAt;
    // Signed in, not used since.
    expect(await lastSeen('Erin KYC')).toBeNull();
    await call(as(core, alice.id), 'system.info', {});
    expect(await lastSeen('Alice Analyst')).toBe(new Date(started).toISOString());
    // Used again 30 s later: not written again (at most once a minute per session)…
    clock.advance(30_000);
    await call(as(core, alice.id), 'system.info', {});
    expect(await lastSeen('Alice Analyst')).toBe(new Date(started).toISOString());
    // …but a minute on, it is.
    clock.advance(31_000);
    await call(as(core, alice.id), 'system.info', {});
    expect(await lastSeen('Alice Analyst')).toBe(new Date(started + 61_000).toISOString());
    // Carol's own listing counts as her use; Erin's session still has not moved.
    expect(await lastSeen('Carol Admin')).not.toBeNull();
    expect(await lastSeen('Erin KYC')).toBeNull();
    // Kept in the row: another process (the CLI's admin sessions list) reads the same.
    const row = core.storage!.db.prepare('SELECT last_seen_at FROM auth_sessions WHERE id_hash = ?').get(hashSessionId(alice.id)) as { last_seen_at: number };
    expect(row.last_seen_at).toBe(started + 61_000);
  });

  it('applies a boundary another process sets (the CLI beside serve) at the next call, not the next IdP check', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-sessions-'));
    const secrets = new MemorySecretStore();
    const clock = manualClock();
    const host = await openCore({ dataDir, secrets, clock });
    const ops = operator(host);
    const [administration] = await call(ops, 'admin.accounts.list', {});
    clock.advance(1);
    const credit = await call(ops, 'admin.accounts.create', { name: 'Credit Risk' });
    await call(ops, 'admin.groups.map', { accountId: administration!.id, group: 'strongroom-admins', role: 'admin' });
    await call(ops, 'admin.groups.map', { accountId: credit.id, group: 'credit-analysts', role: 'analyst' });
    await call(ops, 'admin.idp.set', { issuer: idp.issuer, clientId: idp.clientId, groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'] });
    const alice = await signIn(host, 'alice');
    expect((await as(host, alice.id).invoke('runs.list', {})).ok).toBe(true);
    const events = sessionEvents(host);

    // A boundary set from a terminal: another process, another connection. Analysts may no longer read runs.
    const cli = await openCore({ dataDir, secrets, clock });
    await call(operator(cli), 'admin.boundaries.set', { accountId: credit.id, role: 'analyst', permissions: rolePermissions.analyst.filter((p) => p !== 'runs.read') });
    clock.advance(1_000);

    // Alice's next call is held to it, and her pages are told their standing changed.
    expect(await as(host, alice.id).invoke('runs.list', {})).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(events).toEqual([{ name: 'auth.sessionChanged', sessionHash: hashSessionId(alice.id) }]);
  });

  it('tells a session whose roles changed at a refresh with the IdP, and only it, that it changed', async () => {
    const clock = manualClock();
    const { core, ops, credit, alice, erin } = await installation(clock);
    await call(ops, 'admin.groups.map', { accountId: credit.id, group: 'credit-reviewers', role: 'reviewer' });
    idp.setGroups('alice', ['credit-analysts', 'credit-reviewers']);
    try {
      const events = sessionEvents(core);
      clock.advance(20 * 60_000);
      expect((await call(as(core, erin.id), 'auth.status', {})).signedIn).toBe(true);
      expect(events).toEqual([]);
      const status = await call(as(core, alice.id), 'auth.status', {});
      expect(status.activeAccount?.roles).toEqual(['analyst', 'reviewer']);
      expect(events).toEqual([{ name: 'auth.sessionChanged', sessionHash: hashSessionId(alice.id) }]);
    } finally {
      idp.setGroups('alice', ['credit-analysts']);
    }
  });
});

describe('pages follow permission changes at once', () => {
  it('a boundary set tells exactly the sessions whose permissions it changed; a new account tells those who may switch to it', async () => {
    const core = await openCore();
    await core.identity!.setLocalPassphrase('local admin passphrase');
    const ops = operator(core);
    const beta = await call(ops, 'admin.accounts.create', { name: 'Beta' });
    const inDefault = await core.identity!.signInLocal('local admin passphrase');
    const inBeta = await core.identity!.signInLocal('local admin passphrase');
    core.identity!.switchAccount(inBeta.id, beta.id);
    const events = sessionEvents(core);

    // Capping analyst changes nobody here (both sessions are admins); capping admin in Beta changes the one acting there.
    await call(ops, 'admin.boundaries.set', { accountId: beta.id, role: 'analyst', permissions: ['system.read', 'account.read'] });
    expect(events).toEqual([]);
    await call(ops, 'admin.boundaries.set', { accountId: beta.id, role: 'admin', permissions: ['system.read', 'account.read', 'boundaries.manage'] });
    expect(events).toEqual([{ name: 'auth.sessionChanged', sessionHash: hashSessionId(inBeta.id) }]);
    expect(core.identity!.resolve(inBeta.id)?.principal.permissions.has('runs.start')).toBe(false);
    // Setting the same cap again changes nothing for anyone.
    await call(ops, 'admin.boundaries.set', { accountId: beta.id, role: 'admin', permissions: ['system.read', 'account.read', 'boundaries.manage'] });
    expect(events).toHaveLength(1);

    // The local administrator may act in every account: both sessions' account lists grew.
    events.length = 0;
    await call(ops, 'admin.accounts.create', { name: 'Gamma' });
    expect(events.map((event) => event.sessionHash).sort()).toEqual([hashSessionId(inDefault.id), hashSessionId(inBeta.id)].sort());
    expect(events.every((event) => event.name === 'auth.sessionChanged')).toBe(true);
    expect((await call(as(core, inDefault.id), 'auth.status', {})).accounts.map((account) => account.name)).toEqual(['Default', 'Beta', 'Gamma']);
  });
});

describe('ending a session from another process (the CLI beside a running serve)', () => {
  it('ends a session the running host holds: its next call is refused and its pages hear that an administrator ended it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-sessions-'));
    const secrets = new MemorySecretStore();
    const host = await openCore({ dataDir, secrets });
    await host.identity!.setLocalPassphrase('local admin passphrase');
    const session = await host.identity!.signInLocal('local admin passphrase');
    const other = await host.identity!.signInLocal('local admin passphrase');
    expect((await as(host, session.id).invoke('system.info', {})).ok).toBe(true);
    const events = sessionEvents(host);

    // A second process on the same database, as `strongroom admin sessions end` is.
    const cli = await openCore({ dataDir, secrets });
    const listed = await call(operator(cli), 'admin.sessions.list', {});
    expect(listed.map((row) => row.handle).sort()).toEqual([hashSessionId(session.id), hashSessionId(other.id)].sort());
    expect(await call(operator(cli), 'admin.sessions.end', { handle: hashSessionId(session.id) })).toEqual({ ended: 1 });
    expect(cli.audit!.list({ actionPrefix: 'auth.sessionEnded' })).toMatchObject([{ actorUserId: 'local-operator', resource: `user:${session.userId}`, details: { reason: 'ended-by-admin' } }]);

    // The host still held it in memory; its next look at it (a call, or a stream's heartbeat) ends it here too.
    expect(await as(host, session.id).invoke('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } });
    await flushMicrotasks();
    expect(events).toEqual([{ name: 'auth.sessionEnded', sessionHash: hashSessionId(session.id), reason: 'ended-by-admin' }]);
    expect(await call(as(host, session.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: { reason: 'ended-by-admin' } });
    expect((await as(host, other.id).invoke('system.info', {})).ok).toBe(true);
    // Told once, however often it is looked at.
    host.identity!.resolve(session.id);
    await flushMicrotasks();
    expect(events).toHaveLength(1);
  });

  it('still says why a session ended after a restart: the reason is kept with the session', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-sessions-'));
    const secrets = new MemorySecretStore();
    const before = await openCore({ dataDir, secrets });
    await before.identity!.setLocalPassphrase('local admin passphrase');
    const ended = await before.identity!.signInLocal('local admin passphrase');
    const signedOut = await before.identity!.signInLocal('local admin passphrase');
    expect(await call(operator(before), 'admin.sessions.end', { handle: hashSessionId(ended.id) })).toEqual({ ended: 1 });
    await call(as(before, signedOut.id), 'auth.signOut', {});
    await before.dispose();
    cores.splice(cores.indexOf(before), 1);

    // A new process on the same data (serve restarted, the desktop app reopened) holds nothing in memory.
    const after = await openCore({ dataDir, secrets });
    expect(await call(as(after, ended.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: { reason: 'ended-by-admin' } });
    expect(await call(as(after, signedOut.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: { reason: 'signed-out' } });
    // A row ended before the reason was kept (schema 16) still says no more than that it ended.
    after.storage!.db.prepare('UPDATE auth_sessions SET end_reason = NULL WHERE id_hash = ?').run(hashSessionId(ended.id));
    expect(await call(as(after, ended.id), 'auth.status', {})).toMatchObject({ signedIn: false, sessionEnded: { reason: 'ended' } });
  });
});
