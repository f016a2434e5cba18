import { createHash } from 'node:crypto';
import { safeLiquid } from './liquid.ts';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CoreError } from '../base/index.ts';
import type { InputIssue, Step, WorkflowDefinition } from '../contracts/index.ts';
import { formatIssuePath, WorkflowDefinitionSchema } from '../contracts/index.ts';

/** A validated definition with its content-hash version. */
export interface CompiledWorkflow {
  definition: WorkflowDefinition;
  /** sha256 of the canonical JSON of the definition: the version every run records. */
  version: string;
}

const liquid = safeLiquid();

/** Canonical JSON (sorted keys) so the same definition always hashes the same, whatever its formatting. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function versionOf(definition: WorkflowDefinition): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

/** Parses JSON or YAML text (by content, not file name). */
export function parseDefinitionText(text: string): unknown {
  const trimmed = text.trimStart();
  try {
    return trimmed.startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // The parser's first line, without the trailing colon that introduces its code excerpt.
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? 'parse error').replace(/:\s*$/, '') : 'parse error';
    throw new CoreError('ERR_INPUT_INVALID', 'The workflow definition is neither valid JSON nor valid YAML.', { details: { issues: [{ path: '(root)', message }] } });
  }
}

interface Scope {
  /** Top-level input property names (from the inputs JSON Schema), or null when it declares none. */
  inputs: Set<string> | null;
  /** Step ids visible here (earlier siblings and earlier steps of enclosing scopes). */
  steps: Set<string>;
  /** Inside a map: `item` and `index` exist. */
  inMap: boolean;
}

/**
 * Validates a definition: the schema (zod) and then the semantics zod cannot express — unique
 * step ids, references to inputs and earlier steps only, template syntax and variables, and no
 * cycles among nested workflows (`resolve` looks up other definitions by id). Every problem is
 * reported with its path, e.g. `steps[3].map.over: unknown input "sections"`.
 */
export function validateDefinition(raw: unknown, resolve: (id: string) => WorkflowDefinition | undefined = () => undefined): CompiledWorkflow {
  const parsed = WorkflowDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((issue) => ({ path: stepKindPath(raw, issue.path), message: issue.message })));
  }
  const definition = parsed.data;
  const issues: InputIssue[] = [];
  const properties = definition.inputs.properties;
  const inputs = properties && typeof properties === 'object' ? new Set(Object.keys(properties)) : null;
  try {
    z.fromJSONSchema(definition.inputs);
  } catch (error) {
    issues.push({ path: 'inputs', message: `not a usable JSON Schema: ${error instanceof Error ? error.message : 'invalid'}` });
  }
  const ids = new Set<string>();
  checkSteps(definition.steps, 'steps', { inputs, steps: new Set(), inMap: false }, ids, issues);
  if (definition.output && !definition.steps.some((s) => s.id === definition.output)) issues.push({ path: 'output', message: `unknown top-level step "${definition.output}"` });
  for (const [index, id] of (definition.document?.sections ?? []).entries()) {
    const step = definition.steps.find((s) => s.id === id);
    if (!step) issues.push({ path: `document.sections[${index}]`, message: `unknown top-level step "${id}"` });
    else if (!['llm', 'agent', 'map', 'workflow'].includes(step.kind)) issues.push({ path: `document.sections[${index}]`, message: `step "${id}" is a ${step.kind} step; sections are llm, agent, map or workflow steps` });
  }
  checkCycles(definition, resolve, issues);
  if (issues.length > 0) throw invalid(issues);
  return { definition, version: versionOf(definition) };
}

/**
 * A schema issue's path written as the semantic checks write theirs, with each step's kind after
 * its index (`steps[0].map.steps[1].llm.prompt`), so one definition's problems read alike.
 */
function stepKindPath(raw: unknown, path: readonly PropertyKey[]): string {
  const segments: PropertyKey[] = [];
  let node: unknown = raw;
  let parentKey: PropertyKey | undefined;
  for (const [index, segment] of path.entries()) {
    segments.push(segment);
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[segment] : undefined;
    if (typeof segment === 'number' && (parentKey === 'steps' || parentKey === 'otherwise') && index < path.length - 1) {
      const kind = node !== null && typeof node === 'object' ? (node as { kind?: unknown }).kind : undefined;
      if (typeof kind === 'string' && /^[a-z]+$/.test(kind)) segments.push(kind);
    }
    parentKey = segment;
  }
  return formatIssuePath(segments);
}

