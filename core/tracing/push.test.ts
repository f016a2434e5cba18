import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBridge } from '../api/index.ts';
import { rolePermissions } from '../contracts/index.ts';
import type { MethodInput, MethodOutput, OtlpPushStatus } from '../contracts/index.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import type { SecretStore } from '../secrets/index.ts';
/* eslint-disable no-restricted-imports -- the engine's test harness and stand-in model are testing seams meant for other areas' tests, not internals */
import { harness } from '../workflows/testing/harness.ts';
import type { Harness } from '../workflows/testing/harness.ts';
import { instantModel } from '../workflows/testing/instantModel.ts';
/* eslint-enable no-restricted-imports */
import { pushTokenSecretName, spanIdFor } from './index.ts';

// A collector behind a bank's internal CA: certificates made per run with openssl (in Debian's
// base image), as core/models/remote/tls.test.ts makes them for model servers.
let dir = '';
const file = (name: string): string => join(dir, name);
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'ignore' });
};
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-push-tls-'));
  openssl('req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=Strongroom Test Collector CA');
  openssl('req', ...ecKey, '-keyout', file('collector.key'), '-out', file('collector.csr'), '-subj', '/CN=collector');
  writeFileSync(file('collector.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', file('collector.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-out', file('collector.pem'), '-extfile', file('collector.ext'));
  writeFileSync(file('not-a-cert.pem'), 'hello\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Received { path: string | undefined; headers: Record<string, string | string[] | undefined>; body: string }

/** A real HTTPS collector on loopback whose certificate the test CA signed; `answer` sets its status. */
async function collector() {
  const received: Received[] = [];
  const state = { answer: 200 };
  const server: Server = createServer({ key: readFileSync(file('collector.key')), cert: readFileSync(file('collector.pem')) }, (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ path: request.url, headers: request.headers, body });
      response.writeHead(state.answer, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { received, state, endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces` };
}

const cleanups: Array<() => Promise<void>> = [];
const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.core.dispose();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function make(secrets: SecretStore = new MemorySecretStore()) {
  const h = await harness({ model: instantModel(), workflows: {}, secrets });
  open.push(h);
  const api = createInProcessBridge(h.core.router, h.core.events, h.core.sessions.create({ kind: 'local-admin', userId: 'local-admin', displayName: 'Local administrator', accountId: h.accountId, roles: ['admin'], permissions: new Set(rolePermissions.admin), installationAdmin: true }).id);
  const admin = {
    async set(input: MethodInput<'traces.setPushConfig'>): Promise<MethodOutput<'traces.setPushConfig'>> {
      const result = await api.invoke('traces.setPushConfig', input);
      if (!result.ok) throw Object.assign(new Error(`${result.error.code}: ${result.error.message}`), { code: result.error.code, details: result.error.details });
      return result.value;
    },
    async status(): Promise<OtlpPushStatus> {
      const result = await api.invoke('traces.pushConfig', {});
      if (!result.ok) throw new Error(result.error.code);
      return result.value.status;
    },
  };
  return { h, admin };
}

/** Records one finished trace through the core's recorder (which hands the written spans to the pusher). */
function recordTrace(h: Harness, marker = 'metadata'): void {
  const traceId = randomBytes(16).toString('hex');
  const startUs = Date.now() * 1000;
  const recorder = h.core.traceRecorder!;
  recorder.openTrace({ accountId: h.accountId, traceId, runId: null, workflowId: 'memo', version: 'f'.repeat(64), modelId: 'instant', userId: 'analyst-1', startUs });
  recorder.record({ accountId: h.accountId, traceId, spanId: spanIdFor(traceId, ''), parentSpanId: null, kind: 'workflow', name: 'memo', path: '', startUs, endUs: startUs + 1000, durationMs: 1, status: 'ok', errorCode: null, errorMessage: null, attributes: { 'strongroom.workflow.id': 'memo' }, input: { marker }, output: null });
  recorder.closeTrace({ accountId: h.accountId, traceId, status: 'completed', endUs: startUs + 1000 });
  recorder.flush();
}

/** Waits (briefly, polling) until the push has tried and its status says so. */
async function settled(admin: { status(): Promise<OtlpPushStatus> }, done: (status: OtlpPushStatus) => boolean): Promise<OtlpPushStatus> {
  for (let i = 0; i < 300; i += 1) {
    const status = await admin.status();
    if (done(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the push did not settle: ${JSON.stringify(await admin.status())}`);
}

describe('the OTLP/HTTP push to a collector behind an internal CA', () => {
  it('is refused over TLS until given the CA file, then pushes with the token from the secret store in its header; the status says what happened', async () => {
    const secrets = new MemorySecretStore();
    const { h, admin } = await make(secrets);
    const { received, state, endpoint } = await collector();
    const token = `collector-token-${randomBytes(8).toString('hex')}`;

    // The public roots do not know the bank's CA: the certificate is refused, nothing arrives.
    await admin.set({ enabled: true, endpoint, includeContent: false });
    recordTrace(h);
    const refused = await settled(admin, (s) => s.failedSpans > 0);
    expect(refused).toMatchObject({ pushedSpans: 0, lastSuccessAt: null, lastFailure: { reason: 'tls' } });
    expect(refused.lastFailure!.message).toMatch(/set a CA file/);
    expect(received).toHaveLength(0);

    // With the CA file and a token: pushed, the token in `authorization` as a bearer token.
    const config = await admin.set({ enabled: true, endpoint, includeContent: false, caFile: file('ca.pem'), token });
    expect(config).toMatchObject({ enabled: true, caFile: file('ca.pem'), tokenHeader: 'authorization', tokenSet: true });
    expect(JSON.stringify(config)).not.toContain(token);
    expect(await secrets.get(pushTokenSecretName(h.core.storage!.installationId))).toBe(token);
    recordTrace(h, 'second');
    const pushed = await settled(admin, (s) => s.pushedSpans > 0);
    expect(pushed.lastSuccessAt).not.toBeNull();
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe('/v1/traces');
    expect(received[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(received[0]!.body).toContain('strongroom.workflow.id');
    expect(received[0]!.body).not.toContain('second'); // metadata only

    // Another header carries the token as it is; changing only the header keeps the token.
    await admin.set({ enabled: true, endpoint, includeContent: false, tokenHeader: 'X-Collector-Token' });
    recordTrace(h);
    await settled(admin, (s) => s.pushedSpans > pushed.pushedSpans);
    expect(received[1]!.headers['x-collector-token']).toBe(token);
    expect(received[1]!.headers.authorization).toBeUndefined();

    // The collector refusing the token is reported with its HTTP status.
    state.answer = 401;
    const before = await admin.status();
    recordTrace(h);
    const unauthorized = await settled(admin, (s) => s.failedSpans > before.failedSpans);
    expect(unauthorized.lastFailure).toMatchObject({ reason: 'http_status', message: expect.stringContaining('HTTP 401') as string });
    expect(unauthorized.lastSuccessAt).not.toBeNull(); // the last success is still told

    // Removing the token: the next push carries none. The token is nowhere in the database or the audit log.
    state.answer = 200;
    expect(await admin.set({ enabled: true, endpoint, includeContent: false, token: null })).toMatchObject({ tokenSet: false });
    expect(await secrets.get(pushTokenSecretName(h.core.storage!.installationId))).toBeNull();
    const beforeRemoval = (await admin.status()).pushedSpans;
    recordTrace(h);
    await settled(admin, (s) => s.pushedSpans > beforeRemoval);
    expect(received.at(-1)!.headers['x-collector-token']).toBeUndefined();
    const audit = h.core.storage!.db.prepare("SELECT json_extract(details, '$.token') AS token, json_extract(details, '$.caFile') AS caFile FROM audit_log WHERE action = 'traces.setPushConfig' AND details IS NOT NULL ORDER BY seq").all();
    expect(audit).toEqual([{ token: 'unchanged', caFile: null }, { token: 'set', caFile: file('ca.pem') }, { token: 'unchanged', caFile: file('ca.pem') }, { token: 'removed', caFile: file('ca.pem') }]);
    const dataDir = h.core.config.dataDir;
    await h.core.dispose();
    open.splice(0);
    for (const name of readdirSync(dataDir)) expect(readFileSync(join(dataDir, name)).includes(Buffer.from(token)), name).toBe(false);
  });

  it('reports a CA file that cannot be used and a collector that cannot be reached', async () => {
    const { h, admin } = await make();
    const { endpoint } = await collector();
    await admin.set({ enabled: true, endpoint, includeContent: false, caFile: file('ca.pem') });
    // The CA file is checked when it is set; one that disappears later is reported by the push.
    const moved = join(dir, 'moved-ca.pem');
    writeFileSync(moved, readFileSync(file('ca.pem')));
    await admin.set({ enabled: true, endpoint, includeContent: false, caFile: moved });
    rmSync(moved);
    recordTrace(h);
    expect((await settled(admin, (s) => s.failedSpans > 0)).lastFailure).toMatchObject({ reason: 'ca_file', message: expect.stringContaining(moved) as string });
    // A port nothing listens on (taken, then given back).
    const closed = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    await admin.set({ enabled: true, endpoint: `https://127.0.0.1:${closed}/v1/traces`, includeContent: false, caFile: file('ca.pem') });
    const before = (await admin.status()).failedSpans;
    recordTrace(h);
    expect((await settled(admin, (s) => s.failedSpans > before)).lastFailure).toMatchObject({ reason: 'unreachable', message: expect.stringContaining('ECONNREFUSED') as string });
  });

  it('validates the setting: a CA file that is missing or not PEM, a header it cannot send, a token with a line break, a read-only secret store', async () => {
    const { admin } = await make();
    const endpoint = 'https://collector.bank.internal:4318/v1/traces';
    const refusal = async (input: Partial<MethodInput<'traces.setPushConfig'>>) => {
      const error = await admin.set({ enabled: true, endpoint, includeContent: false, ...input }).then(() => null, (e: unknown) => e as { code: string; details?: { issues?: Array<{ path: string }> } });
      return { code: error?.code, paths: error?.details?.issues?.map((issue) => String(issue.path)) };
    };
    expect(await refusal({ caFile: file('no-such-ca.pem') })).toEqual({ code: 'ERR_INPUT_INVALID', paths: ['caFile'] });
    expect(await refusal({ caFile: file('not-a-cert.pem') })).toEqual({ code: 'ERR_INPUT_INVALID', paths: ['caFile'] });
    expect(await refusal({ caFile: 'relative/ca.pem' })).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(await refusal({ tokenHeader: 'content-type' })).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(await refusal({ tokenHeader: 'bad header:' })).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(await refusal({ token: 'abc\r\nx-injected: 1' })).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    // A store that turned read-only (the environment backend is): the token cannot be kept, and the setting says so.
    const backing = new MemorySecretStore();
    const store = { backend: 'environment' as const, writable: true, describe: () => 'STRONGROOM_MASTER_KEY (read-only)', probe: () => backing.probe(), get: (name: string) => backing.get(name), set: (name: string, value: string) => backing.set(name, value), delete: (name: string) => backing.delete(name) };
    const { admin: headless } = await make(store);
    store.writable = false;
    expect(await headless.set({ enabled: true, endpoint, includeContent: false, token: 'abc' }).catch((e: { code: string }) => e.code)).toBe('ERR_SECRETS_UNAVAILABLE');
  });
});
