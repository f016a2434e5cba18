import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBridge, localOperator } from '../../api/index.ts';
import type { Principal } from '../../api/index.ts';
import { installationPermissions, rolePermissions } from '../../contracts/index.ts';
import type { MethodInput, MethodName, MethodOutput, Role, StrongroomBridge } from '../../contracts/index.ts';
import { createCore } from '../../createCore.ts';
import type { Core } from '../../createCore.ts';
import { MemorySecretStore } from '../../secrets/index.ts';
import { instantModel } from '../testing/instantModel.ts';
import { mcpTokenSecretName, sealedToolResults } from './config.ts';
import { startHttpTestServer } from './testing/mcpTestServer.ts';

// MCP servers configured by the operator, allow-listed per account: account A (allowed
// `sanctions.*`) sees and runs the server's tool; account B sees only the built-ins and its run
// fails with tool-not-allowed; every change is audited; a bearer token never leaves the SecretStore.

const token = 'tok-7f3a9c1e-never-in-the-database';
const secrets = new MemorySecretStore();
let core: Core;
let dataDir: string;
let operator: StrongroomBridge;
let accountA: string;
let accountB: string;

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

function bridgeFor(who: Principal): StrongroomBridge {
  return createInProcessBridge(core.router, core.events, core.sessions.create(who).id);
}

async function ok<M extends MethodName>(bridge: StrongroomBridge, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const result = await bridge.invoke(method, input);
  if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
  return result.value;
}

async function finishedRun(bridge: StrongroomBridge, workflowId: string) {
  const started = await ok(bridge, 'runs.start', { workflowId, input: {} });
  let run = await ok(bridge, 'runs.get', { runId: started.id });
  for (let i = 0; i < 500 && run.status === 'running'; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    run = await ok(bridge, 'runs.get', { runId: started.id });
  }
  return run;
}

beforeAll(async () => {
  const shipped = mkdtempSync(join(tmpdir(), 'strongroom-tools-config-flows-'));
  writeFileSync(join(shipped, 'screen.yaml'), `id: screen
name: Screen a name
inputs: {type: object}
steps:
  - {id: screen, kind: tool, tool: sanctions.sanctions_screen, args: {name: {value: "Ivan Petrenko"}}}
`);
  writeFileSync(join(shipped, 'book.yaml'), `id: book
name: Book a transfer
inputs: {type: object}
steps:
  - {id: book, kind: tool, tool: sanctions.transfer, args: {reference: {value: "R-1"}, amount: {value: 10}}}
`);
  writeFileSync(join(shipped, 'remote-screen.yaml'), `id: remote-screen
name: Screen a name on the bank's MCP server
inputs: {type: object}
steps:
  - {id: screen, kind: tool, tool: remote.sanctions_screen, args: {name: {value: "Acme Shell Holdings"}}}
`);
  writeFileSync(join(shipped, 'down-lookup.yaml'), `id: down-lookup
name: Look up on a server that cannot start
inputs: {type: object}
steps:
  - {id: lookup, kind: tool, tool: down.lookup, args: {name: {value: "Ivan Petrenko"}}}
`);
  dataDir = mkdtempSync(join(tmpdir(), 'strongroom-tools-config-'));
  core = await createCore({ dataDir, mode: 'test', heartbeatMs: 0, secrets, shippedWorkflowsDir: shipped, models: () => instantModel(), mcp: { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } } });
  operator = bridgeFor(localOperator());
  accountA = (await ok(operator, 'admin.accounts.create', { name: 'Alpha Credit' })).id;
  accountB = (await ok(operator, 'admin.accounts.create', { name: 'Beta HR' })).id;
  await ok(operator, 'tools.mcp.add', { name: 'sanctions', transport: 'stdio', command: process.execPath, args: [join(import.meta.dirname, 'testing', 'stdioTestServer.ts')] });
});
afterAll(() => core.dispose());

