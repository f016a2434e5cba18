import { describe, expect, it } from 'vitest';
import { initialValue, labelFor, pruneBlank, setIn } from './schemaValues.ts';
import { buildStepTree, parentPath } from './stepTree.ts';

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
