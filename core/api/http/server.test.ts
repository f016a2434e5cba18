import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../base/index.ts';
import { createCore } from '../../createCore.ts';
import type { Core } from '../../createCore.ts';
import { hashSessionId } from '../../identity/index.ts';
/* eslint-disable no-restricted-imports -- the test IdP and its helpers are identity's testing seam, meant for other areas' tests, not an internal */
import { cancelAtIdp } from '../../identity/testing/browserFlow.ts';
import { call, manualClock, operator } from '../../identity/testing/bridges.ts';
import { startTestIdp } from '../../identity/testing/testIdp.ts';
import type { TestIdp } from '../../identity/testing/testIdp.ts';
/* eslint-enable no-restricted-imports */
import { MemorySecretStore } from '../../secrets/index.ts';
import { createInProcessBridge } from '../inProcess.ts';
import { localOperator } from '../principal.ts';
import { startHttpServer } from './server.ts';
import type { HttpServer } from './server.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(options: { staticDir?: string; heartbeatMs?: number } = {}): Promise<{ core: Core; server: HttpServer; sessionId: string }> {
  const core = await createCore({ dataDir: mkdtempSync(join(tmpdir(), 'strongroom-http-')), mode: 'test', heartbeatMs: options.heartbeatMs ?? 0 });
  const sessionId = core.sessions.create(localOperator()).id;
  const server = await startHttpServer({ router: core.router, events: core.events, logger: core.logger, sessionId, ...(options.staticDir ? { staticDir: options.staticDir } : {}) });
  cleanups.push(async () => { await server.close(); await core.dispose(); });
  return { core, server, sessionId };
}

