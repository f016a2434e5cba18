import { useId, useState } from 'react';
import type { ApiError, ApiResult, DraftDetail, DraftSection, DraftSummary } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useBridge } from '../../bridge/context.tsx';
import { saveFile } from '../audit/download.ts';
import { useAuth } from '../auth/AuthContext.tsx';
import { sectionStatusLabel } from './badges.tsx';
import { sectionDomId } from './outline.ts';
import { reviewReadiness, runStoppedWriting } from './readiness.ts';
import type { ReviewReadiness } from './readiness.ts';
import { useAnnouncedAction } from './useAnnouncedAction.ts';

const exportChoices = [
  { format: 'docx', label: 'Word (DOCX)' },
  { format: 'pdf', label: 'PDF' },
  { format: 'md', label: 'Markdown' },
] as const;

/** A section in the list of what blocks review: a link that takes focus to it, and why it blocks. */
function BlockingSection({ section, why, onJump }: { section: DraftSection; why: string; onJump: (path: string) => void }) {
  return (
    <li>
      <a href={`#${sectionDomId(section.path)}`} onClick={(event) => { event.preventDefault(); onJump(section.path); }}>{section.heading}</a> — {why}
    </li>
  );
}

/**
 * Why the draft cannot go to review (or be approved) yet — the rule the API holds — with every
 * section in the way as a link to it, so the analyst can go there from the keyboard too.
 */
function NotReady({ readiness, runStatus, action, onJump }: { readiness: ReviewReadiness; runStatus: DraftSummary['runStatus']; action: 'review' | 'approve'; onJump: (path: string) => void }) {
  const stopped = runStoppedWriting(runStatus);
  const missingWhy = (section: DraftSection) => (section.status === 'failed' ? `the model could not write it: write it yourself${runStatus === 'failed' ? ' or retry the run' : ''}` : section.status === 'running' ? 'being written now' : stopped ? 'never written (the run stopped before it): write it yourself' : 'not written yet');
  return (
    <div className="hint submit-blocked" data-testid={action === 'review' ? 'submit-blocked' : 'approve-blocked'}>
      <p>
        {action === 'review' ? 'Submit for review' : 'Approving'} becomes possible once the run has finished and every section has text that an analyst has accepted or edited.
        {action === 'approve' ? ' This draft was sent for review unfinished: take it back and finish it.' : ''}
      </p>
      {readiness.runWriting && <p>The run is still writing this draft.</p>}
      {readiness.missing.length > 0 && (
        <>
          <p>Without text ({readiness.missing.length}):</p>
          <ul>{readiness.missing.map((section) => <BlockingSection key={section.path} section={section} why={missingWhy(section)} onJump={onJump} />)}</ul>
        </>
      )}
      {readiness.notAccepted.length > 0 && (
        <>
          <p>Not accepted yet ({readiness.notAccepted.length}):</p>
          <ul>{readiness.notAccepted.map((section) => <BlockingSection key={section.path} section={section} why={`${sectionStatusLabel(section.status).toLowerCase()}: accept or edit it`} onJump={onJump} />)}</ul>
        </>
      )}
    </div>
  );
}

/**
 * The document's status: Submit for review and Take back (drafts.write), Approve with an optional
 * comment (drafts.approve, only while in review, and — under a four-eyes workflow — not to the
 * person who prepared the draft). Submit and Approve are offered only for a finished draft (the
 * run done, every section accepted or edited); otherwise the sections in the way are listed. The
 * router still decides; a refusal is shown.
 */
