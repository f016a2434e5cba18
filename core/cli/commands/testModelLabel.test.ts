// Text written by a generated test model is labelled wherever it is shown: a run's detail and a
// trace's summary say which model wrote them and whether it is a test model (issue 5: "the UI
// labels it a test model whose text is meaningless"), and so do `runs show` and `traces list`.
// The model registry knows which models are test models.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestModel } from '../../models/index.ts';
/* eslint-disable no-restricted-imports -- the engine's test harness and stand-in model are testing seams meant for other areas' tests, not internals */
import { harness } from '../../workflows/testing/harness.ts';
import type { Harness } from '../../workflows/testing/harness.ts';
import { instantModel } from '../../workflows/testing/instantModel.ts';
import { threeSteps } from '../../workflows/testing/threeSteps.ts';
/* eslint-enable no-restricted-imports */
import { capture } from '../testing.ts';
import { runsShowCommand } from './runs.ts';
import { tracesListCommand } from './traces.ts';

let dir: string;
let h: Harness;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strongroom-test-model-label-'));
  const written = await writeTestModel(join(dir, 'demo.gguf'), { seed: 3 });
  // Runs call an instant model under whatever id they ask for; the registry holds the real entry.
  h = await harness({ workflows: { three: threeSteps() }, model: instantModel(), models: (modelId) => instantModel({ id: modelId ?? 'instant' }) });
  await h.as('admin-1', ['admin'])('models.add', { kind: 'local', id: 'demo-model', name: 'Generated', path: written.path, testModel: true });
});

afterAll(async () => {
  await h.core.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('the test-model label on runs and traces', () => {
  it('labels a run, and its trace, that a test model wrote', async () => {
    const started = await h.call('runs.start', { workflowId: 'three', input: { name: 'Acme' }, modelId: 'demo-model' });
    const run = await h.settle(started.id);
    expect(run.status).toBe('completed');
    expect(run).toMatchObject({ modelId: 'demo-model', testModel: true });
    const { trace } = await h.call('traces.get', { traceId: run.traceId });
    expect(trace).toMatchObject({ modelId: 'demo-model', testModel: true });
    const listed = await h.call('traces.list', { limit: 10, modelId: 'demo-model' });
    expect(listed.traces.map((t) => [t.traceId, t.testModel])).toEqual([[run.traceId, true]]);

    const shown = capture();
    expect(await runsShowCommand(shown, h.core, { json: false, runId: run.id })).toBe(0);
    expect(shown.stdout.join('\n')).toContain('model     demo-model  [TEST MODEL — text is meaningless]');
    const traces = capture();
    expect(await tracesListCommand(traces, h.core, { json: false, limit: 10, model: 'demo-model' })).toBe(0);
    expect(traces.stdout.join('\n')).toMatch(new RegExp(`^${run.traceId} .*\\[test model\\]$`, 'm'));
  });

  it('leaves unlabelled a run that chose no model, naming the model its trace used', async () => {
    const started = await h.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } });
    const run = await h.settle(started.id);
    // The run asked for no model: the first model its trace recorded is the one shown.
    expect(run).toMatchObject({ modelId: 'instant', testModel: false });
    const { trace } = await h.call('traces.get', { traceId: run.traceId });
    expect(trace).toMatchObject({ modelId: 'instant', testModel: false });
    const shown = capture();
    expect(await runsShowCommand(shown, h.core, { json: false, runId: run.id })).toBe(0);
    expect(shown.stdout.join('\n')).toMatch(/^model {5}instant$/m);
  });
});
