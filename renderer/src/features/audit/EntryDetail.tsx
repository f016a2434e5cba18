import { useEffect, useRef } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { accountLabel as labelOf, actorLabel } from './filters.ts';
import { ResourceCell } from './ResourceCell.tsx';

const contentNotes = {
  none: 'This entry holds no content.',
  withheld: 'This entry holds sealed content; your role does not include reading content.',
  destroyed: 'This entry held content of an account that was deleted; its key was destroyed, so the content is gone for good.',
} as const;

/**
 * One entry in full: who (and a way to list everything they did), what, where, its details and
 * (for roles that may read it) its sealed content.
 */
export function EntryDetail({ seq, accountLabel, onClose, onActor }: { seq: number; accountLabel: (accountId: string | null) => string; onClose: () => void; onActor: (userId: string) => void }) {
  const { state, reload } = useApiQuery('audit.get', { seq });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <aside className="audit-detail" aria-labelledby={`entry-${seq}-title`} data-testid="audit-detail">
      <div className="audit-detail-head">
        <h2 id={`entry-${seq}-title`} tabIndex={-1} ref={heading}>Entry {seq}</h2>
        <button type="button" onClick={onClose}>Close</button>
      </div>
      {state.status === 'loading' && <p>Loading…</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && (() => {
        const { entry, contentStatus, content } = state.value;
        return (
          <>
            <dl className="facts facts-compact">
              <dt>Time</dt><dd><time dateTime={entry.at}>{new Date(entry.at).toLocaleString()}</time> <span className="muted">({entry.at})</span></dd>
              <dt>Action</dt><dd><code>{entry.action}</code></dd>
              <dt>Outcome</dt><dd><span className={`outcome outcome-${entry.outcome}`}>{entry.outcome}</span></dd>
              <dt>Actor</dt>
              <dd>
                {entry.actor.displayName ?? (entry.actor.userId === null ? actorLabel(entry) : '—')} <code>{entry.actor.userId ?? 'no user'}</code>
                {entry.actor.userId !== null && (() => {
                  const userId = entry.actor.userId;
                  return <> <button type="button" className="link-button" onClick={() => onActor(userId)}>Entries by {entry.actor.displayName ?? 'this user id'}</button></>;
                })()}
              </dd>
              <dt>Roles</dt><dd>{entry.actor.roles.length > 0 ? entry.actor.roles.join(', ') : '—'}</dd>
              <dt>Acting in</dt><dd>{entry.actor.accountId === null ? '—' : accountLabel(entry.actor.accountId)}</dd>
              <dt>Concerns</dt><dd>{entry.accountName !== null || entry.accountDeleted ? labelOf(entry) : accountLabel(entry.accountId)}</dd>
              <dt>Resource</dt>
              <dd data-testid="audit-detail-resource"><ResourceCell entry={entry} />{entry.resource !== null && entry.resourceLabel?.kind !== 'other' && <> <code>{entry.resource}</code></>}</dd>
              <dt>Request id</dt><dd><code>{entry.requestId ?? '—'}</code></dd>
              <dt>Hash</dt><dd><code className="hash">{entry.hash}</code></dd>
              <dt>Previous</dt><dd><code className="hash">{entry.prev}</code></dd>
            </dl>
            <h3>Details</h3>
            <pre className="audit-json" data-testid="audit-detail-details">{JSON.stringify(entry.details, null, 2)}</pre>
            <h3>Content</h3>
            {contentStatus === 'shown' ? <pre className="audit-json">{JSON.stringify(content, null, 2)}</pre> : <p className="notice">{contentNotes[contentStatus]}</p>}
          </>
        );
      })()}
    </aside>
  );
}
