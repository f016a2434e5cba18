import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBridge, localOperator } from '../api/index.ts';
import type { Principal } from '../api/index.ts';
import type { ApiResult, MethodContract, MethodInput, MethodName, Permission, Role } from '../contracts/index.ts';
import { apiMethods, installationPermissions, methodNames, rolePermissions, roles } from '../contracts/index.ts';
import { createCore } from '../createCore.ts';
import type { Core } from '../createCore.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { spanIdFor } from '../tracing/index.ts';

// Isolation proven from the router's registry: every API method, called by each role that lacks
// its permission and by an administrator of another account, is refused with ERR_AUTH_FORBIDDEN
// and reveals nothing of the resource. A new method without a fixture here fails to compile and
// fails the "every method has a fixture" test, so no method escapes this check.
// Every method that looks up one of account A's ids is also an id probe: refused exactly as an id
// that exists nowhere, and audited as denied with the resource asked for.

interface World {
  runA: string;
  accountA: { id: string; name: string };
  accountB: { id: string; name: string };
  mappingA: { id: string; group: string };
  traceA: string;
  spanA: string;
  feedbackA: string;
  draftA: string;
  /** A workflow imported in account A only (ids of workflows are names). */
  workflowA: string;
  /** The handle of a session acting in account A (the local administrator's, switched there). */
  sessionA: string;
  /** The seq of an audit entry kept in account A. */
  auditSeqA: number;
}

