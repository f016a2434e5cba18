/**
 * Step paths → a tree. The engine names a step by its path: `.` joins step ids, `[i]` is a map
 * item, `/` enters a sub-workflow (`sections[1].section/approve`) and `#n` is an agent's turn n,
 * whose tool calls follow a `.` (`plan#1.lookup`, `plan#1.lookup~2` for the second call in that
 * turn, `plan#2.sanctions.screen` for an MCP tool). Map items have no checkpoint of their own, so
 * they appear as synthetic nodes between a map and its steps.
 */
export interface StepNode {
  path: string;
  /** What to call the node: its step id, or `item N` for a map item. */
  label: string;
  kind: string | null;
  status: string | null;
  children: StepNode[];
}

/** A tool call in an agent turn: the turn, then the tool's name (MCP names have dots; no `/`, `[` or `#`). */
const agentToolCall = /^(.+#\d+)\.([^#/[\]]+)$/;
/** An agent's turn: the agent step's path, then `#n`. */
const agentTurn = /^(.+)#(\d+)$/;

/** The path of the node that contains `path`, or null at the top. */
export function parentPath(path: string): string | null {
  const call = agentToolCall.exec(path) ?? agentTurn.exec(path);
  if (call) return call[1]!;
  for (let i = path.length - 1; i >= 0; i -= 1) {
    const c = path[i];
    if (c === '.' || c === '/') return path.slice(0, i);
    if (c === '[') return path.slice(0, i);
  }
  return null;
}

function labelOf(path: string, parent: string | null): string {
  const rest = parent === null ? path : path.slice(parent.length);
  const turn = /^#(\d+)$/.exec(rest);
  if (turn) return `turn ${turn[1]}`;
  const repeated = /^\.(.+)~(\d+)$/.exec(rest);
  if (repeated) return `${repeated[1]}, call ${repeated[2]}`;
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
    if (node.status !== null || node.children.length === 0) continue;
    const agent = node.children.some((child) => child.kind === 'agent-turn');
    if (agent) node.kind ??= 'agent';
    const rolled = rollUp(node.children);
    // Finished turns do not finish an agent: its own checkpoint says when it gave its answer.
    node.status = agent && rolled === 'done' ? 'running' : rolled;
  }
  return roots;
}

/**
 * A synthetic node's status from its children: failed > cancelled > waiting > running > rejected >
 * done. A child queued for a busy model makes its parent running: the parent is under way.
 */
function rollUp(children: readonly StepNode[]): string | null {
  const statuses = new Set(children.map((c) => c.status ?? rollUp(c.children)));
  if (statuses.has('queued')) statuses.add('running');
  for (const status of ['failed', 'cancelled', 'waiting', 'running', 'rejected', 'done']) if (statuses.has(status)) return status;
  return null;
}

/** Why a failed step failed, as its checkpoint says (`output.error`): a code and our own message. */
export interface StepFailure {
  code: string;
  message: string;
  /** The innermost step the failure came from, when it is another one (inside a map or sub-workflow). */
  at?: string;
}

export function failureOf(step: { status: string; output: unknown }): StepFailure | null {
  if (step.status !== 'failed' || step.output === null || typeof step.output !== 'object') return null;
  const error = (step.output as { error?: unknown }).error as Partial<StepFailure> | undefined;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') return null;
  return { code: error.code, message: error.message, ...(typeof error.at === 'string' ? { at: error.at } : {}) };
}

/**
 * What the run view calls a checkpointed step: its status, except a step its run's cancellation
 * ended (`cancelled`) and an approval answered with a rejection (`rejected`, whether it ended the
 * run or the run went on).
 */
export function stepStatus(step: { kind: string; status: string; output: unknown }): string {
  if (failureOf(step)?.code === 'ERR_WORKFLOW_CANCELLED') return 'cancelled';
  if (step.kind === 'human' && step.status !== 'waiting' && (step.output as { approved?: unknown } | null)?.approved === false) return 'rejected';
  return step.status;
}
