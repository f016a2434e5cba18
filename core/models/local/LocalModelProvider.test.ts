import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CoreError } from '../../base/index.ts';
import { writeTestModel } from '../gguf/testModel.ts';
import type { GgufWriteResult } from '../gguf/GgufWriter.ts';
import { renderChat } from './chatPrompt.ts';
import { chatTemplateWrapper } from './chatTemplate.ts';
import { LocalModelPool } from './LocalModelPool.ts';
import { LocalModelProvider } from './LocalModelProvider.ts';

let dir: string;
let model: GgufWriteResult;
let pool: LocalModelPool;
let provider: LocalModelProvider;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strongroom-local-'));
  model = await writeTestModel(join(dir, 'tiny.gguf'), { seed: 11 });
  pool = new LocalModelPool({ threads: 1 });
  provider = new LocalModelProvider('tiny', { pool, spec: { id: 'tiny', path: model.path, sha256: model.sha256, contextSize: 2048, sequences: 2 } });
});

afterAll(async () => {
  await provider.dispose();
  await pool.dispose();
  await rm(dir, { recursive: true, force: true });
});

const user = (content: string) => [{ role: 'user' as const, content }];

async function expectCoreError(promise: Promise<unknown>, code: string): Promise<CoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CoreError);
  expect((error as CoreError).code).toBe(code);
  return error as CoreError;
}