const fixtures: { [M in MethodName]: (world: World) => MethodInput<M> } = {
  'workflows.list': () => ({}),
  'workflows.get': () => ({ workflowId: 'credit-memo' }),
  'workflows.validate': () => ({ text: '{"id":"x"}' }),
  'workflows.import': () => ({ text: 'id: intruder-flow\nname: Intruder\ninputs: {type: object}\nsteps:\n  - {id: g, kind: guardrail, policy: none}\n' }),
  'runs.start': () => ({ workflowId: 'kyc-periodic-review', input: {} }),
  'runs.list': () => ({}),
  'runs.get': (w) => ({ runId: w.runA }),
  'runs.answer': (w) => ({ runId: w.runA, path: 'approval', answer: { approved: true } }),
  'runs.autosaveAnswer': (w) => ({ runId: w.runA, path: 'approval', answer: { approved: true, comment: 'intruder' } }),
  'runs.cancel': (w) => ({ runId: w.runA }),
  'runs.resume': (w) => ({ runId: w.runA }),
  'runs.replay': (w) => ({ runId: w.runA }),
  'system.info': () => ({}),
  'system.health': () => ({}),
  'auth.status': () => ({}),
  'auth.signInLocal': () => ({ passphrase: 'not the passphrase' }),
  'auth.setupLocal': () => ({ passphrase: 'an attacker passphrase' }),
  'auth.beginSignIn': () => ({}),
  'auth.signOut': () => ({}),
  'auth.switchAccount': (w) => ({ accountId: w.accountA.id }),
  'admin.accounts.list': () => ({}),
  'admin.accounts.create': () => ({ name: 'Intruder Account' }),
  'admin.accounts.delete': (w) => ({ accountId: w.accountA.id, confirmName: w.accountA.name }),
  'admin.idp.get': () => ({}),
  'admin.idp.set': () => ({ issuer: 'https://idp.attacker.example', clientId: 'x', groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid'] }),
  'admin.idp.clear': () => ({}),
  'admin.groups.list': (w) => ({ accountId: w.accountA.id }),
  'admin.groups.map': (w) => ({ accountId: w.accountA.id, group: 'intruders', role: 'admin' }),
  'admin.groups.unmap': (w) => ({ accountId: w.accountA.id, mappingId: w.mappingA.id }),
  'admin.members.list': (w) => ({ accountId: w.accountA.id }),
  'admin.people.names': (w) => ({ accountId: w.accountA.id, userIds: ['local-operator'] }),
  'admin.boundaries.get': (w) => ({ accountId: w.accountA.id }),
  'admin.boundaries.set': (w) => ({ accountId: w.accountA.id, role: 'analyst', permissions: [] }),
  'admin.sessions.list': () => ({}),
  'admin.sessions.end': (w) => ({ handle: w.sessionA }),
  'workflows.approvalPolicy.get': (w) => ({ accountId: w.accountA.id }),
  'workflows.approvalPolicy.set': (w) => ({ accountId: w.accountA.id, fourEyes: true }),
  'audit.list': (w) => ({ accountId: w.accountA.id, limit: 100 }),
  'audit.get': (w) => ({ seq: w.auditSeqA }),
  'audit.verify': () => ({}),
  'audit.export': (w) => ({ accountId: w.accountA.id, format: 'jsonl' }),
  'audit.publicKey': () => ({}),
  'audit.verifierKit': () => ({}),
  'audit.retention.get': (w) => ({ accountId: w.accountA.id }),
  'audit.retention.set': (w) => ({ accountId: w.accountA.id, retentionDays: 1 }),
  'audit.legalHold.set': (w) => ({ accountId: w.accountA.id, hold: false, reason: 'intruder release' }),
  'audit.purge': (w) => ({ accountId: w.accountA.id, dryRun: false }),
  'models.list': () => ({}),
  'models.manifestProblems': () => ({}),
  'models.add': () => ({ kind: 'local', id: 'intruder-model', name: 'Intruder', path: '/nonexistent/intruder.gguf' }),
  'models.remove': () => ({ modelId: 'alpha-model' }),
  'models.setAvailability': (w) => ({ modelId: 'alpha-model', accounts: [w.accountB.id] }),
  'models.setClassifications': () => ({ modelId: 'alpha-model', classifications: ['restricted'] }),
  'models.setDefault': (w) => ({ accountId: w.accountA.id, modelId: 'alpha-model' }),
  'models.verify': () => ({ modelId: 'alpha-model' }),
  'models.recordChecksum': () => ({ modelId: 'alpha-model', sha256: '0'.repeat(64) }),
  'models.health': () => ({ modelId: 'alpha-model' }),
  'models.test': () => ({ modelId: 'alpha-model' }),
  'tools.list': () => ({}),
  'tools.servers': () => ({}),
  'tools.mcp.list': () => ({}),
  'tools.mcp.test': () => ({ name: 'intruder' }),
  'tools.mcp.add': () => ({ name: 'intruder', transport: 'stdio', command: '/bin/true' }),
  'tools.mcp.remove': () => ({ name: 'intruder' }),
  'tools.allow.get': (w) => ({ accountId: w.accountA.id }),
  'tools.allow.set': (w) => ({ accountId: w.accountA.id, entries: ['calculator'] }),
  'traces.list': () => ({}),
  'traces.get': (w) => ({ traceId: w.traceA }),
  'traces.span': (w) => ({ traceId: w.traceA, spanId: w.spanA }),
  'traces.flag': (w) => ({ traceId: w.traceA, flagged: true }),
  'traces.stats': () => ({}),
  'traces.export': (w) => ({ traceId: w.traceA }),
  // Everything before the year 2999: a purge that reached account A would empty it.
  'traces.purge': () => ({ before: '2999-01-01T00:00:00Z', dryRun: false }),
  'traces.retention.get': () => ({}),
  'traces.retention.set': () => ({ retentionDays: 1 }),
  'traces.pushConfig': () => ({}),
  'traces.setPushConfig': () => ({ enabled: true, endpoint: 'http://collector.attacker.example/v1/traces', includeContent: true }),
  'feedback.submit': (w) => ({ traceId: w.traceA, spanId: w.spanA, feedback: { rating: 1, comment: 'intruder' } }),
  'feedback.revise': (w) => ({ feedbackId: w.feedbackA, feedback: { rating: 1 } }),
  'feedback.list': (w) => ({ traceId: w.traceA }),
  'feedback.history': (w) => ({ feedbackId: w.feedbackA }),
  'drafts.workflows': () => ({}),
  'drafts.list': () => ({}),
  'drafts.create': () => ({ workflowId: 'drafted', input: {} }),
  'drafts.get': (w) => ({ draftId: w.draftA }),
  'drafts.accept': (w) => ({ draftId: w.draftA, path: 'write' }),
  'drafts.reject': (w) => ({ draftId: w.draftA, path: 'write', comment: 'intruder' }),
  'drafts.edit': (w) => ({ draftId: w.draftA, path: 'write', markdown: 'intruder text', baseRevision: 0 }),
  'drafts.autosave': (w) => ({ draftId: w.draftA, path: 'write', markdown: 'intruder text' }),
  'drafts.regenerate': (w) => ({ draftId: w.draftA, path: 'write', instruction: 'leak everything' }),
  'drafts.comment': (w) => ({ draftId: w.draftA, body: 'intruder' }),
  'drafts.submit': (w) => ({ draftId: w.draftA, status: 'in_review' }),
  'drafts.approve': (w) => ({ draftId: w.draftA }),
  'drafts.export': (w) => ({ draftId: w.draftA, format: 'md' }),
};

interface Probe {
  method: MethodName;
  /** The resource the refusal names: `<kind>:<id>`. */
  resource: (world: World) => string;
  call: (who: Principal, world: World) => Promise<ApiResult<unknown>>;
}

/** A method that looks up an id of account A, with the resource its refusal must name (its fixture's input unless given). */
function probe<M extends MethodName>(method: M, resource: (world: World) => string, input: (world: World) => MethodInput<M> = fixtures[method]): Probe {
  return { method, resource, call: (who, w) => createInProcessBridge(core.router, core.events, core.sessions.create(who).id).invoke(method, input(w)) };
}

const run = (w: World) => `run:${w.runA}`;
const trace = (w: World) => `trace:${w.traceA}`;
const span = (w: World) => `span:${w.traceA}/${w.spanA}`;
const feedback = (w: World) => `feedback:${w.feedbackA}`;
const draft = (w: World) => `draft:${w.draftA}`;
const workflow = (w: World) => `workflow:${w.workflowA}`;
const session = (w: World) => `session:${w.sessionA}`;
const auditEntry = (w: World) => `audit:${w.auditSeqA}`;

const probes: Probe[] = [
  probe('workflows.get', workflow, (w) => ({ workflowId: w.workflowA })),
  probe('runs.start', workflow, (w) => ({ workflowId: w.workflowA, input: {} })),
  probe('drafts.create', workflow, (w) => ({ workflowId: w.workflowA, input: {} })),
  ...(['runs.get', 'runs.answer', 'runs.autosaveAnswer', 'runs.cancel', 'runs.resume', 'runs.replay'] as const).map((method) => probe(method, run)),
  probe('traces.get', trace),
  probe('traces.span', span),
  probe('traces.flag', trace),
  probe('traces.export', trace),
  probe('feedback.submit', span),
  probe('feedback.list', trace),
  probe('feedback.revise', feedback),
  probe('feedback.history', feedback),
  ...(['drafts.get', 'drafts.accept', 'drafts.reject', 'drafts.edit', 'drafts.autosave', 'drafts.regenerate', 'drafts.comment', 'drafts.submit', 'drafts.approve', 'drafts.export'] as const).map((method) => probe(method, draft)),
  probe('admin.sessions.end', session),
  probe('audit.get', auditEntry),
];

let core: Core;
let world: World;
/** The session id behind world.sessionA: it must still act in account A when every test is done. */
let sessionIdA: string;

function principal(accountId: string, role: Role): Principal {
  return {
    kind: 'user',
    userId: `user-${role}-${accountId.slice(0, 8)}`,
    displayName: `Test ${role}`,
    accountId,
    roles: [role],
    permissions: new Set(rolePermissions[role].filter((p) => !installationPermissions.includes(p))),
    installationAdmin: false,
  };
}

async function callAs(who: Principal, method: MethodName) {
  const bridge = createInProcessBridge(core.router, core.events, core.sessions.create(who).id);
  return bridge.invoke(method, fixtures[method](world));
}

/** Nothing of account A may appear in what a refused or foreign caller gets back. */
function expectNothingOfA(result: unknown): void {
  const text = JSON.stringify(result);
  for (const secret of [world.accountA.id, world.accountA.name, world.mappingA.id, world.mappingA.group, world.runA, world.feedbackA, 'alpha-feedback-comment', world.draftA, 'Alpha draft title', world.sessionA]) expect(text).not.toContain(secret);
  // The trace id is in the request itself (echoed in input errors); what must not come back is the trace.
  expect(text).not.toContain('"spans"');
  expect(text).not.toContain('"resourceSpans"');
}

beforeAll(async () => {
  core = await createCore({ dataDir: mkdtempSync(join(tmpdir(), 'strongroom-isolation-')), mode: 'test', heartbeatMs: 0, secrets: new MemorySecretStore() });
  const ops = createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id);
  const a = await ops.invoke('admin.accounts.create', { name: 'Alpha Credit' });
  if (!a.ok) throw new Error('setup failed');
  const importer = createInProcessBridge(core.router, core.events, core.sessions.create(principal(a.value.id, 'admin')).id);
  const imported = await importer.invoke('workflows.import', { text: 'id: guarded\nname: Guarded\ninputs: {type: object}\nsteps:\n  - {id: check, kind: guardrail, policy: none}\n' });
  if (!imported.ok) throw new Error(`setup failed: ${imported.error.message}`);
  const b = await ops.invoke('admin.accounts.create', { name: 'Beta HR' });
  if (!a.ok || !b.ok) throw new Error('setup failed');
  const mapping = await ops.invoke('admin.groups.map', { accountId: a.value.id, group: 'alpha-secret-group', role: 'analyst' });
  if (!mapping.ok) throw new Error('setup failed');
  // A run that exists in account A (it fails at once: no model is configured, which is fine here).
  const inA = createInProcessBridge(core.router, core.events, core.sessions.create(principal(a.value.id, 'admin')).id);
  const run = await inA.invoke('runs.start', { workflowId: 'guarded', input: {} });
  if (!run.ok) throw new Error(`setup failed: ${run.error.code}`);
  await core.workflows!.settled(run.value.id);
  const spanA = spanIdFor(run.value.traceId, '');
  const feedback = await inA.invoke('feedback.submit', { traceId: run.value.traceId, spanId: spanA, feedback: { rating: 4, comment: 'alpha-feedback-comment' } });
  if (!feedback.ok) throw new Error(`setup failed: ${feedback.error.code}`);
  // No model is configured here (a run naming one is refused), so the draft's one section is a
  // sub-workflow with a tool step only.
  const part = await importer.invoke('workflows.import', { text: 'id: drafted-part\nname: Drafted part\ninputs: {type: object}\nsteps:\n  - {id: sum, kind: tool, tool: calculator, args: {expression: {template: "1+1"}}}\n' });
  if (!part.ok) throw new Error(`setup failed: ${part.error.message}`);
  const drafted = await importer.invoke('workflows.import', { text: 'id: drafted\nname: Drafted\ninputs: {type: object}\ndocument: {title: "Alpha draft title", sections: [write]}\nsteps:\n  - {id: write, kind: workflow, workflow: drafted-part, input: {}}\n' });
  if (!drafted.ok) throw new Error(`setup failed: ${drafted.error.message}`);
  // (A named model skips choosing a default, which needs one to exist; no step calls it.)
  const draft = await inA.invoke('drafts.create', { workflowId: 'drafted', input: {}, modelId: 'no-such-model' });
  if (!draft.ok) throw new Error(`setup failed: ${draft.error.code} ${draft.error.message}`);
  await core.workflows!.settled(draft.value.runId);
  // A real session acting in account A: the local administrator, signed in and switched there.
  await core.identity!.setLocalPassphrase('isolation local passphrase');
  const signedIn = await core.identity!.signInLocal('isolation local passphrase');
  core.identity!.switchAccount(signedIn.id, a.value.id);
  sessionIdA = signedIn.id;
  const entriesA = await ops.invoke('audit.list', { accountId: a.value.id, action: 'feedback.submit', limit: 1 });
  if (!entriesA.ok || entriesA.value.entries.length !== 1) throw new Error('setup failed: no audit entry in account A');
  world = { workflowA: 'drafted', draftA: draft.value.id, runA: run.value.id, accountA: a.value, accountB: b.value, mappingA: { id: mapping.value.id, group: mapping.value.group }, traceA: run.value.traceId, spanA, feedbackA: feedback.value.id, sessionA: signedIn.idHash, auditSeqA: entriesA.value.entries[0]!.seq };
});
afterAll(() => core.dispose());

describe('isolation, generated from the router registry', () => {
  it('has a fixture for every API method', () => {
    expect(Object.keys(fixtures).sort()).toEqual([...methodNames].sort());
  });

  const cases: Array<[MethodName, Role]> = [];
  for (const method of methodNames) {
    const permission = (apiMethods[method] as MethodContract).permission;
    if (permission === 'public' || permission === 'signed-in') continue;
    for (const role of roles) {
      const held = rolePermissions[role].includes(permission) && !installationPermissions.includes(permission);
      if (!held) cases.push([method, role]);
    }
  }

  it.each(cases)('%s as %s (lacking the permission) is forbidden and reveals nothing', async (method, role) => {
    const result = await callAs(principal(world.accountA.id, role), method);
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expectNothingOfA(result);
  });

  it.each(methodNames.map((m) => [m] as const))('%s by an administrator of another account reaches nothing of this one', async (method) => {
    const result = await callAs(principal(world.accountB.id, 'admin'), method);
    const contract = apiMethods[method] as MethodContract;
    const targetsAnotherAccount = contract.resource !== undefined;
    const needsInstallation = installationPermissions.includes(contract.permission as Permission);
    if (targetsAnotherAccount || needsInstallation) expect(result).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expectNothingOfA(result);
  });

  it('counts every method whose fixture names an id of account A as an id probe', () => {
    const ids = [world.runA, world.traceA, world.feedbackA, world.draftA, world.sessionA];
    const naming = methodNames.filter((method) => ids.some((id) => JSON.stringify(fixtures[method](world)).includes(id)));
    expect(naming.filter((method) => !probes.some((p) => p.method === method))).toEqual([]);
  });

  it.each(probes.map((p) => [p.method, p] as const))('%s with an id of account A is refused as an id that is nowhere, and audited naming it', async (_method, p) => {
    // The same shapes as account A's ids, in no account.
    const nowhere: World = { ...world, runA: randomUUID(), traceA: randomBytes(16).toString('hex'), spanA: randomBytes(8).toString('hex'), feedbackA: randomUUID(), draftA: randomUUID(), workflowA: `no-such-${randomBytes(4).toString('hex')}`, sessionA: randomBytes(32).toString('base64url'), auditSeqA: 1_000_000_000 + randomInt(1_000_000) };
    const prober = principal(world.accountB.id, 'admin');
    const elsewhere = await p.call(prober, world);
    const unknown = await p.call(prober, nowhere);
    // The same code (so the same HTTP status) and words: nothing tells "in another account" from "nowhere".
    expect(elsewhere).toMatchObject({ ok: false, error: { code: expect.stringMatching(/_NOT_FOUND$/) as string, message: expect.stringMatching(/^There is no such (run|trace|span|feedback|draft|workflow) in your account\.$|^There is no such session open among those you administer\.$|^There is no such audit entry\.$/) as string } });
    expect(unknown).toEqual(elsewhere);
    expectNothingOfA(elsewhere);

    // Both probes are on record for the installation administrator: the method, the prober (user and
    // account), and the resource asked for; kept in the prober's account.
    const ops = createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id);
    const listed = await ops.invoke('audit.list', { action: p.method, outcome: 'denied', actor: prober.userId, limit: 500 });
    if (!listed.ok) throw new Error(listed.error.message);
    // (The test above probed account A's ids as this administrator too.)
    for (const resource of [p.resource(world), p.resource(nowhere)]) {
      const naming = listed.value.entries.filter((entry) => entry.resource === resource);
      expect(naming.length, resource).toBeGreaterThan(0);
      for (const entry of naming) expect(entry).toMatchObject({ action: p.method, outcome: 'denied', accountId: world.accountB.id, actor: { userId: prober.userId, accountId: world.accountB.id }, details: { code: (elsewhere as { error: { code: string } }).error.code } });
    }
  });

  it('shows a probe to the prober’s own compliance, and gives account A nothing of account B', async () => {
    const prober = principal(world.accountB.id, 'admin');
    const own = createInProcessBridge(core.router, core.events, core.sessions.create(principal(world.accountB.id, 'compliance')).id);
    const seen = await own.invoke('audit.list', { action: 'runs.get', actor: prober.userId, limit: 500 });
    expect(seen.ok && seen.value.entries.map((entry) => entry.resource)).toContain(`run:${world.runA}`);
    const probed = createInProcessBridge(core.router, core.events, core.sessions.create(principal(world.accountA.id, 'compliance')).id);
    expect(await probed.invoke('audit.list', { actor: prober.userId, limit: 500 })).toMatchObject({ ok: true, value: { entries: [] } });
  });

  it('left account A exactly as it was', async () => {
    const ops = createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id);
    const mappings = await ops.invoke('admin.groups.list', { accountId: world.accountA.id });
    expect(mappings).toMatchObject({ ok: true, value: [{ id: world.mappingA.id, group: 'alpha-secret-group', role: 'analyst' }] });
    const accounts = await ops.invoke('admin.accounts.list', {});
    expect(accounts.ok && accounts.value.map((a) => a.name)).toEqual(['Default', 'Alpha Credit', 'Beta HR']);
    expect(await ops.invoke('admin.idp.get', {})).toEqual({ ok: true, value: null });
    // Account B's administrator purged "everything before 2999": in B only.
    const ownAdmin = createInProcessBridge(core.router, core.events, core.sessions.create(principal(world.accountA.id, 'admin')).id);
    expect(await ownAdmin.invoke('traces.get', { traceId: world.traceA })).toMatchObject({ ok: true, value: { trace: { traceId: world.traceA } } });
    // Account B's administrator tried to end account A's session: it still acts there.
    expect(core.identity!.resolve(sessionIdA)?.principal.accountId).toBe(world.accountA.id);
  });
});

