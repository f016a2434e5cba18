import { useEffect, useId, useRef, useState } from 'react';
import type { DraftComment, DraftSection } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useBridge } from '../../bridge/context.tsx';
import { useAnnouncedAction } from './useAnnouncedAction.ts';
import { CommentForm, CommentList } from './Comments.tsx';
import { DiffView } from './DiffView.tsx';
import { MarkdownView } from './MarkdownView.tsx';
import { Provenance } from './Provenance.tsx';
import { SectionEditor } from './SectionEditor.tsx';
import { SectionHeading, SectionStatusBadge } from './badges.tsx';
import { isSubmitChord } from './shortcuts.ts';
import { queuedNote } from '../../app/queuedNote.ts';

/** What the drafting view's keyboard shortcuts can ask of one section. */
export interface SectionHandle {
  focus(): void;
  accept(): void;
  reject(): void;
  edit(): void;
  regenerate(): void;
  comment(): void;
}

/** What a person may do here, decided once for the whole document. */
export interface SectionAbilities {
  /** drafts.write, and the draft is still a draft (in review and approved drafts are read-only). */
  write: boolean;
  comment: boolean;
  readTraces: boolean;
  /** The run will write nothing more (failed, cancelled, completed): a section without text can only be written by hand. */
  runStopped: boolean;
  /** The run failed: retrying it (on the page) may still write the sections it did not. */
  runFailed: boolean;
}

type Panel = null | 'reject' | 'regenerate' | 'comment';

const hasText = (section: DraftSection) => section.markdown !== null && section.status !== 'pending' && section.status !== 'running';

