import { useId, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import type { MethodOutput } from '../../../../core/contracts/index.ts';
import { ConfirmDialog } from '../../app/ConfirmDialog.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { FormError, useApiAction } from '../admin/forms.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { runActions } from './runActions.ts';

type RunDetail = MethodOutput<'runs.get'>;

const short = (version: string) => version.slice(0, 12);

/** Cancelling cannot be undone, so a modal dialog says what stops and asks first. */
function CancelRunDialog({ run, onClose, onCancelled }: { run: RunDetail; onClose: () => void; onCancelled: () => void }) {
  const cancel = useApiAction('runs.cancel');
  return (
    <ConfirmDialog
      title={<>Cancel this run of {run.workflowId}?</>}
      warning={<>
        <p><strong>A cancelled run cannot be resumed or retried.</strong>{' '}
          {run.status === 'waiting'
            ? `It stops waiting for ${run.waitingOn.join(', ')}: nobody can answer it afterwards.`
            : 'The step executing now is stopped and no later step runs.'}
        </p>
        <p>Its finished steps and its trace are kept.</p>
      </>}
      keepLabel="Keep the run"
      confirmLabel="Cancel run"
      error={cancel.error}
      pending={cancel.pending}
      onConfirm={async () => { if ((await cancel.run({ runId: run.id })).ok) onCancelled(); }}
      onClose={onClose}
      testId="cancel-run-dialog"
    />
  );
}

/** Replays a finished run on its recordings, on its own version or the workflow's latest. */
function ReplayRun({ run }: { run: RunDetail }) {
  const navigate = useNavigate();
  const id = useId();
  const replay = useApiAction('runs.replay');
  const latest = useApiQuery('workflows.get', { workflowId: run.workflowId });
  const latestVersion = latest.state.status === 'ok' ? latest.state.value.version : null;

  async function start(against: 'same' | 'latest'): Promise<void> {
    const result = await replay.run({ runId: run.id, against });
    if (result.ok) void navigate(`/workflows/runs/${result.value.id}`);
  }

  return (
    <section className="run-action" aria-labelledby={`${id}-title`} data-testid="run-replay">
      <h3 id={`${id}-title`}>Replay</h3>
      <p className="hint" id={`${id}-hint`}>Runs this input again with this run’s recorded model outputs, tool results and human answers: it calls no model or tool, waits for nobody and approves nothing. It checks a workflow version against a known run.</p>
      <div className="button-row">
        <button type="button" disabled={replay.pending} aria-describedby={`${id}-hint`} onClick={() => void start('same')}>Replay on this version ({short(run.version)})</button>
        {latestVersion !== null && latestVersion !== run.version && (
          <button type="button" disabled={replay.pending} aria-describedby={`${id}-hint`} onClick={() => void start('latest')}>Replay on the latest version ({short(latestVersion)})</button>
        )}
      </div>
      <FormError error={replay.error} />
    </section>
  );
}

/**
 * What can be done to a run from its page: cancel (after a confirmation), resume a run its
 * process left behind, retry a failed run from the failed step, replay a finished one.
 */
export function RunActions({ run, onChanged }: { run: RunDetail; onChanged: () => void }) {
  const { can } = useAuth();
  const offered = runActions(run, can);
  const resume = useApiAction('runs.resume');
  const [confirming, setConfirming] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const status = useRef<HTMLParagraphElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const id = useId();

  /** The button pressed is gone once the run changes: focus and announce what happened instead. */
  function changed(message: string): void {
    setAnnouncement(message);
    onChanged();
    setTimeout(() => status.current?.focus(), 0);
  }

  async function continueRun(message: string): Promise<void> {
    const result = await resume.run({ runId: run.id });
    if (result.ok) changed(message);
  }

  return (
    <div className="run-actions" data-testid="run-actions">
      <p ref={status} tabIndex={-1} role="status" className="announcement">{announcement}</p>
      {offered.includes('resume') && (
        <section className="run-action warning-panel" aria-labelledby={`${id}-resume`} data-testid="run-resume">
          <h3 id={`${id}-resume`}>Nothing is executing this run</h3>
          <p>The Strongroom process that ran it stopped. Strongroom takes it up again on its own within a minute; Resume continues it now. Either way it goes on from its last checkpoint, and finished steps are not redone.</p>
          <button type="button" className="primary" disabled={resume.pending} onClick={() => void continueRun('The run continues from its last checkpoint.')}>Resume</button>
        </section>
      )}
      {offered.includes('retry') && (
        <section className="run-action" aria-labelledby={`${id}-retry`} data-testid="run-retry">
          <h3 id={`${id}-retry`}>Retry</h3>
          <p className="hint">Runs the step that failed again, then the rest; finished steps are kept, not redone. The retry is recorded in the audit log.</p>
          <button type="button" className="primary" disabled={resume.pending} onClick={() => void continueRun('Retrying from the failed step.')}>Retry from the failed step</button>
        </section>
      )}
      <FormError error={resume.error} />
      {offered.includes('cancel') && <p><button ref={cancelButton} type="button" className="danger" onClick={() => setConfirming(true)}>Cancel run</button></p>}
      {confirming && <CancelRunDialog run={run} onClose={() => { setConfirming(false); setTimeout(() => cancelButton.current?.focus(), 0); }} onCancelled={() => { setConfirming(false); changed('The run was cancelled.'); }} />}
      {offered.includes('replay') && <ReplayRun run={run} />}
    </div>
  );
}
