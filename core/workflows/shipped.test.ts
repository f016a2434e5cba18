import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeLiquid } from './liquid.ts';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Condition, Step, WorkflowDefinition } from '../contracts/index.ts';
import { WorkflowDefinitionSchema } from '../contracts/index.ts';
import { validateDefinition } from './validate.ts';

// The workflows Strongroom ships (resources/workflows) and their synthetic samples
// (resources/samples): valid definitions, sample inputs that fit, the nesting the credit memo
// promises, and a dry run that renders every template against the samples under strict
// variables, so a misspelt field fails here rather than in a bank's run.

type Json = Record<string, unknown>;
type Argument = { ref: string } | { value?: unknown } | { template: string };
interface Scope { inputs: unknown; steps: Record<string, { output: unknown }>; item?: unknown; index?: number }
interface Run { calls: Array<{ step: string; tool: string; args: Json; output: unknown }>; rendered: string[] }

const repoRoot = join(import.meta.dirname, '..', '..');
const workflowsDir = join(repoRoot, 'resources', 'workflows');
const samplesDir = join(repoRoot, 'resources', 'samples');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8')) as unknown;
const liquid = safeLiquid();

const files = readdirSync(workflowsDir).filter((name) => /\.ya?ml$/.test(name)).sort();
const raw = new Map(files.map((name) => [name, parseYaml(readFileSync(join(workflowsDir, name), 'utf8')) as unknown]));
const definitions = new Map<string, WorkflowDefinition>();
for (const value of raw.values()) {
  const parsed = WorkflowDefinitionSchema.safeParse(value);
  if (parsed.success) definitions.set(parsed.data.id, parsed.data);
}
const definition = (id: string): WorkflowDefinition => {
  const found = definitions.get(id);
  if (!found) throw new Error(`no shipped workflow "${id}"`);
  return found;
};
const customers = readJson(join(samplesDir, 'customers.json')) as Json[];
const sampleFor = (id: string): unknown => readJson(join(samplesDir, `${id}.input.json`));

function allSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((step) => [
    step,
    ...(step.kind === 'map' ? allSteps(step.steps) : []),
    ...(step.kind === 'branch' ? [...step.cases.flatMap((branchCase) => allSteps(branchCase.steps)), ...allSteps(step.otherwise ?? [])] : []),
  ]);
}
const nestedIds = new Set([...definitions.values()].flatMap((d) => allSteps(d.steps).flatMap((s) => (s.kind === 'workflow' ? [s.workflow] : []))));
const topLevel = [...definitions.keys()].filter((id) => !nestedIds.has(id)).sort();

/**
 * Where an output schema leaves a model room to drift: objects must be closed with every
 * property required (what OpenAI-compatible strict structured output demands, and what strict
 * template variables need downstream), strings bounded, arrays capped, enums typed.
 */
function looseSpots(schema: Json, path: string): string[] {
  const spots: string[] = [];
  const types = [schema.type].flat();
  if ('enum' in schema && schema.type === undefined) spots.push(`${path}: enum without a type`);
  if (types.includes('object')) {
    const properties = (schema.properties ?? {}) as Record<string, Json>;
    const required = (schema.required ?? []) as string[];
    if (schema.additionalProperties !== false) spots.push(`${path}: additionalProperties is not false`);
    for (const [key, property] of Object.entries(properties)) {
      if (!required.includes(key)) spots.push(`${path}.${key}: not required`);
      spots.push(...looseSpots(property, `${path}.${key}`));
    }
  }
  if (types.includes('string') && !['maxLength', 'enum', 'format', 'pattern', 'const'].some((key) => key in schema)) spots.push(`${path}: unbounded string`);
  if (types.includes('array')) {
    if (!('maxItems' in schema)) spots.push(`${path}: array without maxItems`);
    spots.push(...looseSpots(schema.items as Json, `${path}[]`));
  }
  return spots;
}

/** A value that satisfies the schema, standing in for a model's or a person's answer. */
function mockFrom(schema: Json): unknown {
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).find((value) => value !== null);
  switch ([schema.type].flat().find((type) => type !== 'null')) {
    case 'object': return Object.fromEntries(Object.entries((schema.properties ?? {}) as Record<string, Json>).map(([key, property]) => [key, mockFrom(property)]));
    case 'array': return Array.from({ length: Math.max(1, Number(schema.minItems ?? 1)) }, () => mockFrom(schema.items as Json));
    case 'string': return schema.format === 'date' ? '2025-01-31' : 'x'.repeat(Number(schema.minLength ?? 1));
    case 'integer':
    case 'number': return 'exclusiveMinimum' in schema ? Number(schema.exclusiveMinimum) + 1 : Number(schema.minimum ?? 1);
    case 'boolean': return true;
    default: return null;
  }
}

