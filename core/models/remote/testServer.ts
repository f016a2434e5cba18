// Test support: a loopback OpenAI-compatible server whose every answer a test scripts, so it can
// misbehave on purpose (drop mid-stream, stall, send junk, 429, 5xx). Never used outside tests.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CoreError } from '../../base/index.ts';
import type { RemoteEndpointOptions } from './options.ts';
import { RemoteModelProvider } from './RemoteModelProvider.ts';
import type { RemoteModelProviderOptions } from './RemoteModelProvider.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type Handler = (request: RecordedRequest, response: ServerResponse, index: number) => void | Promise<void>;

export interface FakeServer {
  /** The OpenAI-compatible base (`…/v1`). */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Most requests that were open at the same time. */
  maxInFlight: number;
  /** Requests whose connection the client closed before the response ended. */
  abandoned: number;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

export async function startFakeServer(handler: Handler, tls?: { key: string; cert: string }): Promise<FakeServer> {
  let inFlight = 0;
  const state: FakeServer = { baseUrl: '', requests: [], maxInFlight: 0, abandoned: 0, close: async () => undefined };
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    response.on('close', () => {
      inFlight -= 1;
      if (!response.writableEnded) state.abandoned += 1;
    });
    void (async () => {
      const recorded: RecordedRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: await readBody(request) };
      state.requests.push(recorded);
      await handler(recorded, response, state.requests.length - 1);
    })().catch(() => response.destroy());
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export function startEvents(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.flushHeaders();
}

export function sendEvent(response: ServerResponse, data: unknown): void {
  response.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

export function textChunk(text: string, finishReason: string | null = null): unknown {
  return { model: 'served-model', choices: [{ index: 0, delta: { content: text }, finish_reason: finishReason }] };
}

export function finishChunk(reason = 'stop'): unknown {
  return { model: 'served-model', choices: [{ index: 0, delta: {}, finish_reason: reason }] };
}

/** A whole, well-formed streamed reply: role chunk, text pieces, finish, usage, `[DONE]`. */
export function streamReply(response: ServerResponse, pieces: readonly string[], usage = { prompt_tokens: 7, completion_tokens: pieces.length }): void {
  startEvents(response);
  sendEvent(response, { model: 'served-model', choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] });
  for (const piece of pieces) sendEvent(response, textChunk(piece));
  sendEvent(response, finishChunk());
  sendEvent(response, { model: 'served-model', choices: [], usage });
  sendEvent(response, '[DONE]');
  response.end();
}

export function jsonReply(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Fast retries and short deadlines, so fault tests finish in milliseconds. */
export const fastEndpoint = {
  retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5, retryAfterCapMs: 1_000 },
  timeouts: { connectMs: 2_000, firstTokenMs: 5_000, totalMs: 10_000, queueMs: 5_000, healthMs: 2_000 },
} as const;

/**
 * A fake server and a provider pointed at it, both registered for cleanup in `cleanups` (each
 * test file drains its own list after every test).
 */
export async function serveProvider(
  handler: Handler,
  cleanups: Array<() => Promise<void>>,
  options: { endpoint?: Partial<RemoteEndpointOptions>; toolCalling?: RemoteModelProviderOptions['toolCalling'] } = {},
): Promise<{ server: FakeServer; provider: RemoteModelProvider }> {
  const server = await startFakeServer(handler);
  const provider = new RemoteModelProvider({ id: 'credit-model', model: 'served-model', ...(options.toolCalling ? { toolCalling: options.toolCalling } : {}), endpoint: { ...fastEndpoint, ...options.endpoint, baseUrl: server.baseUrl } });
  cleanups.push(() => server.close(), () => provider.dispose());
  return { server, provider };
}

/** The CoreError a promise rejects with; anything else (or success) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof CoreError)) throw new Error(`expected a CoreError, got ${String(error)}`);
  return error;
}
