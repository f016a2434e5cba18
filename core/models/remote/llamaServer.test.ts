// RemoteModelProvider against a real OpenAI-compatible server: llama.cpp's llama-server, built
// from the llama.cpp source inside node-llama-cpp by scripts/build-llama.sh (CI runs the script
// before the tests; the test only looks the build up), serving a generated random-weight GGUF.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CoreError } from '../../base/index.ts';
import { writeTestModel } from '../gguf/testModel.ts';
import { RemoteModelProvider } from './RemoteModelProvider.ts';
import type { RemoteModelProviderOptions } from './RemoteModelProvider.ts';
import { failure } from './testServer.ts';

const root = resolve(import.meta.dirname, '../../..');
const apiKey = 'test-key-for-loopback-only';

/** ChatML with Hermes-style `<tool_call>` syntax, so llama-server parses native tool calls. */
const toolTemplate = [
  "{%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] + '\\n\\n' }}{%- endif %}",
  "{{- 'Tools:\\n<tools>' }}{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{%- endfor %}",
  "{{- '\\n</tools>\\nCall a tool as <tool_call>\\n{\"name\": <name>, \"arguments\": <object>}\\n</tool_call><|im_end|>\\n' }}",
  "{%- elif messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- endif %}",
  "{%- for message in messages %}",
  "{%- if message.role == 'user' or (message.role == 'system' and not loop.first) or (message.role == 'assistant' and not message.tool_calls) %}",
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}",
  "{%- elif message.role == 'assistant' %}{{- '<|im_start|>assistant' }}{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}",
  "{%- for tool_call in message.tool_calls %}{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}",
  "{{- '\\n<tool_call>\\n{\"name\": \"' + tool_call.name + '\", \"arguments\": ' }}{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}",
  "{%- endfor %}{{- '<|im_end|>\\n' }}",
  "{%- elif message.role == 'tool' %}{{- '<|im_start|>user\\n<tool_response>\\n' + message.content + '\\n</tool_response><|im_end|>\\n' }}{%- endif %}",
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
].join('');

