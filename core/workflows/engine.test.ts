import { afterEach, describe, expect, it } from 'vitest';
import { CoreError } from '../base/index.ts';
import type { ChatRequest, ModelProvider } from '../models/index.ts';
import { counterState } from './testing/counterTool.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import { instantModel } from './testing/instantModel.ts';
import { parseDefinitionText, validateDefinition } from './validate.ts';

const open: Harness[] = [];
afterEach(async () => { for (const h of open.splice(0)) await h.core.dispose(); });
async function make(options: Parameters<typeof harness>[0]) {
  const h = await harness(options);
  open.push(h);
  return h;
}

const leaf = `id: deep-4
name: Leaf
inputs: {type: object, properties: {topic: {type: string}}, required: [topic]}
steps:
  - id: answer
    kind: llm
    prompt: "Summarise {{ inputs.topic }}"
    output: {type: object, properties: {summary: {type: string}}, required: [summary]}
`;
const nest = (id: string, child: string) => `id: ${id}
name: Level ${id}
inputs: {type: object, properties: {topic: {type: string}}, required: [topic]}
steps:
  - id: down
    kind: workflow
    workflow: ${child}
    input: {topic: {ref: inputs.topic}}
`;

describe('workflow engine', () => {
  it('runs workflows nested four deep and checkpoints every step by its path', async () => {
    const h = await make({ model: instantModel(), workflows: { 'deep-1': nest('deep-1', 'deep-2'), 'deep-2': nest('deep-2', 'deep-3'), 'deep-3': nest('deep-3', 'deep-4'), 'deep-4': leaf } });
    const started = await h.call('runs.start', { workflowId: 'deep-1', input: { topic: 'covenants' } });
    const run = await h.settle(started.id);
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ summary: expect.stringMatching(/^t-[0-9a-f]{12}$/) as string });
    expect(run.steps.map((s) => s.path).sort()).toEqual(['down', 'down/down', 'down/down/down', 'down/down/down/answer'].sort());
  });

  it('maps over 100 items with at most 4 in flight, keeping order, each effect applied once', async () => {
    let inFlight = 0;
    let peak = 0;
    const base = instantModel({ delayMs: 2 });
    const model = { ...base, chat: async <T>(request: ChatRequest<T>) => { inFlight += 1; peak = Math.max(peak, inFlight); try { return await base.chat(request); } finally { inFlight -= 1; } } };
    const h = await make({ model, workflows: { fanout: `id: fanout
name: Fan out
inputs: {type: object, properties: {items: {type: array, items: {type: object, properties: {name: {type: string}}, required: [name]}}}, required: [items]}
steps:
  - id: each
    kind: map
    over: inputs.items
    concurrency: 4
    output: note
    steps:
      - id: count
        kind: tool
        tool: counter
        args: {label: {ref: item.name}}
      - id: note
        kind: llm
        prompt: "Item {{ index }}: {{ item.name }} counted {{ steps.count.output.total }}"
` } });
    const items = Array.from({ length: 100 }, (_, i) => ({ name: `item-${i}` }));
    const run = await h.settle((await h.call('runs.start', { workflowId: 'fanout', input: { items } })).id);
    expect(run.status).toBe('completed');
    expect(peak).toBe(4);
    const output = run.output as string[];
    expect(output).toHaveLength(100);
    expect(new Set(output).size).toBe(100);
    expect(run.steps.filter((s) => s.path.startsWith('each[')).length).toBe(200);
    expect(counterState(h.core.storage!.db)).toEqual({ effects: 100, invocations: 100 });
  });

  it('suspends human steps inside a map inside a sub-workflow and resumes exactly the answered branch', async () => {
    const calls: ChatRequest[] = [];
    const h = await make({ model: instantModel({ calls }), workflows: {
      review: `id: review
name: Review sections
inputs: {type: object, properties: {sections: {type: array, items: {type: string}}}, required: [sections]}
steps:
  - id: sections
    kind: map
    over: inputs.sections
    concurrency: 3
    steps:
      - id: section
        kind: workflow
        workflow: section-review
        input: {title: {ref: item}}
  - id: wrap_up
    kind: llm
    prompt: "Wrap up {{ steps.sections.output | size }} sections"
`,
      'section-review': `id: section-review
name: Draft and approve one section
inputs: {type: object, properties: {title: {type: string}}, required: [title]}
steps:
  - id: draft
    kind: llm
    prompt: "Draft {{ inputs.title }}"
  - id: approve
    kind: human
    action: approve
    prompt: "Approve the {{ inputs.title }} section?"
    show: steps.draft.output
  - id: finalise
    kind: llm
    prompt: "Finalise {{ inputs.title }} ({{ steps.approve.output.approved }})"
`,
    } });
    const runId = (await h.call('runs.start', { workflowId: 'review', input: { sections: ['liquidity', 'leverage', 'collateral'] } })).id;
    let run = await h.settle(runId);
    expect(run.status).toBe('waiting');
    expect(run.waitingOn).toEqual(['sections[0].section/approve', 'sections[1].section/approve', 'sections[2].section/approve']);
    expect(calls.filter((c) => c.messages[0]?.content.startsWith('Draft'))).toHaveLength(3);

    await h.call('runs.answer', { runId, path: 'sections[1].section/approve', answer: { approved: true, comment: 'fine' } });
    run = await h.settle(runId);
    expect(run.status).toBe('waiting');
    expect(run.waitingOn).toEqual(['sections[0].section/approve', 'sections[2].section/approve']);
    expect(run.steps.find((s) => s.path === 'sections[1].section/finalise')?.status).toBe('done');
    expect(run.steps.find((s) => s.path === 'sections[0].section/finalise')).toBeUndefined();
    // Nothing finished was done again: still one draft per section, one finalise so far.
    expect(calls.filter((c) => c.messages[0]?.content.startsWith('Draft'))).toHaveLength(3);
    expect(calls.filter((c) => c.messages[0]?.content.startsWith('Finalise'))).toHaveLength(1);

    await expect(h.call('runs.answer', { runId, path: 'sections[1].section/approve', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_WORKFLOW_NOT_WAITING' });
    await expect(h.call('runs.answer', { runId, path: 'sections[0].section/approve', answer: { approved: 'yes' } })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await h.call('runs.answer', { runId, path: 'sections[0].section/approve', answer: { approved: false, comment: 'rework' } });
    await h.call('runs.answer', { runId, path: 'sections[2].section/approve', answer: { approved: true } });
    run = await h.settle(runId);
    expect(run.status).toBe('completed');
    expect(calls.filter((c) => c.messages[0]?.content.startsWith('Finalise'))).toHaveLength(3);
    expect(calls.some((c) => c.messages[0]?.content === 'Finalise liquidity (false)')).toBe(true);
    expect(calls.filter((c) => c.messages[0]?.content.startsWith('Wrap up 3'))).toHaveLength(1);
    const answers = h.core.audit!.list({ actionPrefix: 'runs.answer' });
    expect(answers).toHaveLength(3);
  });

  it('holds a four-eyes approval step: the run\'s starter is refused (and audited as denied), a second person approves', async () => {
    const h = await make({ model: instantModel(), workflows: { decision: `id: decision
name: Credit decision
inputs: {type: object, properties: {borrower: {type: string}}, required: [borrower]}
steps:
  - id: memo
    kind: llm
    prompt: "Draft the memo for {{ inputs.borrower }}"
  - id: approval
    kind: human
    action: approve
    fourEyes: true
    prompt: "Approve the memo for {{ inputs.borrower }}?"
    show: steps.memo.output
` } });
    const runId = (await h.call('runs.start', { workflowId: 'decision', input: { borrower: 'Harbour Foods' } })).id;
    let run = await h.settle(runId);
    expect(run.status).toBe('waiting');
    expect(run.steps.find((s) => s.path === 'approval')?.output).toMatchObject({ action: 'approve', fourEyes: true });

    await expect(h.call('runs.answer', { runId, path: 'approval', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', message: expect.stringContaining('four-eyes') as string });
    run = await h.settle(runId);
    expect(run.status).toBe('waiting');
    const denied = h.core.storage!.db.prepare("SELECT actor_user_id AS actor, outcome FROM audit_log WHERE action = 'runs.answer' ORDER BY seq").all();
    expect(denied).toEqual([{ actor: 'analyst-1', outcome: 'denied' }]);

    await h.as('reviewer-2')('runs.answer', { runId, path: 'approval', answer: { approved: true, comment: 'Second pair of eyes.' } });
    run = await h.settle(runId);
    expect(run.status).toBe('completed');
    expect(run.steps.find((s) => s.path === 'approval')?.output).toMatchObject({ approved: true, answeredBy: 'reviewer-2' });
  });

  it('holds a step to the role it names: an analyst is refused a reviewer\'s decision, a reviewer answers', async () => {
    const h = await make({ model: instantModel(), workflows: { committee: `id: committee
name: Committee decision
inputs: {type: object, properties: {borrower: {type: string}}, required: [borrower]}
steps:
  - id: decision
    kind: human
    action: approve
    role: reviewer
    prompt: "Approve the facility for {{ inputs.borrower }}?"
` } });
    const runId = (await h.call('runs.start', { workflowId: 'committee', input: { borrower: 'Harbour Foods' } })).id;
    expect((await h.settle(runId)).steps.find((s) => s.path === 'decision')?.output).toMatchObject({ role: 'reviewer' });
    await expect(h.as('analyst-2', ['analyst'])('runs.answer', { runId, path: 'decision', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', message: expect.stringContaining('reviewer role') as string });
    expect((await h.settle(runId)).status).toBe('waiting');
    await h.as('reviewer-2', ['reviewer'])('runs.answer', { runId, path: 'decision', answer: { approved: false, comment: 'Collateral too thin.' } });
    const run = await h.settle(runId);
    expect(run.status).toBe('completed');
    expect(run.steps.find((s) => s.path === 'decision')?.output).toMatchObject({ approved: false, answeredBy: 'reviewer-2' });
  });

  it('ends the run at a rejected approval marked onReject: end — nothing after it runs — and a retry asks again', async () => {
    const calls: ChatRequest[] = [];
    const h = await make({ model: instantModel({ calls }), workflows: { signoff: `id: signoff
name: Sign-off
inputs: {type: object}
steps:
  - {id: draft, kind: llm, prompt: "Draft"}
  - {id: signoff, kind: human, action: approve, onReject: end, prompt: "Sign off?"}
  - {id: next_stage, kind: llm, prompt: "Next stage"}
` } });
    const runId = (await h.call('runs.start', { workflowId: 'signoff', input: {} })).id;
    expect((await h.settle(runId)).status).toBe('waiting');
    await h.call('runs.answer', { runId, path: 'signoff', answer: { approved: false, comment: 'Recheck screening' } });
    let run = await h.settle(runId);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_REJECTED', errorMessage: expect.stringContaining('Step signoff was rejected') as string });
    expect(calls.map((c) => c.messages.at(-1)?.content)).toEqual(['Draft']);
    // The comment is on the step (sealed), never in the run's plaintext error.
    expect(run.steps.find((s) => s.path === 'signoff')?.output).toMatchObject({ approved: false, comment: 'Recheck screening', endsRun: true });
    // The rejection that ended the run is where it failed, not a finished step.
    expect(run.steps.map((s) => [s.path, s.status])).toEqual([['draft', 'done'], ['signoff', 'failed']]);
    expect(run.errorMessage).not.toContain('Recheck');

    // Retry: the approval is asked for again (the draft is not redone), and an approval goes on.
    await h.call('runs.resume', { runId });
    run = await h.settle(runId);
    expect(run).toMatchObject({ status: 'waiting', waitingOn: ['signoff'] });
    expect(run.steps.find((s) => s.path === 'signoff')).toMatchObject({ status: 'waiting', output: { action: 'approve', ask: 2 } });
    await h.call('runs.answer', { runId, path: 'signoff', answer: { approved: true } });
    run = await h.settle(runId);
    expect(run.status).toBe('completed');
    expect(calls.map((c) => c.messages.at(-1)?.content)).toEqual(['Draft', 'Next stage']);
    // Both answers are on record.
    expect(h.core.audit!.list({ actionPrefix: 'runs.answer' })).toHaveLength(2);
  });

  it('refuses a human step role that is not one of Strongroom\'s roles, naming the path', () => {
    const definition = { id: 'bad', name: 'Bad', inputs: { type: 'object', properties: {} }, steps: [{ id: 'ok', kind: 'human', action: 'approve', role: 'credit-committee', prompt: 'Approve?' }] };
    expect(() => validateDefinition(definition)).toThrow(/steps\[0\]\.human\.role: /);
  });

  it('writes schema problems and reference problems with the same kind-qualified paths; a YAML error reads cleanly', () => {
    const nested = { id: 'n', name: 'N', inputs: { type: 'object', properties: {} }, steps: [{ id: 'm', kind: 'map', over: 'inputs.x', steps: [{ id: 'b', kind: 'branch', cases: [{ when: { ref: 'item', equals: 1 }, steps: [{ id: 'l', kind: 'llm', prompt: 'p', temperature: 9 }] }] }] }] };
    expect(() => validateDefinition(nested)).toThrow('steps[0].map.steps[0].branch.cases[0].steps[0].llm.temperature: ');
    expect(() => parseDefinitionText('id: a\nid: b\n')).toThrow(expect.objectContaining({ details: { issues: [{ path: '(root)', message: expect.not.stringMatching(/:\s*$/) as string }] } }));
  });

  it('takes fourEyes on approval steps only, naming the step', () => {
    const definition = { id: 'bad', name: 'Bad', inputs: { type: 'object', properties: {} }, steps: [{ id: 'facts', kind: 'human', action: 'input', fourEyes: true, prompt: 'Give the facts' }] };
    expect(() => validateDefinition(definition)).toThrow(/steps\[0\]\.human\.fourEyes: only an approval step takes fourEyes/);
    const rejectable = { ...definition, steps: [{ id: 'facts', kind: 'human', action: 'edit', onReject: 'end', prompt: 'Edit' }] };
    expect(() => validateDefinition(rejectable)).toThrow(/steps\[0\]\.human\.onReject: only an approval step can be rejected/);
  });

  it('ends a waiting step with its cancelled run: nothing is offered an answer afterwards, and the run says who cancelled it', async () => {
    const h = await make({ model: instantModel(), workflows: { gated: `id: gated
name: Gated
inputs: {type: object}
steps:
  - {id: draft, kind: llm, prompt: "Draft"}
  - {id: approval, kind: human, action: approve, prompt: "Approve?"}
` } });
    const runId = (await h.call('runs.start', { workflowId: 'gated', input: {} })).id;
    expect((await h.settle(runId)).status).toBe('waiting');
    await h.call('runs.cancel', { runId });
    const run = await h.call('runs.get', { runId });
    expect(run).toMatchObject({ status: 'cancelled', errorCode: 'ERR_WORKFLOW_CANCELLED', errorMessage: 'Cancelled by Analyst.', waitingOn: [] });
    expect(run.steps.map((s) => [s.path, s.status])).toEqual([['draft', 'done'], ['approval', 'failed']]);
    // The checkpoint keeps what was asked, and says why it ended.
    expect(run.steps[1]!.output).toMatchObject({ prompt: 'Approve?', action: 'approve', error: { code: 'ERR_WORKFLOW_CANCELLED', message: 'Cancelled by Analyst.' } });
    expect(run.steps[1]!.finishedAt).not.toBeNull();
    await expect(h.call('runs.answer', { runId, path: 'approval', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_WORKFLOW_NOT_WAITING' });
  });

  it('ends the waiting branches of a run cancelled while another branch executes, and records the step it stopped', async () => {
    const h = await make({ model: instantModel({ delayMs: 300 }), workflows: { split: `id: split
name: Split
inputs: {type: object, properties: {items: {type: array, items: {type: string}}}, required: [items]}
steps:
  - id: each
    kind: map
    over: inputs.items
    concurrency: 2
    steps:
      - id: route
        kind: branch
        cases:
          - when: {ref: item, equals: ask}
            steps:
              - {id: gate, kind: human, action: approve, prompt: "Approve?"}
        otherwise:
          - {id: slow, kind: llm, prompt: "Work on {{ item }}"}
` } });
    const runId = (await h.call('runs.start', { workflowId: 'split', input: { items: ['ask', 'work'] } })).id;
    for (let i = 0; i < 200 && !(await h.call('runs.get', { runId })).steps.some((s) => s.status === 'waiting'); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await h.call('runs.cancel', { runId });
    const run = await h.settle(runId);
    expect(run.status).toBe('cancelled');
    const status = Object.fromEntries(run.steps.map((s) => [s.path, s.status]));
    expect(status).toMatchObject({ 'each[0].route.gate': 'failed', 'each[1].route.slow': 'failed' });
    expect(run.steps.filter((s) => s.status === 'waiting')).toEqual([]);
    for (const path of ['each[0].route.gate', 'each[1].route.slow']) expect(run.steps.find((s) => s.path === path)?.output).toMatchObject({ error: { code: 'ERR_WORKFLOW_CANCELLED' } });
  });

  it('records where a run failed: the failed step inside a map item and a sub-workflow, and each step around it, with the error; a retry runs them again', async () => {
    const inner = instantModel();
    let outage = true;
    const model: ModelProvider = { ...inner, chat: (request) => (outage && request.messages.some((m) => m.content === 'Check beta') ? Promise.reject(new CoreError('ERR_MODEL_UNAVAILABLE', 'The endpoint is down.')) : inner.chat(request)) };
    const h = await make({ model, workflows: {
      memo: `id: memo
name: Memo
inputs: {type: object, properties: {items: {type: array, items: {type: string}}}, required: [items]}
steps:
  - {id: intro, kind: llm, prompt: "Intro"}
  - id: sections
    kind: map
    over: inputs.items
    concurrency: 1
    steps:
      - {id: section, kind: workflow, workflow: part, input: {name: {ref: item}}}
`,
      part: `id: part
name: Part
inputs: {type: object, properties: {name: {type: string}}, required: [name]}
steps:
  - {id: draft, kind: llm, prompt: "Draft {{ inputs.name }}"}
  - {id: self_check, kind: llm, prompt: "Check {{ inputs.name }}"}
`,
    } });
    const runId = (await h.call('runs.start', { workflowId: 'memo', input: { items: ['alpha', 'beta', 'gamma'] } })).id;
    const failed = await h.settle(runId);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'ERR_MODEL_UNAVAILABLE', errorMessage: 'Step sections[1].section/self_check: The endpoint is down.' });
    const step = (path: string) => failed.steps.find((s) => s.path === path);
    expect(step('sections[1].section/self_check')).toMatchObject({ kind: 'llm', status: 'failed', output: { error: { code: 'ERR_MODEL_UNAVAILABLE', message: 'The endpoint is down.' } } });
    expect(step('sections[1].section/self_check')!.finishedAt).not.toBeNull();
    // The steps around it failed with it, and say where the failure came from.
    for (const path of ['sections[1].section', 'sections']) expect(step(path)).toMatchObject({ status: 'failed', output: { error: { code: 'ERR_MODEL_UNAVAILABLE', at: 'sections[1].section/self_check' } } });
    expect(step('sections[0].section')?.status).toBe('done');
    expect(step('sections[1].section/draft')?.status).toBe('done');

    outage = false;
    await h.call('runs.resume', { runId });
    const done = await h.settle(runId);
    expect(done.status).toBe('completed');
    expect(done.steps.filter((s) => s.status !== 'done')).toEqual([]);
  });

  it('cancels a running run: it stops, is marked cancelled, and runs no further step', async () => {
    const calls: ChatRequest[] = [];
    const h = await make({ model: instantModel({ delayMs: 150, calls }), workflows: { slow: `id: slow
name: Slow
inputs: {type: object}
steps:
  - {id: one, kind: llm, prompt: "one"}
  - {id: two, kind: llm, prompt: "two"}
  - {id: three, kind: llm, prompt: "three"}
` } });
    const runId = (await h.call('runs.start', { workflowId: 'slow', input: {} })).id;
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.call('runs.cancel', { runId });
    const run = await h.settle(runId);
    expect(run).toMatchObject({ status: 'cancelled', errorCode: 'ERR_WORKFLOW_CANCELLED', errorMessage: 'Cancelled by Analyst.' });
    // The step it stopped is on the record as stopped by the cancel.
    expect(run.steps.find((s) => s.status !== 'done')).toMatchObject({ status: 'failed', output: { error: { code: 'ERR_WORKFLOW_CANCELLED' } } });
    await expect(h.call('runs.answer', { runId, path: 'two', answer: { approved: true } })).rejects.toMatchObject({ code: 'ERR_WORKFLOW_NOT_WAITING' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls.length).toBeLessThanOrEqual(2);
    expect((await h.call('runs.get', { runId })).steps.map((s) => s.path)).not.toContain('three');
  });

  it('asks for a model cleared for the workflow’s data classification', async () => {
    const seen: Array<string | undefined> = [];
    const model = instantModel();
    const h = await make({ model, models: (_id, _account, classification) => { seen.push(classification); return model; }, workflows: { secret: `id: secret
name: Restricted
classification: restricted
inputs: {type: object}
steps:
  - {id: one, kind: llm, prompt: "one"}
` } });
    const run = await h.settle((await h.call('runs.start', { workflowId: 'secret', input: {} })).id);
    expect(run.status).toBe('completed');
    // Once when the run is started (is there such a model, cleared for this data?), once to call it.
    expect(seen).toEqual(['restricted', 'restricted']);
  });

  it('refuses a model that does not exist, or may not serve the data, before the run exists or any step runs', async () => {
    const model = instantModel();
    const h = await make({
      model,
      models: (id, _account, classification) => {
        if (id === 'nosuch') throw new CoreError('ERR_MODEL_NOT_FOUND', 'There is no model nosuch.', { details: { model: id, cause: 'unknown id' } });
        if (classification === 'restricted') throw new CoreError('ERR_MODEL_UNAVAILABLE', 'No model may serve restricted data.', { details: { model: id, cause: 'classification' } });
        return model;
      },
      workflows: {
        // A tool step first: before, it ran, and only the model step after it failed.
        later: 'id: later\nname: Later\ninputs: {type: object}\nsteps:\n  - {id: first, kind: tool, tool: counter, args: {label: {template: x}}}\n  - id: deep\n    kind: workflow\n    workflow: inner\n    input: {}\n',
        inner: 'id: inner\nname: Inner\nclassification: restricted\ninputs: {type: object}\nsteps:\n  - {id: one, kind: llm, prompt: "one"}\n',
      },
    });
    await expect(h.call('runs.start', { workflowId: 'later', input: {}, modelId: 'nosuch' })).rejects.toMatchObject({ code: 'ERR_MODEL_NOT_FOUND', details: { model: 'nosuch' } });
    // The nested workflow's own classification counts, at any depth.
    await expect(h.call('runs.start', { workflowId: 'later', input: {} })).rejects.toMatchObject({ code: 'ERR_MODEL_UNAVAILABLE' });
    expect(await h.call('runs.list', { limit: 10 })).toEqual([]);
    // Nothing ran: no trace was even started (the tool step would have made one).
    h.core.traceRecorder!.flush();
    expect((await h.call('traces.list', { limit: 10 })).traces).toEqual([]);
  });

  it('refuses input that does not match the workflow input schema', async () => {
    const h = await make({ model: instantModel(), workflows: { 'deep-4': leaf } });
    await expect(h.call('runs.start', { workflowId: 'deep-4', input: { topic: 42 } })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID', details: { issues: [expect.objectContaining({ path: 'input.topic' })] } });
    await expect(h.call('runs.start', { workflowId: 'nope', input: {} })).rejects.toMatchObject({ code: 'ERR_WORKFLOW_NOT_FOUND' });
  });
});

describe('definition validation', () => {
  const base = { id: 'memo', name: 'Memo', inputs: { type: 'object', properties: { borrower: { type: 'object' }, years: { type: 'array' } } } };
  const issues = (raw: unknown, resolve?: Parameters<typeof validateDefinition>[1]) => {
    try {
      validateDefinition(raw, resolve);
      return [];
    } catch (error) {
      return ((error as { details?: { issues?: Array<{ path: string; message: string }> } }).details?.issues ?? []).map((i) => `${i.path}: ${i.message}`);
    }
  };

  it('names the exact path of an unknown input', () => {
    const steps = [
      { id: 'a', kind: 'llm', prompt: 'x' },
      { id: 'b', kind: 'llm', prompt: 'y' },
      { id: 'c', kind: 'llm', prompt: 'z' },
      { id: 'd', kind: 'map', over: 'inputs.sections', steps: [{ id: 'e', kind: 'llm', prompt: '{{ item }}' }] },
    ];
    expect(issues({ ...base, steps })).toEqual(['steps[3].map.over: unknown input "sections"']);
  });

  it('reports schema errors, duplicate ids, forward references, bad templates and unknown variables', () => {
    expect(issues({ ...base, steps: [{ id: 'a', kind: 'teleport' }] })[0]).toMatch(/^steps\[0\]/);
    expect(issues({ ...base, steps: [{ id: 'a', kind: 'llm', prompt: 'x' }, { id: 'a', kind: 'llm', prompt: 'y' }] })).toEqual(['steps[1].id: duplicate step id "a"']);
    expect(issues({ ...base, steps: [{ id: 'a', kind: 'llm', prompt: '{{ steps.b.output }}' }, { id: 'b', kind: 'llm', prompt: 'y' }] })).toEqual(['steps[0].llm.prompt: unknown or later step "b" (a step can only use steps before it)']);
    expect(issues({ ...base, steps: [{ id: 'a', kind: 'llm', prompt: '{% if %}' }] })[0]).toMatch(/^steps\[0\]\.llm\.prompt: template syntax/);
    expect(issues({ ...base, steps: [{ id: 'a', kind: 'llm', prompt: '{{ secrets.key }}' }] })).toEqual(['steps[0].llm.prompt: unknown variable "secrets.key" (use inputs.…, steps.<id>.output…, item or index)']);
    expect(issues({ ...base, steps: [{ id: 'a', kind: 'llm', prompt: '{{ item.x }}' }] })).toEqual(['steps[0].llm.prompt: "item" exists only inside a map']);
  });

  it('rejects cycles among nested workflows and unknown nested workflows', () => {
    const a = { ...base, id: 'a', steps: [{ id: 's', kind: 'workflow', workflow: 'b', input: {} }] };
    const b = { ...base, id: 'b', steps: [{ id: 't', kind: 'workflow', workflow: 'c', input: {} }] };
    const c = { ...base, id: 'c', steps: [{ id: 'u', kind: 'workflow', workflow: 'a', input: {} }] };
    const all = new Map([['a', a], ['b', b], ['c', c]]) as Map<string, never>;
    expect(issues(a, (id) => all.get(id))).toEqual(['steps[0].workflow.workflow: cycle: a → b → c → a']);
    expect(issues({ ...base, steps: [{ id: 's', kind: 'workflow', workflow: 'ghost', input: {} }] })).toEqual(['steps[0].workflow.workflow: unknown workflow "ghost"']);
  });

  it('versions a definition by its content, not its formatting', () => {
    const steps = [{ id: 'a', kind: 'llm', prompt: 'x' }];
    const one = validateDefinition({ ...base, steps });
    const reordered = validateDefinition({ steps, name: 'Memo', inputs: base.inputs, id: 'memo' });
    const changed = validateDefinition({ ...base, steps: [{ id: 'a', kind: 'llm', prompt: 'x!' }] });
    expect(one.version).toMatch(/^[0-9a-f]{64}$/);
    expect(reordered.version).toBe(one.version);
    expect(changed.version).not.toBe(one.version);
  });
});
