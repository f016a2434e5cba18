import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RemoteEndpointOptions, RetryEvent } from './options.ts';
import { RemoteEndpoint } from './RemoteEndpoint.ts';
import { RemoteModelProvider } from './RemoteModelProvider.ts';
import { failure, fastEndpoint, jsonReply, serveProvider, startFakeServer, streamReply } from './testServer.ts';
import type { Handler } from './testServer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const serve = (handler: Handler, endpoint: Partial<RemoteEndpointOptions> = {}) => serveProvider(handler, cleanups, { endpoint });

const ask = { messages: [{ role: 'user', content: 'hello' }] } as const;

describe('RemoteModelProvider retries', () => {
  it('waits out a 429 with an HTTP-date Retry-After, then succeeds', async () => {
    const retryAt = 'Wed, 21 Oct 2026 07:28:00 GMT';
    // The injected wall clock puts "now" 120 ms before the date the server names.
    const clock = { now: () => Date.parse(retryAt) - 120, monotonic: () => performance.now() };
    const retries: RetryEvent[] = [];
    const { server, provider } = await serve(
      (_request, response, index) => (index === 0 ? jsonReply(response, 429, { error: 'busy' }, { 'retry-after': retryAt }) : streamReply(response, ['fine'])),
      { clock, onRetry: (event) => retries.push(event) },
    );
    const result = await provider.chat(ask);
    expect(result.text).toBe('fine');
    expect(server.requests).toHaveLength(2);
    // Jitter is at most 5 ms here, so a 120 ms wait can only come from Retry-After.
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, delayMs: 120, code: 'ERR_MODEL_RATE_LIMITED', cause: 'rate_limited' })]);
  });

  it('does not wait for a Retry-After beyond the cap: it fails at once with the hint', async () => {
    const { server, provider } = await serve((_request, response) => jsonReply(response, 429, {}, { 'retry-after': '3600' }));
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_MODEL_RATE_LIMITED');
    expect(error.details).toMatchObject({ model: 'credit-model', status: 429, retryAfterMs: 3_600_000 });
    expect(server.requests).toHaveLength(1);
  });

  it('retries 5xx with jittered backoff until it succeeds', async () => {
    const retries: RetryEvent[] = [];
    const { server, provider } = await serve(
      (_request, response, index) => (index < 2 ? jsonReply(response, 503, {}) : streamReply(response, ['back'])),
      { onRetry: (event) => retries.push(event) },
    );
    expect((await provider.chat(ask)).text).toBe('back');
    expect(server.requests).toHaveLength(3);
    expect(retries.map((event) => [event.attempt, event.cause])).toEqual([[1, 'server_error'], [2, 'server_error']]);
    for (const event of retries) expect(event.delayMs).toBeLessThanOrEqual(5);
  });

  it('honours Retry-After on 503 as well, failing at once beyond the cap', async () => {
    const { server, provider } = await serve((_request, response) => jsonReply(response, 503, {}, { 'retry-after': '600' }));
    const error = await failure(provider.chat(ask));
    expect(error).toMatchObject({ code: 'ERR_MODEL_UNAVAILABLE', details: { cause: 'server_error', status: 503, retryAfterMs: 600_000 } });
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a client error', async () => {
    const { server, provider } = await serve((_request, response) => jsonReply(response, 400, { error: 'response_format unsupported' }));
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_MODEL_UNSUPPORTED');
    expect(error.details).toMatchObject({ cause: 'request_rejected', status: 400 });
    expect(server.requests).toHaveLength(1);
  });
});

