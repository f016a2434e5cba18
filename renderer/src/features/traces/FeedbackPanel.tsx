import { useId, useState } from 'react';
import type { Feedback } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { FeedbackForm } from './FeedbackForm.tsx';

/**
 * The feedback on one span: the latest version of each (`feedback.list`), each with its history
 * on demand (`feedback.history`) and a way to revise it, then a form for new feedback.
 */
export function FeedbackPanel({ traceId, spanId, output, onSaved: notify }: { traceId: string; spanId: string; output: string | null; onSaved?: (feedback: Feedback) => void }) {
  const id = useId();
  const { can } = useAuth();
  const list = useApiQuery('feedback.list', { traceId, spanId });
  const [revising, setRevising] = useState<Feedback | null>(null);
  const [savedMessage, setSaved] = useState<string>('');
  const [historyGeneration, setHistoryGeneration] = useState(0);
  const mayWrite = can('feedback.write');

  const onSaved = (feedback: Feedback) => {
    notify?.(feedback);
    setSaved(`Feedback saved (version ${feedback.version}).`);
    setRevising(null);
    setHistoryGeneration((g) => g + 1);
    list.reload();
  };

  return (
    <section className="feedback-panel" aria-labelledby={`${id}-title`} data-testid="feedback-panel">
      <h4 id={`${id}-title`}>Feedback</h4>
      <p className="announcement" role="status" data-testid="feedback-saved">{savedMessage}</p>
      {list.state.status === 'loading' && <p className="notice">Loading feedback…</p>}
      {list.state.status === 'error' && <ApiErrorView error={list.state.error} onRetry={list.reload} />}
      {list.state.status === 'ok' && (list.state.value.length === 0
        ? <p className="notice" data-testid="feedback-empty">No feedback on this span yet.</p>
        : (
          <ul className="feedback-list" data-testid="feedback-list">
            {list.state.value.map((feedback) => (
              <li key={feedback.id} data-testid={`feedback-${feedback.id}`}>
                <FeedbackSummary feedback={feedback} />
                <div className="button-row">
                  {mayWrite && feedback.contentVisible && revising?.id !== feedback.id && (
                    <button type="button" onClick={() => { setSaved(''); setRevising(feedback); }}>Revise</button>
                  )}
                </div>
                <FeedbackHistory key={`${feedback.id}:${feedback.version}:${historyGeneration}`} feedbackId={feedback.id} />
              </li>
            ))}
          </ul>
        ))}
      {mayWrite && (revising
        ? <FeedbackForm key={revising.id} traceId={traceId} spanId={spanId} output={output} revising={revising} onSaved={onSaved} onCancel={() => setRevising(null)} />
        : <FeedbackForm key="new" traceId={traceId} spanId={spanId} output={output} onSaved={onSaved} />)}
    </section>
  );
}

/** One version of a feedback, as people read it. Comment and edit only for roles that may read content. */
export function FeedbackSummary({ feedback }: { feedback: Feedback }) {
  const scores = Object.entries(feedback.scores);
  return (
    <div className="feedback-summary-card">
      <p className="feedback-meta">
        <strong>Version {feedback.version}</strong> by {feedback.createdByName ?? feedback.createdBy} on <time dateTime={feedback.createdAt}>{new Date(feedback.createdAt).toLocaleString()}</time>
        {feedback.action !== 'review' && <span className="tag">{feedback.action}</span>}
      </p>
      <ul className="feedback-facts">
        {feedback.rating !== null && <li data-testid="feedback-rating">Rating {feedback.rating} / 5</li>}
        {feedback.verdict !== null && <li><span className={`trace-status trace-status-${feedback.verdict === 'approve' ? 'completed' : 'failed'}`}>{feedback.verdict === 'approve' ? 'approved' : 'rejected'}</span></li>}
        {feedback.labels.length > 0 && <li>Labels: {feedback.labels.map((label) => <span key={label} className="tag feedback-label">{label}</span>)}</li>}
        {scores.length > 0 && <li>Scores: {scores.map(([name, value]) => `${name} ${value}`).join(', ')}</li>}
        {feedback.editDistance !== null && <li>Edited output ({feedback.editDistance} characters changed)</li>}
      </ul>
      {!feedback.contentVisible && <p className="notice">Your role sees metadata only: comments and edits are not shown.</p>}
      {feedback.comment && <blockquote className="feedback-comment" data-testid="feedback-comment">{feedback.comment}</blockquote>}
      {feedback.instruction && <p>Instruction: {feedback.instruction}</p>}
      {feedback.edit && feedback.edit.diff !== '' && (
        <details className="feedback-diff">
          <summary>Show the edit as a diff</summary>
          <pre className="span-text" tabIndex={0}>{feedback.edit.diff}</pre>
        </details>
      )}
    </div>
  );
}

/** Every version of one feedback, oldest first, fetched when the disclosure opens. */
function FeedbackHistory({ feedbackId }: { feedbackId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="feedback-history" onToggle={(event) => setOpen(event.currentTarget.open)} data-testid="feedback-history">
      <summary>History</summary>
      {open && <FeedbackVersions feedbackId={feedbackId} />}
    </details>
  );
}

function FeedbackVersions({ feedbackId }: { feedbackId: string }) {
  const history = useApiQuery('feedback.history', { feedbackId });
  if (history.state.status === 'loading') return <p className="notice">Loading history…</p>;
  if (history.state.status === 'error') return <ApiErrorView error={history.state.error} onRetry={history.reload} />;
  return (
    <ol className="feedback-versions" data-testid="feedback-versions" aria-label="Versions, oldest first">
      {history.state.value.map((version) => (
        <li key={version.version} data-testid={`feedback-version-${version.version}`}>
          <FeedbackSummary feedback={version} />
        </li>
      ))}
    </ol>
  );
}
