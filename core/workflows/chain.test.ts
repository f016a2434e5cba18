// The chain around every step, link by link: per-step timeouts and retries, the run's model
// budget, the audit entry for every side-effecting tool call, and the cache and guardrail seams
// (pass-through until their policies land, but already able to answer or block a step).
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CoreError } from '../base/index.ts';
import type { ChatRequest, ModelProvider } from '../models/index.ts';
import { RunStore } from './store.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import { instantModel } from './testing/instantModel.ts';
import { threeSteps } from './testing/threeSteps.ts';
import type { Tool } from './tools.ts';
import { validateDefinition, parseDefinitionText } from './validate.ts';

const open: Harness[] = [];
afterEach(async () => { for (const h of open.splice(0)) await h.core.dispose(); });



/** A model whose calls for prompts starting with `prefix` are decided by `behaviour` (call number → what happens). */
function scripted(prefix: string, behaviour: (n: number, request: ChatRequest) => 'hang' | 'ok' | Error, calls: ChatRequest[] = []): ModelProvider {
  const inner = instantModel({ calls });
  let n = 0;
  return {
    ...inner,
    chat(request) {
      if (!request.messages.at(-1)!.content.startsWith(prefix)) return inner.chat(request);
      n += 1;
      const what = behaviour(n, request);
      if (what === 'ok') return inner.chat(request);
      if (what instanceof Error) return Promise.reject(what);
      return new Promise(() => undefined); // never answers, and ignores its signal
    },
  };
}

const make = async (options: Parameters<typeof harness>[0]) => {
  const h = await harness(options);
  open.push(h);
  return h;
};

describe('timeouts and retries', () => {
  it('times a step out, retries it, and finishes on the second attempt', async () => {
    const h = await make({ workflows: { three: threeSteps('', '    timeoutMs: 100\n    retries: 1\n') }, model: scripted('Second', (n) => (n === 1 ? 'hang' : 'ok')) });
    const run = await h.settle((await h.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } })).id);
    expect(run.status).toBe('completed');
    expect(new RunStore(h.core.storage!.scopeFor({ accountId: h.accountId })).steps(run.id).get('second')).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('fails with ERR_WORKFLOW_TIMEOUT naming the step once the attempts are used up, even when the step ignores its signal', async () => {
    const h = await make({ workflows: { three: threeSteps('', '    timeoutMs: 60\n    retries: 1\n') }, model: scripted('Second', () => 'hang') });
    const run = await h.settle((await h.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } })).id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_TIMEOUT' });
    expect(run.errorMessage).toContain('second');
    expect(run.errorMessage).toContain('60 ms');
  });

  it('retries what may succeed later, never what will not', async () => {
    const unavailable: ChatRequest[] = [];
    const h1 = await make({ workflows: { three: threeSteps('', '    retries: 2\n') }, model: scripted('Second', (n) => (n < 3 ? new CoreError('ERR_MODEL_UNAVAILABLE', 'down') : 'ok'), unavailable) });
    expect((await h1.settle((await h1.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } })).id)).status).toBe('completed');
    const invalid: ChatRequest[] = [];
    let attempts = 0;
    const h2 = await make({ workflows: { three: threeSteps('', '    retries: 2\n') }, model: scripted('Second', () => { attempts += 1; return new CoreError('ERR_INPUT_INVALID', 'bad'); }, invalid) });
    const failed = await h2.settle((await h2.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } })).id);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'ERR_INPUT_INVALID' });
    expect(attempts).toBe(1);
  });

  it('refuses timeouts and retries on steps that do no work of their own, naming the path', () => {
    const text = `id: mapped
name: Mapped
inputs: {type: object, properties: {items: {type: array, items: {type: string}}}, required: [items]}
steps:
  - id: each
    kind: map
    over: inputs.items
    timeoutMs: 1000
    steps:
      - id: ask
        kind: human
        action: approve
        prompt: "OK?"
        retries: 2
`;
    expect(() => validateDefinition(parseDefinitionText(text), () => undefined)).toThrow(expect.objectContaining({
      code: 'ERR_INPUT_INVALID',
      details: { issues: expect.arrayContaining([expect.objectContaining({ path: 'steps[0].map.timeoutMs' }), expect.objectContaining({ path: 'steps[0].map.steps[0].human.retries' })]) as unknown },
    }) as Error);
  });
});

