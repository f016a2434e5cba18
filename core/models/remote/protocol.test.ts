import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RemoteEndpointOptions } from './options.ts';
import { failure, finishChunk, jsonReply, sendEvent, serveProvider, startEvents, streamReply } from './testServer.ts';
import type { FakeServer, Handler } from './testServer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const serve = (handler: Handler, endpoint: Partial<RemoteEndpointOptions> = {}) => serveProvider(handler, cleanups, { endpoint });

type Body = Record<string, unknown> & { messages: Record<string, unknown>[] };
const bodyOf = (server: FakeServer, index: number): Body => server.requests[index]?.body as Body;

describe('RemoteModelProvider chat', () => {
  it('streams deltas, sends an OpenAI request, and reports usage', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['Good ', 'morning', '.'], { prompt_tokens: 11, completion_tokens: 3 }));
    const deltas: string[] = [];
    const result = await provider.chat({
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Greet me.' }],
      maxTokens: 16,
      temperature: 0,
      seed: 7,
      onDelta: (text) => deltas.push(text),
    });
    expect(deltas).toEqual(['Good ', 'morning', '.']);
    expect(result).toMatchObject({ text: 'Good morning.', finishReason: 'stop', toolCalls: [], model: 'served-model' });
    expect(result.usage).toMatchObject({ inputTokens: 11, outputTokens: 3 });
    expect(result.usage.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(result.usage.totalMs).toBeGreaterThanOrEqual(result.usage.timeToFirstTokenMs);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(bodyOf(server, 0)).toEqual({
      model: 'served-model',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Greet me.' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 16,
      temperature: 0,
      seed: 7,
    });
  });

  it('omits stream_options for servers that reject it, and counts output tokens by chunk', async () => {
    const { server, provider } = await serve((_request, response) => {
      startEvents(response);
      for (const piece of ['a', 'b', 'c']) sendEvent(response, { choices: [{ delta: { content: piece } }] });
      sendEvent(response, finishChunk());
      sendEvent(response, '[DONE]');
      response.end();
    }, { streamUsage: false });
    const result = await provider.chat({ messages: [{ role: 'user', content: 'abc' }] });
    expect(bodyOf(server, 0)).not.toHaveProperty('stream_options');
    expect(result.usage.outputTokens).toBe(3);
  });

  it('sends the API key from the getter as a bearer token and never puts it in an error', async () => {
    const { server, provider } = await serve((request, response) =>
      request.headers.authorization === 'Bearer sk-very-secret' ? jsonReply(response, 401, {}) : jsonReply(response, 500, {}),
    { getApiKey: async () => 'sk-very-secret', retry: { maxRetries: 0 } });
    const error = await failure(provider.chat({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-very-secret');
    expect(error.details).toMatchObject({ cause: 'unauthorized', status: 401 });
    expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('sk-very-secret');
  });

  it('sends no authorization header when there is no key', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['x']), { getApiKey: async () => null });
    await provider.chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(server.requests[0]?.headers).not.toHaveProperty('authorization');
  });
});

describe('RemoteModelProvider tool calls', () => {
  const tools = [
    { name: 'lookup_customer', description: 'Find a customer', parameters: { type: 'object', properties: { id: { type: 'string' } } } },
    { name: 'fx_rate', description: 'Exchange rate', parameters: { type: 'object', properties: { pair: { type: 'string' } } } },
  ];

  it('assembles tool calls from interleaved, split deltas', async () => {
    const { server, provider } = await serve((_request, response) => {
      startEvents(response);
      const delta = (toolCalls: unknown[]): void => sendEvent(response, { choices: [{ index: 0, delta: { tool_calls: toolCalls } }] });
      delta([{ index: 0, id: 'call_a', type: 'function', function: { name: 'lookup_customer', arguments: '' } }]);
      delta([{ index: 0, function: { arguments: '{"id": "C-' } }]);
      delta([{ index: 1, id: 'call_b', type: 'function', function: { name: 'fx_rate', arguments: '{"pair"' } }]);
      delta([{ index: 0, function: { arguments: '42"}' } }]);
      delta([{ index: 1, function: { arguments: ': "EURUSD"}' } }]);
      sendEvent(response, finishChunk('tool_calls'));
      sendEvent(response, '[DONE]');
      response.end();
    });
    const deltas: string[] = [];
    const result = await provider.chat({ messages: [{ role: 'user', content: 'Check C-42 in USD' }], tools, onDelta: (text) => deltas.push(text) });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toEqual([
      { id: 'call_a', name: 'lookup_customer', arguments: { id: 'C-42' } },
      { id: 'call_b', name: 'fx_rate', arguments: { pair: 'EURUSD' } },
    ]);
    expect(deltas).toEqual([]);
    expect(bodyOf(server, 0).tools).toEqual(tools.map((tool) => ({ type: 'function', function: tool })));
  });

  it('sends earlier tool calls and tool results in the OpenAI shape', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['Customer found.']));
    await provider.chat({
      tools,
      messages: [
        { role: 'user', content: 'Find C-42' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_a', name: 'lookup_customer', arguments: { id: 'C-42' } }] },
        { role: 'tool', content: '{"name":"ACME"}', toolCallId: 'call_a' },
      ],
    });
    expect(bodyOf(server, 0).messages.slice(1)).toEqual([
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'lookup_customer', arguments: '{"id":"C-42"}' } }] },
      { role: 'tool', content: '{"name":"ACME"}', tool_call_id: 'call_a' },
    ]);
  });

  it.each([
    ['arguments that are not JSON', 'lookup_customer', '{"id": ', 'tool_arguments_not_json'],
    ['a tool that was not offered', 'wire_money', '{}', 'unknown_tool'],
  ])('rejects %s with ERR_MODEL_OUTPUT_INVALID', async (_name, tool, args, cause) => {
    const { provider } = await serve((_request, response) => {
      startEvents(response);
      sendEvent(response, { choices: [{ delta: { tool_calls: [{ index: 0, id: 'c', function: { name: tool, arguments: args } }] } }] });
      sendEvent(response, finishChunk('tool_calls'));
      response.end();
    });
    const error = await failure(provider.chat({ messages: [{ role: 'user', content: 'go' }], tools }));
    expect(error.code).toBe('ERR_MODEL_OUTPUT_INVALID');
    expect(error.details).toMatchObject({ cause, tools: [tool] });
  });
});