/** + − × ÷ and parentheses over decimal numbers: all the calculator tool accepts. */
function arithmetic(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|\S/g) ?? [];
  let at = 0;
  const primary = (): number => {
    const token = tokens[at++];
    if (token === '(') {
      const value = sum();
      if (tokens[at++] !== ')') throw new Error(`unbalanced parentheses in "${expression}"`);
      return value;
    }
    if (token === '-') return -primary();
    if (token !== undefined && /^\d/.test(token)) return Number(token);
    throw new Error(`unexpected "${token ?? 'end'}" in "${expression}"`);
  };
  const product = (): number => {
    let value = primary();
    while (tokens[at] === '*' || tokens[at] === '/') value = tokens[at++] === '*' ? value * primary() : value / primary();
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (tokens[at] === '+' || tokens[at] === '-') value = tokens[at++] === '+' ? value + product() : value - product();
    return value;
  };
  const value = sum();
  if (at !== tokens.length || !Number.isFinite(value)) throw new Error(`not a finite arithmetic expression: "${expression}"`);
  return value;
}

const isoDate = (value: unknown): value is string => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value));

/** Stand-ins for the built-in tools that check their arguments as the real ones will. */
function callTool(tool: string, args: Json): unknown {
  const allowed: Record<string, string[]> = { customer_lookup: ['customerId'], calculator: ['expression'], date_math: ['date', 'addDays', 'addMonths', 'diffTo'] };
  const names = allowed[tool];
  if (!names) throw new Error(`"${tool}" is not a built-in tool`);
  const unknown = Object.keys(args).filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new Error(`${tool} takes no ${unknown.join(', ')}`);
  if (tool === 'customer_lookup') {
    const record = customers.find((customer) => customer.customerId === args.customerId);
    if (!record) throw new Error(`customer ${String(args.customerId)} is not in samples/customers.json`);
    return record;
  }
  if (tool === 'calculator') {
    if (typeof args.expression !== 'string' || !/^[\d\s.+\-*/()]+$/.test(args.expression)) throw new Error(`calculator expression is not arithmetic: ${JSON.stringify(args.expression)}`);
    return arithmetic(args.expression);
  }
  const operations = ['addDays', 'addMonths', 'diffTo'].filter((name) => args[name] !== undefined);
  if (!isoDate(args.date) || operations.length !== 1) throw new Error(`date_math needs an ISO date and one operation: ${JSON.stringify(args)}`);
  if (args.diffTo !== undefined) {
    if (!isoDate(args.diffTo)) throw new Error(`date_math diffTo is not an ISO date: ${JSON.stringify(args.diffTo)}`);
    return (Date.parse(args.diffTo) - Date.parse(args.date)) / 86_400_000;
  }
  const amount = args.addDays ?? args.addMonths;
  if (!Number.isInteger(amount)) throw new Error(`date_math amount is not an integer: ${JSON.stringify(amount)}`);
  const date = new Date(args.date);
  if (args.addDays !== undefined) date.setUTCDate(date.getUTCDate() + Number(amount));
  else date.setUTCMonth(date.getUTCMonth() + Number(amount));
  return date.toISOString().slice(0, 10);
}

function lookup(ref: string, scope: Scope): unknown {
  return ref.replace(/\[(\d+)\]/g, '.$1').split('.').reduce<unknown>((at, key) => (at === null || at === undefined ? undefined : (at as Json)[key]), scope);
}
function resolved(ref: string, scope: Scope, where: string): unknown {
  const value = lookup(ref, scope);
  if (value === undefined) throw new Error(`${where}: ${ref} is undefined`);
  return value;
}
function holds(when: Condition, scope: Scope): boolean {
  const value = lookup(when.ref, scope);
  if (when.exists !== undefined) return (value !== undefined && value !== null) === when.exists;
  if (when.equals !== undefined) return value === when.equals;
  if (when.in) return when.in.includes(value as string | number);
  if (when.greaterThan !== undefined) return typeof value === 'number' && value > when.greaterThan;
  return when.lessThan !== undefined && typeof value === 'number' && value < when.lessThan;
}