describe('the run budget', () => {
  it('stops the run at the model call its budget does not allow, and a retry does not get past it', async () => {
    const calls: ChatRequest[] = [];
    const h = await make({ workflows: { three: threeSteps('budget: {maxModelCalls: 2}\n') }, model: instantModel({ calls }) });
    const run = await h.settle((await h.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } })).id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_BUDGET' });
    expect(run.errorMessage).toContain('third');
    expect(calls).toHaveLength(2);
    // The budget counts what earlier passes spent, from the checkpoints.
    await h.call('runs.resume', { runId: run.id });
    expect(await h.settle(run.id)).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_BUDGET' });
    expect(calls).toHaveLength(2);
  });

  it('counts tokens too', async () => {
    const calls: ChatRequest[] = [];
    // The instant model reports the prompt's length as input tokens and ~20 as output: two calls exceed 60.
    const h = await make({ workflows: { three: threeSteps('budget: {maxTokens: 60}\n') }, model: instantModel({ calls }) });
    const run = await h.settle((await h.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } })).id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_BUDGET' });
    expect(calls).toHaveLength(2); // 34 tokens, then 35: the third call would start past 60
  });
});

const echo: Tool<{ text: string }, { text: string }> = {
  name: 'echo',
  description: 'Returns its text (no side effects).',
  input: z.object({ text: z.string() }),
  output: z.object({ text: z.string() }),
  sideEffects: false,
  call: (input) => Promise.resolve({ text: input.text }),
};

describe('the audit link', () => {
  it('writes one audit entry per side-effecting tool call: who the run acts for, which run, step and tool', async () => {
    const h = await make({ workflows: { count: `id: count
name: Count
inputs: {type: object, properties: {label: {type: string}}, required: [label]}
steps:
  - id: tick
    kind: tool
    tool: counter
    args: {label: {ref: inputs.label}}
  - id: pure
    kind: tool
    tool: echo
    args: {text: {value: "no effect"}}
` }, model: instantModel(), tools: [echo] });
    const run = await h.settle((await h.call('runs.start', { workflowId: 'count', input: { label: 'cheques' } })).id);
    expect(run.status).toBe('completed');
    const entries = h.core.storage!.db.prepare("SELECT actor_user_id AS actor, account_id AS account, resource, outcome, details FROM audit_log WHERE action = 'tools.call'").all() as Array<{ actor: string; account: string; resource: string; outcome: string; details: string }>;
    // The counter changes something: audited. The echo does not: on the trace only.
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: 'analyst-1', account: h.accountId, resource: 'tool:counter', outcome: 'success' });
    expect(JSON.parse(entries[0]!.details) as unknown).toMatchObject({ runId: run.id, path: 'tick', workflowId: 'count' });
  });
});

describe('the cache and guardrail seams', () => {
  it('answers a step from a configured cache without executing it, and says so on its span', async () => {
    const calls: ChatRequest[] = [];
    const h = await make({
      workflows: { three: threeSteps() },
      model: instantModel({ calls }),
      stepCache: { lookup: (context) => (context.path === 'second' ? { output: 'from the cache' } : undefined), store: () => undefined },
    });
    const run = await h.settle((await h.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } })).id);
    expect(run.status).toBe('completed');
    expect(run.steps.find((s) => s.path === 'second')?.output).toBe('from the cache');
    expect(calls.map((c) => c.messages.at(-1)!.content)).toEqual(['First on Acme', 'Third on Acme']);
    h.core.traceRecorder!.flush();
    const { spans } = await h.call('traces.get', { traceId: run.traceId });
    expect(spans.find((s) => s.path === 'second')?.attributes).toMatchObject({ 'strongroom.cache.hit': true });
    expect(spans.find((s) => s.path === 'first')?.attributes).toMatchObject({ 'strongroom.cache.hit': false });
  });

  it('fails a step a guardrail policy blocks, with the decision on its span', async () => {
    const h = await make({
      workflows: { three: threeSteps() },
      model: instantModel(),
      guardrails: { judge: (context) => (context.path === 'second' ? { decision: 'block', policy: 'no-account-numbers', reason: 'an account number' } : { decision: 'pass', policy: 'no-account-numbers' }) },
    });
    const run = await h.settle((await h.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } })).id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ERR_GUARDRAIL_BLOCKED' });
    expect(run.errorMessage).toContain('no-account-numbers');
    h.core.traceRecorder!.flush();
    const { spans } = await h.call('traces.get', { traceId: run.traceId });
    expect(spans.find((s) => s.path === 'first')?.attributes).toMatchObject({ 'strongroom.guardrail.decision': 'pass' });
    expect(spans.find((s) => s.path === 'second')).toMatchObject({ status: 'error', attributes: { 'strongroom.guardrail.decision': 'block' } });
  });
});