describe('MCP servers allow-listed per account', () => {
  it('keeps MCP tools invisible until an account allows them; built-ins are always there', async () => {
    const tools = await ok(bridgeFor(principal(accountA, 'analyst')), 'tools.list', {});
    expect(tools.map((tool) => tool.name).sort()).toEqual(['calculator', 'customer_lookup', 'date_math']);
    expect(tools.every((tool) => tool.source === 'builtin' && !tool.sideEffects)).toBe(true);
  });

  it('lets account A, allowed sanctions.*, see the server tools and run one in a workflow', async () => {
    const admin = bridgeFor(principal(accountA, 'admin'));
    expect(await ok(admin, 'tools.allow.set', { accountId: accountA, entries: ['sanctions.*'] })).toEqual({ accountId: accountA, entries: ['sanctions.*'] });
    expect(await ok(admin, 'tools.allow.get', { accountId: accountA })).toEqual({ accountId: accountA, entries: ['sanctions.*'] });
    // tools.mcp.add tried the server once; the run uses it as it finds it (a stand-in connects it on call if not).
    const analyst = bridgeFor(principal(accountA, 'analyst'));
    const run = await finishedRun(analyst, 'screen');
    expect(run.status, run.errorMessage ?? '').toBe('completed');
    expect(run.steps.find((step) => step.path === 'screen')?.output).toMatchObject({ structuredContent: { hits: [{ entryId: 'SYN-0001' }] } });
    const tools = await ok(analyst, 'tools.list', {});
    expect(tools.find((tool) => tool.name === 'sanctions.sanctions_screen')).toMatchObject({ source: 'sanctions', sideEffects: false, description: expect.stringMatching(/sanctions list/) as string });
    expect(tools.find((tool) => tool.name === 'sanctions.transfer')).toMatchObject({ source: 'sanctions', sideEffects: true });
    // Connected now: a second run uses the listed tool directly.
    expect((await finishedRun(analyst, 'screen')).status).toBe('completed');
  });

  it('keeps them from account B: not listed, and a run naming one fails with tool-not-allowed', async () => {
    const analyst = bridgeFor(principal(accountB, 'analyst'));
    const tools = await ok(analyst, 'tools.list', {});
    expect(tools.map((tool) => tool.name).sort()).toEqual(['calculator', 'customer_lookup', 'date_math']);
    const run = await finishedRun(analyst, 'screen');
    expect(run.status).toBe('failed');
    expect(run.errorCode).toBe('ERR_WORKFLOW_STEP_FAILED');
    expect(run.errorMessage).toMatch(/sanctions\.sanctions_screen" does not exist or is not allowed/);
    expect(await ok(bridgeFor(principal(accountB, 'admin')), 'tools.allow.get', { accountId: accountB })).toEqual({ accountId: accountB, entries: [] });
  });

  it('refuses allow-list entries naming an unknown server or tool, and changes by another account', async () => {
    const admin = bridgeFor(principal(accountB, 'admin'));
    expect(await admin.invoke('tools.allow.set', { accountId: accountB, entries: ['nowhere.*'] })).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
    expect(await admin.invoke('tools.allow.set', { accountId: accountB, entries: ['no_such_tool'] })).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
    expect(await admin.invoke('tools.allow.set', { accountId: accountA, entries: [] })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(await bridgeFor(principal(accountA, 'analyst')).invoke('tools.allow.set', { accountId: accountA, entries: [] })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(await admin.invoke('tools.mcp.add', { name: 'rogue', transport: 'stdio', command: '/bin/true' })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
  });

  it('keeps a bearer token in the SecretStore only: never in API output, the audit log or the database', async () => {
    const added = await ok(operator, 'tools.mcp.add', { name: 'bankmcp', transport: 'http', url: 'https://mcp.bank.example/mcp', token });
    expect(added).toMatchObject({ name: 'bankmcp', transport: 'http', url: 'https://mcp.bank.example/mcp', hasToken: true });
    const listed = await operator.invoke('tools.mcp.list', {});
    expect(listed).toMatchObject({ ok: true, value: [{ name: 'bankmcp', hasToken: true }, { name: 'sanctions', transport: 'stdio', hasToken: false }] });
    expect(JSON.stringify([added, listed])).not.toContain(token);
    expect(await secrets.get(mcpTokenSecretName(core.storage!.installationId, 'bankmcp'))).toBe(token);
    // A token over plain http to another host is refused before anything is stored.
    expect(await operator.invoke('tools.mcp.add', { name: 'plain', transport: 'http', url: 'http://mcp.bank.example/mcp', token })).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
    expect(await secrets.get(mcpTokenSecretName(core.storage!.installationId, 'plain'))).toBeNull();
    const db = core.storage!.db;
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of readdirSync(dataDir)) {
      if (file.startsWith('strongroom.db')) expect(readFileSync(join(dataDir, file)).includes(token)).toBe(false);
    }
    await ok(operator, 'tools.mcp.remove', { name: 'bankmcp' });
    expect(await secrets.get(mcpTokenSecretName(core.storage!.installationId, 'bankmcp'))).toBeNull();
  });

  it('audits every change', () => {
    // Configuration changes (tool calls a run made are audited as tools.call: see below).
    const rows = core.storage!.db.prepare<[], { action: string; outcome: string; account_id: string | null; details: string }>("SELECT action, outcome, account_id, details FROM audit_log WHERE action LIKE 'tools.%' AND action <> 'tools.call' ORDER BY seq").all();
    expect(rows.filter((row) => row.outcome === 'success').map((row) => row.action)).toEqual(['tools.mcp.add', 'tools.allow.set', 'tools.mcp.add', 'tools.mcp.remove']);
    // The refused attempts are there too (the router records denials).
    expect(rows.filter((row) => row.outcome === 'denied').map((row) => row.action)).toEqual(['tools.allow.set', 'tools.allow.set', 'tools.mcp.add']);
    expect(rows.find((row) => row.action === 'tools.allow.set' && row.account_id === accountA)?.details).toContain('sanctions.*');
    expect(rows.map((row) => row.details).join('\n')).not.toContain(token);
  });

  it('records a side-effecting call in the ledger, its answer sealed under the account key', async () => {
    const run = await finishedRun(bridgeFor(principal(accountA, 'analyst')), 'book');
    expect(run.status, run.errorMessage ?? '').toBe('completed');
    const rows = core.storage!.db.prepare<[], { idempotency_key: string; account_id: string; tool: string; result: Uint8Array }>('SELECT idempotency_key, account_id, tool, result FROM tool_calls').all();
    expect(rows).toEqual([{ idempotency_key: `${run.id}:book`, account_id: accountA, tool: 'sanctions.transfer', result: expect.any(Uint8Array) as Uint8Array }]);
    const row = rows[0]!;
    expect(Buffer.from(row.result).toString('latin1')).not.toContain('transferNumber');
    // The call is audited too: which run of which account called which tool (never its arguments or answer).
    const audited = core.storage!.db.prepare<[string], { account_id: string; resource: string; outcome: string; details: string }>("SELECT account_id, resource, outcome, details FROM audit_log WHERE action = 'tools.call' AND details LIKE '%' || ? || '%'").all(run.id);
    expect(audited).toEqual([expect.objectContaining({ account_id: accountA, resource: 'tool:sanctions.transfer', outcome: 'success' })]);
    expect(audited[0]!.details).not.toContain('transferNumber');
    const ref = { accountId: accountA, idempotencyKey: row.idempotency_key, tool: row.tool };
    expect(JSON.parse(sealedToolResults(core.storage!).decode(ref, row.result))).toMatchObject({ ok: true, value: { structuredContent: { transferNumber: 1 } } });
    // Bound to its account: opening it as another account's value fails.
    expect(() => sealedToolResults(core.storage!).decode({ ...ref, accountId: accountB }, row.result)).toThrow();
  });

  it('removing a server drops its allow-list entries, so its tools disappear at once', async () => {
    await ok(operator, 'tools.mcp.remove', { name: 'sanctions' });
    expect(await ok(bridgeFor(principal(accountA, 'admin')), 'tools.allow.get', { accountId: accountA })).toEqual({ accountId: accountA, entries: [] });
    const tools = await ok(bridgeFor(principal(accountA, 'analyst')), 'tools.list', {});
    expect(tools.map((tool) => tool.name).sort()).toEqual(['calculator', 'customer_lookup', 'date_math']);
    expect(await operator.invoke('tools.mcp.remove', { name: 'sanctions' })).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });
  });

  it('runs a tool of a streamable-HTTP server added through the API, sending the token from the SecretStore', async () => {
    const server = await startHttpTestServer({ token: 'http-token-1' });
    try {
      await ok(operator, 'tools.mcp.add', { name: 'remote', transport: 'http', url: server.url, token: 'http-token-1' });
      await ok(bridgeFor(principal(accountA, 'admin')), 'tools.allow.set', { accountId: accountA, entries: ['remote.sanctions_screen'] });
      const run = await finishedRun(bridgeFor(principal(accountA, 'analyst')), 'remote-screen');
      expect(run.status, run.errorMessage ?? '').toBe('completed');
      expect(run.steps.find((step) => step.path === 'screen')?.output).toMatchObject({ structuredContent: { hits: [{ entryId: 'SYN-0002' }] } });
      expect(new Set(server.state.authorizations)).toEqual(new Set(['Bearer http-token-1']));
      // Account B was not allowed the server: its run is refused without a request reaching it.
      const before = server.state.authorizations.length;
      expect((await finishedRun(bridgeFor(principal(accountB, 'analyst')), 'remote-screen')).status).toBe('failed');
      expect(server.state.authorizations.length).toBe(before);
    } finally {
      await ok(operator, 'tools.mcp.remove', { name: 'remote' });
      await server.stop();
    }
  });
});

describe('MCP server status', () => {
  const testServer = [join(import.meta.dirname, 'testing', 'stdioTestServer.ts')];

  it('adds a server that cannot start, saying why (no path), and keeps it', async () => {
    const added = await ok(operator, 'tools.mcp.add', { name: 'down', transport: 'stdio', command: '/opt/nope/sanctions-mcp' });
    expect(added).toMatchObject({ name: 'down', command: '/opt/nope/sanctions-mcp', status: { state: 'failed', reason: 'command_not_found', message: 'Its command was not found on this machine.', tools: null } });
    expect(added.status.message).not.toContain('/opt/nope');
    const listed = await ok(operator, 'tools.mcp.list', {});
    expect(listed.find((server) => server.name === 'down')?.status).toMatchObject({ state: 'failed', reason: 'command_not_found' });
    // Tried again on request: still down.
    expect(await ok(operator, 'tools.mcp.test', { name: 'down' })).toMatchObject({ name: 'down', status: { state: 'failed', reason: 'command_not_found' } });
    expect(await operator.invoke('tools.mcp.test', { name: 'nowhere' })).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });
  });

  it('adds a server that starts as connected, with its number of tools', async () => {
    const added = await ok(operator, 'tools.mcp.add', { name: 'screening', transport: 'stdio', command: process.execPath, args: testServer });
    expect(added.status).toMatchObject({ state: 'connected', tools: 8, reason: null, message: null });
  });

  it("tells an account which of its allowed servers are down, instead of listing nothing", async () => {
    await ok(bridgeFor(principal(accountB, 'admin')), 'tools.allow.set', { accountId: accountB, entries: ['down.*', 'screening.sanctions_screen'] });
    const analyst = bridgeFor(principal(accountB, 'analyst'));
    // tools.list has only what is usable: the down server has no tools to show…
    expect((await ok(analyst, 'tools.list', {})).map((tool) => tool.name).sort()).toEqual(['calculator', 'customer_lookup', 'date_math', 'screening.sanctions_screen']);
    // …and tools.servers says why, per server the allow-list names.
    const servers = await ok(analyst, 'tools.servers', {});
    expect(servers).toEqual([
      expect.objectContaining({ name: 'down', entries: ['down.*'], state: 'failed', reason: 'command_not_found', tools: null }),
      expect.objectContaining({ name: 'screening', entries: ['screening.sanctions_screen'], state: 'connected', tools: 8 }),
    ]);
    expect(JSON.stringify(servers)).not.toContain('/opt/nope');
    // "Test connection" on the Tools page: that server afresh (a connected one is asked for its tools again).
    expect((await ok(analyst, 'tools.servers', { test: 'screening' })).map((server) => [server.name, server.state, server.tools])).toEqual([['down', 'failed', null], ['screening', 'connected', 8]]);
    // A run calling the down server's tool fails saying why (through the stand-in, which connects on call).
    const run = await finishedRun(analyst, 'down-lookup');
    expect(run.status).toBe('failed');
    expect(run.errorMessage).toMatch(/MCP server down is unavailable: Its command was not found on this machine/);
    // An account learns nothing of servers it was not allowed.
    expect(await analyst.invoke('tools.servers', { test: 'sanctions' })).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });
    expect(await ok(bridgeFor(principal(accountA, 'analyst')), 'tools.servers', {})).toEqual([]);
    // Trying a server is for installation administrators; an account admin is refused.
    expect(await bridgeFor(principal(accountB, 'admin')).invoke('tools.mcp.test', { name: 'down' })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
  });

  it('never puts a bearer token or the error text in a status', async () => {
    const server = await startHttpTestServer({ token: 'the-right-token' });
    try {
      const added = await ok(operator, 'tools.mcp.add', { name: 'wrongtoken', transport: 'http', url: server.url, token: 'a-wrong-token-4711' });
      expect(added.status).toMatchObject({ state: 'failed', reason: 'unauthorized', httpStatus: 401 });
      expect(JSON.stringify(added)).not.toContain('a-wrong-token-4711');
    } finally {
      await ok(operator, 'tools.mcp.remove', { name: 'wrongtoken' });
      await server.stop();
    }
  });
});
