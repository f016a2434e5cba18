// Two runs on one local model with a single sequence: the second run's llm step waits for the
// model, and the run's progress says so (status 'queued', how many are ahead), then 'running'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

let dir: string;
let pool: LocalModelPool;
let model: LocalModelProvider;
let h: Harness;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strongroom-model-queue-'));
  const written = await writeTestModel(join(dir, 'tiny.gguf'), { seed: 9 });
  pool = new LocalModelPool({ threads: 1 });
  model = new LocalModelProvider('tiny-local', { pool, spec: { id: 'tiny-local', path: written.path, sha256: written.sha256, contextSize: 512, sequences: 1 } });
  h = await harness({ workflows: { note: workflow }, model });
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
});
