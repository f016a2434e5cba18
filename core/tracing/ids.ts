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

/**
 * A clock for span times, in microseconds: the wall clock's time, advanced by the monotonic clock
 * so that spans never run backwards and durations are exact. When the wall clock runs ahead of it
 * by more than `toleranceMs`, it follows: the monotonic clock stops while a laptop sleeps, and a
 * desktop app runs for days — without this, a trace recorded after a night's sleep would be dated
 * hours early, out of line with the audit log. A wall clock set back is not followed (the spans
 * would run backwards); the difference then stays until the wall clock catches up.
 */
export function spanClock(wallMs: () => number = Date.now, monotonicMs: () => number = () => performance.now(), toleranceMs = 1_000): () => number {
  let anchorWall = wallMs();
  let anchorMonotonic = monotonicMs();
  return () => {
    const monotonic = monotonicMs();
    let at = anchorWall + (monotonic - anchorMonotonic);
    const wall = wallMs();
    if (wall - at > toleranceMs) {
      anchorWall = wall;
      anchorMonotonic = monotonic;
      at = wall;
    }
    return Math.round(at * 1000);
  };
}

/** Span time now (µs): wall-clock dates, monotonic within the process — see spanClock. */
export const nowMicros: () => number = spanClock();
