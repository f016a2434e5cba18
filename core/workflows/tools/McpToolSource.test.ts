import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../storage/index.ts';
import { McpToolSource } from './McpToolSource.ts';
import type { McpToolSourceOptions } from './McpToolSource.ts';
import type { McpToolResult } from './mcpSchemas.ts';
import type { McpStdioServerConfig } from './mcpTransport.ts';
import { startHttpTestServer } from './testing/mcpTestServer.ts';
import type { HttpTestServer } from './testing/mcpTestServer.ts';
import { contextFor, failure } from './testing/helpers.ts';
import { SqliteToolCallLedger } from './ToolCallLedger.ts';

const stdioServer: McpStdioServerConfig = {
  name: 'sanctions',
  transport: 'stdio',
  command: process.execPath,
  args: [join(import.meta.dirname, 'testing', 'stdioTestServer.ts')],
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connected(options: Partial<McpToolSourceOptions> & Pick<McpToolSourceOptions, 'server'>): Promise<McpToolSource> {
  const source = new McpToolSource({ reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ...options });
  cleanups.push(() => source.dispose());
  await source.connect();
  return source;
}

function tool(source: McpToolSource, name: string) {
  const found = source.tools().find((candidate) => candidate.name === `${source.name}.${name}`);
  if (found === undefined) throw new Error(`no tool ${name}`);
  return found;
}

async function call(source: McpToolSource, name: string, input: unknown, context = contextFor()): Promise<Record<string, unknown>> {
  const result = (await tool(source, name).call(input, context)) as McpToolResult;
  return result.structuredContent ?? {};
}

describe('McpToolSource over stdio', () => {
  it('lists the server tools as <server>.<tool>, with schemas and side effects from the annotations', async () => {
    const source = await connected({ server: stdioServer });
    expect(source.state).toBe('connected');
    expect(source.tools().map((entry) => entry.name).sort()).toEqual(
      ['crash', 'env_has', 'fail', 'sanctions_screen', 'slow', 'transfer', 'transfer_count', 'whoami'].map((name) => `sanctions.${name}`),
    );
    const screen = tool(source, 'sanctions_screen');
    expect(screen.description).toMatch(/synthetic sanctions list/);
    expect(screen.sideEffects).toBe(false);
    expect(tool(source, 'transfer').sideEffects).toBe(true);
    expect(screen.input.safeParse({ name: 'Ada' }).success).toBe(true);
    expect(screen.input.safeParse({}).success).toBe(false);
    expect(screen.input.safeParse({ name: 7 }).success).toBe(false);
  });

  it('calls a tool and returns its content and structured content, valid against the output schema', async () => {
    const source = await connected({ server: stdioServer });
    const screen = tool(source, 'sanctions_screen');
    const result = await screen.call({ name: 'Ivan Petrenko' }, contextFor());
    expect(screen.output.parse(result)).toEqual(result);
    expect(result).toMatchObject({ content: [{ type: 'text' }], structuredContent: { hits: [{ entryId: 'SYN-0001' }] } });
    expect(await call(source, 'sanctions_screen', { name: 'Nobody Known' })).toEqual({ hits: [] });
  });

  it('rejects invalid arguments before anything is sent', async () => {
    const source = await connected({ server: stdioServer });
    const error = await failure(tool(source, 'sanctions_screen').call({ name: 42 }, contextFor()));
    expect(error.code).toBe('ERR_TOOL_INPUT_INVALID');
    expect(error.details).toMatchObject({ tool: 'sanctions.sanctions_screen', issues: [{ path: 'name' }] });
  });

  it("turns the tool's error result into ERR_TOOL_FAILED without its text in the message", async () => {
    const source = await connected({ server: stdioServer });
    const error = await failure(tool(source, 'fail').call({}, contextFor()));
    expect(error.code).toBe('ERR_TOOL_FAILED');
    expect(error.details).toMatchObject({ reason: 'tool_error' });
    expect(error.message).not.toContain('synthetic failure');
    expect((error.cause as Error).message).toBe('synthetic failure');
  });

  it('reports a server crash as a typed error and reconnects on the next call', async () => {
    const source = await connected({ server: stdioServer, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    const { pid } = await call(source, 'whoami', {});
    const error = await failure(tool(source, 'crash').call({}, contextFor()));
    expect(error.code).toBe('ERR_TOOL_FAILED');
    expect(error.details).toMatchObject({ reason: 'connection_closed' });
    expect(source.state).toBe('disconnected');
    expect(source.tools().length).toBeGreaterThan(0); // the last list stays visible
    const after = await call(source, 'whoami', {});
    expect(after.pid).not.toBe(pid);
    expect(source.state).toBe('connected');
  });

  it('reconnects in the background after a crash', async () => {
    const source = await connected({ server: stdioServer });
    await failure(tool(source, 'crash').call({}, contextFor()));
    await vi.waitFor(() => expect(source.state).toBe('connected'), { timeout: 10_000, interval: 20 });
  });

  it('times a slow call out with ERR_TOOL_TIMEOUT and keeps the connection', async () => {
    const source = await connected({ server: stdioServer, callTimeoutMs: 200 });
    const error = await failure(tool(source, 'slow').call({ ms: 30_000 }, contextFor()));
    expect(error.code).toBe('ERR_TOOL_TIMEOUT');
    expect(error.details).toMatchObject({ tool: 'sanctions.slow', timeoutMs: 200 });
    expect(await call(source, 'slow', { ms: 0 })).toEqual({ waited: 0 });
  });

  it('cancels a call when the step is aborted', async () => {
    const source = await connected({ server: stdioServer });
    const controller = new AbortController();
    const pending = failure(tool(source, 'slow').call({ ms: 30_000 }, contextFor('account-a', 'run-1:steps[0]', controller.signal)));
    setTimeout(() => controller.abort(), 50);
    expect((await pending).details).toMatchObject({ reason: 'cancelled' });
  });

  it('passes only allow-listed environment variables to the server', async () => {
    vi.stubEnv('STRONGROOM_TEST_ALLOWED', 'yes');
    vi.stubEnv('STRONGROOM_TEST_SECRET', 'do-not-pass');
    cleanups.push(() => vi.unstubAllEnvs());
    const source = await connected({ server: { ...stdioServer, inheritEnv: ['STRONGROOM_TEST_ALLOWED'], env: { STRONGROOM_TEST_SET: '1' } } });
    const { present } = await call(source, 'env_has', { names: ['STRONGROOM_TEST_ALLOWED', 'STRONGROOM_TEST_SECRET', 'STRONGROOM_TEST_SET'] });
    expect(present).toEqual(['STRONGROOM_TEST_ALLOWED', 'STRONGROOM_TEST_SET']);
  });

  it('applies a side-effecting tool once per idempotency key through the ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-mcp-ledger-'));
    const db = openDatabase(join(dir, 'strongroom.db'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => db.close());
    const source = await connected({ server: stdioServer, ledger: new SqliteToolCallLedger({ db }) });
    const first = await call(source, 'transfer', { reference: 'INV-1', amount: 10 }, contextFor('account-a', 'run-7:steps[2]'));
    const again = await call(source, 'transfer', { reference: 'INV-1', amount: 10 }, contextFor('account-a', 'run-7:steps[2]'));
    expect(again).toEqual(first);
    expect(await call(source, 'transfer_count', {})).toEqual({ count: 1 });
    await call(source, 'transfer', { reference: 'INV-2', amount: 10 }, contextFor('account-a', 'run-7:steps[3]'));
    expect(await call(source, 'transfer_count', {})).toEqual({ count: 2 });
  });

  it('fails to connect to a server that cannot start, with a typed error', async () => {
    const source = new McpToolSource({ server: { ...stdioServer, args: [join(import.meta.dirname, 'testing', 'missing.ts')] }, connectTimeoutMs: 5_000 });
    cleanups.push(() => source.dispose());
    const error = await failure(source.connect());
    expect(error.code).toBe('ERR_TOOL_FAILED');
    expect(error.details).toMatchObject({ reason: 'unavailable' });
    expect(source.tools()).toEqual([]);
  });

  it('says why a server could not start, naming no path, and a probe alone does not keep retrying', async () => {
    let clock = 1_000;
    const missing = new McpToolSource({ server: { name: 'sanctions', transport: 'stdio', command: '/opt/nope/sanctions-mcp' }, reconnect: { initialDelayMs: 20, maxDelayMs: 20 }, now: () => (clock += 1) });
    cleanups.push(() => missing.dispose());
    expect(missing.status()).toEqual({ state: 'not_tried', tools: null, reason: null, httpStatus: null, message: null, checkedAt: null });
    const status = await missing.probe();
    expect(status).toMatchObject({ state: 'failed', tools: null, reason: 'command_not_found', message: 'Its command was not found on this machine.' });
    expect(JSON.stringify(status)).not.toContain('/opt/nope');
    // Tried once: no background attempts follow a probe (they would move checkedAt on).
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(missing.status()).toEqual(status);
    // A real use does retry, and its error carries the reason too.
    const error = await failure(missing.connect());
    expect(error.details).toMatchObject({ reason: 'unavailable', failure: 'command_not_found' });
    expect(error.message).not.toContain('/opt/nope');
    await vi.waitFor(() => expect(missing.status().checkedAt).not.toBe(status.checkedAt), { timeout: 5_000, interval: 20 });

    const exits = new McpToolSource({ server: { name: 'quitter', transport: 'stdio', command: process.execPath, args: ['-e', ''] } });
    cleanups.push(() => exits.dispose());
    expect(await exits.probe()).toMatchObject({ state: 'failed', reason: 'exited' });
  });

  it('reports a connected server with its number of tools, and a probe asks it again', async () => {
    const source = await connected({ server: stdioServer });
    expect(source.status()).toMatchObject({ state: 'connected', tools: 8, reason: null, message: null, checkedAt: expect.any(String) as string });
    const { pid } = await call(source, 'whoami', {});
    expect(await source.probe()).toMatchObject({ state: 'connected', tools: 8 });
    expect((await call(source, 'whoami', {})).pid).toBe(pid); // the same connection
  });

  it('stops the server process on dispose and refuses calls afterwards', async () => {
    const source = await connected({ server: stdioServer });
    const { pid } = await call(source, 'whoami', {});
    const screen = tool(source, 'sanctions_screen');
    await source.dispose();
    expect(source.tools()).toEqual([]);
    expect((await failure(screen.call({ name: 'x' }, contextFor()))).details).toMatchObject({ reason: 'disposed' });
    await vi.waitFor(() => expect(() => process.kill(pid as number, 0)).toThrow(), { timeout: 5_000 });
  });
});

describe('McpToolSource over streamable HTTP', () => {
  let server: HttpTestServer;
  let token = 'token-1';
  beforeAll(async () => {
    server = await startHttpTestServer({ token: 'token-1' });
  });
  afterAll(() => server.stop());

  const httpSource = (options: Partial<McpToolSourceOptions> = {}) =>
    connected({ server: { name: 'remote', transport: 'http', url: server.url, getBearerToken: async () => token }, ...options });

  it('lists and calls tools, sending the bearer token from the getter on every request', async () => {
    server.state.authorizations.length = 0;
    const source = await httpSource();
    expect(source.tools().map((entry) => entry.name)).toContain('remote.sanctions_screen');
    expect(await call(source, 'sanctions_screen', { name: 'Acme Shell Holdings' })).toMatchObject({ hits: [{ entryId: 'SYN-0002' }] });
    expect(server.state.authorizations.length).toBeGreaterThan(1);
    expect(new Set(server.state.authorizations)).toEqual(new Set(['Bearer token-1']));
    expect((await failure(tool(source, 'sanctions_screen').call({ name: '' }, contextFor()))).code).toBe('ERR_TOOL_INPUT_INVALID');
  });

  it('cannot connect with a wrong token', async () => {
    token = 'wrong';
    cleanups.push(() => (token = 'token-1'));
    const source = new McpToolSource({ server: { name: 'remote', transport: 'http', url: server.url, getBearerToken: async () => token } });
    cleanups.push(() => source.dispose());
    expect((await failure(source.connect())).details).toMatchObject({ reason: 'unavailable' });
  });

  it('says a wrong token was refused, with the HTTP status', async () => {
    const source = new McpToolSource({ server: { name: 'remote', transport: 'http', url: server.url, getBearerToken: async () => 'not-the-token' } });
    cleanups.push(() => source.dispose());
    const status = await source.probe();
    expect(status).toMatchObject({ state: 'failed', reason: 'unauthorized', httpStatus: 401 });
    expect(status.message).toMatch(/HTTP 401.*bearer token/);
    expect(JSON.stringify(status)).not.toContain('not-the-token');
  });

  it('reports a server that went down as a typed error and reconnects once it is back', async () => {
    const source = await httpSource({ reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    await server.stop();
    try {
      // The first call may go out on a pooled keep-alive socket the server just closed: whether
      // it arrived is unknown. Once the connection is dropped, a refused connect is 'unavailable'.
      const first = await failure(tool(source, 'whoami').call({}, contextFor()));
      expect(first.code).toBe('ERR_TOOL_FAILED');
      expect(['transport_error', 'unavailable']).toContain(first.details?.reason);
      expect(source.state).toBe('disconnected');
      const second = await failure(tool(source, 'whoami').call({}, contextFor()));
      expect(second.details).toMatchObject({ reason: 'unavailable', outcome: 'not_applied' });
    } finally {
      await server.start();
    }
    expect(await call(source, 'whoami', {})).toEqual({ pid: process.pid });
    expect(source.state).toBe('connected');
  });

  it('contacts only the configured host, even when redirected', async () => {
    server.state.authorizations.length = 0;
    const redirector = createServer((_request, response) => response.writeHead(307, { location: server.url }).end());
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => redirector.close(resolve)));
    const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/mcp`;
    const source = new McpToolSource({ server: { name: 'redirected', transport: 'http', url, getBearerToken: async () => token }, connectTimeoutMs: 3_000 });
    cleanups.push(() => source.dispose());
    expect((await failure(source.connect())).details).toMatchObject({ reason: 'unavailable' });
    expect(server.state.authorizations).toEqual([]);
  });

  it('refuses a URL with credentials, and a bearer token over plain HTTP off loopback', () => {
    const bad = [
      { name: 'x', transport: 'http' as const, url: 'http://user:pw@127.0.0.1/mcp' },
      { name: 'x', transport: 'http' as const, url: 'http://mcp.bank.internal/mcp', getBearerToken: async () => 't' },
      { name: 'x', transport: 'http' as const, url: 'file:///etc/passwd' },
    ];
    for (const config of bad) expect(() => new McpToolSource({ server: config })).toThrow(RangeError);
    expect(() => new McpToolSource({ server: { ...stdioServer, name: 'Bad.Name' } })).toThrow(RangeError);
  });
});
