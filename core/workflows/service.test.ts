import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../secrets/index.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import { instantModel } from './testing/instantModel.ts';

const slow = `id: slow
name: Slow
inputs: {type: object, properties: {topic: {type: string}}, required: [topic]}
steps:
  - id: draft
    kind: llm
    prompt: "Summarise {{ inputs.topic }}"
    output: {type: object, properties: {summary: {type: string}}, required: [summary]}
`;

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.core.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('runs.get: executing', () => {
  it('says whether a process executes a running run, so the run view offers Resume only for one left behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-run-detail-'));
    dirs.push(dataDir);
    const secrets = new MemorySecretStore();
    const first = await harness({ model: instantModel({ delayMs: 10_000 }), workflows: { slow }, dataDir, secrets });
    const started = await first.call('runs.start', { workflowId: 'slow', input: { topic: 'covenants' } });
    expect(await first.call('runs.get', { runId: started.id })).toMatchObject({ status: 'running', executing: true });
    await first.core.dispose(); // shutting down mid-step: the run stays 'running' and nobody executes it

    const second = await harness({ model: instantModel(), workflows: { slow }, dataDir, secrets });
    open.push(second);
    expect(await second.call('runs.get', { runId: started.id })).toMatchObject({ status: 'running', executing: false });
    await second.call('runs.resume', { runId: started.id });
    const finished = await second.settle(started.id);
    expect(finished).toMatchObject({ status: 'completed', executing: false });
  });
});
