// Deterministic replay: a replayed run takes every model answer and tool result from the run it
// replays (matched by path and request hash), so it calls no model and applies no effect; on a
// newer version, a step whose request changed has nothing recorded and is refused (strict replay).
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBridge } from '../api/index.ts';
import type { Principal } from '../api/index.ts';
import { rolePermissions } from '../contracts/index.ts';
import type { ChatRequest, ChatResult, ModelProvider, ToolCall } from '../models/index.ts';
import { counterState } from './testing/counterTool.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import { instantModel } from './testing/instantModel.ts';
import { RunStore } from './store.ts';

const open: Harness[] = [];
afterEach(async () => { for (const h of open.splice(0)) await h.core.dispose(); });

const ledger = (summaryPrompt: string) => `id: ledger
name: Count and describe items
inputs: {type: object, properties: {items: {type: array, items: {type: string}}}, required: [items]}
steps:
  - id: intro
    kind: llm
    prompt: "Introduce {{ inputs.items | size }} items"
    output: {type: object, properties: {title: {type: string}}, required: [title]}
  - id: each
    kind: map
    over: inputs.items
    output: note
    steps:
      - id: count
        kind: tool
        tool: counter
        args: {label: {ref: item}}
      - id: note
        kind: llm
        prompt: "Item {{ item }} counted {{ steps.count.output.total }} under {{ steps.intro.output.title }}"
  - id: summary
    kind: llm
    prompt: "${summaryPrompt} {{ steps.each.output | join: ', ' }}"
`;

/** The harness signs in an analyst; importing a version needs a builder, through the same router. */
function builderBridge(h: Harness) {
  const principal: Principal = { kind: 'user', userId: 'builder-1', displayName: 'Builder', accountId: h.accountId, roles: ['builder'], permissions: new Set(rolePermissions.builder), installationAdmin: false };
  return createInProcessBridge(h.core.router, h.core.events, h.core.sessions.create(principal).id);
}

