/**
 * Step paths → a tree. The engine names a step by its path: `.` joins step ids, `[i]` is a map
 * item and `/` enters a sub-workflow (`sections[1].section/approve`). Map items have no
 * checkpoint of their own, so they appear as synthetic nodes between a map and its steps.
 */
export interface StepNode {
  path: string;
  /** What to call the node: its step id, or `item N` for a map item. */
  label: string;
  kind: string | null;
  status: string | null;
  children: StepNode[];
}

/** The path of the node that contains `path`, or null at the top. */
export function parentPath(path: string): string | null {
  for (let i = path.length - 1; i >= 0; i -= 1) {
    const c = path[i];
    if (c === '.' || c === '/') return path.slice(0, i);
    if (c === '[') return path.slice(0, i);
  }
  return null;
}

function labelOf(path: string, parent: string | null): string {
  const rest = parent === null ? path : path.slice(parent.length);
  const item = /^\[(\d+)\]$/.exec(rest);
  if (item) return `item ${Number(item[1]) + 1}`;
  return rest.replace(/^[./]/, '');
}

/** Builds the tree in first-seen order; `steps` are the known steps (checkpointed or seen in events). */
export function buildStepTree(steps: ReadonlyArray<{ path: string; kind: string | null; status: string | null }>): StepNode[] {
  const nodes = new Map<string, StepNode>();
  const roots: StepNode[] = [];
  const ensure = (path: string): StepNode => {
    const existing = nodes.get(path);
    if (existing) return existing;
    const parent = parentPath(path);
    const node: StepNode = { path, label: labelOf(path, parent), kind: null, status: null, children: [] };
    nodes.set(path, node);
    if (parent === null) roots.push(node);
    else ensure(parent).children.push(node);
    return node;
  };
  for (const step of steps) {
    if (step.path === '') continue;
    const node = ensure(step.path);
    node.kind = step.kind ?? node.kind;
    node.status = step.status ?? node.status;
  }
  for (const node of nodes.values()) {
    if (node.status === null && node.children.length > 0) node.status = rollUp(node.children);
  }
  return roots;
}

/** A synthetic node's status from its children: failed > waiting > running > done. */
function rollUp(children: readonly StepNode[]): string | null {
  const statuses = new Set(children.map((c) => c.status ?? rollUp(c.children)));
  for (const status of ['failed', 'waiting', 'running', 'done']) if (statuses.has(status)) return status;
  return null;
}
