// What someone types into a waiting step's form is kept on the server, sealed, as they type
// (`runs.autosaveAnswer`), so a reload, a closed tab or a crash of the app loses nothing. It is
// theirs alone, bound by the same rules as an answer, and dropped when the step stops waiting.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../secrets/index.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import { instantModel } from './testing/instantModel.ts';

const review = `id: review
name: A review
inputs: {type: object, properties: {name: {type: string}}, required: [name]}
steps:
  - id: facts
    kind: human
    action: input
    prompt: "What did the customer say about {{ inputs.name }}?"
    form: {type: object, properties: {summary: {type: string}, risk: {type: string, enum: [low, high]}}, required: [summary, risk]}
  - {id: approve, kind: human, action: approve, role: reviewer, prompt: "Approve?"}
`;

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.core.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('working answers to waiting steps', () => {
  it('keeps a half-filled form for its author across a restart, sealed, and drops it when the step is answered', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-working-answers-'));
    dirs.push(dataDir);
    const secrets = new MemorySecretStore();
    const first = await harness({ workflows: { review }, model: instantModel(), dataDir, secrets });
    const run = await first.settle((await first.call('runs.start', { workflowId: 'review', input: { name: 'Acme' } })).id);
    expect(run.waitingOn).toEqual(['facts']);
    expect(run.workingAnswers).toEqual([]);

    // Half a form: not valid as an answer, and that is fine for a working copy.
    const half = { summary: 'Ownership changed in March; the new owner is a' };
    const saved = await first.call('runs.autosaveAnswer', { runId: run.id, path: 'facts', answer: half });
    expect(Date.parse(saved.savedAt)).not.toBeNaN();
    const later = { summary: 'Ownership changed in March; the new owner is a holding in Malta.' };
    await first.call('runs.autosaveAnswer', { runId: run.id, path: 'facts', answer: later });
    // Sealed at rest: the text is nowhere in the database file's row.
    const stored = first.core.storage!.db.prepare('SELECT answer FROM run_working_answers').all() as Array<{ answer: Buffer }>;
    expect(stored).toHaveLength(1);
    expect(stored[0]!.answer.includes(Buffer.from('Malta'))).toBe(false);
    // Another member of the account sees nothing of it.
    expect((await first.as('colleague')('runs.get', { runId: run.id })).workingAnswers).toEqual([]);
    await first.core.dispose();

    const second = await harness({ workflows: { review }, model: instantModel(), dataDir, secrets });
    open.push(second);
    const reopened = await second.call('runs.get', { runId: run.id });
    expect(reopened.workingAnswers).toEqual([{ path: 'facts', answer: later, savedAt: expect.any(String) as string }]);

    await second.call('runs.answer', { runId: run.id, path: 'facts', answer: { ...later, risk: 'high' } });
    const next = await second.settle(run.id);
    expect(next.waitingOn).toEqual(['approve']);
    expect(next.workingAnswers).toEqual([]);
    expect(second.core.storage!.db.prepare('SELECT count(*) AS n FROM run_working_answers').get()).toEqual({ n: 0 });
  });

  it('is bound by the rules of an answer, and goes when the run is cancelled or the author drops it', async () => {
    const h = await harness({ workflows: { review }, model: instantModel() });
    open.push(h);
    const run = await h.settle((await h.call('runs.start', { workflowId: 'review', input: { name: 'Beta' } })).id);
    // A step that does not wait takes no working answer either.
    await expect(h.call('runs.autosaveAnswer', { runId: run.id, path: 'approve', answer: { comment: 'early' } })).rejects.toMatchObject({ code: 'ERR_WORKFLOW_NOT_WAITING' });
    await h.call('runs.answer', { runId: run.id, path: 'facts', answer: { summary: 'Nothing new.', risk: 'low' } });
    await h.settle(run.id);
    // The approval asks for a reviewer: an analyst alone may not prepare an answer to it.
    await expect(h.as('ana', ['analyst'])('runs.autosaveAnswer', { runId: run.id, path: 'approve', answer: { comment: 'fine by me' } })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', details: { rule: 'role' } });
    const rita = h.as('rita', ['reviewer']);
    await rita('runs.autosaveAnswer', { runId: run.id, path: 'approve', answer: { comment: 'Checked the registry extract' } });
    expect((await rita('runs.get', { runId: run.id })).workingAnswers).toMatchObject([{ path: 'approve', answer: { comment: 'Checked the registry extract' } }]);
    // Dropped by its author (an edit discarded)…
    await rita('runs.autosaveAnswer', { runId: run.id, path: 'approve', answer: null });
    expect((await rita('runs.get', { runId: run.id })).workingAnswers).toEqual([]);
    // …or with the run: a cancelled run's waiting steps take nothing more, and keep no one's text.
    await rita('runs.autosaveAnswer', { runId: run.id, path: 'approve', answer: { comment: 'second thoughts' } });
    await h.call('runs.cancel', { runId: run.id });
    expect(h.core.storage!.db.prepare('SELECT count(*) AS n FROM run_working_answers').get()).toEqual({ n: 0 });
    await expect(rita('runs.autosaveAnswer', { runId: run.id, path: 'approve', answer: { comment: 'too late' } })).rejects.toMatchObject({ code: 'ERR_WORKFLOW_NOT_WAITING' });
    // Too large to be a form's text: refused at the boundary.
    await expect(rita('runs.autosaveAnswer', { runId: run.id, path: 'approve', answer: { comment: 'x'.repeat(200_001) } })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});