describe('replay', () => {
  it('replays against the same version without calling the model or the tool again, then refuses a changed step against the latest', async () => {
    const calls: ChatRequest[] = [];
    const h = await harness({ workflows: { ledger: ledger('Summarise') }, model: instantModel({ calls }) });
    open.push(h);
    const db = h.core.storage!.db;
    const original = await h.settle((await h.call('runs.start', { workflowId: 'ledger', input: { items: ['alpha', 'beta', 'gamma'] } })).id);
    expect(original.status).toBe('completed');
    expect(calls).toHaveLength(5); // intro, three notes, summary
    expect(counterState(db)).toEqual({ effects: 3, invocations: 3 });

    const same = await h.settle((await h.call('runs.replay', { runId: original.id, against: 'same' })).id);
    expect(same).toMatchObject({ status: 'completed', replayOf: original.id, version: original.version });
    expect(same.output).toEqual(original.output);
    // Every llm and tool step came from the recording: no model call, no tool invocation at all.
    expect(calls).toHaveLength(5);
    expect(counterState(db)).toEqual({ effects: 3, invocations: 3 });
    const outputs = (run: typeof original) => Object.fromEntries(run.steps.map((s) => [s.path, s.output]));
    expect(outputs(same)).toEqual(outputs(original));
    expect(Object.keys(outputs(same))).toEqual(expect.arrayContaining(['intro', 'each', 'each[2].count', 'each[2].note', 'summary']));

    const imported = await builderBridge(h).invoke('workflows.import', { text: ledger('Condense') });
    if (!imported.ok) throw new Error(imported.error.code);
    expect(imported.value).toMatchObject({ id: 'ledger', created: true });
    expect(imported.value.version).not.toBe(original.version);

    const latest = await h.settle((await h.call('runs.replay', { runId: original.id, against: 'latest' })).id);
    expect(latest).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_REPLAY_MISSING', version: imported.value.version, replayOf: original.id });
    expect(latest.errorMessage).toContain('summary');
    // The unchanged steps before it replayed; the changed one was refused, not sent to the model.
    expect(latest.steps.map((s) => s.path)).toEqual(expect.arrayContaining(['intro', 'each', 'each[0].note']));
    // It is on the record as the step that failed, with why (it ran nothing).
    expect(latest.steps.filter((s) => s.status !== 'done')).toEqual([expect.objectContaining({ path: 'summary', status: 'failed', output: { error: expect.objectContaining({ code: 'ERR_WORKFLOW_REPLAY_MISSING' }) as unknown } })]);
    expect(calls).toHaveLength(5);
    expect(counterState(db)).toEqual({ effects: 3, invocations: 3 });
  });

  it('replays an agent step and a human answer from the recording: no model, no tool, nobody asked again', async () => {
    // Turn 1 calls the counter (a side effect), turn 2 answers with the total the tool returned.
    let modelCalls = 0;
    const scripted: ModelProvider = {
      id: 'scripted',
      kind: 'local',
      chat<T>(request: ChatRequest<T>): Promise<ChatResult<T>> {
        modelCalls += 1;
        const result = request.messages.findLast((m) => m.role === 'tool');
        const toolCalls: ToolCall[] = result
          ? [{ id: 'c2', name: 'final_answer', arguments: { total: (JSON.parse(result.content) as { total: number }).total } }]
          : [{ id: 'c1', name: 'counter', arguments: { label: 'tally' } }];
        return Promise.resolve({ text: '', toolCalls, finishReason: 'tool_calls', model: 'scripted', usage: { inputTokens: 1, outputTokens: 1, timeToFirstTokenMs: 0, totalMs: 0, tokensPerSecond: 0 } } as ChatResult<T>);
      },
      embed: () => Promise.resolve({ vectors: [], inputTokens: 0 }),
      countTokens: (text) => Promise.resolve(text.length),
      health: () => Promise.resolve({ status: 'ok' }),
      dispose: () => Promise.resolve(),
    };
    const h = await harness({ workflows: { reviewed: `id: reviewed
name: Agent, then a sign-off
inputs: {type: object, properties: {label: {type: string}}, required: [label]}
steps:
  - id: tally
    kind: agent
    goal: "Count {{ inputs.label }}"
    tools: [counter]
    output: {type: object, properties: {total: {type: number}}, required: [total]}
  - id: signoff
    kind: human
    action: approve
    prompt: "Approve the tally of {{ steps.tally.output.total }}"
` }, model: scripted });
    open.push(h);
    const db = h.core.storage!.db;
    const waiting = await h.settle((await h.call('runs.start', { workflowId: 'reviewed', input: { label: 'tally' } })).id);
    expect(waiting).toMatchObject({ status: 'waiting', waitingOn: ['signoff'] });
    await h.call('runs.answer', { runId: waiting.id, path: 'signoff', answer: { approved: true, comment: 'tally checked' } });
    const original = await h.settle(waiting.id);
    expect(original.status).toBe('completed');
    expect(modelCalls).toBe(2);
    expect(counterState(db)).toEqual({ effects: 1, invocations: 1 });
    // The agent's side-effecting call is audited like a tool step's.
    const audited = () => (db.prepare("SELECT resource, details FROM audit_log WHERE action = 'tools.call'").all() as Array<{ resource: string; details: string }>).map((e) => ({ resource: e.resource, ...(JSON.parse(e.details) as { runId: string; path: string }) }));
    expect(audited()).toEqual([expect.objectContaining({ resource: 'tool:counter', runId: original.id, path: 'tally#1.counter' })]);

    const replay = await h.settle((await h.call('runs.replay', { runId: original.id, against: 'same' })).id);
    // Straight through: the sign-off did not wait, the agent asked no model and called no tool.
    expect(replay).toMatchObject({ status: 'completed', replayOf: original.id });
    expect(modelCalls).toBe(2);
    expect(counterState(db)).toEqual({ effects: 1, invocations: 1 });
    const step = (run: typeof original, path: string) => run.steps.find((s) => s.path === path)?.output;
    expect(step(replay, 'tally')).toEqual({ total: 1 });
    expect(step(replay, 'tally#1')).toEqual(step(original, 'tally#1'));
    expect(step(replay, 'tally#1.counter')).toEqual(step(original, 'tally#1.counter'));
    expect(step(replay, 'signoff')).toEqual(step(original, 'signoff'));
    expect(step(replay, 'signoff')).toMatchObject({ approved: true, comment: 'tally checked', answeredBy: 'analyst-1' });
    expect(replay.output).toEqual(original.output);
    expect(audited()).toHaveLength(1); // the replay called no tool
  });

  it('never asks a person: a human step the original never had answered fails the replay, naming it, and takes no answer', async () => {
    // Ids out of alphabetical order: the step list must follow the run, not the names.
    const h = await harness({ model: instantModel(), workflows: { filing: `id: filing
name: Draft, check, approve
inputs: {type: object}
steps:
  - {id: zeta_draft, kind: llm, prompt: "Draft"}
  - {id: yankee_check, kind: guardrail, policy: no-unsupported-claims, check: steps.zeta_draft.output}
  - {id: approval, kind: human, action: approve, onReject: end, prompt: "Approve the filing?"}
` } });
    open.push(h);
    const original = await h.settle((await h.call('runs.start', { workflowId: 'filing', input: {} })).id);
    expect(original).toMatchObject({ status: 'waiting', waitingOn: ['approval'] });
    await h.call('runs.cancel', { runId: original.id });

    const replay = await h.settle((await h.call('runs.replay', { runId: original.id, against: 'same' })).id);
    expect(replay).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_REPLAY_MISSING', replayOf: original.id, waitingOn: [] });
    expect(replay.errorMessage).toContain('approval');
    expect(replay.steps.map((s) => [s.path, s.status])).toEqual([['zeta_draft', 'done'], ['yankee_check', 'done'], ['approval', 'failed']]);
    expect(replay.steps[2]!.output).toMatchObject({ error: { code: 'ERR_WORKFLOW_REPLAY_MISSING' } });
    // Nothing to answer, and nobody answered anything.
    await expect(h.call('runs.answer', { runId: replay.id, path: 'approval', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_WORKFLOW_NOT_WAITING' });
    expect(h.core.audit!.list({ actionPrefix: 'runs.answer' })).toHaveLength(0);
    // A replay an earlier version left waiting on a person takes no answer either.
    const store = new RunStore(h.core.storage!.scopeFor({ accountId: h.accountId }));
    store.saveStep(replay.id, { path: 'approval', kind: 'human', status: 'waiting', output: { prompt: 'Approve the filing?', action: 'approve' }, attempts: 1, startedAt: Date.now(), finishedAt: null });
    h.core.storage!.db.prepare("UPDATE runs SET status = 'waiting', waiting_on = '[\"approval\"]' WHERE id = ?").run(replay.id);
    await expect(h.call('runs.answer', { runId: replay.id, path: 'approval', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_WORKFLOW_NOT_WAITING', message: expect.stringContaining('replay') as string });
    expect(h.core.audit!.list({ actionPrefix: 'runs.answer' })).toHaveLength(0);
  });

  it('replays a rejection that ended the run as a rejection: the replay fails there too', async () => {
    const h = await harness({ model: instantModel(), workflows: { filing: `id: filing
name: Draft, approve, file
inputs: {type: object}
steps:
  - {id: draft, kind: llm, prompt: "Draft"}
  - {id: approval, kind: human, action: approve, onReject: end, prompt: "Approve the filing?"}
  - {id: file, kind: llm, prompt: "File it"}
` } });
    open.push(h);
    const started = await h.settle((await h.call('runs.start', { workflowId: 'filing', input: {} })).id);
    await h.call('runs.answer', { runId: started.id, path: 'approval', answer: { approved: false, comment: 'Sources missing' } });
    const original = await h.settle(started.id);
    expect(original).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_REJECTED' });

    const replay = await h.settle((await h.call('runs.replay', { runId: original.id, against: 'same' })).id);
    expect(replay).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_REJECTED' });
    expect(replay.steps.map((s) => [s.path, s.status])).toEqual([['draft', 'done'], ['approval', 'failed']]);
    expect(replay.steps[1]!.output).toMatchObject({ approved: false, comment: 'Sources missing' });
  });

  it('lists a run\'s steps in the order they started, not by name, when they started in the same millisecond', async () => {
    const h = await harness({ model: instantModel(), workflows: { filing: 'id: filing\nname: Gate\ninputs: {type: object}\nsteps:\n  - {id: gate, kind: human, action: approve, prompt: "Go?"}\n' } });
    open.push(h);
    const run = await h.settle((await h.call('runs.start', { workflowId: 'filing', input: {} })).id);
    const store = new RunStore(h.core.storage!.scopeFor({ accountId: h.accountId }));
    const at = Date.parse(run.steps[0]!.startedAt) + 1;
    for (const path of ['zulu', 'mike', 'alpha']) store.saveStep(run.id, { path, kind: 'llm', status: 'done', output: path, attempts: 1, startedAt: at, finishedAt: at });
    // Answering the earlier step later keeps its place.
    store.saveStep(run.id, { path: 'gate', kind: 'human', status: 'done', output: { approved: true }, attempts: 1, startedAt: Date.parse(run.steps[0]!.startedAt), finishedAt: at + 5 });
    expect((await h.call('runs.get', { runId: run.id })).steps.map((s) => s.path)).toEqual(['gate', 'zulu', 'mike', 'alpha']);
  });
});
