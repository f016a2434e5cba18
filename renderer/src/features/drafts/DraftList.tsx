import { useCallback, useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiEvent, useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { DraftStatusBadge } from './badges.tsx';
import { TestModelBadge } from '../../app/TestModelBadge.tsx';
import { percent } from './outline.ts';

/** The account's drafts, most recently changed first; refreshed as drafts change. */
export function DraftList() {
  const { can } = useAuth();
  const { state, reload } = useApiQuery('drafts.list', {});
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => { if (pending.current) clearTimeout(pending.current); }, []);
  useApiEvent('drafts.updated', useCallback(() => {
    if (pending.current) return;
    pending.current = setTimeout(() => { pending.current = null; reload(); }, 500);
  }, [reload]));

  return (
    <div className="draft-list-page">
      <div className="page-actions">
        {can('drafts.write') && <Link className="button primary" to="/drafts/new">New draft</Link>}
      </div>
      {state.status === 'loading' && <p className="notice" role="status">Loading drafts…</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && state.value.length === 0 && (
        <p className="notice">No drafts yet.{can('drafts.write') ? ' Start one with New draft.' : ''}</p>
      )}
      {state.status === 'ok' && state.value.length > 0 && (
        <table className="table draft-table" data-testid="draft-list">
          <caption className="visually-hidden">Drafts in this account, most recently changed first</caption>
          <thead>
            <tr><th scope="col">Title</th><th scope="col">Workflow</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Updated</th></tr>
          </thead>
          <tbody>
            {state.value.map((draft) => (
              <tr key={draft.id} data-testid={`draft-row-${draft.id}`}>
                <td>
                  <Link to={`/drafts/${draft.id}`}>{draft.title}</Link>
                  {draft.demo && <TestModelBadge compact />}
                </td>
                <td>{draft.workflowName}</td>
                <td><DraftStatusBadge status={draft.status} /></td>
                <td>
                  <div className="draft-table-progress">
                    <span>{draft.sectionsDone} of {draft.sectionCount} sections</span>
                    <progress max={Math.max(draft.sectionCount, 1)} value={draft.sectionsDone} aria-label={`${draft.title}: ${draft.sectionsDone} of ${draft.sectionCount} sections done`} aria-valuetext={`${percent(draft.sectionsDone, draft.sectionCount)}%`} />
                  </div>
                </td>
                <td><time dateTime={draft.updatedAt}>{new Date(draft.updatedAt).toLocaleString()}</time></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
