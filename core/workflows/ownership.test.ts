// Two processes on one installation (the desktop app and a CLI command, say) never execute the
// same run. Here two cores share one data directory, as two processes would: a run belongs to the
// core that claimed it while that core keeps its lease fresh; the other neither resumes nor
// executes it, hands it answers through the database, and can cancel it. A silent owner's run is
// taken over, and whatever the silent owner finishes afterwards is not recorded as the outcome.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../createCore.ts';
import type { ChatRequest, ChatResult, ModelProvider } from '../models/index.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { RunStore } from './store.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';

const open: Harness[] = [];
afterEach(async () => { for (const h of open.splice(0)) await h.core.dispose(); });

/** A model that answers only when the test opens its gate (or fails when the step is aborted). */
function gatedModel(name: string) {
  let release: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => { release = resolve; });
  const state = {
    calls: 0,
    open(): void { release(); },
    close(): void { gate = new Promise<void>((resolve) => { release = resolve; }); },
    model: {
      id: name,
      kind: 'local',
      async chat<T>(request: ChatRequest<T>): Promise<ChatResult<T>> {
        state.calls += 1;
        await new Promise<void>((resolve, reject) => {
          void gate.then(resolve);
          request.signal?.addEventListener('abort', () => reject(request.signal?.reason as Error), { once: true });
        });
        return { text: `${name} wrote this`, toolCalls: [], finishReason: 'stop', model: name, usage: { inputTokens: 1, outputTokens: 1, timeToFirstTokenMs: 0, totalMs: 0, tokensPerSecond: 0 } };
      },
      embed: () => Promise.resolve({ vectors: [], inputTokens: 0 }),
      countTokens: (text: string) => Promise.resolve(text.length),
      health: () => Promise.resolve({ status: 'ok' as const }),
      dispose: () => Promise.resolve(),
    } satisfies ModelProvider,
  };
  return state;
}

// One branch waits for a person while the other is still writing: the pass is busy when the answer comes.
const split = `id: split
name: A question and a draft side by side
inputs: {type: object, properties: {items: {type: array, items: {type: string}}}, required: [items]}
steps:
  - id: each
    kind: map
    over: inputs.items
    concurrency: 2
    steps:
      - id: work
        kind: branch
        cases:
          - when: { ref: item, equals: ask }
            steps:
              - id: confirm
                kind: human
                action: approve
                prompt: "Confirm {{ item }}"
        otherwise:
          - id: draft
            kind: llm
            prompt: "Draft {{ item }}"
  - id: close
    kind: llm
    prompt: "Close"
`;

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function twoProcesses(lease: { refreshMs: number; staleMs: number }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-owners-'));
  const secrets = new MemorySecretStore();
  const modelA = gatedModel('model-a');
  const modelB = gatedModel('model-b');
  const a = await harness({ workflows: { split }, model: modelA.model, dataDir, secrets, lease });
  open.push(a);
  const b = await harness({ workflows: { split }, model: modelB.model, dataDir, secrets, lease });
  open.push(b);
  return { a, b, modelA, modelB };
}

