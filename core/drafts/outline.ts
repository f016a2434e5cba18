import type { DraftSource, Step, WorkflowDefinition } from '../contracts/index.ts';
import { resolveReference } from '../workflows/index.ts';
import type { CompiledWorkflow, StepRecord } from '../workflows/index.ts';

/** One heading of a draft as the workflow's structure gives it, before any analyst touched it. */
export interface OutlineNode {
  path: string;
  parentPath: string | null;
  heading: string;
  level: number;
  /** A heading that only groups nested sections. */
  container: boolean;
  /** The step producing the text (llm or agent); null for containers. */
  step: Step | null;
  sources: DraftSource[];
}

export interface OutlineContext {
  definition: WorkflowDefinition;
  /** The latest version of a nested workflow, as the engine runs it. */
  workflow: (id: string) => CompiledWorkflow | undefined;
  steps: ReadonlyMap<string, StepRecord>;
  input: unknown;
}

const join = (prefix: string, id: string) => (prefix === '' ? id : prefix.endsWith('/') ? `${prefix}${id}` : `${prefix}.${id}`);
const textKinds = new Set(['llm', 'agent']);

/** `ownershipAndManagement` → `Ownership and management`. */
export function humanize(key: string): string {
  const words = key.replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** How a map item is named in headings: its name, title or id, a fiscal year, else its position. */
export function itemLabel(item: unknown, index: number): string {
  if (typeof item === 'string' && item.length <= 120) return item;
  if (typeof item === 'number') return String(item);
  if (item && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    for (const key of ['name', 'title', 'label', 'heading']) if (typeof record[key] === 'string' && record[key]) return (record[key]).slice(0, 120);
    if (typeof record.fiscalYear === 'number') return `Fiscal year ${record.fiscalYear}`;
    for (const key of ['id', 'key']) if (typeof record[key] === 'string' && record[key]) return record[key];
  }
  return `Item ${index + 1}`;
}

/** A workflow's section step ids: its `document.sections`, else its output step, else every text step. */
function sectionIds(definition: WorkflowDefinition, nested: boolean): string[] {
  if (definition.document) return definition.document.sections;
  if (nested) return [definition.output ?? definition.steps.at(-1)!.id];
  return definition.steps.filter((s) => textKinds.has(s.kind)).map((s) => s.id);
}

/** Steps visible to a step's templates: its own level first, then the enclosing ones. */
interface Level {
  prefix: string;
  steps: readonly Step[];
}

/**
 * The document outline of a run: the sections its workflow declares, in order, with map items
 * and nested workflows as sub-headings. A container with a single section per item shows that
 * section under the item's name. Map items are known once the list they iterate over is (from
 * the run's input or an earlier step's output).
 */
export function buildOutline(context: OutlineContext): OutlineNode[] {
  const nodes: OutlineNode[] = [];
  const topOutputs = outputsAt(context.steps, '');
  walk(context.definition, '', 1, null, [{ prefix: '', steps: context.definition.steps }], { inputs: context.input, steps: topOutputs }, false);
  return nodes;

  function walk(definition: WorkflowDefinition, prefix: string, level: number, parentPath: string | null, levels: Level[], scope: { inputs: unknown; steps: Record<string, { output: unknown }> } | null, nested: boolean): void {
    for (const id of sectionIds(definition, nested)) {
      const step = definition.steps.find((s) => s.id === id);
      if (step) place(step, join(prefix, id), level, parentPath, step.title ?? humanize(id), levels, scope);
    }
  }

  function place(step: Step, path: string, level: number, parentPath: string | null, heading: string, levels: Level[], scope: { inputs: unknown; steps: Record<string, { output: unknown }> } | null): void {
    const depth = Math.min(level, 6);
    if (textKinds.has(step.kind)) {
      nodes.push({ path, parentPath, heading, level: depth, container: false, step, sources: sourcesOf(step, levels, context.steps) });
      return;
    }
    if (step.kind === 'workflow') {
      const nested = context.workflow(step.workflow);
      if (!nested) return;
      const ids = sectionIds(nested.definition, true);
      const inner = [{ prefix: `${path}/`, steps: nested.definition.steps }];
      if (ids.length === 1) {
        const only = nested.definition.steps.find((s) => s.id === ids[0]);
        if (only) place(only, join(`${path}/`, only.id), level, parentPath, heading, inner, null);
        return;
      }
      nodes.push({ path, parentPath, heading, level: depth, container: true, step: null, sources: [] });
      walk(nested.definition, `${path}/`, level + 1, path, inner, null, true);
      return;
    }
    if (step.kind === 'map') {
      nodes.push({ path, parentPath, heading, level: depth, container: true, step: null, sources: [] });
      const items = mapItems(step.over, path, scope);
      const innerIds = step.output ? [step.output] : step.steps.filter((s) => textKinds.has(s.kind) || s.kind === 'workflow').map((s) => s.id);
      items.forEach((item, index) => {
        const itemPath = `${path}[${index}]`;
        const label = itemLabel(item, index);
        const itemLevels = [{ prefix: itemPath, steps: step.steps }, ...levels];
        if (innerIds.length === 1) {
          const only = step.steps.find((s) => s.id === innerIds[0]);
          if (only) place(only, join(itemPath, only.id), level + 1, path, label, itemLevels, null);
          return;
        }
        nodes.push({ path: itemPath, parentPath: path, heading: label, level: Math.min(level + 1, 6), container: true, step: null, sources: [] });
        for (const id of innerIds) {
          const inner = step.steps.find((s) => s.id === id);
          if (inner) place(inner, join(itemPath, id), level + 2, itemPath, inner.title ?? humanize(id), itemLevels, null);
        }
      });
    }
  }

  /** The items of a map: from its list when resolvable, else as many as the run has begun. */
  function mapItems(over: string, path: string, scope: { inputs: unknown; steps: Record<string, { output: unknown }> } | null): unknown[] {
    if (scope) {
      try {
        const resolved = resolveReference(scope, over);
        if (Array.isArray(resolved)) return resolved;
      } catch {
        // Not resolvable yet (an earlier step has not produced it): count what the run started.
      }
    }
    let count = 0;
    const pattern = new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\[(\\d+)\\]`);
    for (const key of context.steps.keys()) {
      const match = pattern.exec(key);
      if (match) count = Math.max(count, Number(match[1]) + 1);
    }
    return Array.from({ length: count }, () => null);
  }
}

/** Outputs of the steps at one level of a run (`''` = top level), by step id. */
function outputsAt(steps: ReadonlyMap<string, StepRecord>, prefix: string): Record<string, { output: unknown }> {
  const outputs: Record<string, { output: unknown }> = {};
  for (const [path, record] of steps) {
    if (record.status !== 'done') continue;
    const rest = prefix === '' ? path : path.startsWith(prefix) ? path.slice(prefix.length) : null;
    if (rest !== null && /^[a-z][a-z0-9_]*$/.test(rest)) outputs[rest] = { output: record.output };
  }
  return outputs;
}

/**
 * What a section was written from: the inputs and steps its prompt refers to — tool results by
 * their titles, retrieved passages by document, earlier sections by heading.
 */
function sourcesOf(step: Step, levels: readonly Level[], records: ReadonlyMap<string, StepRecord>): DraftSource[] {
  const templates = step.kind === 'llm' ? [step.system ?? '', step.prompt] : step.kind === 'agent' ? [step.goal] : [];
  const text = templates.join('\n');
  const sources: DraftSource[] = [];
  const seen = new Set<string>();
  const add = (source: DraftSource) => {
    const key = `${source.kind}:${source.label}`;
    if (!seen.has(key)) {
      seen.add(key);
      sources.push(source);
    }
  };
  for (const match of text.matchAll(/\b(inputs|steps)\.([a-zA-Z_][a-zA-Z0-9_]*)/g)) {
    const [, root, name] = match as unknown as [string, string, string];
    if (root === 'inputs') {
      add({ kind: 'input', label: humanize(name) });
      continue;
    }
    for (const level of levels) {
      const referenced = level.steps.find((s) => s.id === name);
      if (!referenced) continue;
      const path = join(level.prefix, name);
      if (referenced.kind === 'retrieve') {
        const passages = records.get(path)?.output;
        if (Array.isArray(passages) && passages.length > 0) {
          for (const passage of passages as Array<{ id?: unknown; title?: unknown }>) add({ kind: 'passage', label: [passage.id, passage.title].filter((v) => typeof v === 'string' && v).join(' — ') || (referenced.title ?? humanize(name)) });
        } else add({ kind: 'passage', label: referenced.title ?? humanize(name) });
      } else if (referenced.kind === 'tool') add({ kind: 'tool', label: referenced.title ?? humanize(name) });
      else if (referenced.kind !== 'human' && referenced.kind !== 'guardrail') add({ kind: 'section', label: referenced.title ?? humanize(name) });
      break;
    }
  }
  if (/\bitem\b/.test(text)) add({ kind: 'input', label: 'The item this section covers' });
  return sources;
}
