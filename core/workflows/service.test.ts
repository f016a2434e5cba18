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

  it('marks the trace incomplete when a person resumes a run whose process died, as a restart does', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-run-takeover-'));
    dirs.push(dataDir);
    const secrets = new MemorySecretStore();
    // The first process hangs in a model call and never refreshes its lease: as good as dead.
    const first = await harness({ model: instantModel({ delayMs: 60_000 }), workflows: { slow }, dataDir, secrets, lease: { refreshMs: 0, staleMs: 60_000 } });
    open.push(first);
    const started = await first.call('runs.start', { workflowId: 'slow', input: { topic: 'covenants' } });
    await expect.poll(async () => (await first.call('traces.get', { traceId: started.traceId })).trace.status).toBe('running');

    const second = await harness({ model: instantModel(), workflows: { slow }, dataDir, secrets, lease: { refreshMs: 1_000, staleMs: 50 } });
    open.push(second);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await second.call('runs.get', { runId: started.id })).toMatchObject({ status: 'running', executing: false });
    await second.call('runs.resume', { runId: started.id });
    expect(await second.settle(started.id)).toMatchObject({ status: 'completed' });
    // Whatever the dead process had not written is gone: the trace says so.
    expect((await second.call('traces.get', { traceId: started.traceId })).trace).toMatchObject({ status: 'completed', incomplete: true });
    // Taking it up is audited, by whom.
    expect(second.core.storage!.db.prepare("SELECT actor_user_id AS actor, resource FROM audit_log WHERE action = 'runs.resume'").all()).toEqual([{ actor: 'analyst-1', resource: `run:${started.id}` }]);
  });
});