describe('LocalModelProvider: generation', () => {
  it('loads lazily, generates, and reports usage', async () => {
    const lazyPool = new LocalModelPool({ threads: 1 });
    const lazy = new LocalModelProvider('lazy', { pool: lazyPool, spec: { id: 'lazy', path: model.path, contextSize: 512 } });
    expect(lazyPool.stats().loads).toBe(0);
    const result = await lazy.chat({ messages: user('Hello'), maxTokens: 16 });
    expect(lazyPool.stats().loads).toBe(1);
    expect(result.model).toBe('lazy');
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeLessThanOrEqual(16);
    expect(result.usage.inputTokens).toBeGreaterThan(3);
    expect(result.usage.totalMs).toBeGreaterThanOrEqual(result.usage.timeToFirstTokenMs);
    expect(['stop', 'length']).toContain(result.finishReason);
    await lazy.dispose();
    await lazyPool.dispose();
  });

  it('is deterministic for greedy decoding and for a fixed sampling seed', async () => {
    const greedy = async () => (await provider.chat({ messages: user('Same prompt'), maxTokens: 24, temperature: 0 })).text;
    expect(await greedy()).toBe(await greedy());
    const sampled = async (seed: number) => (await provider.chat({ messages: user('Same prompt'), maxTokens: 24, temperature: 1, seed })).text;
    expect(await sampled(5)).toBe(await sampled(5));
  });

  it('streams deltas that concatenate to the final text', async () => {
    const deltas: string[] = [];
    const result = await provider.chat({ messages: user('Stream please'), maxTokens: 40, temperature: 0.9, seed: 2, onDelta: (delta) => deltas.push(delta) });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(result.text);
  });

  it('stops at a caller stop string and never streams it', async () => {
    const free = await provider.chat({ messages: user('Stop test'), maxTokens: 40, temperature: 0 });
    const stop = free.text.slice(10, 13);
    expect(stop.length).toBe(3);
    let streamed = '';
    const stopped = await provider.chat({ messages: user('Stop test'), maxTokens: 40, temperature: 0, stop: [stop], onDelta: (delta) => (streamed += delta) });
    expect(stopped.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
    expect(streamed).toBe(stopped.text);
    expect(stopped.finishReason).toBe('stop');
  });

  it('cancels mid-generation with ERR_MODEL_CANCELLED, releasing the sequence', async () => {
    const controller = new AbortController();
    let deltas = 0;
    const pending = provider.chat({
      messages: user('A long answer'),
      maxTokens: 1500,
      signal: controller.signal,
      onDelta: () => {
        deltas++;
        if (deltas === 5) controller.abort();
      },
    });
    const error = await expectCoreError(pending, 'ERR_MODEL_CANCELLED');
    expect(error.details).toMatchObject({ model: 'tiny' });
    // It stopped right after the abort, not at maxTokens.
    expect(error.details?.outputTokens).toBeLessThan(20);
    // An already-aborted signal fails before touching the model.
    await expectCoreError(provider.chat({ messages: user('x'), signal: AbortSignal.abort() }), 'ERR_MODEL_CANCELLED');
    // Both sequences are free again: two concurrent requests complete.
    const both = await Promise.all([provider.chat({ messages: user('one'), maxTokens: 4 }), provider.chat({ messages: user('two'), maxTokens: 4 })]);
    expect(both).toHaveLength(2);
  });

  it('rejects a prompt longer than the context with ERR_INPUT_INVALID', async () => {
    await expectCoreError(provider.chat({ messages: user('word '.repeat(3000)) }), 'ERR_INPUT_INVALID');
  });
});

describe('LocalModelProvider: prefix reuse', () => {
  it('reuses the evaluated system prompt across steps that share it', async () => {
    const system = { role: 'system' as const, content: `You review credit applications for a bank. ${'Follow the policy. '.repeat(30)}` };
    const systemTokens = await provider.countTokens(system.content);
    const first = await provider.chat({ messages: [{ ...system, content: `${system.content}` }, { role: 'user', content: 'Step one' }], maxTokens: 4 });
    const second = await provider.chat({ messages: [system, { role: 'user', content: 'Step two, different' }], maxTokens: 4 });
    expect(second.usage.cachedInputTokens).toBeGreaterThanOrEqual(systemTokens);
    expect(second.usage.cachedInputTokens).toBeLessThan(second.usage.inputTokens);
    // A different system prompt shares (almost) nothing.
    const other = await provider.chat({ messages: [{ role: 'system', content: 'Something else entirely.' }, { role: 'user', content: 'Step two, different' }], maxTokens: 4 });
    expect(other.usage.cachedInputTokens ?? 0).toBeLessThan(10);
    expect(first.usage.inputTokens).toBeGreaterThan(systemTokens);
  });
});

describe('LocalModelProvider: sequence pooling', () => {
  it('keeps two interleaved runs on their own sequences, so both keep their prefix', async () => {
    const runA = { role: 'system' as const, content: `Run A reviews mortgages. ${'Rule A. '.repeat(40)}` };
    const runB = { role: 'system' as const, content: `Run B reviews payments. ${'Rule B. '.repeat(40)}` };
    const step = (system: typeof runA, index: number) => provider.chat({ messages: [system, { role: 'user', content: `step ${index}` }], maxTokens: 2 });
    await step(runA, 1);
    await step(runB, 1);
    const [a2, b2] = [await step(runA, 2), await step(runB, 2)];
    // With one shared sequence each step would evict the other run's prefix.
    expect(a2.usage.cachedInputTokens).toBeGreaterThan(100);
    expect(b2.usage.cachedInputTokens).toBeGreaterThan(100);
  });

  it('queues requests beyond the sequence count, and a queued request can be cancelled', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((index) => provider.chat({ messages: user(`parallel ${index}`), maxTokens: 8 })));
    expect(results.every((result) => result.usage.outputTokens > 0)).toBe(true);

    const controller = new AbortController();
    const busy = [provider.chat({ messages: user('busy 1'), maxTokens: 200 }), provider.chat({ messages: user('busy 2'), maxTokens: 200 })];
    const queued = provider.chat({ messages: user('queued'), maxTokens: 8, signal: controller.signal });
    controller.abort();
    const error = await expectCoreError(queued, 'ERR_MODEL_CANCELLED');
    expect(error.details).toMatchObject({ model: 'tiny', outputTokens: 0 });
    expect((await Promise.all(busy)).length).toBe(2);
  });
});