describe('RemoteEndpoint circuit breaker', () => {
  it('opens after repeated 5xx, refuses calls without contacting the server, then recovers through a half-open probe', async () => {
    let healthy = false;
    const { server, provider } = await serve(
      (_request, response) => (healthy ? streamReply(response, ['up']) : jsonReply(response, 502, {})),
      { retry: { maxRetries: 0 }, circuitBreaker: { failureThreshold: 3, halfOpenAfterMs: 30_000 } },
    );
    for (let call = 0; call < 3; call += 1) expect((await failure(provider.chat(ask))).code).toBe('ERR_MODEL_UNAVAILABLE');
    expect(provider.endpoint.circuitStatus).toBe('open');

    const refused = await failure(provider.chat(ask));
    expect(refused.code).toBe('ERR_MODEL_CIRCUIT_OPEN');
    expect(refused.details).toMatchObject({ model: 'credit-model', cause: 'circuit_open' });
    expect(server.requests).toHaveLength(3);

    // cockatiel times the open state with Date.now(); move only the date past halfOpenAfter.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    // A failing probe re-opens the circuit at once…
    expect((await failure(provider.chat(ask))).code).toBe('ERR_MODEL_UNAVAILABLE');
    expect(provider.endpoint.circuitStatus).toBe('open');
    expect((await failure(provider.chat(ask))).code).toBe('ERR_MODEL_CIRCUIT_OPEN');
    expect(server.requests).toHaveLength(4);

    // …and a succeeding one closes it.
    vi.setSystemTime(Date.now() + 31_000);
    healthy = true;
    expect((await provider.chat(ask)).text).toBe('up');
    expect(provider.endpoint.circuitStatus).toBe('closed');
    expect((await provider.chat(ask)).text).toBe('up');
  });

  it('does not count client errors or rate limiting against the endpoint', async () => {
    const { provider } = await serve((_request, response, index) => jsonReply(response, index % 2 === 0 ? 400 : 429, {}, { 'retry-after': '3600' }), {
      retry: { maxRetries: 0 },
      circuitBreaker: { failureThreshold: 2 },
    });
    for (let call = 0; call < 4; call += 1) await failure(provider.chat(ask));
    expect(provider.endpoint.circuitStatus).toBe('closed');
  });

  it('is shared by every model on the endpoint', async () => {
    const server = await startFakeServer((_request, response) => jsonReply(response, 500, {}));
    const endpoint = new RemoteEndpoint({ ...fastEndpoint, baseUrl: server.baseUrl, retry: { maxRetries: 0 }, circuitBreaker: { failureThreshold: 2 } });
    cleanups.push(() => server.close(), () => endpoint.dispose());
    const first = new RemoteModelProvider({ id: 'model-a', model: 'a', endpoint });
    const second = new RemoteModelProvider({ id: 'model-b', model: 'b', endpoint });
    await failure(first.chat(ask));
    await failure(first.chat(ask));
    const error = await failure(second.chat(ask));
    expect(error.code).toBe('ERR_MODEL_CIRCUIT_OPEN');
    expect(error.details).toMatchObject({ model: 'model-b' });
    expect(server.requests).toHaveLength(2);
  });
});

describe('RemoteEndpoint concurrency limit', () => {
  it('keeps at most maxInFlight requests at the server and queues the rest', async () => {
    const { server, provider } = await serve(
      (_request, response) => {
        setTimeout(() => streamReply(response, ['done']), 30);
      },
      { concurrency: { maxInFlight: 2, maxQueued: 10 } },
    );
    const results = await Promise.all(Array.from({ length: 6 }, () => provider.chat(ask)));
    expect(results.map((result) => result.text)).toEqual(Array(6).fill('done'));
    expect(server.requests).toHaveLength(6);
    expect(server.maxInFlight).toBe(2);
  });

  it('fails at once when the queue is full, and bounds the wait in the queue', async () => {
    const held: (() => void)[] = [];
    const { provider } = await serve(
      (_request, response) => {
        held.push(() => streamReply(response, ['late']));
      },
      { concurrency: { maxInFlight: 1, maxQueued: 1 }, timeouts: { ...fastEndpoint.timeouts, queueMs: 150 } },
    );
    const running = provider.chat(ask);
    await expect.poll(() => held.length).toBe(1);
    const queued = failure(provider.chat(ask));
    const rejected = await failure(provider.chat(ask));
    expect(rejected.code).toBe('ERR_MODEL_RATE_LIMITED');
    expect(rejected.details).toMatchObject({ cause: 'queue_full', maxInFlight: 1, maxQueued: 1 });
    const timedOut = await queued;
    expect(timedOut.code).toBe('ERR_MODEL_TIMEOUT');
    expect(timedOut.details).toMatchObject({ timeout: 'queue', timeoutMs: 150 });
    held[0]?.();
    expect((await running).text).toBe('late');
  });
});