export function StatusActions({ draft, onChanged, onJump }: { draft: DraftDetail; onChanged: () => void; onJump: (path: string) => void }) {
  const bridge = useBridge();
  const readiness = reviewReadiness(draft);
  const { can, status, roles } = useAuth();
  const id = useId();
  const [approving, setApproving] = useState(false);
  const [comment, setComment] = useState('');
  const { busy, error, announcement, run } = useAnnouncedAction(() => {
    setApproving(false);
    setComment('');
    onChanged();
  });
  const act = (call: () => Promise<ApiResult<DraftSummary>>, done: string): Promise<boolean> => run(done, call);

  const canWrite = can('drafts.write');
  // Maker–checker: under a four-eyes workflow the preparer waits for a second person.
  const preparedByMe = draft.fourEyes && status.user !== null && status.user.id === draft.createdBy;
  // The workflow's approval step may ask for a role (e.g. reviewer) that this user does not hold here.
  const lacksRole = draft.approverRole !== null && !roles.includes(draft.approverRole);
  const canApprove = can('drafts.approve') && !preparedByMe && !lacksRole;
  return (
    <div className="status-actions" data-testid="status-actions">
      <div className="button-row">
        {draft.status === 'draft' && canWrite && readiness.ready && (
          <button type="button" className="primary" disabled={busy} onClick={() => void act(() => bridge.invoke('drafts.submit', { draftId: draft.id, status: 'in_review' }), 'Sent for review.')}>Submit for review</button>
        )}
        {draft.status === 'in_review' && canWrite && (
          <button type="button" disabled={busy} onClick={() => void act(() => bridge.invoke('drafts.submit', { draftId: draft.id, status: 'draft' }), 'Taken back to draft: sections can be edited again.')}>Take back</button>
        )}
        {draft.status === 'in_review' && canApprove && readiness.ready && !approving && (
          <button type="button" className="primary" disabled={busy} onClick={() => setApproving(true)}>Approve…</button>
        )}
      </div>
      {approving && (
        <form className="action-form" onSubmit={(event) => { event.preventDefault(); void act(() => bridge.invoke('drafts.approve', { draftId: draft.id, ...(comment.trim() ? { comment: comment.trim() } : {}) }), 'Approved.'); }} onKeyDown={(event) => { if (event.key === 'Escape') { event.preventDefault(); setApproving(false); } }}>
          <div className="field field-wide">
            <label htmlFor={`${id}-comment`}>Approval comment (optional)</label>
            <textarea id={`${id}-comment`} rows={2} maxLength={4_000} value={comment} autoFocus onChange={(event) => setComment(event.target.value)} />
          </div>
          <div className="button-row">
            <button type="submit" className="primary" disabled={busy}>{busy ? 'Approving…' : 'Approve draft'}</button>
            <button type="button" onClick={() => setApproving(false)}>Cancel</button>
          </div>
        </form>
      )}
      {draft.status === 'draft' && canWrite && !readiness.ready && <NotReady readiness={readiness} runStatus={draft.runStatus} action="review" onJump={onJump} />}
      {draft.status === 'in_review' && canApprove && !readiness.ready && <NotReady readiness={readiness} runStatus={draft.runStatus} action="approve" onJump={onJump} />}
      {draft.status === 'approved' && (
        <p data-testid="approved-by">Approved{draft.approvedBy ? ` by ${draft.approvedByName ?? draft.approvedBy}` : ''}{draft.approvedAt ? ` on ${new Date(draft.approvedAt).toLocaleString()}` : ''}.</p>
      )}
      {draft.status === 'in_review' && preparedByMe && <p className="hint" data-testid="four-eyes">This draft needs a second person's approval (four-eyes): you prepared it, so someone else who may approve drafts must.</p>}
      {draft.status === 'in_review' && !preparedByMe && lacksRole && <p className="hint" data-testid="approver-role">Approving this draft needs the {draft.approverRole} role in this account.</p>}
      {draft.status === 'in_review' && !canApprove && !preparedByMe && !lacksRole && <p className="hint">Waiting for someone who may approve drafts.</p>}
      <p className="announcement" role="status">{announcement}</p>
      {error && <ApiErrorView error={error} />}
    </div>
  );
}

/** Export as DOCX, PDF or Markdown (every export is audited); the file downloads from a Blob. */
export function ExportActions({ draftId }: { draftId: string }) {
  const bridge = useBridge();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [announcement, setAnnouncement] = useState('');

  async function exportAs(format: (typeof exportChoices)[number]['format']): Promise<void> {
    setBusy(format);
    setError(null);
    setAnnouncement('');
    const result = await bridge.invoke('drafts.export', { draftId, format });
    setBusy(null);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    saveFile({ fileName: result.value.fileName, mediaType: result.value.mimeType, encoding: 'base64', content: result.value.base64 });
    setAnnouncement(`Exported ${result.value.fileName}.`);
  }

  return (
    <div className="export-actions" role="group" aria-label="Export">
      <div className="button-row">
        {exportChoices.map((choice) => (
          <button key={choice.format} type="button" disabled={busy !== null} onClick={() => void exportAs(choice.format)}>
            {busy === choice.format ? 'Exporting…' : `Export ${choice.label}`}
          </button>
        ))}
      </div>
      <p className="announcement" role="status">{announcement}</p>
      {error && <ApiErrorView error={error} />}
    </div>
  );
}
