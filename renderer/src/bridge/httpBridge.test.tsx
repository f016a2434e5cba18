import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiErrorView } from '../app/ApiErrorView.tsx';
import { createHttpBridge } from './httpBridge.ts';
import type { HttpBridge } from './httpBridge.ts';
import { isStaleTokenError, staleAddressMessage } from './status.ts';

// What serve answers (core/api/http/server.ts): the guard refusing the launch token, and the
// router refusing a signed-out session — both HTTP 401 ERR_AUTH_UNAUTHENTICATED.
const tokenRefused = { ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED', message: 'A valid bearer token is required.', details: { reason: 'launch-token' } } } as const;
const signedOut = { ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED', message: 'Sign in to use Strongroom.' } } as const;

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** An event stream the test writes to and ends (or breaks), as serve's would when it dies. */
function eventStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => { controller = c; } });
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    send: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    close: () => controller.close(),
    fail: () => controller.error(new TypeError('network error')),
  };
}

type Answer = () => Response | Promise<Response>;

/** `fetch` answered in turn: the API calls from `api`, the event stream's (re)connections from `events`. */
function stubFetch(api: Answer[], events: Answer[] = []) {
  const calls = { api: 0, events: 0 };
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    const queue = url.endsWith('/api/events') ? events : api;
    const index = url.endsWith('/api/events') ? calls.events++ : calls.api++;
    const answer = queue[Math.min(index, queue.length - 1)];
    if (!answer) throw new TypeError('fetch failed');
    return answer();
  }));
  return calls;
}

const refused = (): Response => { throw new TypeError('fetch failed: ECONNREFUSED'); };

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

afterEach(() => { vi.unstubAllGlobals(); });

describe('a refused launch token (serve restarted with a new one)', () => {
  it('says to open the new address, marks the token refused, and offers no "Try again"', async () => {
    stubFetch([() => json(200, { ok: true, value: { authenticated: false } }), () => json(401, tokenRefused)]);
    const bridge = createHttpBridge('old-token');
    expect((await bridge.invoke('auth.status', {})).ok).toBe(true);
    expect(bridge.status()).toMatchObject({ token: 'accepted', acceptedOnce: true });

    const result = await bridge.invoke('runs.get', { runId: 'r1' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ERR_AUTH_UNAUTHENTICATED');
    expect(result.error.message).toBe(staleAddressMessage);
    expect(result.error.message).toContain('strongroom serve');
    expect(isStaleTokenError(result.error)).toBe(true);
    expect(bridge.status()).toMatchObject({ token: 'refused', acceptedOnce: true });

    const view = renderToStaticMarkup(<ApiErrorView error={result.error} onRetry={() => undefined} />);
    expect(view).toContain('Strongroom was restarted');
    expect(view).not.toContain('Try again');
  });

  it('keeps a signed-out session and a server that is down apart from it', async () => {
    stubFetch([() => json(401, signedOut), refused]);
    const bridge = createHttpBridge('token');
    const signedOutResult = await bridge.invoke('system.info', {});
    expect(signedOutResult).toEqual(signedOut);
    expect(renderToStaticMarkup(<ApiErrorView error={signedOut.error} onRetry={() => undefined} />)).toContain('Try again');

    const down = await bridge.invoke('system.info', {});
    expect(down).toMatchObject({ ok: false, error: { code: 'ERR_TRANSPORT_FAILED', message: 'Strongroom is not reachable. Is `strongroom serve` still running?' } });
    expect(bridge.status().token).toBe('unchecked');
  });
});

describe('the event stream’s state', () => {
  function watch(bridge: HttpBridge): string[] {
    const seen: string[] = [];
    bridge.onStatus(() => seen.push(`${bridge.status().stream}/${bridge.status().token}`));
    return seen;
  }

  it('is lost as soon as the stream errors or closes, and open again when it reconnects', async () => {
    const first = eventStream();
    const second = eventStream();
    const calls = stubFetch([], [() => first.response, () => second.response, refused, () => eventStream().response]);
    const bridge = createHttpBridge('token');
    const seen = watch(bridge);
    const beats: unknown[] = [];
    const unsubscribe = bridge.subscribe('system.heartbeat', (beat) => beats.push(beat));
    await until(() => bridge.status().stream === 'open', 'the stream to open');
    first.send('event: system.heartbeat\ndata: {"at":"2026-01-01T00:00:00.000Z","uptimeMs":1}\n\n');
    await until(() => beats.length === 1, 'a heartbeat');

    // The server dies: the stream breaks. Said at once — no heartbeat gap to wait for.
    first.fail();
    await until(() => bridge.status().stream === 'lost', 'the stream to be lost');
    // It comes back (the same token: say a dropped connection) and the stream reopens.
    await until(() => bridge.status().stream === 'open', 'the stream to reopen');
    // Closed by the server this time, then refused connections: lost until it answers again.
    second.close();
    await until(() => bridge.status().stream === 'lost', 'the closed stream to be lost');
    await until(() => calls.events >= 4 && bridge.status().stream === 'open', 'the stream to reopen after a refused connection');
    unsubscribe();
    expect(seen).toEqual(['open/accepted', 'lost/accepted', 'open/accepted', 'lost/accepted', 'open/accepted', 'connecting/accepted']);
  });

  it('stops reconnecting when the server refuses the token', async () => {
    const first = eventStream();
    const calls = stubFetch([], [() => first.response, () => json(401, tokenRefused)]);
    const bridge = createHttpBridge('old-token');
    const unsubscribe = bridge.subscribe('system.heartbeat', () => undefined);
    await until(() => bridge.status().stream === 'open', 'the stream to open');
    first.fail();
    await until(() => bridge.status().token === 'refused', 'the token to be refused');
    expect(bridge.status()).toEqual({ stream: 'lost', token: 'refused', acceptedOnce: true });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(calls.events).toBe(2);
    unsubscribe();
  });
});
