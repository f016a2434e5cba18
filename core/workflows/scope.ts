import { safeLiquid } from './liquid.ts';
import { CoreError } from '../base/index.ts';
import type { Condition } from '../contracts/index.ts';

/** The data a step sees: run inputs, earlier steps' outputs, and inside a map its item and index. */
export interface DataScope {
  inputs: unknown;
  steps: Record<string, { output: unknown }>;
  item?: unknown;
  index?: number;
}

const liquid = safeLiquid();

/** A child scope that shares outer step outputs but records its own (map items, branches keep the parent's). */
export function childScope(parent: DataScope, item?: { item: unknown; index: number }): DataScope {
  return { inputs: parent.inputs, steps: { ...parent.steps }, ...(item ? { item: item.item, index: item.index } : parent.item !== undefined ? { item: parent.item, index: parent.index } : {}) };
}

/** Resolves `inputs.a.b`, `steps.x.output.items[2]`, `item.year`. Undefined when a segment is missing. */
export function resolveReference(scope: DataScope, reference: string): unknown {
  const segments = reference.match(/[^.[\]]+/g) ?? [];
  let current: unknown = scope;
  for (const segment of segments) {
    if (current === null || current === undefined) return undefined;
    if (typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Parsed templates, by source: a workflow renders the same few templates for every step and map
 * item, and parsing costs more than rendering. Bounded; the oldest entry goes first.
 */
const parsed = new Map<string, ReturnType<typeof liquid.parse>>();
const parsedLimit = 512;

function parseOnce(template: string): ReturnType<typeof liquid.parse> {
  let templates = parsed.get(template);
  if (!templates) {
    templates = liquid.parse(template);
    if (parsed.size >= parsedLimit) parsed.delete(parsed.keys().next().value!);
    parsed.set(template, templates);
  }
  return templates;
}

/** Renders a Liquid template against the scope. Missing variables are an error, never an empty string. */
export function renderTemplate(template: string, scope: DataScope, path: string): string {
  try {
    const rendered: unknown = liquid.renderSync(parseOnce(template), scope);
    return String(rendered);
  } catch (error) {
    throw new CoreError('ERR_WORKFLOW_STEP_FAILED', `Step ${path}: its template refers to data that is not there.`, { details: { path, reason: 'template', cause: error instanceof Error ? error.message.split(',')[0] ?? 'render error' : 'render error' } });
  }
}

export function evaluateCondition(condition: Condition, scope: DataScope): boolean {
  const value = resolveReference(scope, condition.ref);
  if (condition.exists !== undefined) return (value !== undefined && value !== null) === condition.exists;
  if (condition.equals !== undefined) return value === condition.equals;
  if (condition.in !== undefined) return condition.in.includes(value as string | number);
  if (condition.greaterThan !== undefined) return typeof value === 'number' && value > condition.greaterThan;
  if (condition.lessThan !== undefined) return typeof value === 'number' && value < condition.lessThan;
  return Boolean(value);
}

/** Arguments of tool and workflow steps: references, literal values, or templates. */
export function resolveArguments(args: Record<string, { ref: string } | { value: unknown } | { template: string }>, scope: DataScope, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, arg] of Object.entries(args)) {
    if ('ref' in arg) out[name] = resolveReference(scope, arg.ref);
    else if ('template' in arg) out[name] = renderTemplate(arg.template, scope, `${path}.${name}`);
    else out[name] = arg.value;
  }
  return out;
}