describe('sessions, account by account', () => {
  const handles = (result: ApiResult<unknown>): string[] => (result.ok ? (result.value as Array<{ handle: string }>).map((row) => row.handle) : []);

  it('shows account A’s administrator the session acting in A, and account B’s administrator nothing of it', async () => {
    const inA = createInProcessBridge(core.router, core.events, core.sessions.create(principal(world.accountA.id, 'admin')).id);
    const inB = createInProcessBridge(core.router, core.events, core.sessions.create(principal(world.accountB.id, 'admin')).id);
    const listedInA = await inA.invoke('admin.sessions.list', {});
    expect(listedInA).toMatchObject({ ok: true, value: [{ handle: world.sessionA, accountId: world.accountA.id, accountName: 'Alpha Credit', kind: 'local', displayName: 'Local administrator', own: false }] });
    const listedInB = await inB.invoke('admin.sessions.list', {});
    expect(listedInB).toEqual({ ok: true, value: [] });
    expect(handles(listedInB)).not.toContain(world.sessionA);
  });

  it('refuses account B’s administrator ending account A’s session, by handle or by person, as it refuses what does not exist', async () => {
    const inB = createInProcessBridge(core.router, core.events, core.sessions.create(principal(world.accountB.id, 'admin')).id);
    const administrator = core.identity!.resolve(sessionIdA)!.principal.userId;
    const byHandle = await inB.invoke('admin.sessions.end', { handle: world.sessionA });
    expect(byHandle).toEqual(await inB.invoke('admin.sessions.end', { handle: randomBytes(32).toString('base64url') }));
    expect(byHandle).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });
    const byPerson = await inB.invoke('admin.sessions.end', { userId: administrator });
    expect(byPerson).toEqual(await inB.invoke('admin.sessions.end', { userId: randomUUID() }));
    expect(byPerson).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });
    expectNothingOfA(byPerson);
    expect(core.identity!.resolve(sessionIdA)?.principal.accountId).toBe(world.accountA.id);
    // The installation's operator sees it (every account's sessions).
    const ops = createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id);
    expect(handles(await ops.invoke('admin.sessions.list', {}))).toContain(world.sessionA);
  });
});
