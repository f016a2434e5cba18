import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../secrets/index.ts';
/* eslint-disable no-restricted-imports -- the engine's test harness and stand-in model are testing seams meant for other areas' tests, not internals */
import { harness } from '../../workflows/testing/harness.ts';
import type { Harness } from '../../workflows/testing/harness.ts';
import { instantModel } from '../../workflows/testing/instantModel.ts';
/* eslint-enable no-restricted-imports */
import { capture } from '../testing.ts';
import { runCommand, runsAnswerCommand, runsCancelCommand, runsListCommand, runsReplayCommand, runsResumeCommand, runsShowCommand } from './runs.ts';

/** A model step, a sign-off by a person, then a model step that reads the sign-off. */
const signoff = `id: signoff
name: Sign-off
inputs: {type: object, properties: {topic: {type: string}}, required: [topic]}
steps:
  - id: draft
    kind: llm
    prompt: "Summarise {{ inputs.topic }}"
    output: {type: object, properties: {summary: {type: string}}, required: [summary]}
  - id: approve
    kind: human
    action: approve
    prompt: "Approve the summary of {{ inputs.topic }}?"
    show: steps.draft.output
  - id: final
    kind: llm
    prompt: "Finalise {{ steps.draft.output.summary }} ({{ steps.approve.output.approved }})"
    output: {type: object, properties: {memo: {type: string}}, required: [memo]}
`;

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.core.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-cli-runs-'));
  dirs.push(dir);
  return dir;
}
function json(value: unknown): string {
  const path = join(temp(), 'value.json');
  writeFileSync(path, JSON.stringify(value));
  return path;
}
async function make(options: Partial<Parameters<typeof harness>[0]> = {}): Promise<Harness> {
  const h = await harness({ model: instantModel(), workflows: { signoff }, ...options });
  open.push(h);
  return h;
}
type Reported = { ok: boolean; value: { runId: string; traceId: string; status: string; output: unknown; waitingOn: string[]; error: { code: string } | null } };
const parse = (io: { stdout: string[] }): Reported => {
  expect(io.stdout).toHaveLength(1);
  return JSON.parse(io.stdout[0]!) as Reported;
};

