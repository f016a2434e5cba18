import { hash } from 'node:crypto';

/**
 * A span's id is derived from its trace and its step path, so every pass over a run (the first,
 * a resume after an answer, a restart after a crash) addresses the same span for the same step:
 * a container re-entered later updates its span instead of growing a second one.
 */
export function spanIdFor(traceId: string, path: string): string {
  // One-shot hash: a quarter of createHash's cost, and this runs twice per step.
  return hash('sha256', `${traceId}\u0000${path}`).slice(0, 16);
}

/**
 * The path of the step that contains this one, '' for a top-level step (its parent is the run's
 * root span), null for the root itself. Paths: `a.b` (b inside container a), `risks[2].draft`
 * (an item of map `risks`), `sub/x` (step x of nested workflow `sub`), `agent#3` (turn 3 of an
 * agent step) and `agent#3.server.tool` (a tool the turn called; MCP tool names contain dots).
 */
export function parentPath(path: string): string | null {
  if (path === '') return null;
  const turnCall = /^(.*#\d+)\.[^#]*$/.exec(path);
  if (turnCall) return turnCall[1]!;
  const turn = /#\d+$/.exec(path);
  if (turn) return path.slice(0, turn.index);
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('/'));
  return cut < 0 ? '' : path.slice(0, cut).replace(/\[\d+\]$/, '');
}

/** Wall-clock microseconds read from the monotonic clock, so spans never run backwards. */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
