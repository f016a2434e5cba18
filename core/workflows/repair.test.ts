// Structured output through the whole stack: the engine runs an llm step on the real
// RemoteModelProvider, which talks to a scripted OpenAI-compatible server on loopback. The
// provider repairs an answer that breaks the step's schema once; a second bad answer fails the
// run with a typed error, and nothing in the engine retries it.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteModelProvider } from '../models/index.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';

interface ChatRequestSeen { method: string; path: string; body: unknown }
type Handler = (response: ServerResponse, index: number) => void;
interface FakeServer { baseUrl: string; requests: ChatRequestSeen[]; close(): Promise<void> }

/**
 * A scripted OpenAI-compatible server on loopback. The models area keeps its own richer one
 * internal (CONVENTIONS 2); this needs only whole streamed replies.
 */
async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const requests: ChatRequestSeen[] = [];
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      requests.push({ method: request.method ?? '', path: request.url ?? '', body: text === '' ? undefined : JSON.parse(text) as unknown });
      handler(response, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/v1`, requests, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

/** A whole streamed chat completion: role, text pieces, finish, usage, [DONE]. */
function streamReply(response: ServerResponse, pieces: readonly string[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (data: unknown) => response.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  send({ model: 'served-model', choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] });
  for (const piece of pieces) send({ model: 'served-model', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
  send({ model: 'served-model', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  send({ model: 'served-model', choices: [], usage: { prompt_tokens: 7, completion_tokens: pieces.length } });
  send('[DONE]');
  response.end();
}

const fastEndpoint = { retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 }, timeouts: { connectMs: 2_000, firstTokenMs: 5_000, totalMs: 10_000 } };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

const workflow = `id: decide
name: Decide a limit
inputs: {type: object, properties: {borrower: {type: string}}, required: [borrower]}
steps:
  - id: decision
    kind: llm
    prompt: "Decide a credit limit for {{ inputs.borrower }}"
    output: {type: object, properties: {approve: {type: boolean}, limit: {type: number}}, required: [approve, limit], additionalProperties: false}
`;

async function remoteHarness(handler: Handler): Promise<{ h: Harness; server: FakeServer }> {
  const server = await startFakeServer(handler);
  const model = new RemoteModelProvider({ id: 'remote-credit', model: 'served-model', endpoint: { ...fastEndpoint, baseUrl: server.baseUrl } });
  const h = await harness({ workflows: { decide: workflow }, model });
  cleanups.push(() => server.close(), () => model.dispose(), () => h.core.dispose());
  return { h, server };
}

const chatRequests = (server: FakeServer) => server.requests.filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions');
const invalid = '{"approve": "yes", "limit": "a lot"}';

describe('schema repair through the engine (real RemoteModelProvider, scripted server)', () => {
  it('output failing its schema is repaired once and then fails with a typed error', async () => {
    const { h, server } = await remoteHarness((response) => streamReply(response, [invalid]));
    const run = await h.settle((await h.call('runs.start', { workflowId: 'decide', input: { borrower: 'Acme' } })).id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ERR_MODEL_OUTPUT_INVALID' });
    // The first answer and exactly one repair: no engine retry on top of the provider's repair.
    const chats = chatRequests(server);
    expect(chats).toHaveLength(2);
    // The request carried the step's schema, and the repair sent the invalid reply back with its problems.
    const first = chats[0]!.body as { response_format?: { json_schema?: { schema?: { required?: string[] } } } };
    expect(first.response_format?.json_schema?.schema?.required).toEqual(['approve', 'limit']);
    const repair = (chats[1]!.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(repair.at(-2)).toEqual({ role: 'assistant', content: invalid });
    expect(repair.at(-1)?.content).toContain('approve');
    // A failed step is not checkpointed as done; the error message does not leak the model's text.
    expect(run.steps.find((s) => s.path === 'decision' && s.status === 'done')).toBeUndefined();
    expect(run.errorMessage ?? '').not.toContain('a lot');
  });

  it('completes with the repaired value when the second answer is valid', async () => {
    const { h, server } = await remoteHarness((response, index) => streamReply(response, [index === 0 ? invalid : '{"approve": true, ', '"limit": 250000}']));
    const run = await h.settle((await h.call('runs.start', { workflowId: 'decide', input: { borrower: 'Acme' } })).id);
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ approve: true, limit: 250_000 });
    expect(run.steps.find((s) => s.path === 'decision')).toMatchObject({ status: 'done', output: { approve: true, limit: 250_000 } });
    expect(chatRequests(server)).toHaveLength(2);
  });
});