/** What an account's workflows may name: its tools and its models (createCore knows both). */
export interface DefinitionReferences {
  tool(name: string): boolean;
  /** Undefined: models are not checked (tests that stand in their own). */
  model?: (id: string) => boolean;
}

/**
 * The tools and models a definition names that the account does not have — typos, an MCP tool
 * not yet allowed, a model not added — with their paths, so an import fails now and not when a
 * run reaches the step. Nested workflows are checked when they are imported themselves.
 */
export function checkReferences(definition: WorkflowDefinition, references: DefinitionReferences): InputIssue[] {
  const issues: InputIssue[] = [];
  for (const { step, path } of eachStep(definition.steps)) {
    const at = `${path}.${step.kind}`;
    if (step.kind === 'tool' && !references.tool(step.tool)) issues.push({ path: `${at}.tool`, message: `unknown tool "${step.tool}": not a built-in, and not an MCP tool this account allows (Tools page, or strongroom tools allow)` });
    if (step.kind === 'agent') {
      for (const [i, name] of step.tools.entries()) if (!references.tool(name)) issues.push({ path: `${at}.tools[${i}]`, message: `unknown tool "${name}": not a built-in, and not an MCP tool this account allows` });
    }
    if ((step.kind === 'llm' || step.kind === 'agent') && step.model !== undefined && references.model && !references.model(step.model)) issues.push({ path: `${at}.model`, message: `unknown model "${step.model}": not one this account may use (Models page, or strongroom models list)` });
  }
  return issues;
}

function invalid(issues: InputIssue[]): CoreError {
  const first = issues[0];
  return new CoreError('ERR_INPUT_INVALID', first ? `Invalid workflow definition: ${first.path}: ${first.message}` : 'Invalid workflow definition.', { details: { issues } });
}