describe('LocalModelProvider: waiting for the model', () => {
  it('tells a queued request how many are ahead as the queue moves, then that it has the model; one that never waits hears nothing', async () => {
    const heard: Record<string, (number | null)[]> = { first: [], second: [], third: [], fourth: [] };
    const ask = (name: string, maxTokens: number) => provider.chat({ messages: user(`queue ${name}`), maxTokens, onQueue: (ahead) => heard[name]!.push(ahead) });
    // Two sequences: the first two start at once, the next two wait in order.
    const all = [ask('first', 40), ask('second', 40), ask('third', 4), ask('fourth', 4)];
    const results = await Promise.all(all);
    expect(results.every((result) => result.usage.outputTokens > 0)).toBe(true);
    expect(heard.first).toEqual([]);
    expect(heard.second).toEqual([]);
    expect(heard.third).toEqual([0, null]);
    // Fourth was second in line, moved up when third got a sequence, then got one itself.
    expect(heard.fourth).toEqual([1, 0, null]);
  });

  it('moves the others up when a queued request is cancelled', async () => {
    const controller = new AbortController();
    const heard: (number | null)[] = [];
    const busy = [provider.chat({ messages: user('hold 1'), maxTokens: 60 }), provider.chat({ messages: user('hold 2'), maxTokens: 60 })];
    const leaving = provider.chat({ messages: user('leaving'), maxTokens: 4, signal: controller.signal });
    const staying = provider.chat({ messages: user('staying'), maxTokens: 4, onQueue: (ahead) => heard.push(ahead) });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expectCoreError(leaving, 'ERR_MODEL_CANCELLED');
    await Promise.all([...busy, staying]);
    expect(heard).toEqual([1, 0, null]);
  });
});