/** Runs a definition with stand-in models, people and tools; branches follow the stand-ins' answers. */
function dryRun(workflow: WorkflowDefinition, inputs: unknown, run: Run): unknown {
  const scope: Scope = { inputs, steps: {} };
  const last = runSteps(workflow.steps, scope, run);
  return workflow.output ? scope.steps[workflow.output]?.output : last;
}
function runSteps(steps: readonly Step[], scope: Scope, run: Run): unknown {
  let output: unknown;
  for (const step of steps) {
    output = runStep(step, scope, run);
    scope.steps[step.id] = { output };
  }
  return output;
}
function runStep(step: Step, scope: Scope, run: Run): unknown {
  const render = (template: string): string => {
    const text = liquid.parseAndRenderSync(template, scope) as string;
    run.rendered.push(text);
    return text;
  };
  const args = (input: Record<string, Argument>): Json => Object.fromEntries(Object.entries(input).map(([name, arg]) => [name, 'ref' in arg ? resolved(arg.ref, scope, step.id) : 'template' in arg ? render(arg.template) : arg.value]));
  const child = (): Scope => ({ ...scope, steps: { ...scope.steps } });
  switch (step.kind) {
    case 'llm':
      if (step.system) render(step.system);
      render(step.prompt);
      return step.output ? mockFrom(step.output) : 'text';
    case 'tool': {
      const input = args(step.args);
      const output = callTool(step.tool, input);
      run.calls.push({ step: step.id, tool: step.tool, args: input, output });
      return output;
    }
    case 'retrieve': {
      const documents = z.array(z.object({ id: z.string(), title: z.string(), text: z.string() })).min(1).parse(resolved(step.documents, scope, step.id));
      render(step.query);
      return documents.slice(0, step.topK ?? 5);
    }
    case 'map': {
      const items = resolved(step.over, scope, step.id);
      if (!Array.isArray(items) || items.length === 0) throw new Error(`${step.id}: ${step.over} is not a non-empty list`);
      return items.map((item: unknown, index) => {
        const inner = { ...child(), item, index };
        const last = runSteps(step.steps, inner, run);
        return step.output ? inner.steps[step.output]?.output : last;
      });
    }
    case 'branch':
      return runSteps(step.cases.find((branchCase) => holds(branchCase.when, scope))?.steps ?? step.otherwise ?? [], child(), run);
    case 'workflow': {
      const nested = definition(step.workflow);
      const input = args(step.input);
      const check = z.fromJSONSchema(nested.inputs).safeParse(input);
      if (!check.success) throw new Error(`${step.id}: input does not fit ${nested.id}: ${JSON.stringify(check.error.issues)}`);
      return dryRun(nested, input, run);
    }
    case 'human':
      render(step.prompt);
      if (step.show) resolved(step.show, scope, step.id);
      return step.action === 'input' ? mockFrom(step.form ?? {}) : { approved: true };
    case 'agent':
      render(step.goal);
      return mockFrom(step.output);
    case 'guardrail':
      if (step.check) resolved(step.check, scope, step.id);
      return { passed: true };
  }
}

