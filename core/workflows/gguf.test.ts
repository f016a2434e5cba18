// A run on real inference: a generated GGUF loaded by node-llama-cpp behind LocalModelProvider,
// with a grammar-constrained llm step whose structured output feeds a tool step.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LocalModelPool, LocalModelProvider, writeTestModel } from '../models/index.ts';
import { counterState } from './testing/counterTool.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';

const assessment: Record<string, unknown> = { type: 'object', properties: { risk: { type: 'string', enum: ['low', 'medium', 'high'] }, escalate: { type: 'boolean' } }, required: ['risk', 'escalate'], additionalProperties: false };

const workflow = `id: assess
name: Assess a borrower
inputs: {type: object, properties: {borrower: {type: string}}, required: [borrower]}
output: assessment
steps:
  - id: draft
    kind: llm
    prompt: "Write one line about {{ inputs.borrower }}."
    maxTokens: 12
  - id: assessment
    kind: llm
    prompt: "Rate the risk of {{ inputs.borrower }} given: {{ steps.draft.output }}"
    maxTokens: 48
    output: ${JSON.stringify(assessment)}
  - id: record
    kind: tool
    tool: counter
    args: {label: {ref: steps.assessment.output.risk}}
`;

let dir: string;
let pool: LocalModelPool;
let model: LocalModelProvider;
let h: Harness;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strongroom-gguf-run-'));
  const written = await writeTestModel(join(dir, 'tiny.gguf'), { seed: 5 });
  pool = new LocalModelPool({ threads: 1 });
  model = new LocalModelProvider('tiny-local', { pool, spec: { id: 'tiny-local', path: written.path, sha256: written.sha256, contextSize: 1024, sequences: 1 } });
  h = await harness({ workflows: { assess: workflow }, model });
});

afterAll(async () => {
  await h.core.dispose();
  await model.dispose();
  await pool.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('a run on a generated GGUF', () => {
  it('completes a 3-step workflow whose structured llm output is valid against its schema', async () => {
    const run = await h.settle((await h.call('runs.start', { workflowId: 'assess', input: { borrower: 'Acme Shipping' } })).id);
    expect(run.status).toBe('completed');
    const schema = z.fromJSONSchema(assessment);
    expect(schema.safeParse(run.output).success).toBe(true);
    const draft = run.steps.find((s) => s.path === 'draft');
    expect(typeof draft?.output).toBe('string');
    expect((draft?.output as string).length).toBeGreaterThan(0);
    // The structured value flowed into the tool step as its argument.
    const risk = (run.output as { risk: string }).risk;
    expect(run.steps.find((s) => s.path === 'record')?.output).toEqual({ label: risk, total: 1 });
    expect(counterState(h.core.storage!.db)).toEqual({ effects: 1, invocations: 1 });
    expect(pool.stats().loads).toBe(1);
  });
});