describe('strongroom run / runs answer / resume / cancel', () => {
  it('run --json prints one object: the run waits on the human step with run id and trace id', async () => {
    const h = await make();
    const io = capture();
    expect(await runCommand(io, h.core, { json: true, workflowId: 'signoff', input: json({ topic: 'covenants' }) })).toBe(0);
    const { ok, value } = parse(io);
    expect(ok).toBe(true);
    expect(value).toMatchObject({ status: 'waiting', waitingOn: ['approve'], output: null, error: null });
    expect(value.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(value.traceId).toBe((await h.call('runs.get', { runId: value.runId })).traceId);
  });

  it('run --model runs every model step on the model named', async () => {
    const asked: Array<string | null> = [];
    const h = await make({ models: (modelId) => { asked.push(modelId); return instantModel({ id: modelId ?? 'default' }); } });
    const io = capture();
    expect(await runCommand(io, h.core, { json: true, workflowId: 'signoff', input: json({ topic: 'covenants' }), model: 'bank-llama-70b' })).toBe(0);
    expect(parse(io).value.status).toBe('waiting');
    // Checked when the run starts, then used by its one model step.
    expect(asked).toEqual(['bank-llama-70b', 'bank-llama-70b']);
    const { runId } = parse(io).value;
    h.core.traceRecorder!.flush();
    const { spans } = await h.call('traces.get', { traceId: (await h.call('runs.get', { runId })).traceId });
    expect(spans.find((s) => s.path === 'draft')?.attributes).toMatchObject({ 'gen_ai.request.model': 'bank-llama-70b' });
  });

  it('run without --json streams a line per step as it happens, then the run id, trace id and status', async () => {
    const h = await make();
    const io = capture();
    expect(await runCommand(io, h.core, { json: false, workflowId: 'signoff', input: json({ topic: 'covenants' }) })).toBe(0);
    const lines = io.stdout.join('\n').split('\n');
    const progress = lines.filter((line) => /^\d\d:\d\d:\d\d {2}/.test(line)).map((line) => line.slice(10).trim().split(/\s+/));
    expect(progress).toEqual([['running', 'llm', 'draft'], ['done', 'llm', 'draft'], ['running', 'human', 'approve'], ['waiting', 'human', 'approve'], ['waiting', 'workflow', '(run)']]);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^run {7}[0-9a-f-]{36}$/m);
    expect(text).toMatch(/^trace {5}\S+$/m);
    expect(text).toMatch(/^status {4}waiting$/m);
    expect(text).toMatch(/^waiting {3}approve — answer with: strongroom runs answer [0-9a-f-]{36} --step 'approve' --input ANSWER\.json$/m);
  });

  it('runs answer resumes from the human step to completion and prints the output', async () => {
    const h = await make();
    const started = capture();
    await runCommand(started, h.core, { json: true, workflowId: 'signoff', input: json({ topic: 'covenants' }) });
    const { runId } = parse(started).value;

    const io = capture();
    const code = await runsAnswerCommand(io, h.core, { json: true, runId, step: 'approve', input: json({ approved: true, comment: 'Within authority.' }) });
    expect(code).toBe(0);
    const { value } = parse(io);
    expect(value).toMatchObject({ runId, status: 'completed', waitingOn: [], error: null });
    expect(value.output).toEqual({ memo: expect.stringMatching(/^t-[0-9a-f]{12}$/) as string });
    const run = await h.call('runs.get', { runId });
    expect(run.steps.find((s) => s.path === 'approve')?.output).toMatchObject({ approved: true, comment: 'Within authority.', answeredBy: 'local-operator' });
  });

  it('runs answer with an answer that does not fit exits 1 with the issue path; the run still waits', async () => {
    const h = await make();
    const started = capture();
    await runCommand(started, h.core, { json: true, workflowId: 'signoff', input: json({ topic: 'covenants' }) });
    const { runId } = parse(started).value;
    const io = capture();
    expect(await runsAnswerCommand(io, h.core, { json: false, runId, step: 'approve', input: json({ approved: 'yes' }) })).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/ERR_INPUT_INVALID[\s\S]*answer\.approved: /);
    expect((await h.call('runs.get', { runId })).status).toBe('waiting');
    // A step that is not waiting: the text names the ones that are.
    const wrong = capture();
    expect(await runsAnswerCommand(wrong, h.core, { json: false, runId, step: 'nosuch', input: json({ approved: true }) })).toBe(1);
    expect(wrong.stderr.join('\n')).toMatch(/ERR_WORKFLOW_NOT_WAITING[\s\S]*\n {2}steps waiting for an answer: approve$/);
  });

  it('runs cancel cancels a waiting run, which stays cancelled', async () => {
    const h = await make();
    const started = capture();
    await runCommand(started, h.core, { json: true, workflowId: 'signoff', input: json({ topic: 'covenants' }) });
    const { runId } = parse(started).value;
    const io = capture();
    expect(await runsCancelCommand(io, h.core, { json: false, runId })).toBe(0);
    expect(io.stdout.join('')).toBe(`Run ${runId} is cancelled.`);
    expect((await h.call('runs.get', { runId })).status).toBe('cancelled');
    // The approval the cancel ended says so, and the run who cancelled it.
    const shown = capture();
    expect(await runsShowCommand(shown, h.core, { json: false, runId })).toBe(0);
    expect(shown.stdout.join('\n')).toMatch(/^ {2}failed +human +approve {2}\(ERR_WORKFLOW_CANCELLED\)$/m);
    expect(shown.stdout.join('\n')).toMatch(/error {5}ERR_WORKFLOW_CANCELLED: Cancelled by /);
    const resumed = capture();
    expect(await runsResumeCommand(resumed, h.core, { json: true, runId })).toBe(1);
    expect(JSON.parse(resumed.stdout.join('')) as unknown).toMatchObject({ ok: false, error: { code: 'ERR_WORKFLOW_NOT_WAITING', message: expect.stringContaining('cancelled') as string } });
    // Cancelling an ended run again is refused, typed, and not audited as a cancel.
    const cancels = () => h.core.storage!.db.prepare("SELECT count(*) FROM audit_log WHERE action = 'runs.cancel' AND outcome = 'success'").pluck().get() as number;
    expect(cancels()).toBe(1);
    const again = capture();
    expect(await runsCancelCommand(again, h.core, { json: true, runId })).toBe(1);
    expect(JSON.parse(again.stdout.join('')) as unknown).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT', message: 'The run is cancelled; there is nothing to cancel.' } });
    expect(cancels()).toBe(1);
  });

  it('runs show prints what a waiting step asks: its prompt, what to review, and the answer file to write', async () => {
    const h = await make();
    const started = capture();
    await runCommand(started, h.core, { json: true, workflowId: 'signoff', input: json({ topic: 'covenants' }) });
    const { runId } = parse(started).value;
    const io = capture();
    expect(await runsShowCommand(io, h.core, { json: false, runId })).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^status {4}waiting$/m);
    expect(text).toMatch(/^ {2}done {5}llm {9}draft$/m);
    expect(text).toMatch(/^waiting {3}approve \(approve\)$/m);
    expect(text).toContain('  Approve the summary of covenants?');
    expect(text).toMatch(/to review:\n {4}\{\n {6}"summary": "t-[0-9a-f]{12}"/);
    expect(text).toContain(`  answer file: {"approved": true, "comment": "…"}\n  strongroom runs answer ${runId} --step 'approve' --input ANSWER.json`);
    const asJson = capture();
    expect(await runsShowCommand(asJson, h.core, { json: true, runId })).toBe(0);
    expect((JSON.parse(asJson.stdout.join('')) as { value: { steps: Array<{ path: string; status: string }> } }).value.steps).toContainEqual(expect.objectContaining({ path: 'approve', status: 'waiting' }));
    // A run left 'running' by a process that stopped (Ctrl-C, a crash): nobody executes it, and the text says how to continue.
    h.core.storage!.db.prepare("UPDATE runs SET status = 'running', owner = NULL, owner_seen_at = NULL WHERE id = ?").run(runId);
    const orphan = capture();
    expect(await runsShowCommand(orphan, h.core, { json: false, runId })).toBe(0);
    expect(orphan.stdout.join('\n')).toMatch(new RegExp(`^status {4}running, but no process is executing it: continue it with strongroom runs resume ${runId}$`, 'm'));
    // The list says the same, so it no longer disagrees with the run and the trace ('interrupted').
    const listed = capture();
    expect(await runsListCommand(listed, h.core, { json: false, limit: 10 })).toBe(0);
    const list = listed.stdout.join('\n');
    expect(list).toMatch(new RegExp(`^${runId} {2}interrupted signoff`, 'm'));
    expect(list).toContain('interrupted: running, but no process is executing it; continue with `strongroom runs resume ID`');
    const listedJson = capture();
    expect(await runsListCommand(listedJson, h.core, { json: true, limit: 10 })).toBe(0);
    expect((JSON.parse(listedJson.stdout.join('')) as { value: Array<{ id: string; status: string; executing: boolean }> }).value).toContainEqual(expect.objectContaining({ id: runId, status: 'running', executing: false }));
  });

  it('runs replay re-runs a finished run on its recordings and reports the replay', async () => {
    const calls: Parameters<typeof instantModel>[0] = { calls: [] };
    const h = await make({ model: instantModel(calls) });
    const started = capture();
    await runCommand(started, h.core, { json: true, workflowId: 'signoff', input: json({ topic: 'covenants' }) });
    const { runId } = parse(started).value;
    await runsAnswerCommand(capture(), h.core, { json: true, runId, step: 'approve', input: json({ approved: true }) });
    const original = await h.call('runs.get', { runId });
    const modelCalls = calls.calls!.length;
    const io = capture();
    expect(await runsReplayCommand(io, h.core, { json: true, runId, against: 'same' })).toBe(0);
    const { value } = parse(io);
    expect(value).toMatchObject({ status: 'completed', output: original.output, error: null });
    expect(value.runId).not.toBe(runId);
    expect(calls.calls).toHaveLength(modelCalls);
  });

  it('runs resume retries a failed run from the step that failed', async () => {
    let down = true;
    const inner = instantModel();
    const h = await make({ model: { ...inner, chat: (request) => (down && request.messages.some((m) => m.content.startsWith('Finalise')) ? Promise.reject(new Error('connection reset')) : inner.chat(request)) } });
    const started = capture();
    await runCommand(started, h.core, { json: true, workflowId: 'signoff', input: json({ topic: 'covenants' }) });
    const { runId } = parse(started).value;
    const failed = capture();
    expect(await runsAnswerCommand(failed, h.core, { json: true, runId, step: 'approve', input: json({ approved: true }) })).toBe(1);
    expect(parse(failed).value.status).toBe('failed');
    down = false;
    const io = capture();
    expect(await runsResumeCommand(io, h.core, { json: true, runId })).toBe(0);
    expect(parse(io).value).toMatchObject({ status: 'completed', error: null });
  });

  it('runs resume finishes a run interrupted mid-step, on a reopened installation', async () => {
    const dataDir = temp();
    const secrets = new MemorySecretStore();
    const first = await harness({ model: instantModel({ delayMs: 10_000 }), workflows: { signoff }, dataDir, secrets });
    const started = await first.call('runs.start', { workflowId: 'signoff', input: { topic: 'covenants' } });
    await first.core.dispose(); // shutting down mid-step: the run stays 'running'

    const h = await make({ dataDir, secrets });
    expect((await h.call('runs.get', { runId: started.id })).status).toBe('running');
    const io = capture();
    expect(await runsResumeCommand(io, h.core, { json: true, runId: started.id })).toBe(0);
    expect(parse(io).value).toMatchObject({ runId: started.id, status: 'waiting', waitingOn: ['approve'] });
  });

  it('run of an unknown workflow, or with an input that does not fit, exits 1 and starts nothing', async () => {
    const h = await make();
    const unknown = capture();
    expect(await runCommand(unknown, h.core, { json: true, workflowId: 'nope', input: json({ topic: 'x' }) })).toBe(1);
    expect(JSON.parse(unknown.stdout.join('')) as unknown).toMatchObject({ ok: false, error: { code: 'ERR_WORKFLOW_NOT_FOUND' } });
    const invalid = capture();
    expect(await runCommand(invalid, h.core, { json: false, workflowId: 'signoff', input: json({ topic: 42 }) })).toBe(1);
    expect(invalid.stderr.join('\n')).toMatch(/ERR_INPUT_INVALID[\s\S]*topic/);
    const list = capture();
    await runsListCommand(list, h.core, { json: true, limit: 10 });
    expect((JSON.parse(list.stdout.join('')) as { value: unknown[] }).value).toEqual([]);
  });

  it('a run whose model is missing fails: exit 1 with the error code in the report', async () => {
    const h = await make({ model: { ...instantModel(), chat: () => Promise.reject(new Error('no model')) } });
    const io = capture();
    expect(await runCommand(io, h.core, { json: true, workflowId: 'signoff', input: json({ topic: 'covenants' }) })).toBe(1);
    expect(parse(io).value).toMatchObject({ status: 'failed', error: { code: expect.stringMatching(/^ERR_/) as string } });
  });
});
