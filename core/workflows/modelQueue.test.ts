// Model steps in flight, on a real local model (node-llama-cpp, one sequence): a step waiting for
// the busy model is reported as queued (and how many are ahead), and a page that reads the run
// mid-step gets the text streamed so far, which later deltas continue at their offsets.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../api/index.ts';
import { rolePermissions } from '../contracts/index.ts';
import type { EventPayload } from '../contracts/index.ts';
import { LocalModelPool, LocalModelProvider, writeTestModel } from '../models/index.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';

const workflow = `id: note
name: One note
inputs: {type: object, properties: {topic: {type: string}}, required: [topic]}
output: write
steps:
  - id: write
    kind: llm
    prompt: "Write a note about {{ inputs.topic }}."
    maxTokens: 24
`;

const longNote = workflow.replace('id: note', 'id: long').replace('maxTokens: 24', 'maxTokens: 400');

const agentWorkflow = `id: ask
name: One agent turn
inputs: {type: object, properties: {topic: {type: string}}, required: [topic]}
steps:
  - id: solve
    kind: agent
    goal: "Count the notes about {{ inputs.topic }}."
    tools: [counter]
    maxSteps: 1
    output: {type: object, properties: {answer: {type: string}}, required: [answer], additionalProperties: false}
`;

let dir: string;
let pool: LocalModelPool;
let model: LocalModelProvider;
let h: Harness;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strongroom-model-queue-'));
  const written = await writeTestModel(join(dir, 'tiny.gguf'), { seed: 9 });
  pool = new LocalModelPool({ threads: 1 });
  model = new LocalModelProvider('tiny-local', { pool, spec: { id: 'tiny-local', path: written.path, sha256: written.sha256, contextSize: 2048, sequences: 1 } });
  h = await harness({ workflows: { note: workflow, long: longNote, ask: agentWorkflow }, model });
});

afterAll(async () => {
  await h.core.dispose();
  await model.dispose();
  await pool.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('a step waiting for a busy local model', () => {
  it('is reported as queued with how many are ahead, then as running, and both runs complete', async () => {
    const events: EventPayload<'runs.progress'>[] = [];
    const unsubscribe = h.core.events.subscribe((name, payload) => {
      if (name === 'runs.progress') events.push(payload as EventPayload<'runs.progress'>);
    });
    try {
      const first = await h.call('runs.start', { workflowId: 'note', input: { topic: 'liquidity' } });
      const second = await h.call('runs.start', { workflowId: 'note', input: { topic: 'collateral' } });
      const runs = await Promise.all([h.settle(first.id), h.settle(second.id)]);
      expect(runs.map((run) => run.status)).toEqual(['completed', 'completed']);
      const statuses = (runId: string) => events.filter((event) => event.runId === runId && event.path === 'write').map((event) => (event.ahead === undefined ? event.status : `${event.status}:${event.ahead}`));
      // Exactly one of the two had to wait: it heard queued (nobody else waiting), then running.
      const timelines = [statuses(first.id), statuses(second.id)];
      const waited = timelines.filter((timeline) => timeline.includes('queued:0'));
      expect(waited).toHaveLength(1);
      expect(waited[0]!.slice(0, 3)).toEqual(['running', 'queued:0', 'running']);
      expect(timelines.find((timeline) => !timeline.includes('queued:0'))?.filter((status) => status.startsWith('queued'))).toEqual([]);
    } finally {
      unsubscribe();
    }
  });

  it('gives a page that reads the run mid-step the text streamed so far, and deltas say where they continue it', async () => {
    const deltas: EventPayload<'runs.delta'>[] = [];
    let midStep: ReturnType<NonNullable<typeof h.core.workflows>['getRun']> | undefined;
    // The service as the router calls it, at the moment the second piece goes out (the tiny model
    // writes too fast for a round trip through the router to land mid-step).
    const reader: Principal = { kind: 'user', userId: 'analyst-1', displayName: 'Analyst', accountId: h.accountId, roles: ['analyst'], permissions: new Set(rolePermissions.analyst), installationAdmin: false };
    let runId = '';
    const unsubscribe = h.core.events.subscribe((name, payload) => {
      if (name !== 'runs.delta') return;
      const delta = payload as EventPayload<'runs.delta'>;
      if (delta.runId !== runId) return;
      deltas.push(delta);
      // A page opened (or reloaded) after the step has begun to stream.
      if (deltas.length === 2) midStep = h.core.workflows!.getRun(reader, runId);
    });
    try {
      runId = (await h.call('runs.start', { workflowId: 'note', input: { topic: 'sanctions screening' } })).id;
      const done = await h.settle(runId);
      expect(done.status).toBe('completed');
      expect(deltas.length).toBeGreaterThan(2);
      // Offsets are contiguous: each piece starts where the ones before it end, all of one generation.
      let length = 0;
      for (const delta of deltas) {
        expect(delta.offset).toBe(length);
        expect(delta.stream).toBe(deltas[0]!.stream);
        length += delta.text.length;
      }
      const whole = deltas.map((delta) => delta.text).join('');
      const seen = midStep!;
      expect(seen.live).toHaveLength(1);
      const [live] = seen.live;
      expect(live).toMatchObject({ path: 'write', status: 'running', stream: deltas[0]!.stream });
      // At least the two pieces sent before the page asked, and only text the step really streamed.
      expect(live!.text.length).toBeGreaterThanOrEqual(deltas[0]!.text.length + deltas[1]!.text.length);
      expect(whole.startsWith(live!.text)).toBe(true);
      // Once the step is done nothing is kept: the checkpoint has the output.
      expect((await h.call('runs.get', { runId })).live).toEqual([]);
    } finally {
      unsubscribe();
    }
  });

  it('reports an agent turn waiting for the busy model the same way', async () => {
    const events: EventPayload<'runs.progress'>[] = [];
    let agentRun: Promise<{ id: string }> | undefined;
    let longId = '';
    const unsubscribe = h.core.events.subscribe((name, payload) => {
      if (name === 'runs.progress') events.push(payload as EventPayload<'runs.progress'>);
      // Once the long note holds the model's only sequence, the agent run starts.
      if (name === 'runs.delta' && (payload as EventPayload<'runs.delta'>).runId === longId && agentRun === undefined) agentRun = h.call('runs.start', { workflowId: 'ask', input: { topic: 'covenants' } });
    });
    try {
      longId = (await h.call('runs.start', { workflowId: 'long', input: { topic: 'liquidity' } })).id;
      await h.settle(longId);
      const agentId = (await agentRun!).id;
      await h.settle(agentId);
      const turn = events.filter((event) => event.runId === agentId && event.path === 'solve#1').map((event) => (event.ahead === undefined ? `${event.kind}:${event.status}` : `${event.kind}:${event.status}:${event.ahead}`));
      expect(turn.slice(0, 2)).toEqual(['agent-turn:queued:0', 'agent-turn:running']);
      // Nothing of the turn is kept once it is done.
      expect((await h.call('runs.get', { runId: agentId })).live).toEqual([]);
    } finally {
      unsubscribe();
    }
  });
});