function llamaBinDir(): string {
  const check = spawnSync(join(root, 'scripts/build-llama.sh'), ['--check'], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(`llama-server is not built. Run scripts/build-llama.sh first (npm test and CI do). ${check.stderr.trim()}`);
  }
  return check.stdout.trim();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

interface RunningServer {
  baseUrl: string;
  stop(): Promise<void>;
}

async function startLlamaServer(bin: string, args: string[]): Promise<RunningServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(join(bin, 'llama-server'), ['--host', '127.0.0.1', '--port', String(port), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (data: Buffer) => {
    log = (log + data.toString()).slice(-4000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}:\n${log}`);
    const ready = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`llama-server did not become ready:\n${log}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

let dir = '';
let chatServer: RunningServer | undefined;
let embeddingServer: RunningServer | undefined;
const providers: RemoteModelProvider[] = [];

function provider(baseUrl: string, options: Partial<RemoteModelProviderOptions> = {}, key: string | null = apiKey): RemoteModelProvider {
  const created = new RemoteModelProvider({
    id: 'test-model-remote',
    model: 'test-model',
    endpoint: { baseUrl, getApiKey: async () => key, timeouts: { totalMs: 20_000, firstTokenMs: 10_000 } },
    ...options,
  });
  providers.push(created);
  return created;
}

beforeAll(async () => {
  const bin = llamaBinDir();
  dir = mkdtempSync(join(tmpdir(), 'strongroom-llama-server-'));
  const model = join(dir, 'model.gguf');
  await writeTestModel(model);
  writeFileSync(join(dir, 'tools.jinja'), toolTemplate);
  // The generated SPM vocabulary would put a space after `<|im_start|>` when llama-server replays
  // the generation prompt through a JSON-schema grammar, which fails; ChatML models do not use
  // the space prefix, so it is switched off here.
  const common = ['-m', model, '-t', '1', '-c', '2048', '--alias', 'test-model', '--no-webui', '--override-kv', 'tokenizer.ggml.add_space_prefix=bool:false'];
  [chatServer, embeddingServer] = await Promise.all([
    startLlamaServer(bin, [...common, '-np', '2', '--jinja', '--chat-template-file', join(dir, 'tools.jinja'), '--api-key', apiKey]),
    startLlamaServer(bin, [...common, '-np', '1', '--embeddings', '--pooling', 'mean']),
  ]);
});

afterAll(async () => {
  for (const created of providers) await created.dispose();
  await Promise.all([chatServer?.stop(), embeddingServer?.stop()]);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const chatUrl = (): string => chatServer?.baseUrl ?? '';

describe('RemoteModelProvider against llama-server', () => {
  it('streams a chat with usage from the server', async () => {
    const deltas: string[] = [];
    const result = await provider(chatUrl()).chat({ messages: [{ role: 'user', content: 'Summarise the credit memo.' }], maxTokens: 12, temperature: 0, seed: 1, onDelta: (text) => deltas.push(text) });
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.join('')).toBe(result.text);
    expect(result.model).toBe('test-model');
    expect(['stop', 'length']).toContain(result.finishReason);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeLessThanOrEqual(12);
    expect(result.usage.cachedInputTokens).toBeTypeOf('number');
  });

  it('returns schema-valid JSON for response_format output', async () => {
    const Decision = z.object({ approve: z.boolean(), limit: z.number().int().min(0).max(1_000_000), currency: z.enum(['EUR', 'USD']) });
    const result = await provider(chatUrl()).chat({ messages: [{ role: 'user', content: 'Decide on the credit line.' }], output: Decision, maxTokens: 200, temperature: 0, seed: 3 });
    expect(Decision.parse(result.value)).toEqual(result.value);
    expect(JSON.parse(result.text)).toEqual(result.value);
  });

  it('accepts the output schema of a shipped workflow step (SAR typology analysis) with its length and count limits', async () => {
    // Built as the workflow engine builds it (z.fromJSONSchema of the step's `output`). Sent whole,
    // llama-server refuses it: "failed to parse grammar" (maxLength 2000 reaches llama.cpp's
    // repetition limit).
    const item = (maxLength: number) => ({ type: 'string' as const, maxLength });
    const Analysis = z.fromJSONSchema({
      type: 'object',
      additionalProperties: false,
      required: ['activitySummary', 'chronology', 'typologies', 'questionsForInvestigator'],
      properties: {
        activitySummary: item(2000),
        chronology: {
          type: 'array', minItems: 1, maxItems: 60,
          items: { type: 'object', additionalProperties: false, required: ['date', 'event', 'transactionIds'], properties: { date: { type: 'string', format: 'date' }, event: item(400), transactionIds: { type: 'array', maxItems: 50, items: item(40) } } },
        },
        typologies: {
          type: 'array', maxItems: 6,
          items: {
            type: 'object', additionalProperties: false, required: ['typology', 'indicators', 'transactionIds'],
            properties: {
              typology: { type: 'string', enum: ['structuring', 'funnel_account', 'rapid_movement_of_funds', 'cash_inconsistent_with_business', 'unexplained_third_party_payments', 'other'] },
              indicators: { type: 'array', minItems: 1, maxItems: 8, items: item(300) },
              transactionIds: { type: 'array', maxItems: 100, items: item(40) },
            },
          },
        },
        questionsForInvestigator: { type: 'array', minItems: 1, maxItems: 8, items: { type: 'object', additionalProperties: false, required: ['question', 'why'], properties: { question: item(300), why: item(300) } } },
      },
    });
    const outcome = await provider(chatUrl()).chat({ messages: [{ role: 'user', content: 'Analyse the alerts.' }], output: Analysis, maxTokens: 400, temperature: 0, seed: 3 }).catch((error: unknown) => error);
    // Random weights may not close the JSON within the token budget; that is the model, not the
    // schema: the server generated under the grammar either way.
    if (outcome instanceof CoreError) expect(outcome.details).toMatchObject({ model: 'test-model-remote', cause: expect.stringMatching(/^(not_json|schema_mismatch)$/) as unknown });
    else expect(Analysis.parse((outcome as { value: unknown }).value)).toBeDefined();
  });

  it('makes a tool call through the json-schema envelope', async () => {
    // Random weights never choose a native `<tool_call>` on their own (llama-server lets free text
    // precede it even for tool_choice=required), so the forced call uses the envelope mode.
    const tools = [
      { name: 'fx_rate', description: 'Exchange rate for a pair', parameters: { type: 'object', properties: { pair: { type: 'string', enum: ['EURUSD', 'GBPUSD'] } }, required: ['pair'], additionalProperties: false } },
    ];
    const result = await provider(chatUrl(), { toolCalling: 'json-schema' }).chat({ messages: [{ role: 'user', content: 'What is the euro rate?' }], tools, toolChoice: 'required', maxTokens: 200, temperature: 0, seed: 5 });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls.length).toBeGreaterThan(0);
    for (const call of result.toolCalls) {
      expect(call.name).toBe('fx_rate');
      expect(['EURUSD', 'GBPUSD']).toContain((call.arguments as { pair: string }).pair);
    }
  });

  it('sends native tools in a form llama-server accepts', async () => {
    const tools = [{ name: 'lookup_customer', description: 'Find a customer', parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } }];
    const result = await provider(chatUrl()).chat({ messages: [{ role: 'user', content: 'Find C-42.' }], tools, maxTokens: 8, temperature: 0, seed: 1 });
    expect(['stop', 'length', 'tool_calls']).toContain(result.finishReason);
    for (const call of result.toolCalls) expect(call.name).toBe('lookup_customer');
  });

  it('embeds texts with the server in embeddings mode', async () => {
    const result = await provider(embeddingServer?.baseUrl ?? '', {}, null).embed(['credit memo', 'KYC review of a new client']);
    expect(result.vectors).toHaveLength(2);
    for (const vector of result.vectors) {
      expect(vector).toHaveLength(64);
      expect(vector.every((value) => Number.isFinite(value))).toBe(true);
    }
    expect(result.vectors[0]).not.toEqual(result.vectors[1]);
    expect(result.inputTokens).toBeGreaterThan(0);
  });

  it('reports health and counts tokens with the server tokenizer', async () => {
    const model = provider(chatUrl());
    const health = await model.health();
    expect(health).toMatchObject({ status: 'ok', detail: expect.stringContaining('token counting exact') as unknown });
    const short = await model.countTokens('credit');
    const long = await model.countTokens('credit memo for a corporate client with a revolving facility');
    expect(model.tokenCounting).toBe('exact');
    expect(short).toBeGreaterThan(0);
    expect(long).toBeGreaterThan(short);
  });

  it('names a wrong API key as unauthorized', async () => {
    const model = provider(chatUrl(), {}, 'wrong-key');
    const error = await failure(model.chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 4 }));
    expect(error.details).toMatchObject({ model: 'test-model-remote', cause: 'unauthorized', status: 401 });
    expect(await model.health()).toMatchObject({ status: 'failed', detail: 'ERR_MODEL_UNAVAILABLE: unauthorized' });
  });

  it('says a prompt longer than the context does not fit, with what the server said', async () => {
    const error = await failure(provider(chatUrl()).chat({ messages: [{ role: 'user', content: 'credit memo '.repeat(1500) }], maxTokens: 4 }));
    expect(error.code).toBe('ERR_INPUT_INVALID');
    expect(error.details).toMatchObject({ model: 'test-model-remote', cause: 'context_size_exceeded', status: 400, serverError: { type: 'exceed_context_size_error' } });
    expect(error.message).toMatch(/: the prompt does not fit the model's context \(HTTP 400, exceed_context_size_error: .*context size/);
    expect(error.message).not.toContain('credit memo');
  });

  it('cancels a generation mid-stream and keeps serving', async () => {
    const model = provider(chatUrl());
    const controller = new AbortController();
    const error = await failure(model.chat({ messages: [{ role: 'user', content: 'Write at length.' }], maxTokens: 1500, signal: controller.signal, onDelta: () => controller.abort() }));
    expect(error.code).toBe('ERR_MODEL_CANCELLED');
    const next = await model.chat({ messages: [{ role: 'user', content: 'Again.' }], maxTokens: 4, temperature: 0 });
    expect(next.usage.outputTokens).toBeGreaterThan(0);
  });
});