/** A one-field form (reject reason, regenerate instruction) that keeps its text until the API has it. */
function ActionForm({ label, hint, submitLabel, required, busy, chord, onSubmit, onCancel, testId }: {
  label: string;
  hint: string;
  submitLabel: string;
  required: boolean;
  busy: boolean;
  chord: boolean;
  onSubmit: (text: string) => void;
  onCancel: () => void;
  testId: string;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = () => {
    if (required && text.trim() === '') {
      setProblem('Say what should change, e.g. “shorter” or “add the 2024 covenant breach”.');
      return;
    }
    onSubmit(text.trim());
  };
  return (
    <form className="action-form" data-testid={testId} onSubmit={(event) => { event.preventDefault(); submit(); }} onKeyDown={(event) => { if (event.key === 'Escape') { event.preventDefault(); event.stopPropagation(); onCancel(); } }}>
      <div className="field field-wide">
        <label htmlFor={`${id}-text`}>{label}</label>
        <textarea
          id={`${id}-text`}
          rows={2}
          value={text}
          maxLength={2_000}
          autoFocus
          aria-invalid={problem !== null}
          aria-describedby={`${id}-hint${problem ? ` ${id}-problem` : ''}`}
          onChange={(event) => { setText(event.target.value); setProblem(null); }}
          onKeyDown={(event) => { if (chord && isSubmitChord(event)) { event.preventDefault(); submit(); } }}
        />
        <p className="hint" id={`${id}-hint`}>{hint}</p>
        {problem && <p className="field-error" id={`${id}-problem`}>{problem}</p>}
      </div>
      <div className="button-row">
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Working…' : submitLabel}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

/**
 * One section of the document: its heading and status, its text (or the text streaming in), the
 * actions — accept, reject with a reason, edit, regenerate with an instruction, comment — the diff
 * of the current text against the model's draft, and its provenance.
 */
export function SectionCard({ draftId, section, streamed, queuedAhead, comments, abilities, current, onFocused, onChanged, onRegenerating, register }: {
  draftId: string;
  section: DraftSection;
  streamed: string | undefined;
  /** Set while the section waits for a busy local model: requests ahead of it. */
  queuedAhead?: number | undefined;
  comments: readonly DraftComment[];
  abilities: SectionAbilities;
  current: boolean;
  onFocused: (path: string) => void;
  onChanged: () => void;
  onRegenerating: (path: string) => void;
  register: (path: string, handle: SectionHandle | null) => void;
}) {
  const bridge = useBridge();
  const article = useRef<HTMLElement>(null);
  // A working copy left by a reload or crash opens the editor with it.
  const [editing, setEditing] = useState<{ text: string; restored: boolean } | null>(() =>
    abilities.write && section.workingMarkdown !== null ? { text: section.workingMarkdown, restored: true } : null,
  );
  const [panel, setPanel] = useState<Panel>(null);
  const { busy, error, setError, announcement, announce, run } = useAnnouncedAction(onChanged);
  const headingId = `${useId()}-heading`;

  const actionable = abilities.write && hasText(section) && editing === null;
  // Regenerating rewrites the section's text from its recorded request: there must be text.
  const regenerable = actionable;
  // A section the run did not write (it failed there, or stopped before) and never will: write it by hand.
  const writable = abilities.write && editing === null && section.markdown === null && section.status !== 'running' && abilities.runStopped;
  const focusSection = () => article.current?.focus();

  const accept = () => {
    if (!actionable || busy) return;
    void run(`Accepted “${section.heading}”.`, () => bridge.invoke('drafts.accept', { draftId, path: section.path }));
  };
  const openPanel = (next: Panel) => {
    const allowed = next === 'comment' ? abilities.comment : next === 'regenerate' ? regenerable : actionable;
    if (!allowed) return;
    setError(null);
    setPanel(next);
  };
  const closePanel = () => {
    setPanel(null);
    focusSection();
  };
  const startEdit = () => {
    if (!actionable && !writable) return;
    setPanel(null);
    setError(null);
    setEditing({ text: section.markdown ?? '', restored: false });
  };

  const handle: SectionHandle = {
    focus: focusSection,
    accept,
    reject: () => openPanel('reject'),
    edit: startEdit,
    regenerate: () => openPanel('regenerate'),
    comment: () => openPanel('comment'),
  };
  // Re-registered every render so the shortcuts always call the current closures.
  useEffect(() => {
    register(section.path, handle);
    return () => register(section.path, null);
  });

  const running = section.status === 'running';
  const showDiff = !editing && section.modelMarkdown !== null && section.markdown !== null && section.markdown !== section.modelMarkdown;
  return (
    <article
      ref={article}
      tabIndex={-1}
      className={`draft-section${current ? ' draft-section-current' : ''}`}
      aria-labelledby={headingId}
      aria-busy={running}
      aria-current={current ? 'true' : undefined}
      data-testid={`section-${section.path}`}
      data-status={section.status}
      data-revision={section.revision}
      onFocus={() => onFocused(section.path)}
    >
      <div className="draft-section-head">
        <SectionHeading level={section.level} id={headingId}>{section.heading}</SectionHeading>
        <SectionStatusBadge status={section.status} />
      </div>

      {editing ? (
        <SectionEditor
          draftId={draftId}
          section={section}
          heading={section.heading}
          initialText={editing.text}
          restored={editing.restored}
          onDone={(outcome) => {
            setEditing(null);
            announce(outcome === 'saved' ? `Saved your edit of “${section.heading}”.` : `Discarded your edit of “${section.heading}”.`);
            onChanged();
            // Focus returns to the section once the editor is gone.
            setTimeout(focusSection, 0);
          }}
        />
      ) : running ? (
        <div className="section-streaming">
          <p className="hint" role="status" {...(queuedAhead === undefined ? {} : { 'data-testid': `queued-${section.path}` })}>{queuedAhead === undefined ? 'Writing this section…' : queuedNote(queuedAhead)}</p>
          {streamed ? <p className="streamed-text" data-testid={`streamed-${section.path}`}>{streamed}</p> : null}
        </div>
      ) : section.markdown !== null ? (
        <MarkdownView markdown={section.markdown} />
      ) : section.status === 'failed' ? (
        <p className="inline-error" data-testid="section-missing">The model could not write this section{abilities.runStopped ? ', and the run has stopped' : ''}. {abilities.write ? `Write it yourself${abilities.runFailed ? ', or retry the run above' : ''}.` : 'The person drafting it can write it or retry the run.'}</p>
      ) : abilities.runStopped ? (
        <p className="notice" data-testid="section-missing">Not written: the run stopped before it reached this section.{abilities.write ? ` Write it yourself${abilities.runFailed ? ', or retry the run above' : ''}.` : ''}</p>
      ) : (
        <p className="notice">Not drafted yet.</p>
      )}

      <p className="announcement" role="status">{announcement}</p>
      {error && <ApiErrorView error={error} />}

      {!editing && (actionable || writable || abilities.comment) && (
        <div className="section-actions" role="group" aria-label={`Actions for ${section.heading}`}>
          {/* Only what can be done now: nothing to accept or edit before the text is there. */}
          {actionable && (
            <>
              <button type="button" onClick={accept} disabled={busy || section.status === 'accepted'}>Accept<span className="visually-hidden"> {section.heading}</span></button>
              <button type="button" onClick={() => openPanel('reject')} disabled={busy} aria-expanded={panel === 'reject'}>Reject…<span className="visually-hidden"> {section.heading}</span></button>
              <button type="button" onClick={startEdit} disabled={busy}>Edit<span className="visually-hidden"> {section.heading}</span></button>
            </>
          )}
          {writable && <button type="button" onClick={startEdit} disabled={busy}>Write it yourself<span className="visually-hidden">: {section.heading}</span></button>}
          {regenerable && <button type="button" onClick={() => openPanel('regenerate')} disabled={busy} aria-expanded={panel === 'regenerate'}>Regenerate…<span className="visually-hidden"> {section.heading}</span></button>}
          {abilities.comment && <button type="button" onClick={() => openPanel('comment')} aria-expanded={panel === 'comment'}>Comment<span className="visually-hidden"> on {section.heading}</span></button>}
        </div>
      )}

      {panel === 'reject' && (
        <ActionForm
          testId={`reject-form-${section.path}`}
          label={`Why reject “${section.heading}”? (optional)`}
          hint="The reason is kept as feedback on the span that wrote this section."
          submitLabel="Reject section"
          required={false}
          busy={busy}
          chord={false}
          onCancel={closePanel}
          onSubmit={(reason) => void run(`Rejected “${section.heading}”.`, () => bridge.invoke('drafts.reject', { draftId, path: section.path, ...(reason ? { comment: reason } : {}) })).then((ok) => { if (ok) closePanel(); })}
        />
      )}
      {panel === 'regenerate' && (
        <ActionForm
          testId={`regenerate-form-${section.path}`}
          label={`Instruction for regenerating “${section.heading}”`}
          hint="For example “shorter” or “add the 2024 covenant breach”. Ctrl+Enter (⌘Enter) regenerates."
          submitLabel="Regenerate"
          required
          busy={busy}
          chord
          onCancel={closePanel}
          onSubmit={(instruction) => {
            onRegenerating(section.path);
            void run(`Regenerating “${section.heading}”.`, () => bridge.invoke('drafts.regenerate', { draftId, path: section.path, instruction })).then((ok) => { if (ok) closePanel(); });
          }}
        />
      )}

      {showDiff && (
        <details className="section-diff">
          <summary>Compare with the model&apos;s draft</summary>
          <DiffView before={section.modelMarkdown ?? ''} after={section.markdown ?? ''} testId={`diff-${section.path}`} />
        </details>
      )}
      <details className="section-provenance">
        <summary>Provenance</summary>
        <Provenance section={section} canReadTraces={abilities.readTraces} />
      </details>
      {(comments.length > 0 || panel === 'comment') && (
        <div className="section-comments">
          <CommentList comments={comments} />
          {panel === 'comment' && (
            <CommentForm draftId={draftId} path={section.path} label={`Comment on “${section.heading}”`} autoFocus onCancel={closePanel} onAdded={() => { announce('Comment added.'); setPanel(null); onChanged(); focusSection(); }} />
          )}
        </div>
      )}
    </article>
  );
}