describe('LocalModelProvider: structured output', () => {
  const decision = z.object({
    decision: z.enum(['approve', 'refer', 'decline']),
    score: z.number().int().min(0).max(100),
    reason: z.string().max(12),
    flags: z.array(z.boolean()).max(3),
    note: z.string().max(6).nullable(),
    limits: z.object({ currency: z.literal('EUR'), amount: z.number(), exposure: z.number().min(0), facilities: z.number().int().min(1) }),
  });

  it('500 schema-constrained generations are all valid', async () => {
    let repaired = 0;
    for (let index = 0; index < 500; index++) {
      const result = await provider.chat({ messages: user('Decide on the application.'), output: decision, temperature: 1, seed: index, maxTokens: 300 });
      expect(decision.safeParse(result.value).success).toBe(true);
      expect(JSON.parse(result.text)).toEqual(result.value);
      if (result.usage.inputTokens > 60) repaired++;
    }
    // The grammar alone keeps them valid: a repair attempt would show as a longer prompt.
    expect(repaired).toBe(0);
  }, 300_000); // ~25 s on a quiet 2-core machine; generous for CI under load

  it('makes one repair attempt, then fails with ERR_MODEL_OUTPUT_INVALID naming the paths', async () => {
    let calls = 0;
    // The grammar cannot express a refinement; the first answer fails it, the repair passes.
    const flaky = z.object({ ok: z.boolean() }).refine(() => ++calls > 1, { message: 'rejected once', path: ['ok'] });
    let streamed = '';
    const repaired = await provider.chat({ messages: user('Answer'), output: flaky, maxTokens: 40, onDelta: (delta) => (streamed += delta) });
    expect(calls).toBe(2);
    // Only the first attempt streams; the repair is not streamed again.
    expect(JSON.parse(streamed)).toHaveProperty('ok');
    expect(repaired.text).not.toBe('');
    expect(repaired.value).toHaveProperty('ok');
    expect(repaired.usage.inputTokens).toBeGreaterThan((await provider.chat({ messages: user('Answer'), maxTokens: 1 })).usage.inputTokens * 2 - 5);

    const never = z.object({ ok: z.boolean() }).refine(() => false, { message: 'always wrong', path: ['ok'] });
    const error = await expectCoreError(provider.chat({ messages: user('Answer'), output: never, maxTokens: 40 }), 'ERR_MODEL_OUTPUT_INVALID');
    expect(error.details).toMatchObject({ model: 'tiny', attempts: 2, issues: [{ path: 'ok', message: 'always wrong' }] });
  });

  it('returns tool calls constrained to the offered tools and their argument schemas', async () => {
    const tools = [
      { name: 'lookup_account', description: 'Find an account', parameters: { type: 'object', properties: { iban: { type: 'string', maxLength: 8 } }, required: ['iban'] } },
      { name: 'score', description: 'Score a client', parameters: { type: 'object', properties: { level: { type: 'integer', minimum: 1, maximum: 3 } } } },
    ];
    let ids = 0;
    const toolProvider = new LocalModelProvider('tiny', { pool, createId: () => `call-${++ids}` });
    let calls = 0;
    let messages = 0;
    let deltas = 0;
    // A bounded reply keeps the random model's message branch short; the reply is `output`.
    const reply = z.object({ reply: z.string().max(10) });
    for (let seed = 0; seed < 30 && (calls === 0 || messages === 0); seed++) {
      const result = await toolProvider.chat({ messages: user('Help me'), tools, output: reply, temperature: 1, seed, maxTokens: 250, onDelta: () => deltas++ });
      if (result.toolCalls.length > 0) {
        calls++;
        expect(result.finishReason).toBe('tool_calls');
        for (const call of result.toolCalls) {
          expect(call.id).toMatch(/^call-\d+$/);
          if (call.name === 'lookup_account') expect(typeof (call.arguments as { iban: unknown }).iban).toBe('string');
          else {
            expect(call.name).toBe('score');
            expect([1, 2, 3]).toContain((call.arguments as { level: unknown }).level);
          }
        }
      } else {
        messages++;
        expect(result.finishReason).toBe('stop');
        expect(reply.parse(result.value)).toEqual(JSON.parse(result.text));
      }
    }
    expect(calls).toBeGreaterThan(0);
    expect(messages).toBeGreaterThan(0);
    expect(deltas).toBe(0); // the envelope is not the answer's text, so it is not streamed
    // toolChoice: 'required' leaves the grammar only the tool-call branch; 'none' drops the tools.
    for (let seed = 0; seed < 5; seed++) {
      const forced = await toolProvider.chat({ messages: user('Help me'), tools, toolChoice: 'required', temperature: 1, seed, maxTokens: 250 });
      expect(forced.finishReason).toBe('tool_calls');
      expect(forced.toolCalls.length).toBeGreaterThan(0);
    }
    const withTools = await toolProvider.chat({ messages: user('Help me'), tools, output: reply, maxTokens: 200 });
    const without = await toolProvider.chat({ messages: user('Help me'), tools, toolChoice: 'none', output: reply, maxTokens: 200 });
    expect(without.toolCalls).toEqual([]);
    expect(without.usage.inputTokens).toBeLessThan(withTools.usage.inputTokens - 100); // no tool instructions
    expect(reply.safeParse(without.value).success).toBe(true);
    // A tool result goes back into the conversation and the model answers again.
    const followUp = await toolProvider.chat({
      messages: [
        { role: 'user', content: 'Help me' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call-x', name: 'score', arguments: { level: 2 } }] },
        { role: 'tool', toolCallId: 'call-x', content: '{"score": 700}' },
      ],
      tools,
      output: reply,
      maxTokens: 200,
      temperature: 1,
      seed: 1,
    });
    expect(followUp.usage.inputTokens).toBeGreaterThan(0);
  });
});

describe('LocalModelProvider: embeddings and tokens', () => {
  it('embeds each text into a vector of the model width, deterministically', async () => {
    const first = await provider.embed(['credit risk', 'payment report']);
    expect(first.vectors).toHaveLength(2);
    expect(first.vectors[0]).toHaveLength(64);
    expect(first.vectors[0]).not.toEqual(first.vectors[1]);
    expect(first.inputTokens).toBeGreaterThan(2);
    const again = await provider.embed(['credit risk']);
    expect(again.vectors[0]).toEqual(first.vectors[0]);
  });

  it('counts tokens with the model tokenizer', async () => {
    expect(await provider.countTokens('')).toBe(0);
    const short = await provider.countTokens('the bank');
    const long = await provider.countTokens('the bank '.repeat(10));
    expect(short).toBeGreaterThan(0);
    expect(long).toBeGreaterThan(short * 5);
  });

  it('prompts with the manifest’s chat template override instead of the one the GGUF embeds', async () => {
    const template = '{% for m in messages %}[[{{ m.role }}]] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[[assistant]] {% endif %}';
    const rendered = async (id: string, chatTemplate?: string): Promise<string> => {
      pool.register({ id, path: model.path, contextSize: 512, sequences: 1, ...(chatTemplate === undefined ? {} : { chatTemplate }) });
      const lease = await pool.acquire(id);
      try {
        const prompt = renderChat(lease.loaded, [{ role: 'system', content: 'Policy first.' }, ...user('Summarise the file.')]);
        return lease.loaded.model.detokenize(prompt.tokens, true);
      } finally {
        lease.release();
        await pool.unload(id);
      }
    };
    const overridden = await rendered('templated', template);
    // (The test model's tokenizer spells a space before each newline when it detokenizes.)
    expect(overridden).toMatch(/\[\[system\]\] Policy first\.\s+\[\[user\]\] Summarise the file\.\s+\[\[assistant\]\]/);
    const embedded = await rendered('embedded');
    expect(embedded).not.toContain('[[user]]');
    expect(embedded).toContain('Summarise the file.');
    // And generation runs through it.
    const templated = new LocalModelProvider('templated-chat', { pool, spec: { id: 'templated-chat', path: model.path, contextSize: 512, sequences: 1, chatTemplate: template } });
    expect((await templated.chat({ messages: user('Hello'), maxTokens: 4 })).usage.outputTokens).toBeGreaterThan(0);
    await templated.dispose();
  });
});

describe('LocalModelProvider: bad input is a typed error naming the model', () => {
  it('missing file → ERR_MODEL_NOT_FOUND', async () => {
    const missing = new LocalModelProvider('missing', { pool, spec: { id: 'missing', path: join(dir, 'nope.gguf') } });
    const error = await expectCoreError(missing.chat({ messages: user('x') }), 'ERR_MODEL_NOT_FOUND');
    expect(error.details).toMatchObject({ model: 'missing', cause: 'file does not exist' });
    expect(await missing.health()).toMatchObject({ status: 'failed', detail: 'ERR_MODEL_NOT_FOUND: file does not exist' });
  });

  it('checksum mismatch → ERR_MODEL_CHECKSUM_MISMATCH before loading', async () => {
    const loadsBefore = pool.stats().loads;
    const wrong = new LocalModelProvider('tampered', { pool, spec: { id: 'tampered', path: model.path, sha256: '0'.repeat(64) } });
    const error = await expectCoreError(wrong.chat({ messages: user('x') }), 'ERR_MODEL_CHECKSUM_MISMATCH');
    expect(error.details).toMatchObject({ model: 'tampered', actual: model.sha256 });
    expect(pool.stats().loads).toBe(loadsBefore);
  });

  it('unsupported architecture → ERR_MODEL_UNSUPPORTED', async () => {
    const foreign = await writeTestModel(join(dir, 'foreign.gguf'), { architecture: 'strongroom-unknown', embedding: 16, layers: 1, heads: 2, vocabSize: 400 });
    const provider2 = new LocalModelProvider('foreign', { pool, spec: { id: 'foreign', path: foreign.path, sha256: foreign.sha256 } });
    const error = await expectCoreError(provider2.countTokens('x'), 'ERR_MODEL_UNSUPPORTED');
    expect(error.details).toMatchObject({ model: 'foreign', cause: 'unsupported architecture', architecture: 'strongroom-unknown' });
  });

  it('a file that is not GGUF → ERR_MODEL_UNSUPPORTED', async () => {
    const path = join(dir, 'notes.gguf');
    await writeFile(path, 'these are not weights');
    const provider2 = new LocalModelProvider('notes', { pool, spec: { id: 'notes', path } });
    const error = await expectCoreError(provider2.embed(['x']), 'ERR_MODEL_UNSUPPORTED');
    expect(error.details).toMatchObject({ model: 'notes', cause: 'not a GGUF file' });
  });

  it('an unusable chat template override → ERR_MODEL_UNSUPPORTED naming the model and the fault', async () => {
    const broken = new LocalModelProvider('broken-template', { pool, spec: { id: 'broken-template', path: model.path, contextSize: 512, chatTemplate: '{% for m in messages %}{{ m.content ' } });
    const error = await expectCoreError(broken.chat({ messages: user('x'), maxTokens: 2 }), 'ERR_MODEL_UNSUPPORTED');
    expect(error.message).toContain('broken-template');
    expect(error.details).toMatchObject({ model: 'broken-template', cause: 'chat template override is not a usable Jinja template' });
    expect(() => chatTemplateWrapper('drops-messages', 'Always the same text.')).toThrow(/drops-messages/);
  });

  it('an unregistered model → ERR_MODEL_NOT_FOUND', async () => {
    await expectCoreError(new LocalModelProvider('ghost', { pool }).countTokens('x'), 'ERR_MODEL_NOT_FOUND');
  });
});
