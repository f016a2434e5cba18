import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RemoteEndpointOptions } from './options.ts';
import { RemoteModelProvider } from './RemoteModelProvider.ts';
import { failure, fastEndpoint, finishChunk, jsonReply, sendEvent, serveProvider, startEvents, startFakeServer, streamReply, textChunk } from './testServer.ts';
import type { Handler } from './testServer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const serve = (handler: Handler, endpoint: Partial<RemoteEndpointOptions> = {}) => serveProvider(handler, cleanups, { endpoint });

const ask = { messages: [{ role: 'user', content: 'secret prompt text' }] } as const;

describe('RemoteModelProvider against a misbehaving server', () => {
  it('reports a connection dropped mid-stream as a typed error, without retrying or repeating delivered deltas', async () => {
    const { server, provider } = await serve((_request, response) => {
      startEvents(response);
      sendEvent(response, textChunk('Hel'));
      sendEvent(response, textChunk('lo'));
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const deltas: string[] = [];
    const error = await failure(provider.chat({ ...ask, onDelta: (text) => deltas.push(text) }));
    expect(error.code).toBe('ERR_MODEL_UNAVAILABLE');
    expect(error.details).toMatchObject({ model: 'credit-model', host: new URL(server.baseUrl).host, cause: 'stream_interrupted' });
    expect(deltas).toEqual(['Hel', 'lo']);
    expect(server.requests).toHaveLength(1);
    expect(JSON.stringify(error.details)).not.toContain('secret prompt');
  });

  it('retries a connection dropped before the first token and succeeds', async () => {
    const { server, provider } = await serve((_request, response, index) => {
      if (index === 0) {
        startEvents(response);
        setTimeout(() => response.socket?.destroy(), 10);
        return;
      }
      streamReply(response, ['ok']);
    });
    const deltas: string[] = [];
    const result = await provider.chat({ ...ask, onDelta: (text) => deltas.push(text) });
    expect(result.text).toBe('ok');
    expect(deltas).toEqual(['ok']);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up on a slow first byte with the first-token timeout', async () => {
    const { server, provider } = await serve(() => undefined, {
      retry: { maxRetries: 0 },
      timeouts: { ...fastEndpoint.timeouts, firstTokenMs: 150 },
    });
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_MODEL_TIMEOUT');
    expect(error.details).toMatchObject({ model: 'credit-model', timeout: 'firstToken', timeoutMs: 150 });
    expect(server.requests).toHaveLength(1);
  });

  it('counts only tokens, not a role chunk, as the first token', async () => {
    const { provider } = await serve((_request, response) => {
      startEvents(response);
      sendEvent(response, { choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] });
    }, { retry: { maxRetries: 0 }, timeouts: { ...fastEndpoint.timeouts, firstTokenMs: 150 } });
    const error = await failure(provider.chat(ask));
    expect(error.details).toMatchObject({ timeout: 'firstToken' });
  });

  it('ends a stream that hangs after the first tokens at the total timeout', async () => {
    const { server, provider } = await serve((_request, response) => {
      startEvents(response);
      sendEvent(response, textChunk('partial'));
    }, { timeouts: { ...fastEndpoint.timeouts, firstTokenMs: 60_000, totalMs: 300 } });
    const deltas: string[] = [];
    const error = await failure(provider.chat({ ...ask, onDelta: (text) => deltas.push(text) }));
    expect(error.code).toBe('ERR_MODEL_TIMEOUT');
    expect(error.details).toMatchObject({ timeout: 'total', timeoutMs: 300 });
    expect(deltas).toEqual(['partial']);
    // The hung response's socket is released, not left open.
    await expect.poll(() => server.abandoned).toBe(1);
  });

  it.each([
    ['invalid JSON in an event', (response: Parameters<Handler>[1]) => response.write('data: {"choices": [\n\n'), 'invalid_json'],
    ['a line that is not an SSE field', (response: Parameters<Handler>[1]) => response.write('{"choices":[]}\n\n'), 'invalid_sse_line'],
    ['JSON of the wrong shape', (response: Parameters<Handler>[1]) => response.write('data: {"choices": "none"}\n\n'), 'unexpected_chunk'],
    ['an end without [DONE] or a finish reason', () => undefined, 'ended_without_finish'],
  ])('reports %s as ERR_MODEL_STREAM_MALFORMED, without retrying', async (_name, misbehave, cause) => {
    const { server, provider } = await serve((_request, response) => {
      startEvents(response);
      sendEvent(response, textChunk('a'));
      misbehave(response);
      response.end();
    });
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_MODEL_STREAM_MALFORMED');
    expect(error.details).toMatchObject({ model: 'credit-model', cause });
    expect(server.requests).toHaveLength(1);
  });

  it('reports an HTML page (a proxy in the way) as a malformed stream', async () => {
    const { provider } = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>Access denied</html>');
    });
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_MODEL_STREAM_MALFORMED');
    expect(error.details).toMatchObject({ cause: 'not_event_stream', contentType: 'text/html' });
  });

  it('accepts a stream that finishes without [DONE]', async () => {
    const { provider } = await serve((_request, response) => {
      startEvents(response);
      sendEvent(response, textChunk('done'));
      sendEvent(response, finishChunk('length'));
      response.end();
    });
    const result = await provider.chat(ask);
    expect(result).toMatchObject({ text: 'done', finishReason: 'length' });
  });

  it('reports a refused connection as ERR_MODEL_UNAVAILABLE after retrying', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const retries: number[] = [];
    const provider = new RemoteModelProvider({
      id: 'credit-model',
      model: 'served-model',
      endpoint: { ...fastEndpoint, baseUrl: `http://127.0.0.1:${port}/v1`, onRetry: (event) => retries.push(event.attempt) },
    });
    cleanups.push(() => provider.dispose());
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_MODEL_UNAVAILABLE');
    expect(error.details).toMatchObject({ model: 'credit-model', host: `127.0.0.1:${port}`, cause: 'connection_refused' });
    expect(retries).toEqual([1, 2]);
  });

  it('names what the server said when it refuses a request, and a prompt longer than the context as such', async () => {
    // llama-server's answer to a prompt beyond its context (the message names counts, not content).
    const { server, provider } = await serve((_request, response) =>
      jsonReply(response, 400, { error: { code: 400, message: 'request (80123 tokens) exceeds the available context size (4096 tokens), try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: 80123, n_ctx: 4096 } }),
    );
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_INPUT_INVALID');
    expect(error.message).toBe(`Model credit-model at ${new URL(server.baseUrl).host}: the prompt does not fit the model's context (HTTP 400, exceed_context_size_error: request (80123 tokens) exceeds the available context size (4096 tokens), try increasing it)`);
    expect(error.details).toMatchObject({ model: 'credit-model', cause: 'context_size_exceeded', status: 400, serverError: { type: 'exceed_context_size_error', code: '400' } });
    expect(server.requests).toHaveLength(1);

    const { provider: vllm } = await serve((_request, response) => jsonReply(response, 400, { object: 'error', message: 'Invalid   value for "response_format":\n unsupported keyword', type: 'BadRequestError', code: 400 }));
    const rejected = await failure(vllm.chat(ask));
    expect(rejected).toMatchObject({ code: 'ERR_MODEL_UNSUPPORTED', details: { cause: 'request_rejected', serverError: { type: 'BadRequestError', message: 'Invalid value for "response_format": unsupported keyword' } } });
    expect(rejected.message).toMatch(/: request rejected \(HTTP 400, BadRequestError: Invalid value for "response_format": unsupported keyword\)$/);
  });

  it('keeps a refused request\'s prompt, and the API key, out of the error even when the server repeats them', async () => {
    const long = 'x'.repeat(5_000);
    const { provider } = await serve((request, response) => {
      const content = (request.body as { messages: { content: string }[] }).messages[0]?.content ?? '';
      jsonReply(response, 422, { error: { type: 'validation_error', message: `field messages.0.content: input ${JSON.stringify(content)} is not allowed. ${long}` } });
    });
    const error = await failure(provider.chat(ask));
    expect(error.details).toMatchObject({ cause: 'request_rejected', status: 422, serverError: { type: 'validation_error' } });
    expect(error.details?.serverError).not.toHaveProperty('message');
    expect(JSON.stringify(error.details) + error.message).not.toContain('secret prompt');

    const { provider: keyed } = await serve((_request, response) => jsonReply(response, 401, { error: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided: sk-abc***wxyz.' } }), { getApiKey: async () => 'sk-abc-very-secret-wxyz' });
    const unauthorized = await failure(keyed.chat(ask));
    expect(unauthorized.details).toMatchObject({ cause: 'unauthorized', status: 401, serverError: { type: 'invalid_request_error', code: 'invalid_api_key' } });
    expect(unauthorized.message).not.toContain('sk-abc');
  });

  it('reads only the start of an error body, and does not wait for one that never ends', async () => {
    const { server, provider } = await serve((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      const timer = setInterval(() => response.write(' '.repeat(1024)), 5);
      response.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const error = await failure(provider.chat(ask));
    expect(error.details).toMatchObject({ cause: 'request_rejected', status: 400 });
    expect(error.details).not.toHaveProperty('serverError');
    expect(Date.now() - started).toBeLessThan(fastEndpoint.timeouts.totalMs / 2);
    await expect.poll(() => server.abandoned).toBe(1);

    const { provider: silent } = await serve((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.write('{"error":');
    });
    const stalled = Date.now();
    expect((await failure(silent.chat(ask))).details).toMatchObject({ cause: 'request_rejected', status: 400 });
    expect(Date.now() - stalled).toBeLessThan(fastEndpoint.timeouts.totalMs / 2);
  });

  it('refuses to follow a redirect to another host', async () => {
    const elsewhere = await startFakeServer((_request, response) => streamReply(response, ['leaked']));
    cleanups.push(() => elsewhere.close());
    const { provider } = await serve((_request, response) => {
      response.writeHead(307, { location: `${elsewhere.baseUrl}/chat/completions` });
      response.end();
    });
    const error = await failure(provider.chat(ask));
    expect(error.details).toMatchObject({ cause: 'redirect_refused', status: 307 });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('times out a connect that never completes its TLS handshake', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      silent.close(() => resolve());
    }));
    const provider = new RemoteModelProvider({
      id: 'credit-model',
      model: 'served-model',
      endpoint: { ...fastEndpoint, baseUrl: `https://127.0.0.1:${port}/v1`, retry: { maxRetries: 0 }, timeouts: { ...fastEndpoint.timeouts, connectMs: 150 } },
    });
    cleanups.push(() => provider.dispose());
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_MODEL_TIMEOUT');
    expect(error.details).toMatchObject({ timeout: 'connect', timeoutMs: 150 });
  });

  it('cancels promptly on abort, closing the connection', async () => {
    const { server, provider } = await serve((_request, response) => {
      startEvents(response);
      sendEvent(response, textChunk('first'));
    });
    const controller = new AbortController();
    const pending = provider.chat({ ...ask, signal: controller.signal, onDelta: () => controller.abort() });
    const error = await failure(pending);
    expect(error.code).toBe('ERR_MODEL_CANCELLED');
    expect(error.details).toMatchObject({ model: 'credit-model' });
    await expect.poll(() => server.abandoned).toBe(1);
  });

  it('cancels a call waiting in retry backoff without waiting the backoff out', async () => {
    const { server, provider } = await serve((_request, response) => {
      response.writeHead(503);
      response.end();
    }, { retry: { maxRetries: 3, initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    const controller = new AbortController();
    const pending = provider.chat({ ...ask, signal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort();
    const error = await failure(pending);
    expect(error.code).toBe('ERR_MODEL_CANCELLED');
    expect(server.requests).toHaveLength(1);
  });

  it('fails calls on a disposed provider', async () => {
    const { provider } = await serve((_request, response) => streamReply(response, ['x']));
    await provider.dispose();
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_MODEL_UNAVAILABLE');
    expect(error.details).toMatchObject({ cause: 'provider_disposed' });
  });
});