describe('shipped workflows', () => {
  it('ships the credit memo, KYC review and SAR narrative, with the risk section nested', () => {
    expect(topLevel).toEqual(['credit-memo', 'kyc-periodic-review', 'sar-narrative']);
    expect([...nestedIds]).toEqual(['credit-risk-section']);
  });

  it.each(files)('%s is a valid definition, named by its id', (file) => {
    const { definition: valid } = validateDefinition(raw.get(file), (id) => definitions.get(id));
    expect(file).toBe(`${valid.id}.yaml`);
  });

  it.each(topLevel)('%s has a sample input that fits its inputs schema', (id) => {
    const path = join(samplesDir, `${id}.input.json`);
    expect(existsSync(path), path).toBe(true);
    const result = z.fromJSONSchema(definition(id).inputs).safeParse(sampleFor(id));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it.each(files)('%s gives every model a system prompt and a closed, bounded output schema', (file) => {
    const steps = allSteps(definition(file.replace(/\.ya?ml$/, '')).steps);
    const spots = steps.flatMap((step) => {
      if (step.kind === 'llm') return [...(step.system ? [] : [`${step.id}: no system prompt`]), ...(step.output ? looseSpots(step.output, step.id) : [`${step.id}: no output schema`])];
      if (step.kind === 'human' && step.form) return looseSpots(step.form, step.id);
      return [];
    });
    expect(spots).toEqual([]);
  });

  it('credit memo: profile → map over years → map over risk factors (retrieve → draft → self-check) → recommendation → approval of the memo', () => {
    const memo = definition('credit-memo');
    const at = (predicate: (step: Step) => boolean) => memo.steps.findIndex(predicate);
    const years = memo.steps.find((step) => step.kind === 'map' && step.over === 'inputs.financials');
    const risks = memo.steps.find((step) => step.kind === 'map' && step.over === 'inputs.riskFactors');
    if (years?.kind !== 'map' || risks?.kind !== 'map') throw new Error('the credit memo needs a map over inputs.financials and one over inputs.riskFactors');
    expect(years.steps.some((step) => step.kind === 'llm' && step.id === years.output)).toBe(true);

    const section = risks.steps.find((step) => step.kind === 'workflow');
    if (section?.kind !== 'workflow') throw new Error('the risk-factor map needs a workflow step');
    expect(risks.output).toBe(section.id);
    const sub = definition(section.workflow).steps;
    const retrieve = sub.findIndex((step) => step.kind === 'retrieve');
    const [draft, check] = sub.filter((step) => step.kind === 'llm');
    if (retrieve < 0 || draft?.kind !== 'llm' || check?.kind !== 'llm') throw new Error('the risk section needs retrieve → llm draft → llm self-check');
    expect(retrieve).toBeLessThan(sub.indexOf(draft));
    expect(check.prompt).toContain(`steps.${draft.id}.output`);
    expect(check.prompt).toContain(`steps.${sub[retrieve]?.id ?? ''}.output`);
    expect(sub).toContainEqual(expect.objectContaining({ kind: 'guardrail', policy: 'no-unsupported-claims', check: `steps.${check.id}.output` }));

    const approval = memo.steps.at(-1);
    expect(approval).toMatchObject({ kind: 'human', action: 'approve', show: `steps.${memo.output ?? ''}.output` });
    const order = [at((s) => s.id === 'borrower_profile'), memo.steps.indexOf(years), memo.steps.indexOf(risks), at((s) => s.id === 'recommendation'), at((s) => s.id === memo.output), memo.steps.length - 1];
    expect(order.every((index, i) => index >= 0 && (i === 0 || index > (order[i - 1] ?? 0)))).toBe(true);
  });

  it('SAR: the investigator supplies facts through a form before the narrative is drafted from them', () => {
    const sar = definition('sar-narrative');
    const human = sar.steps.findIndex((step) => step.kind === 'human' && step.action === 'input');
    const input = sar.steps[human];
    if (input?.kind !== 'human' || !input.form) throw new Error('the SAR needs a human input step with a form');
    expect(input.form).toMatchObject({ type: 'object', required: expect.arrayContaining(['customerExplanation', 'lawEnforcementContact']) as unknown });
    const drafter = sar.steps.findIndex((step) => step.kind === 'llm' && step.prompt.includes(`steps.${input.id}.output`));
    expect(drafter).toBeGreaterThan(human);
  });

  it.each(topLevel)('%s renders every template against its sample with strict variables', (id) => {
    const run: Run = { calls: [], rendered: [] };
    expect(dryRun(definition(id), sampleFor(id), run)).toBeDefined();
    expect(run.rendered.filter((text) => text.includes('[object Object]'))).toEqual([]);
    expect(run.calls.length).toBeGreaterThan(0);
  });

  it('the sample figures agree with the sample documents', () => {
    const memoRun: Run = { calls: [], rendered: [] };
    const memoSample = sampleFor('credit-memo') as { documents: Array<{ id: string; text: string }> };
    dryRun(definition('credit-memo'), memoSample, memoRun);
    const latest = (step: string) => Number(memoRun.calls.filter((call) => call.step === step).at(-1)?.output);
    const certificate = memoSample.documents.find((document) => document.id === 'CC-2024-Q4')?.text ?? '';
    expect(certificate).toContain(`ratio ${latest('fixed_charge_coverage').toFixed(2)}x`);
    expect(certificate).toContain(`= ${latest('senior_leverage').toFixed(2)}x`);

    const sarRun: Run = { calls: [], rendered: [] };
    const sarSample = sampleFor('sar-narrative') as { alerts: Array<{ description: string }> };
    dryRun(definition('sar-narrative'), sarSample, sarRun);
    const cash = Number(sarRun.calls.find((call) => call.step === 'cash_in_total')?.output);
    expect(sarSample.alerts.some((alert) => alert.description.includes(`USD ${cash.toLocaleString('en-US')}`))).toBe(true);
    expect(sarRun.calls.find((call) => call.step === 'initial_filing_deadline')?.output).toBe('2025-04-27');
  });
});
