import { describe, expect, it } from 'vitest';
import { initialValue, labelFor, pruneBlank, setIn } from './schemaValues.ts';
import { buildStepTree, failureOf, parentPath, stepStatus } from './stepTree.ts';

describe('run step tree', () => {
  it('finds the parent across sub-workflows, map items and nested ids', () => {
    expect(parentPath('sections[1].section/approve')).toBe('sections[1].section');
    expect(parentPath('sections[1].section')).toBe('sections[1]');
    expect(parentPath('sections[1]')).toBe('sections');
    expect(parentPath('sections')).toBeNull();
  });

  it('nests steps under map items and sub-workflows, rolling status up to synthetic items', () => {
    const tree = buildStepTree([
      { path: 'profile', kind: 'llm', status: 'done' },
      { path: 'sections', kind: 'map', status: null },
      { path: 'sections[0].section', kind: 'workflow', status: 'done' },
      { path: 'sections[1].section/draft', kind: 'llm', status: 'running' },
      { path: 'sections[1].section/approve', kind: 'human', status: 'waiting' },
    ]);
    expect(tree.map((n) => n.label)).toEqual(['profile', 'sections']);
    const sections = tree[1]!;
    expect(sections.children.map((n) => [n.label, n.status])).toEqual([['item 1', 'done'], ['item 2', 'waiting']]);
    const second = sections.children[1]!.children[0]!;
    expect(second).toMatchObject({ label: 'section', path: 'sections[1].section', kind: null, status: 'waiting' });
    expect(second.children.map((n) => [n.label, n.kind, n.status])).toEqual([['draft', 'llm', 'running'], ['approve', 'human', 'waiting']]);
  });

  it('keeps a step queued for a busy model queued, and its synthetic parents running', () => {
    const tree = buildStepTree([
      { path: 'sections', kind: 'map', status: null },
      { path: 'sections[0].section/draft', kind: 'llm', status: 'done' },
      { path: 'sections[1].section/draft', kind: 'llm', status: 'queued' },
    ]);
    const item = tree[0]!.children[1]!;
    expect(item.status).toBe('running');
    expect(item.children[0]!.status).toBe('running');
    expect(item.children[0]!.children[0]).toMatchObject({ label: 'draft', status: 'queued' });
  });

  it('finds the parent of agent turns and of their tool calls, MCP names and repeated calls included', () => {
    expect(parentPath('plan#1')).toBe('plan');
    expect(parentPath('plan#12.lookup')).toBe('plan#12');
    expect(parentPath('plan#1.lookup~2')).toBe('plan#1');
    expect(parentPath('plan#2.sanctions.screen')).toBe('plan#2');
    expect(parentPath('sections[1].section/plan#3.calculator')).toBe('sections[1].section/plan#3');
    expect(parentPath('sections[1].section/plan#3')).toBe('sections[1].section/plan');
  });

  it('nests agent turns under their agent step and tool calls under their turn', () => {
    const tree = buildStepTree([
      { path: 'profile', kind: 'llm', status: 'done' },
      { path: 'plan', kind: 'agent', status: 'done' },
      { path: 'plan#1', kind: 'agent-turn', status: 'done' },
      { path: 'plan#1.lookup', kind: 'agent-tool', status: 'done' },
      { path: 'plan#1.lookup~2', kind: 'agent-tool', status: 'done' },
      { path: 'plan#2', kind: 'agent-turn', status: 'done' },
      { path: 'plan#2.sanctions.screen', kind: 'agent-tool', status: 'done' },
      { path: 'plan#3', kind: 'agent-turn', status: 'done' },
    ]);
    expect(tree.map((n) => n.path)).toEqual(['profile', 'plan']);
    const plan = tree[1]!;
    expect(plan.children.map((n) => [n.path, n.label])).toEqual([['plan#1', 'turn 1'], ['plan#2', 'turn 2'], ['plan#3', 'turn 3']]);
    expect(plan.children[0]!.children.map((n) => [n.path, n.label, n.kind])).toEqual([['plan#1.lookup', 'lookup', 'agent-tool'], ['plan#1.lookup~2', 'lookup, call 2', 'agent-tool']]);
    expect(plan.children[1]!.children.map((n) => n.label)).toEqual(['sanctions.screen']);
    expect(plan.children[2]!.children).toEqual([]);
  });

  it('shows an agent still taking turns as an agent at work, inside a sub-workflow too', () => {
    const tree = buildStepTree([
      { path: 'sections[0].section/plan#1', kind: 'agent-turn', status: 'done' },
      { path: 'sections[0].section/plan#1.calculator', kind: 'agent-tool', status: 'done' },
    ]);
    const plan = tree[0]!.children[0]!.children[0]!.children[0]!;
    expect(plan).toMatchObject({ path: 'sections[0].section/plan', label: 'plan', kind: 'agent', status: 'running' });
    expect(plan.children.map((n) => n.label)).toEqual(['turn 1']);
  });
});