describe('run ownership between processes', () => {
  it('leaves a run to the process executing it: no second execution, and an answer given elsewhere is taken up by the owner', async () => {
    const { a, b, modelA, modelB } = await twoProcesses({ refreshMs: 20, staleMs: 5_000 });
    const run = await a.call('runs.start', { workflowId: 'split', input: { items: ['ask', 'write'] } });
    await until(() => modelA.calls === 1, 'A is drafting');
    await until(async () => (await b.call('runs.get', { runId: run.id })).steps.some((s) => s.path === 'each[0].work.confirm' && s.status === 'waiting'), 'the question waits');

    // B starting up (recovery) and B asked to resume: both leave the run to A.
    expect(b.core.workflows!.recoverAll()).toBe(0);
    expect((await b.call('runs.resume', { runId: run.id })).status).toBe('running');
    // B answers; it cannot claim the run, so A — still drafting — must pick the answer up.
    await b.call('runs.answer', { runId: run.id, path: 'each[0].work.confirm', answer: { approved: true } });
    expect(new RunStore(b.core.storage!.scopeFor({ accountId: b.accountId })).run(run.id)?.owner).toMatch(new RegExp(`/${process.pid}/`));

    modelA.open();
    const done = await b.settle(run.id);
    expect(done.status).toBe('completed');
    expect(done.steps.find((s) => s.path === 'each[0].work.confirm')).toMatchObject({ status: 'done', output: { approved: true } });
    expect(modelB.calls).toBe(0); // B executed nothing
    expect(modelA.calls).toBe(2); // the draft and the close, once each
    expect(new RunStore(a.core.storage!.scopeFor({ accountId: a.accountId })).run(run.id)?.owner).toBeNull();
  });

  it('cancels a run another process is executing: the owner stops at its next lease refresh and records nothing after', async () => {
    const { a, b, modelA } = await twoProcesses({ refreshMs: 20, staleMs: 5_000 });
    const run = await a.call('runs.start', { workflowId: 'split', input: { items: ['write', 'more'] } });
    await until(() => modelA.calls === 2, 'A is drafting both items');
    const cancelled = await b.call('runs.cancel', { runId: run.id });
    expect(cancelled.status).toBe('cancelled');
    await a.core.workflows!.settled(run.id); // A's pass stopped (its model calls were aborted)
    modelA.open();
    const after = await a.call('runs.get', { runId: run.id });
    expect(after).toMatchObject({ status: 'cancelled', errorCode: 'ERR_WORKFLOW_CANCELLED' });
    expect(after.steps.filter((s) => s.status === 'done')).toEqual([]);
    expect(modelA.calls).toBe(2); // no further step ran
  });

  it('takes over the run of a process that fell silent; what the silent one finishes afterwards is not the outcome', async () => {
    // A never refreshes its lease (a hung or suspended process); B treats it as gone after 200 ms.
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-owners-'));
    const secrets = new MemorySecretStore();
    const modelA = gatedModel('model-a');
    const modelB = gatedModel('model-b');
    const a = await harness({ workflows: { split }, model: modelA.model, dataDir, secrets, lease: { refreshMs: 0, staleMs: 200 } });
    open.push(a);
    const b = await harness({ workflows: { split }, model: modelB.model, dataDir, secrets, lease: { refreshMs: 20, staleMs: 200 } });
    open.push(b);
    const run = await a.call('runs.start', { workflowId: 'split', input: { items: ['write'] } });
    await until(() => modelA.calls === 1, 'A is drafting');
    expect(b.core.workflows!.recoverAll()).toBe(0); // fresh: A still counts as alive
    const resumes = () => b.core.audit!.list({ actionPrefix: 'runs.resume' });
    expect(resumes()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(b.core.workflows!.recoverAll()).toBe(1);
    // Nobody asked for it: on record as Strongroom's own, once, in the run's account.
    expect(resumes()).toMatchObject([{ action: 'runs.resume', outcome: 'success', actorUserId: null, accountId: a.accountId, resource: `run:${run.id}`, details: { automatic: true } }]);
    expect(b.core.workflows!.recoverAll()).toBe(0);
    expect(resumes()).toHaveLength(1);
    modelB.open();
    const done = await b.settle(run.id);
    expect(done.status).toBe('completed');
    expect(done.output).toBe('model-b wrote this');
    // A wakes up and finishes its pass: the run keeps B's outcome.
    modelA.open();
    await a.core.workflows!.settled(run.id);
    const final = await a.call('runs.get', { runId: run.id });
    expect(final).toMatchObject({ status: 'completed', output: 'model-b wrote this' });
  });

  it('does not resume interrupted runs from a CLI command, only from the long-lived hosts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-owners-'));
    const secrets = new MemorySecretStore();
    const modelA = gatedModel('model-a');
    const a = await harness({ workflows: { split }, model: modelA.model, dataDir, secrets });
    const run = await a.call('runs.start', { workflowId: 'split', input: { items: ['write'] } });
    await until(() => modelA.calls === 1, 'A is drafting');
    await a.core.dispose(); // shutdown: the run stays running, with no owner
    const shipped = mkdtempSync(join(tmpdir(), 'strongroom-owners-shipped-'));
    writeFileSync(join(shipped, 'split.yaml'), split);
    const cliModel = gatedModel('cli');
    cliModel.open();
    const cli = await createCore({ dataDir, mode: 'cli', heartbeatMs: 0, secrets, shippedWorkflowsDir: shipped, models: () => cliModel.model });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(new RunStore(cli.storage!.scopeFor({ accountId: a.accountId })).run(run.id)).toMatchObject({ status: 'running', owner: null });
      expect(cliModel.calls).toBe(0);
    } finally {
      await cli.dispose();
    }
    const serveModel = gatedModel('serve');
    serveModel.open();
    const serve = await createCore({ dataDir, mode: 'serve', heartbeatMs: 0, secrets, shippedWorkflowsDir: shipped, models: () => serveModel.model });
    try {
      await serve.workflows!.settled(run.id);
      expect(new RunStore(serve.storage!.scopeFor({ accountId: a.accountId })).run(run.id)).toMatchObject({ status: 'completed', owner: null, output: 'serve wrote this' });
    } finally {
      await serve.dispose();
    }
  });
});
