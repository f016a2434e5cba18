// A run keeps to the versions it was created on: its nested workflows are pinned when it starts,
// and a shipped version it uses is retained in the account, so a run waiting for days resumes on
// the definitions it began with even after a new import or an upgrade of resources/workflows —
// and the rules of a waiting human step (who may answer) hold whatever happened to its definition.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBridge } from '../api/index.ts';
import type { Principal } from '../api/index.ts';
import { rolePermissions } from '../contracts/index.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import { instantModel } from './testing/instantModel.ts';

const open: Harness[] = [];
afterEach(async () => { for (const h of open.splice(0)) await h.core.dispose(); });

const parent = `id: parent
name: Parent
inputs: {type: object, properties: {name: {type: string}}, required: [name]}
steps:
  - id: check
    kind: workflow
    workflow: child
    input: {name: {ref: inputs.name}}
`;
const child = (version: 1 | 2) => `id: child
name: Child v${version}
inputs: {type: object, properties: {name: {type: string}}, required: [name]}
steps:
  - id: note
    kind: llm
    prompt: "Note on {{ inputs.name }} (v${version})"
  - id: sign
    kind: human
    action: approve
    prompt: "Sign off {{ inputs.name }}"
${version === 1 ? '    role: reviewer\n' : ''}${version === 2 ? '  - id: extra\n    kind: llm\n    prompt: "Only in v2"\n' : ''}`;

function builder(h: Harness, accountId = h.accountId) {
  const principal: Principal = { kind: 'user', userId: 'builder-1', displayName: 'Builder', accountId, roles: ['builder'], permissions: new Set(rolePermissions.builder), installationAdmin: false };
  const bridge = createInProcessBridge(h.core.router, h.core.events, h.core.sessions.create(principal).id);
  return async (text: string) => {
    const result = await bridge.invoke('workflows.import', { text });
    if (!result.ok) throw new Error(result.error.code);
    return result.value;
  };
}

describe('workflow versions a run keeps to', () => {
  it('stores a version once per account: two accounts import the same text, and both keep a shipped version their runs use', async () => {
    const h = await harness({ workflows: { parent, child: child(1) }, model: instantModel() });
    open.push(h);
    const beta = h.core.storage!.createAccount('Beta');
    const text = child(2);
    const inDefault = await builder(h)(text);
    const inBeta = await builder(h, beta.id)(text);
    expect(inDefault).toMatchObject({ created: true });
    expect(inBeta).toMatchObject({ created: true, version: inDefault.version });
    // Each account reads back its own copy, sealed under its own data key.
    const rows = h.core.storage!.db.prepare('SELECT account_id FROM workflow_definitions WHERE workflow_id = ? AND version = ? ORDER BY account_id').pluck().all('child', inDefault.version);
    expect(rows).toEqual([h.accountId, beta.id].sort());
    // A shipped version a run uses is kept in each account that runs it.
    const shippedParent = await h.call('workflows.get', { workflowId: 'parent' });
    await h.settle((await h.call('runs.start', { workflowId: 'parent', input: { name: 'Acme' } })).id);
    const betaAnalyst: Principal = { kind: 'user', userId: 'ann', displayName: 'Ann', accountId: beta.id, roles: ['analyst'], permissions: new Set(rolePermissions.analyst), installationAdmin: false };
    const started = await createInProcessBridge(h.core.router, h.core.events, h.core.sessions.create(betaAnalyst).id).invoke('runs.start', { workflowId: 'parent', input: { name: 'Beta Corp' } });
    expect(started.ok).toBe(true);
    const kept = h.core.storage!.db.prepare('SELECT account_id FROM workflow_definitions WHERE workflow_id = ? AND version = ? AND retained = 1 ORDER BY account_id').pluck().all('parent', shippedParent.version);
    expect(kept).toEqual([h.accountId, beta.id].sort());
  });

  it('resumes a waiting run on the sub-workflow version it started with, under that version\'s rules', async () => {
    const h = await harness({ workflows: { parent, child: child(1) }, model: instantModel() });
    open.push(h);
    const waiting = await h.settle((await h.call('runs.start', { workflowId: 'parent', input: { name: 'Acme' } })).id);
    expect(waiting).toMatchObject({ status: 'waiting', waitingOn: ['check/sign'] });
    const v2 = await builder(h)(child(2));
    expect(v2.created).toBe(true);

    // v2 drops the reviewer rule; the run is on v1, where an analyst may not sign.
    const analystOnly = h.as('ann', ['analyst']);
    await expect(analystOnly('runs.answer', { runId: waiting.id, path: 'check/sign', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    await h.call('runs.answer', { runId: waiting.id, path: 'check/sign', answer: { approved: true } });
    const done = await h.settle(waiting.id);
    expect(done.status).toBe('completed');
    expect(done.steps.map((s) => s.path)).not.toContain('check/extra');

    // A new run takes the latest child.
    const fresh = await h.settle((await h.call('runs.start', { workflowId: 'parent', input: { name: 'Beta' } })).id);
    expect(fresh.status).toBe('waiting');
    await analystOnly('runs.answer', { runId: fresh.id, path: 'check/sign', answer: { approved: true } });
    expect((await h.settle(fresh.id)).steps.map((s) => s.path)).toContain('check/extra');
  });

  it('resumes a run on a shipped version after an upgrade replaced the shipped file, and keeps the waiting step\'s rules without its definition', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-versions-'));
    const secrets = new MemorySecretStore();
    const before = await harness({ workflows: { parent, child: child(1) }, model: instantModel(), dataDir, secrets });
    const first = await before.settle((await before.call('runs.start', { workflowId: 'parent', input: { name: 'Acme' } })).id);
    const second = await before.settle((await before.call('runs.start', { workflowId: 'parent', input: { name: 'Beta' } })).id);
    expect([first.status, second.status]).toEqual(['waiting', 'waiting']);
    await before.core.dispose();

    // The upgrade: child.yaml now holds v2.
    const after = await harness({ workflows: { parent, child: child(2) }, model: instantModel(), dataDir, secrets });
    open.push(after);
    const listed = (await after.call('workflows.list', {})).find((w) => w.id === 'child')!;
    expect(listed.versions).toHaveLength(2);
    expect(listed.versions.every((v) => v.source === 'shipped')).toBe(true);
    expect(listed.version).not.toBe(listed.versions[0]!.version); // latest is the new file, not the retained one
    await after.call('runs.answer', { runId: first.id, path: 'check/sign', answer: { approved: true } });
    const done = await after.settle(first.id);
    expect(done.status).toBe('completed');
    expect(done.steps.map((s) => s.path)).not.toContain('check/extra');

    // Should a definition ever be gone, the checkpoint's rules still hold: the reviewer role.
    after.core.storage!.db.prepare("DELETE FROM workflow_definitions WHERE workflow_id = 'child' AND retained = 1").run();
    await expect(after.as('ann', ['analyst'])('runs.answer', { runId: second.id, path: 'check/sign', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    await expect(after.call('runs.answer', { runId: second.id, path: 'check/sign', answer: { approved: 'yes' } })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});