function checkReference(ref: string, path: string, scope: Scope, issues: InputIssue[]): void {
  const [head, second] = ref.split(/[.[]/);
  if (head === 'inputs') {
    if (second !== undefined && scope.inputs !== null && !scope.inputs.has(second)) issues.push({ path, message: `unknown input "${second}"` });
  } else if (head === 'steps') {
    if (second === undefined || !scope.steps.has(second)) issues.push({ path, message: `unknown or later step "${second ?? ''}" (a step can only use steps before it)` });
  } else if ((head === 'item' || head === 'index') && !scope.inMap) {
    issues.push({ path, message: `"${head}" exists only inside a map` });
  }
}

function checkTemplate(template: string, path: string, scope: Scope, issues: InputIssue[]): void {
  let parsed;
  try {
    parsed = liquid.parse(template);
  } catch (error) {
    issues.push({ path, message: `template syntax: ${error instanceof Error ? error.message.split(',')[0] ?? 'invalid' : 'invalid'}` });
    return;
  }
  for (const variable of liquid.globalVariableSegmentsSync(parsed)) {
    const segments = Array.isArray(variable) ? variable : [variable];
    const ref = segments.map(String).join('.');
    if (/^(inputs|steps|item|index)(\.|$)/.test(ref)) checkReference(ref, path, scope, issues);
    else issues.push({ path, message: `unknown variable "${ref}" (use inputs.…, steps.<id>.output…, item or index)` });
  }
}

function checkArgs(args: Record<string, { ref?: string; template?: string } | object>, path: string, scope: Scope, issues: InputIssue[]): void {
  for (const [name, arg] of Object.entries(args)) {
    if ('ref' in arg && typeof arg.ref === 'string') checkReference(arg.ref, `${path}.${name}.ref`, scope, issues);
    if ('template' in arg && typeof arg.template === 'string') checkTemplate(arg.template, `${path}.${name}.template`, scope, issues);
  }
}

function checkSteps(steps: readonly Step[], path: string, outer: Scope, ids: Set<string>, issues: InputIssue[]): void {
  const scope: Scope = { ...outer, steps: new Set(outer.steps) };
  steps.forEach((step, index) => {
    const at = `${path}[${index}]`;
    if (ids.has(step.id)) issues.push({ path: `${at}.id`, message: `duplicate step id "${step.id}"` });
    ids.add(step.id);
    // A map, branch or sub-workflow is bounded by its steps' own limits; a person takes as long as it takes.
    if (step.kind === 'map' || step.kind === 'branch' || step.kind === 'workflow' || step.kind === 'human') {
      for (const field of ['timeoutMs', 'retries'] as const) {
        if (step[field] !== undefined) issues.push({ path: `${at}.${step.kind}.${field}`, message: `${field} applies to the steps that do the work (llm, tool, retrieve, agent, guardrail), not to a ${step.kind} step` });
      }
    }
    switch (step.kind) {
      case 'llm':
        if (step.system) checkTemplate(step.system, `${at}.llm.system`, scope, issues);
        checkTemplate(step.prompt, `${at}.llm.prompt`, scope, issues);
        break;
      case 'tool':
        checkArgs(step.args, `${at}.tool.args`, scope, issues);
        break;
      case 'retrieve':
        checkReference(step.documents, `${at}.retrieve.documents`, scope, issues);
        checkTemplate(step.query, `${at}.retrieve.query`, scope, issues);
        break;
      case 'map':
        checkReference(step.over, `${at}.map.over`, scope, issues);
        checkSteps(step.steps, `${at}.map.steps`, { ...scope, inMap: true }, ids, issues);
        if (step.output && !step.steps.some((s) => s.id === step.output)) issues.push({ path: `${at}.map.output`, message: `unknown step "${step.output}" in this map` });
        break;
      case 'branch':
        step.cases.forEach((branchCase, caseIndex) => {
          checkReference(branchCase.when.ref, `${at}.branch.cases[${caseIndex}].when.ref`, scope, issues);
          checkSteps(branchCase.steps, `${at}.branch.cases[${caseIndex}].steps`, scope, ids, issues);
        });
        if (step.otherwise) checkSteps(step.otherwise, `${at}.branch.otherwise`, scope, ids, issues);
        break;
      case 'workflow':
        checkArgs(step.input, `${at}.workflow.input`, scope, issues);
        break;
      case 'human':
        checkTemplate(step.prompt, `${at}.human.prompt`, scope, issues);
        if (step.show) checkReference(step.show, `${at}.human.show`, scope, issues);
        if (step.fourEyes && step.action !== 'approve') issues.push({ path: `${at}.human.fourEyes`, message: `only an approval step takes fourEyes (this one is action "${step.action}")` });
        if (step.onReject !== undefined && step.action !== 'approve') issues.push({ path: `${at}.human.onReject`, message: `only an approval step can be rejected (this one is action "${step.action}")` });
        break;
      case 'agent':
        checkTemplate(step.goal, `${at}.agent.goal`, scope, issues);
        break;
      case 'guardrail':
        if (step.check) checkReference(step.check, `${at}.guardrail.check`, scope, issues);
        break;
    }
    scope.steps.add(step.id);
  });
}

/**
 * Every step of a step list with its path (`steps[0].map.steps[1]`), at any depth of maps and
 * branches; nested workflows are other definitions and are not entered.
 */
export function eachStep(steps: readonly Step[], prefix = 'steps', into: Array<{ step: Step; path: string }> = []): Array<{ step: Step; path: string }> {
  steps.forEach((step, index) => {
    const at = `${prefix}[${index}]`;
    into.push({ step, path: at });
    if (step.kind === 'map') eachStep(step.steps, `${at}.map.steps`, into);
    if (step.kind === 'branch') {
      step.cases.forEach((c, i) => eachStep(c.steps, `${at}.branch.cases[${i}].steps`, into));
      if (step.otherwise) eachStep(step.otherwise, `${at}.branch.otherwise`, into);
    }
  });
  return into;
}

function nestedWorkflows(steps: readonly Step[]): Array<{ id: string; path: string }> {
  return eachStep(steps).flatMap(({ step, path }) => (step.kind === 'workflow' ? [{ id: step.workflow, path: `${path}.workflow.workflow` }] : []));
}

/** Nested workflows must exist and must not lead back to this one (depth-first over the call graph). */
function checkCycles(definition: WorkflowDefinition, resolve: (id: string) => WorkflowDefinition | undefined, issues: InputIssue[]): void {
  const visit = (current: WorkflowDefinition, chain: string[], reportAt: string | null): void => {
    for (const nested of nestedWorkflows(current.steps)) {
      const at = reportAt ?? nested.path;
      if (nested.id === definition.id || chain.includes(nested.id)) {
        issues.push({ path: at, message: `cycle: ${[...chain, nested.id].join(' → ')}` });
        continue;
      }
      const target = resolve(nested.id);
      if (!target) {
        if (reportAt === null) issues.push({ path: at, message: `unknown workflow "${nested.id}"` });
        continue;
      }
      visit(target, [...chain, nested.id], at);
    }
  };
  visit(definition, [definition.id], null);
}