describe('RemoteModelProvider structured output', () => {
  const Decision = z.object({ approve: z.boolean(), limit: z.number().int().min(0) });

  it('asks for json_schema output and returns the validated value', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['{"approve": true,', ' "limit": 5000}']));
    const result = await provider.chat({ messages: [{ role: 'user', content: 'Decide.' }], output: Decision });
    expect(result.value).toEqual({ approve: true, limit: 5000 });
    const { $schema: _dialect, ...schema } = z.toJSONSchema(Decision) as Record<string, unknown>;
    expect(bodyOf(server, 0).response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema, strict: true } });
  });

  it('repairs invalid output once, sending the reply and the issues back', async () => {
    const { server, provider } = await serve((_request, response, index) =>
      streamReply(response, [index === 0 ? '{"approve": "yes", "limit": 5000}' : '{"approve": true, "limit": 5000}'], { prompt_tokens: 10, completion_tokens: 4 }),
    );
    const deltas: string[] = [];
    const result = await provider.chat({ messages: [{ role: 'user', content: 'Decide.' }], output: Decision, onDelta: (text) => deltas.push(text) });
    expect(result.value).toEqual({ approve: true, limit: 5000 });
    expect(result.text).toBe('{"approve": true, "limit": 5000}');
    expect(deltas).toEqual(['{"approve": "yes", "limit": 5000}']);
    expect(result.usage).toMatchObject({ inputTokens: 20, outputTokens: 8 });
    const repair = bodyOf(server, 1).messages;
    expect(repair.slice(0, 2)).toEqual([{ role: 'user', content: 'Decide.' }, { role: 'assistant', content: '{"approve": "yes", "limit": 5000}' }]);
    expect(repair[2]).toMatchObject({ role: 'user', content: expect.stringContaining('- approve: Invalid input: expected boolean') as unknown });
  });

  it('fails with ERR_MODEL_OUTPUT_INVALID after one repair, naming paths but not the output', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['{"approve": "maybe-secret", "limit": -1}']));
    const error = await failure(provider.chat({ messages: [{ role: 'user', content: 'Decide.' }], output: Decision }));
    expect(error.code).toBe('ERR_MODEL_OUTPUT_INVALID');
    expect(error.details).toMatchObject({ model: 'credit-model', cause: 'schema_mismatch', attempts: 2 });
    expect(error.details?.issues).toEqual([expect.objectContaining({ path: 'approve' }), expect.objectContaining({ path: 'limit' })]);
    expect(JSON.stringify(error.details)).not.toContain('maybe-secret');
    expect(server.requests).toHaveLength(2);
  });

  it('reports text that is not JSON at all', async () => {
    const { provider } = await serve((_request, response) => streamReply(response, ['Sure! Here it is:']));
    const error = await failure(provider.chat({ messages: [{ role: 'user', content: 'Decide.' }], output: Decision }));
    expect(error.details).toMatchObject({ cause: 'not_json' });
  });

  it('leaves length and count limits out of the server grammar, and still holds the answer to them with zod', async () => {
    // Shaped like the SAR workflow's typology_analysis output: llama-server refuses a grammar with
    // `maxLength: 2000` ("failed to parse grammar"), so the limits are zod's alone.
    const Analysis = z.object({
      activitySummary: z.string().max(2000),
      chronology: z.array(z.object({ event: z.string().max(400), transactionIds: z.array(z.string().max(40)).max(50) })).min(1).max(60),
      maxLength: z.string().min(1),
    });
    const answer = (summary: string): string => JSON.stringify({ activitySummary: summary, chronology: [{ event: 'cash deposit', transactionIds: ['T1'] }], maxLength: 'a property, not a bound' });
    const { server, provider } = await serve((_request, response) => streamReply(response, [answer('x'.repeat(2001))]));
    const error = await failure(provider.chat({ messages: [{ role: 'user', content: 'Analyse.' }], output: Analysis }));
    expect(error.code).toBe('ERR_MODEL_OUTPUT_INVALID');
    expect(error.details).toMatchObject({ cause: 'schema_mismatch', attempts: 2, issues: [expect.objectContaining({ path: 'activitySummary' })] });
    for (const index of [0, 1]) {
      const sent = (bodyOf(server, index).response_format as { json_schema: { schema: Record<string, unknown> } }).json_schema.schema;
      expect(JSON.stringify(sent)).not.toMatch(/"max(Length|Items)":\d/);
      expect(sent).toMatchObject({
        properties: {
          activitySummary: { type: 'string' },
          chronology: { type: 'array', minItems: 1, items: { properties: { event: { type: 'string' }, transactionIds: { type: 'array', items: { type: 'string' } } } } },
          maxLength: { type: 'string', minLength: 1 },
        },
        required: ['activitySummary', 'chronology', 'maxLength'],
      });
    }
    const { server: fitting, provider: second } = await serve((_request, response) => streamReply(response, [answer('Structured cash deposits.')]));
    expect((await second.chat({ messages: [{ role: 'user', content: 'Analyse.' }], output: Analysis })).value).toMatchObject({ activitySummary: 'Structured cash deposits.' });
    expect(fitting.requests).toHaveLength(1);
  });

  it('refuses a schema JSON Schema cannot express before contacting the server', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['{}']));
    const error = await failure(provider.chat({ messages: [{ role: 'user', content: 'When?' }], output: z.object({ at: z.date() }) }));
    expect(error.code).toBe('ERR_MODEL_UNSUPPORTED');
    expect(server.requests).toHaveLength(0);
  });
});