describe('where a run stopped', () => {
  // What runs.get returns of a failed credit memo: the failed self_check inside risk_sections[1],
  // the sub-workflow and map around it failed with it, a rejection, a step a cancel ended.
  const failure = { code: 'ERR_MODEL_UNAVAILABLE', message: 'The endpoint is down.' };
  const steps = [
    { path: 'customer', kind: 'tool', status: 'done', output: { id: 'CUST-1' } },
    { path: 'risk_sections[0].risk_section/self_check', kind: 'llm', status: 'done', output: { ok: true } },
    { path: 'risk_sections[0].risk_section', kind: 'workflow', status: 'done', output: {} },
    { path: 'risk_sections[1].risk_section/draft', kind: 'llm', status: 'done', output: 'text' },
    { path: 'risk_sections[1].risk_section/self_check', kind: 'llm', status: 'failed', output: { error: failure } },
    { path: 'risk_sections[1].risk_section', kind: 'workflow', status: 'failed', output: { error: { ...failure, at: 'risk_sections[1].risk_section/self_check' } } },
    { path: 'risk_sections', kind: 'map', status: 'failed', output: { error: { ...failure, at: 'risk_sections[1].risk_section/self_check' } } },
  ];

  it('shows the failed step and fails every step around it, after a reload too', () => {
    const tree = buildStepTree(steps.map((s) => ({ path: s.path, kind: s.kind, status: stepStatus(s) })));
    const sections = tree.find((n) => n.path === 'risk_sections')!;
    expect(sections.status).toBe('failed');
    expect(sections.children.map((n) => [n.label, n.status])).toEqual([['item 1', 'done'], ['item 2', 'failed']]);
    const second = sections.children[1]!.children[0]!;
    expect(second).toMatchObject({ path: 'risk_sections[1].risk_section', status: 'failed' });
    expect(second.children.map((n) => [n.label, n.status])).toEqual([['draft', 'done'], ['self_check', 'failed']]);
    expect(failureOf(steps[4]!)).toEqual(failure);
    expect(failureOf(steps[6]!)).toEqual({ ...failure, at: 'risk_sections[1].risk_section/self_check' });
    expect(failureOf(steps[0]!)).toBeNull();
  });

  it('rolls a synthetic item up as failed when one of its steps failed', () => {
    const tree = buildStepTree([
      { path: 'items[0].draft', kind: 'llm', status: 'done' },
      { path: 'items[0].check', kind: 'llm', status: 'failed' },
    ]);
    expect(tree[0]!.children[0]).toMatchObject({ label: 'item 1', status: 'failed' });
  });

  it('calls a rejected approval rejected, not done, and a step a cancel ended cancelled', () => {
    expect(stepStatus({ kind: 'human', status: 'failed', output: { approved: false, comment: 'No', endsRun: true, answeredBy: 'reviewer-1' } })).toBe('rejected');
    expect(stepStatus({ kind: 'human', status: 'done', output: { approved: false, answeredBy: 'reviewer-1' } })).toBe('rejected');
    expect(stepStatus({ kind: 'human', status: 'done', output: { approved: true, answeredBy: 'reviewer-1' } })).toBe('done');
    expect(stepStatus({ kind: 'human', status: 'failed', output: { prompt: 'Approve?', action: 'approve', error: { code: 'ERR_WORKFLOW_CANCELLED', message: 'Cancelled by analyst-1.' } } })).toBe('cancelled');
    expect(stepStatus({ kind: 'human', status: 'waiting', output: { prompt: 'Approve?', action: 'approve' } })).toBe('waiting');
    const tree = buildStepTree([{ path: 'sections[0].approve', kind: 'human', status: 'rejected' }, { path: 'sections[1].approve', kind: 'human', status: 'cancelled' }]);
    expect(tree[0]!.children.map((n) => n.status)).toEqual(['rejected', 'cancelled']);
  });
});

describe('generated form values', () => {
  const schema = { type: 'object', required: ['name', 'owners'], properties: { name: { type: 'string' }, note: { type: 'string' }, amount: { type: 'number' }, owners: { type: 'array', items: { type: 'object', properties: { share: { type: 'number' } } } }, edd: { type: 'boolean' } } };

  it('starts blank, drops optional blanks and empty numbers, keeps required blanks for the API to name', () => {
    const start = initialValue(schema);
    expect(start).toEqual({ name: '', note: '', amount: null, owners: [], edd: false });
    const edited = setIn(setIn(start, ['owners', 0], { share: 30 }), ['owners', 1, 'share'], null);
    expect(pruneBlank(schema, edited)).toEqual({ name: '', owners: [{ share: 30 }, {}], edd: false });
  });

  it('labels fields from their keys', () => {
    expect(labelFor('expectedMonthlyCashUsd', {})).toBe('Expected monthly cash USD');
    expect(labelFor('x', { title: 'Custom' })).toBe('Custom');
  });
});
