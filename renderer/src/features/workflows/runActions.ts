import type { MethodOutput, Permission } from '../../../../core/contracts/index.ts';

export type RunAction = 'cancel' | 'resume' | 'retry' | 'replay';

type RunState = Pick<MethodOutput<'runs.get'>, 'status' | 'executing'>;

/**
 * What the run view offers for a run, in the order it shows them: cancel an active run; resume a
 * `running` run that no process executes (its process stopped); retry a failed run from the
 * step that failed; replay a finished one on its recordings. Resume, retry and replay start work,
 * so they need `runs.start`; the router decides for real.
 */
export function runActions(run: RunState, can: (permission: Permission) => boolean): RunAction[] {
  const offered: RunAction[] = [];
  if ((run.status === 'running' || run.status === 'waiting') && can('runs.cancel')) offered.push('cancel');
  if (!can('runs.start')) return offered;
  if (run.status === 'running' && !run.executing) offered.push('resume');
  if (run.status === 'failed') offered.push('retry');
  if (run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled') offered.push('replay');
  return offered;
}

/**
 * The status a run is shown with: a `running` run that no process executes is `interrupted` (its
 * process stopped), in the runs list and on its own page alike.
 */
export function shownStatus(run: RunState): string {
  return run.status === 'running' && !run.executing ? 'interrupted' : run.status;
}

/**
 * Whether the run takes answers to its waiting human steps (what `runs.answer` accepts): never
 * once it has ended, and never a replay (it asks nobody).
 */
export function takesAnswers(run: Pick<MethodOutput<'runs.get'>, 'status' | 'replayOf'>): boolean {
  return run.replayOf === null && (run.status === 'waiting' || run.status === 'running');
}

/**
 * A cancelled run's state, said plainly rather than as an error: who cancelled it (its message
 * names them) and when. Null for a run not cancelled.
 */
export function cancelledNote(run: Pick<MethodOutput<'runs.get'>, 'status' | 'errorMessage' | 'updatedAt'>, formatTime: (iso: string) => string = (iso) => new Date(iso).toLocaleString()): string | null {
  if (run.status !== 'cancelled') return null;
  const said = (run.errorMessage ?? 'The run was cancelled.').replace(/\.$/, '');
  return `${said} at ${formatTime(run.updatedAt)}.`;
}