describe('RemoteModelProvider embeddings, token counting and health', () => {
  it('embeds in input order whatever order the server answers in', async () => {
    const { server, provider } = await serve((_request, response) =>
      jsonReply(response, 200, { data: [{ index: 1, embedding: [0, 1] }, { index: 0, embedding: [1, 0] }], usage: { prompt_tokens: 6, total_tokens: 6 } }),
    );
    const result = await provider.embed(['first', 'second']);
    expect(result).toEqual({ vectors: [[1, 0], [0, 1]], inputTokens: 6 });
    expect(server.requests[0]).toMatchObject({ path: '/v1/embeddings', body: { model: 'served-model', input: ['first', 'second'], encoding_format: 'float' } });
  });

  it('rejects an embeddings answer with the wrong number of vectors', async () => {
    const { provider } = await serve((_request, response) => jsonReply(response, 200, { data: [{ index: 0, embedding: [1] }] }));
    const error = await failure(provider.embed(['a', 'b']));
    expect(error).toMatchObject({ code: 'ERR_MODEL_STREAM_MALFORMED', details: { cause: 'unexpected_embeddings_response' } });
  });

  it('counts tokens exactly through /tokenize beside /v1 and says so in health', async () => {
    const { server, provider } = await serve((request, response) => {
      if (request.path === '/tokenize') return jsonReply(response, 200, { tokens: [1, 2, 3, 4] });
      return jsonReply(response, 200, { object: 'list', data: [{ id: 'served-model' }] });
    });
    expect(await provider.countTokens('four token text')).toBe(4);
    expect(provider.tokenCounting).toBe('exact');
    expect(server.requests[0]).toMatchObject({ path: '/tokenize', body: { content: 'four token text' } });
    const health = await provider.health();
    expect(health.status).toBe('ok');
    expect(health.detail).toContain('token counting exact');
  });

  it('falls back to the documented estimate where the server has no /tokenize, and says so', async () => {
    const { provider } = await serve((request, response) =>
      request.path === '/v1/models' ? jsonReply(response, 200, { data: [{ id: 'served-model' }] }) : jsonReply(response, 404, {}),
    );
    const health = await provider.health();
    expect(health).toMatchObject({ status: 'ok', detail: expect.stringContaining('token counting estimated') as unknown });
    expect(provider.tokenCounting).toBe('estimate');
    expect(await provider.countTokens('abcdefghi')).toBe(3);
  });

  it('reports a model the endpoint does not list as degraded, and an unreachable one as failed', async () => {
    const { server, provider } = await serve((request, response) =>
      request.path === '/v1/models' ? jsonReply(response, 200, { data: [{ id: 'other-model' }] }) : jsonReply(response, 404, {}),
    );
    expect(await provider.health()).toMatchObject({ status: 'degraded', detail: expect.stringContaining('served-model is not among') as unknown });
    await server.close();
    const down = await provider.health();
    // The pooled keep-alive socket is closed under it (reset) or a new connect is refused.
    expect(down).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^ERR_MODEL_UNAVAILABLE: connection_(reset|refused)$/) as unknown });
  });
});
