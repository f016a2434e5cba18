import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ToolCalling } from './chatPlan.ts';
import { failure, serveProvider, streamReply } from './testServer.ts';
import type { FakeServer, Handler } from './testServer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const serve = (handler: Handler, toolCalling: ToolCalling) => serveProvider(handler, cleanups, { toolCalling });

type Body = Record<string, unknown> & { messages: { role: string; content: string }[] };
const bodyOf = (server: FakeServer, index: number): Body => server.requests[index]?.body as Body;

const tools = [{ name: 'fx_rate', description: 'Exchange rate for a currency pair', parameters: { type: 'object', properties: { pair: { type: 'string' } }, required: ['pair'] } }];

describe('tool choice', () => {
  it('sends tool_choice natively, and drops the tools when it is none', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['ok']), 'native');
    await provider.chat({ messages: [{ role: 'user', content: 'rate?' }], tools, toolChoice: 'required' });
    await provider.chat({ messages: [{ role: 'user', content: 'rate?' }], tools, toolChoice: 'none' });
    expect(bodyOf(server, 0)).toMatchObject({ tool_choice: 'required', tools: [{ type: 'function' }] });
    expect(bodyOf(server, 1)).not.toHaveProperty('tools');
    expect(bodyOf(server, 1)).not.toHaveProperty('tool_choice');
  });
});

describe('json-schema tool calling (servers without a tool-call parser)', () => {
  it('asks for the envelope through response_format and turns a tool_calls envelope into tool calls', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['{"type":"tool_calls",', '"calls":[{"name":"fx_rate","arguments":{"pair":"EURUSD"}}]}']), 'json-schema');
    const deltas: string[] = [];
    const result = await provider.chat({ messages: [{ role: 'system', content: 'You are careful.' }, { role: 'user', content: 'rate?' }], tools, onDelta: (text) => deltas.push(text) });
    expect(result.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/) as unknown, name: 'fx_rate', arguments: { pair: 'EURUSD' } }]);
    expect(result.finishReason).toBe('tool_calls');
    expect(deltas).toEqual([]);
    const body = bodyOf(server, 0);
    expect(body).not.toHaveProperty('tools');
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'reply_or_tool_calls', strict: true, schema: { anyOf: [{}, {}] } } });
    expect(body.messages[0]?.content).toMatch(/^You are careful\.\n\nYou can call these tools:\n- fx_rate: Exchange rate/);
  });

  it('allows only tool calls when a tool call is required', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['{"type":"tool_calls","calls":[{"name":"fx_rate","arguments":{"pair":"GBPUSD"}}]}']), 'json-schema');
    await provider.chat({ messages: [{ role: 'user', content: 'rate?' }], tools, toolChoice: 'required' });
    const schema = (bodyOf(server, 0).response_format as { json_schema: { schema: Record<string, unknown> } }).json_schema.schema;
    expect(schema).toMatchObject({ properties: { type: { const: 'tool_calls' } } });
    expect(schema).not.toHaveProperty('anyOf');
  });

  it('returns a message envelope as text, or as the validated output value', async () => {
    const { provider } = await serve((request, response) => {
      const structured = JSON.stringify(request.body).includes('"limit"');
      streamReply(response, [structured ? '{"type":"message","content":{"limit":100}}' : '{"type":"message","content":"Hello there"}']);
    }, 'json-schema');
    const plain = await provider.chat({ messages: [{ role: 'user', content: 'hi' }], tools });
    expect(plain).toMatchObject({ text: 'Hello there', toolCalls: [], finishReason: 'stop' });
    const structured = await provider.chat({ messages: [{ role: 'user', content: 'limit?' }], tools, output: z.object({ limit: z.number() }) });
    expect(structured.value).toEqual({ limit: 100 });
  });

  it('sends the envelope without length and count limits, keeping them in the instructions and in zod', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['{"type":"message","content":{"memo":"' + 'x'.repeat(3001) + '"}}']), 'json-schema');
    const noted = [{ name: 'note', description: 'Record a note', parameters: { type: 'object', properties: { text: { type: 'string', maxLength: 2000 } }, required: ['text'] } }];
    const error = await failure(provider.chat({ messages: [{ role: 'user', content: 'memo?' }], tools: noted, output: z.object({ memo: z.string().max(3000) }) }));
    expect(error.details).toMatchObject({ cause: 'schema_mismatch', issues: [expect.objectContaining({ path: 'content.memo' })] });
    const body = bodyOf(server, 0);
    const schema = JSON.stringify((body.response_format as { json_schema: { schema: unknown } }).json_schema.schema);
    expect(schema).not.toContain('maxLength');
    expect(schema).toContain('"memo":{"type":"string"}');
    expect(schema).toContain('"text":{"type":"string"}');
    expect(body.messages[0]?.content).toContain('"maxLength":2000');
  });

  it('renders earlier calls and results as envelopes and user turns', async () => {
    const { server, provider } = await serve((_request, response) => streamReply(response, ['{"type":"message","content":"1.08"}']), 'json-schema');
    await provider.chat({
      tools,
      messages: [
        { role: 'user', content: 'rate?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'fx_rate', arguments: { pair: 'EURUSD' } }] },
        { role: 'tool', content: '1.08', toolCallId: 'call_1' },
      ],
    });
    expect(bodyOf(server, 0).messages.slice(2)).toEqual([
      { role: 'assistant', content: '{"type":"tool_calls","calls":[{"name":"fx_rate","arguments":{"pair":"EURUSD"}}]}' },
      { role: 'user', content: 'Result of tool fx_rate (call_1):\n1.08' },
    ]);
  });

  it('repairs an envelope naming a tool that was not offered', async () => {
    const { server, provider } = await serve((_request, response, index) =>
      streamReply(response, [index === 0 ? '{"type":"tool_calls","calls":[{"name":"wire_money","arguments":{}}]}' : '{"type":"tool_calls","calls":[{"name":"fx_rate","arguments":{"pair":"EURUSD"}}]}']),
    'json-schema');
    const result = await provider.chat({ messages: [{ role: 'user', content: 'rate?' }], tools });
    expect(result.toolCalls.map((call) => call.name)).toEqual(['fx_rate']);
    expect(bodyOf(server, 1).messages.at(-1)?.content).toContain('- calls[0].name: not one of the offered tools');
  });
});
