import { useId, useState } from 'react';
import type { ApiError, DraftComment } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useBridge } from '../../bridge/context.tsx';

/** Comments, oldest first, with who wrote them (by name) and when. */
export function CommentList({ comments, emptyText }: { comments: readonly DraftComment[]; emptyText?: string }) {
  if (comments.length === 0) return emptyText ? <p className="notice">{emptyText}</p> : null;
  return (
    <ol className="comment-list">
      {comments.map((comment) => (
        <li key={comment.id} className="comment">
          <p className="comment-meta"><strong>{comment.createdByName ?? comment.createdBy}</strong> <time dateTime={comment.createdAt}>{new Date(comment.createdAt).toLocaleString()}</time></p>
          <p className="comment-body">{comment.body}</p>
        </li>
      ))}
    </ol>
  );
}

/**
 * Adds a comment to the draft (no `path`) or to one section. The text stays in the field until the
 * API has it; a refusal is shown beside it.
 */
export function CommentForm({ draftId, path, label, onAdded, onCancel, autoFocus }: { draftId: string; path?: string; label: string; onAdded: () => void; onCancel?: () => void; autoFocus?: boolean }) {
  const bridge = useBridge();
  const id = useId();
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(): Promise<void> {
    if (body.trim() === '') {
      setProblem('Write a comment first.');
      return;
    }
    setBusy(true);
    setError(null);
    setProblem(null);
    const result = await bridge.invoke('drafts.comment', { draftId, body, ...(path ? { path } : {}) });
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setBody('');
    onAdded();
  }

  return (
    <form className="comment-form" onSubmit={(event) => { event.preventDefault(); void submit(); }} onKeyDown={(event) => { if (event.key === 'Escape' && onCancel) { event.preventDefault(); onCancel(); } }}>
      <div className="field field-wide">
        <label htmlFor={`${id}-body`}>{label}</label>
        <textarea id={`${id}-body`} rows={3} value={body} maxLength={10_000} autoFocus={autoFocus} aria-invalid={problem !== null} aria-describedby={problem ? `${id}-problem` : undefined} onChange={(event) => { setBody(event.target.value); setProblem(null); }} />
        {problem && <p className="field-error" id={`${id}-problem`}>{problem}</p>}
      </div>
      {error && <ApiErrorView error={error} />}
      <div className="button-row">
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Adding…' : 'Add comment'}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