/** A raw request, so tests can send any Host header (fetch would not). */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function post(server: HttpServer, method: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('serve mode HTTP transport', () => {
  it('answers an authorised call with the ok envelope', async () => {
    const { server } = await serve();
    const response = await post(server, 'system.info', {});
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ ok: true, value: { name: 'Strongroom', mode: 'test' } });
  });

  it('refuses a request without a token, or with a wrong one, with 401', async () => {
    const { server } = await serve();
    const missing = await fetch(`${server.origin}/api/system.info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(401);
    // The reason tells a page it holds an old launch token (serve restarted), not a signed-out session.
    expect(await missing.json()).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED', details: { reason: 'launch-token' } } });
    const wrong = await post(server, 'system.info', {}, { authorization: `Bearer ${server.token.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { details: { reason: 'launch-token' } } });
    const wrongScheme = await post(server, 'system.info', {}, { authorization: `Basic ${server.token}` });
    expect(wrongScheme.status).toBe(401);
  });

  it('applies the token and Origin checks to percent-encoded API paths too', async () => {
    const { server } = await serve();
    for (const path of ['/%61pi/system.info', '/%61%70%69/system.info', '/api%2fsystem.info']) {
      const noToken = await raw(`${server.origin}${path}`, { headers: { 'content-type': 'application/json', host: new URL(server.origin).host }, body: '{}' });
      expect(noToken.body, path).not.toContain('"ok":true');
      expect([401, 403, 404], path).toContain(noToken.status);
      const foreign = await raw(`${server.origin}${path}`, { headers: { 'content-type': 'application/json', host: new URL(server.origin).host, authorization: `Bearer ${server.token}`, origin: 'http://evil.example' }, body: '{}' });
      expect(foreign.body, path).not.toContain('"ok":true');
    }
  });

  it('refuses a foreign Origin even with the right token, and accepts its own', async () => {
    const { server } = await serve();
    for (const origin of ['http://evil.example', 'http://localhost:1', 'null', `https://${server.origin.slice('http://'.length)}`]) {
      const response = await post(server, 'system.info', {}, { origin });
      expect(response.status, origin).toBe(403);
      expect(await response.json()).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    }
    const same = await post(server, 'system.info', {}, { origin: server.origin });
    expect(same.status).toBe(200);
  });

  it('refuses a Host that is not the bound loopback authority (DNS rebinding)', async () => {
    const { server } = await serve();
    const port = new URL(server.origin).port;
    for (const host of ['evil.example', `evil.example:${port}`, `localhost:${port}`, `127.0.0.1:${Number(port) + 1}`]) {
      const response = await raw(`${server.origin}/api/system.info`, { headers: { host, authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: '{}' });
      expect(response.status, host).toBe(403);
    }
    const ok = await raw(`${server.origin}/api/system.info`, { headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(ok.status).toBe(200);
  });

  it('refuses to bind a non-loopback address', async () => {
    const core = await createCore({ dataDir: mkdtempSync(join(tmpdir(), 'strongroom-http-')), mode: 'test', heartbeatMs: 0 });
    cleanups.push(() => core.dispose());
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.org', 'localhost']) {
      await expect(startHttpServer({ router: core.router, events: core.events, logger: core.logger, sessionId: 'x', host }), host).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    }
  });

  it('maps malformed and oversized bodies to typed errors', async () => {
    const { server } = await serve();
    const badJson = await post(server, 'system.info', '{"unterminated');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
    const huge = await post(server, 'system.info', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ ok: false, error: { code: 'ERR_TRANSPORT_FAILED' } });
    const unknown = await post(server, 'system.nothing', {});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ ok: false, error: { code: 'ERR_API_UNKNOWN_METHOD' } });
  });

  it('keeps a slow call alive after its body is read, and cancels it when the client goes away', async () => {
    const core = await createCore({ dataDir: mkdtempSync(join(tmpdir(), 'strongroom-http-')), mode: 'test', heartbeatMs: 0 });
    const signals: AbortSignal[] = [];
    const slowRouter = {
      ...core.router,
      call: async (method: string, input: unknown, context: Parameters<typeof core.router.call>[2]) => {
        if (context.signal) signals.push(context.signal);
        await new Promise((resolve) => setTimeout(resolve, method === 'system.health' ? 300 : 0));
        return core.router.call(method, input, context);
      },
    };
    const sessionId = core.sessions.create(localOperator()).id;
    const server = await startHttpServer({ router: slowRouter, events: core.events, logger: core.logger, sessionId });
    cleanups.push(async () => { await server.close(); await core.dispose(); });
    const finished = await post(server, 'system.health', {});
    expect(await finished.json()).toMatchObject({ ok: true });
    expect(signals[0]?.aborted).toBe(false);

    const abort = new AbortController();
    const pending = post(server, 'system.health', {}, {}).catch(() => undefined);
    void pending;
    const gone = fetch(`${server.origin}/api/system.health`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: '{}', signal: abort.signal }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    await gone;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(signals.at(-1)?.aborted).toBe(true);
    await pending;
  });

  it('behaves exactly like the in-process transport for the same calls', async () => {
    const { core, server, sessionId } = await serve();
    const bridge = createInProcessBridge(core.router, core.events, sessionId);
    const calls: Array<[string, unknown]> = [['system.info', {}], ['system.info', { extra: 1 }], ['system.info', []], ['system.missing', {}]];
    for (const [method, input] of calls) {
      const overHttp: unknown = await (await post(server, method, input)).json();
      const inProcess = await bridge.invoke(method as 'system.info', input as never);
      expect(overHttp, method).toEqual(inProcess);
    }
  });

  it('streams events as server-sent events to an authorised client', async () => {
    const { server } = await serve({ heartbeatMs: 25 });
    const refused = await fetch(`${server.origin}/api/events`);
    expect(refused.status).toBe(401);
    const unknown = await fetch(`${server.origin}/api/events?names=system.nope`, { headers: { authorization: `Bearer ${server.token}` } });
    expect(unknown.status).toBe(404);

    const abort = new AbortController();
    const response = await fetch(`${server.origin}/api/events?names=system.heartbeat`, { headers: { authorization: `Bearer ${server.token}` }, signal: abort.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while ((text.match(/event: system\.heartbeat/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    abort.abort();
    const first = /data: (.*)\n/.exec(text)?.[1];
    expect(JSON.parse(first ?? 'null')).toMatchObject({ at: expect.any(String) as string, uptimeMs: expect.any(Number) as number });
  });

  it('serves the app shell with a strict CSP and falls back to index.html for app routes', async () => {
    const staticDir = mkdtempSync(join(tmpdir(), 'strongroom-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>shell</title>');
    const { server } = await serve({ staticDir });
    for (const path of ['/', '/system', '/drafts/123']) {
      const response = await fetch(`${server.origin}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text()).toContain('<title>shell</title>');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    const traversal = await raw(`${server.origin}/..%2f..%2fetc%2fpasswd`, { method: 'GET' });
    expect(traversal.body).not.toContain('root:');
  });

  it('refuses to start without a built app and names the fix', async () => {
    const core = await createCore({ dataDir: mkdtempSync(join(tmpdir(), 'strongroom-http-')), mode: 'test', heartbeatMs: 0 });
    cleanups.push(() => core.dispose());
    const empty = mkdtempSync(join(tmpdir(), 'strongroom-static-'));
    await expect(startHttpServer({ router: core.router, events: core.events, logger: core.logger, sessionId: 'x', staticDir: empty })).rejects.toThrow(/npm run build:renderer/);
  });
});

/** Serve as `strongroom serve` runs it: no default session (the browser's cookie decides) and the browser sign-in routes. */
async function serveSignedIn(options: { clock?: Clock; dataDir?: string; secrets?: MemorySecretStore } = {}): Promise<{ core: Core; server: HttpServer; cookie: (sessionId: string) => string }> {
  const core = await createCore({ dataDir: options.dataDir ?? mkdtempSync(join(tmpdir(), 'strongroom-http-')), mode: 'test', heartbeatMs: 0, secrets: options.secrets ?? new MemorySecretStore(), ...(options.clock ? { clock: options.clock } : {}) });
  const identity = core.identity!;
  const server = await startHttpServer({
    router: core.router,
    events: core.events,
    logger: core.logger,
    signIn: { begin: (redirectUri) => identity.beginSignIn(redirectUri), complete: (callbackUrl, requestId) => identity.completeSignIn(callbackUrl, requestId) },
  });
  cleanups.push(async () => { await server.close(); await core.dispose(); });
  const cookieName = `strongroom_session_${new URL(server.origin).port}`;
  return { core, server, cookie: (sessionId) => `${cookieName}=${sessionId}` };
}

/** A browser's event stream with its session cookie; `until` reads until the text so far matches. */
async function eventStreamOf(server: HttpServer, cookie: string) {
  const abort = new AbortController();
  cleanups.push(async () => abort.abort());
  const response = await fetch(`${server.origin}/api/events`, { headers: { authorization: `Bearer ${server.token}`, cookie }, signal: abort.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  return {
    async until(pattern: RegExp): Promise<string> {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      return text;
    },
  };
}

const statusOf = async (server: HttpServer, cookie?: string) => {
  const response = await post(server, 'auth.status', {}, cookie ? { cookie } : {});
  return ((await response.json()) as { value: { signedIn: boolean; sessionEnded: unknown } }).value;
};

/** An installation that signs in through `idp`, with `groups` mapped to admin in the first account. */
async function useIdp(core: Core, idp: TestIdp): Promise<void> {
  const ops = operator(core);
  const [administration] = await call(ops, 'admin.accounts.list', {});
  await call(ops, 'admin.groups.map', { accountId: administration!.id, group: 'strongroom-admins', role: 'admin' });
  await call(ops, 'admin.idp.set', { issuer: idp.issuer, clientId: idp.clientId, groupsClaim: 'groups', algorithms: ['RS256'], offlineGraceHours: 8, scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'] });
}

const login = (server: HttpServer) => fetch(`${server.origin}/auth/login`, { redirect: 'manual' });

describe('sessions that end, and the browser sign-in (serve mode)', () => {
  it('tells the event streams of the session that ended, and no other session, why it ended', async () => {
    const { core, server, cookie } = await serveSignedIn();
    await core.identity!.setLocalPassphrase('local admin passphrase');
    // Two browsers signed in as the same person: two sessions, two cookies.
    const first = await core.identity!.signInLocal('local admin passphrase');
    const second = await core.identity!.signInLocal('local admin passphrase');
    const firstStream = await eventStreamOf(server, cookie(first.id));
    const secondStream = await eventStreamOf(server, cookie(second.id));
    await firstStream.until(/: connected/);
    await secondStream.until(/: connected/);

    const signedOut = await post(server, 'auth.signOut', {}, { cookie: cookie(first.id) });
    expect(await signedOut.json()).toMatchObject({ ok: true });
    const firstText = await firstStream.until(/event: auth\.sessionEnded\ndata: .*\n/);
    expect(JSON.parse(/event: auth\.sessionEnded\ndata: (.*)\n/.exec(firstText)![1]!)).toEqual({ sessionHash: hashSessionId(first.id), reason: 'signed-out' });
    // Events reach a stream in the order published: the second browser gets the next one, not the end.
    core.events.publish('system.heartbeat', { at: new Date().toISOString(), uptimeMs: 1 });
    const secondText = await secondStream.until(/event: system\.heartbeat/);
    expect(secondText).not.toContain('auth.sessionEnded');

    // The reason goes to the holder of the ended session only; the other stays signed in.
    expect(await statusOf(server, cookie(first.id))).toMatchObject({ signedIn: false, sessionEnded: { reason: 'signed-out', accountName: null, hours: null } });
    expect(await statusOf(server, cookie(second.id))).toMatchObject({ signedIn: true, sessionEnded: null });
    expect(await statusOf(server)).toMatchObject({ signedIn: false, sessionEnded: null });
  });

  it('tells the event streams of a session whose permissions changed that they did, and no other session\'s', async () => {
    const { core, server, cookie } = await serveSignedIn();
    await core.identity!.setLocalPassphrase('local admin passphrase');
    const beta = await call(operator(core), 'admin.accounts.create', { name: 'Beta' });
    const inDefault = await core.identity!.signInLocal('local admin passphrase');
    const inBeta = await core.identity!.signInLocal('local admin passphrase');
    expect(await (await post(server, 'auth.switchAccount', { accountId: beta.id }, { cookie: cookie(inBeta.id) })).json()).toMatchObject({ ok: true });
    const defaultStream = await eventStreamOf(server, cookie(inDefault.id));
    const betaStream = await eventStreamOf(server, cookie(inBeta.id));
    await defaultStream.until(/: connected/);
    await betaStream.until(/: connected/);

    // An installation administrator, working in Default, caps what admins may do in Beta.
    const capped = await post(server, 'admin.boundaries.set', { accountId: beta.id, role: 'admin', permissions: ['system.read', 'account.read', 'boundaries.manage'] }, { cookie: cookie(inDefault.id) });
    expect(await capped.json()).toMatchObject({ ok: true });
    const betaText = await betaStream.until(/event: auth\.sessionChanged\ndata: .*\n/);
    expect(JSON.parse(/event: auth\.sessionChanged\ndata: (.*)\n/.exec(betaText)![1]!)).toEqual({ sessionHash: hashSessionId(inBeta.id) });
    core.events.publish('system.heartbeat', { at: new Date().toISOString(), uptimeMs: 1 });
    expect(await defaultStream.until(/event: system\.heartbeat/)).not.toContain('auth.sessionChanged');
    // What the page then asks says so: the session in Beta may no longer start runs (the router agrees).
    const refused = await post(server, 'runs.list', {}, { cookie: cookie(inBeta.id) });
    expect(await refused.json()).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
  });

  it('tells the streams of a session another process ended (the CLI) at their next heartbeat, with the reason', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-http-'));
    const secrets = new MemorySecretStore();
    const { core, server, cookie } = await serveSignedIn({ dataDir, secrets });
    await core.identity!.setLocalPassphrase('local admin passphrase');
    const ended = await core.identity!.signInLocal('local admin passphrase');
    const kept = await core.identity!.signInLocal('local admin passphrase');
    const endedStream = await eventStreamOf(server, cookie(ended.id));
    const keptStream = await eventStreamOf(server, cookie(kept.id));
    await endedStream.until(/: connected/);
    await keptStream.until(/: connected/);

    const cli = await createCore({ dataDir, mode: 'test', heartbeatMs: 0, secrets });
    cleanups.push(() => cli.dispose());
    expect(await call(operator(cli), 'admin.sessions.end', { handle: hashSessionId(ended.id) })).toEqual({ ended: 1 });

    // Nothing reaches serve from the CLI; each stream's heartbeat looks at its session again.
    core.events.publish('system.heartbeat', { at: new Date().toISOString(), uptimeMs: 1 });
    const endedText = await endedStream.until(/event: auth\.sessionEnded\ndata: .*\n/);
    expect(JSON.parse(/event: auth\.sessionEnded\ndata: (.*)\n/.exec(endedText)![1]!)).toEqual({ sessionHash: hashSessionId(ended.id), reason: 'ended-by-admin' });
    core.events.publish('system.heartbeat', { at: new Date().toISOString(), uptimeMs: 2 });
    expect(await keptStream.until(/"uptimeMs":2/)).not.toContain('auth.sessionEnded');
    expect(await statusOf(server, cookie(ended.id))).toMatchObject({ signedIn: false, sessionEnded: { reason: 'ended-by-admin' } });
    expect(await statusOf(server, cookie(kept.id))).toMatchObject({ signedIn: true });
  });

  describe('through a real IdP', () => {
    let idp: TestIdp;
    afterEach(async () => { await idp.stop(); });

    it('sends the browser to Strongroom\'s own page, not a dead address, when the IdP stopped answering after serve started', async () => {
      idp = await startTestIdp({ users: [] });
      const clock = manualClock();
      const { core, server } = await serveSignedIn({ clock });
      await useIdp(core, idp);
      const discoveryRequests: string[] = [];
      const realFetch = globalThis.fetch;
      globalThis.fetch = (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (url.startsWith(idp.issuer) && url.endsWith('/.well-known/openid-configuration')) discoveryRequests.push(url);
        return realFetch(input, init);
      };
      try {
        const up = await login(server);
        expect(up.status).toBe(302);
        expect(up.headers.get('location')).toMatch(new RegExp(`^${idp.issuer}/`));
        // A rush of clicks within a few seconds costs one check, not one each.
        const asked = discoveryRequests.length;
        expect((await login(server)).headers.get('location')).toMatch(new RegExp(`^${idp.issuer}/`));
        expect(discoveryRequests).toHaveLength(asked);

        await idp.stop();
        clock.advance(10_000);
        const down = await login(server);
        expect(down.status).toBe(302);
        expect(down.headers.get('location')).toBe('/signin?error=ERR_AUTH_IDP_UNREACHABLE');
        expect(discoveryRequests).toHaveLength(asked + 1);
      } finally {
        globalThis.fetch = realFetch;
      }
    });

    it('says the person cancelled at the IdP (access_denied) with its code, never its description; an unknown attempt stays as it was', async () => {
      idp = await startTestIdp({ users: [] });
      const { core, server } = await serveSignedIn();
      await useIdp(core, idp);
      const authorization = new URL((await login(server)).headers.get('location')!);
      const callback = await cancelAtIdp(authorization, `${server.origin}/auth/callback`);
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('error_description')).toBeTruthy();

      const cancelled = await fetch(callback, { redirect: 'manual' });
      expect(cancelled.status).toBe(302);
      expect(cancelled.headers.get('location')).toBe('/signin?error=ERR_AUTH_SIGNIN_FAILED&idp_error=access_denied');
      expect(core.audit!.list({ actionPrefix: 'auth.signIn' }).at(-1)).toMatchObject({ outcome: 'failure', details: { method: 'oidc', reason: 'access_denied' } });

      // A response to no attempt started here (replayed, or forged with words of its own) says only that.
      const unknown = await fetch(`${server.origin}/auth/callback?error=access_denied&error_description=%3Cb%3Ehi%3C%2Fb%3E&state=nobody-started-this`, { redirect: 'manual' });
      expect(unknown.headers.get('location')).toBe('/signin?error=ERR_AUTH_SIGNIN_FAILED');
    });
  });
});
