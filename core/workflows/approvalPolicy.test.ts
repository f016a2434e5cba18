// An account-wide four-eyes rule: an administrator turns it on once, and every approval in the
// account — here an approve step of a workflow that sets no rule — needs a second person, also for
// runs already waiting. Reading the policy needs account.read; changing it, boundaries.manage;
// every change is audited in its own transaction.
import { afterEach, describe, expect, it } from 'vitest';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import { instantModel } from './testing/instantModel.ts';

const open: Harness[] = [];
afterEach(async () => { for (const h of open.splice(0)) await h.core.dispose(); });

const decision = `id: decision
name: A decision
inputs: {type: object, properties: {name: {type: string}}, required: [name]}
steps:
  - {id: draft, kind: llm, prompt: "Recommend on {{ inputs.name }}"}
  - {id: approve, kind: human, action: approve, prompt: "Approve the recommendation on {{ inputs.name }}?"}
  - {id: note, kind: human, action: input, prompt: "Anything to add?"}
`;

describe('the account approval policy', () => {
  it('makes every approval in the account a four-eyes one, for runs already waiting too; input steps are not approvals', async () => {
    const h = await harness({ workflows: { decision }, model: instantModel() });
    open.push(h);
    const admin = h.as('admin-1', ['admin']);
    expect(await h.call('workflows.approvalPolicy.get', { accountId: h.accountId })).toMatchObject({ fourEyes: false, updatedBy: null });
    const before = await h.settle((await h.call('runs.start', { workflowId: 'decision', input: { name: 'Acme' } })).id);
    expect(before.waitingOn).toEqual(['approve']);
    expect(before.steps.find((s) => s.path === 'approve')?.output).not.toHaveProperty('fourEyes');

    // Only who holds boundaries.manage changes it; the change is audited with the previous value.
    await expect(h.call('workflows.approvalPolicy.set', { accountId: h.accountId, fourEyes: true })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    expect(await admin('workflows.approvalPolicy.set', { accountId: h.accountId, fourEyes: true })).toMatchObject({ fourEyes: true, updatedBy: 'admin-1', updatedAt: expect.any(String) as string });
    const entries = h.core.storage!.db.prepare("SELECT actor_user_id AS actor, outcome, details FROM audit_log WHERE action = 'workflows.approvalPolicy.set' ORDER BY seq").all() as Array<{ actor: string; outcome: string; details: string }>;
    expect(entries.map((e) => [e.actor, e.outcome])).toEqual([['analyst-1', 'denied'], ['admin-1', 'success']]);
    expect(JSON.parse(entries[1]!.details)).toEqual({ fourEyes: true, before: false });

    // The run that was already waiting: its starter may no longer approve it.
    await expect(h.call('runs.answer', { runId: before.id, path: 'approve', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', details: { rule: 'four-eyes' } });
    // The refusal is on record as denied, naming the run.
    expect(h.core.storage!.db.prepare("SELECT outcome, resource FROM audit_log WHERE action = 'runs.answer' ORDER BY seq DESC LIMIT 1").get()).toEqual({ outcome: 'denied', resource: `run:${before.id}` });
    // A new run shows the rule on its waiting step, so the run view can say so.
    const after = await h.settle((await h.call('runs.start', { workflowId: 'decision', input: { name: 'Beta' } })).id);
    expect(after.steps.find((s) => s.path === 'approve')?.output).toMatchObject({ fourEyes: true });
    // A second person approves; the input step after it is no approval, the starter answers it.
    await h.as('rita', ['reviewer'])('runs.answer', { runId: after.id, path: 'approve', answer: { approved: true } });
    expect((await h.settle(after.id)).waitingOn).toEqual(['note']);
    await h.call('runs.answer', { runId: after.id, path: 'note', answer: { remark: 'none' } });
    expect((await h.settle(after.id)).status).toBe('completed');

    // Off again: the starter approves their own run.
    await admin('workflows.approvalPolicy.set', { accountId: h.accountId, fourEyes: false });
    await h.call('runs.answer', { runId: before.id, path: 'approve', answer: { approved: true } });
    expect((await h.settle(before.id)).waitingOn).toEqual(['note']);
  });
});
