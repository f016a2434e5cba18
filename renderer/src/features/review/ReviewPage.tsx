import { Link } from 'react-router';
import type { DraftSummary, TraceSummary } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { TestModelBadge } from '../../app/TestModelBadge.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { formatCount } from '../traces/badges.tsx';

/** How many of each kind the queue shows; the full lists are a link away. */
const queueLimit = 50;

const when = (iso: string): string => new Date(iso).toLocaleString();

/**
 * A reviewer's queue: drafts submitted for review, flagged traces, and finished runs nobody has
 * judged yet. Each entry opens the page where the work is done (the draft's review actions, the
 * trace's feedback panel); this page only gathers them, from the same API calls those pages use.
 */
export function ReviewPage() {
  const { can } = useAuth();
  return (
    <section className="review-page" aria-labelledby="page-title">
      <h1 id="page-title">Review</h1>
      <p className="hint">What is waiting for a reviewer in this account. Open an entry to approve, correct, score or label it; the entry leaves this queue once it has feedback or is approved.</p>
      {can('drafts.read') && <DraftsInReview />}
      {can('traces.read') && <TraceQueue title="Flagged traces" testId="review-flagged" filter={{ flagged: true }} empty="No trace is flagged." listLink="/traces?flagged=yes" />}
      {can('traces.read') && (
        <TraceQueue title="Finished runs without feedback" testId="review-unjudged" filter={{ status: 'completed', hasFeedback: false }} empty="Every finished run has feedback." listLink="/traces?status=completed&feedback=no" />
      )}
    </section>
  );
}

function DraftsInReview() {
  const { state, reload } = useApiQuery('drafts.list', { status: 'in_review', limit: queueLimit });
  return (
    <section aria-labelledby="review-drafts-title" data-testid="review-drafts">
      <h2 id="review-drafts-title">Drafts submitted for review</h2>
      {state.status === 'loading' && <p className="notice">Loading drafts…</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && (state.value.length === 0 ? <p className="notice">No draft is waiting for review.</p> : (
        <ul className="review-list">
          {state.value.map((draft: DraftSummary) => (
            <li key={draft.id}>
              <Link to={`/drafts/${draft.id}`}>{draft.title}</Link> <span className="hint">{draft.workflowName} · {draft.sectionsDone} of {draft.sectionCount} sections · changed {when(draft.updatedAt)}</span>
              {draft.demo && <TestModelBadge />}
            </li>
          ))}
        </ul>
      ))}
    </section>
  );
}

function TraceQueue({ title, testId, filter, empty, listLink }: { title: string; testId: string; filter: { flagged?: boolean; status?: 'completed'; hasFeedback?: boolean }; empty: string; listLink: string }) {
  const { state, reload } = useApiQuery('traces.list', { ...filter, limit: queueLimit });
  const headingId = `${testId}-title`;
  return (
    <section aria-labelledby={headingId} data-testid={testId}>
      <h2 id={headingId}>{title}</h2>
      {state.status === 'loading' && <p className="notice">Loading traces…</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && (state.value.traces.length === 0 ? <p className="notice">{empty}</p> : (
        <>
          <ul className="review-list">
            {state.value.traces.map((trace: TraceSummary) => (
              <li key={trace.traceId}>
                <Link to={`/traces/${trace.traceId}`}>{trace.workflowId ?? 'Trace'}</Link> <span className="hint">{trace.status} · started {when(trace.startedAt)}{trace.userName ? ` by ${trace.userName}` : ''}</span>
                {trace.testModel && <TestModelBadge />}
              </li>
            ))}
          </ul>
          {state.value.total > state.value.traces.length && <p><Link to={listLink}>All {formatCount(state.value.total)} in Traces</Link></p>}
        </>
      ))}
    </section>
  );
}
