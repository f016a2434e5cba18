import { useCallback, useId, useRef, useState } from 'react';
import type { ApiError, DraftSection } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useBridge } from '../../bridge/context.tsx';
import { DiffView } from './DiffView.tsx';
import { MarkdownView } from './MarkdownView.tsx';
import { RichTextEditor } from './RichTextEditor.tsx';
import type { RichTextEditorHandle } from './RichTextEditor.tsx';
import { isSaveChord } from './shortcuts.ts';
import { AutosaveStatus } from '../../app/AutosaveStatus.tsx';
import { useAutosave } from '../../app/useAutosave.ts';

/** What this edit builds on: the section's text and revision when editing began (or the latest, after a conflict). */
interface Base {
  markdown: string | null;
  revision: number;
}

/**
 * A section in edit mode: the rich-text editor, autosave of the working copy, Save (Ctrl/Cmd+S)
 * against the revision the edit started from, the diff against the model's draft, and Discard.
 * On a conflict the person's text stays in the editor and the latest version is shown beside it.
 */
export function SectionEditor({ draftId, section, heading, initialText, restored, onDone }: {
  draftId: string;
  section: DraftSection;
  heading: string;
  initialText: string;
  restored: boolean;
  onDone: (outcome: 'saved' | 'discarded') => void;
}) {
  const bridge = useBridge();
  const id = useId();
  const autosave = useAutosave<string>(useCallback((markdown: string | null) => bridge.invoke('drafts.autosave', { draftId, path: section.path, markdown }), [bridge, draftId, section.path]));
  const editor = useRef<RichTextEditorHandle>(null);
  const discardDialog = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState(initialText);
  const [base, setBase] = useState<Base>(() => ({ markdown: section.markdown, revision: section.revision }));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [conflict, setConflict] = useState<Base | null>(null);
  const [changed, setChanged] = useState(restored);

  const keepWorkingCopy = (markdown: string) => {
    autosave.schedule(markdown);
    void autosave.flush();
  };

  async function save(over?: Base): Promise<void> {
    if (busy || !editor.current) return;
    const markdown = editor.current.getMarkdown();
    const startedFrom = over ?? base;
    setBusy(true);
    setError(null);
    await autosave.cancel();
    // The revision to send: the section's current one while its text is still what this edit
    // started from (its status may have moved, or the working copy bumped it), else the one the
    // edit started from — and then the API refuses with ERR_CONFLICT rather than overwrite.
    let baseRevision = startedFrom.revision;
    let latest: Base | null = null;
    const current = await bridge.invoke('drafts.get', { draftId });
    if (current.ok) {
      const now = current.value.sections.find((candidate) => candidate.path === section.path);
      if (now) {
        latest = { markdown: now.markdown, revision: now.revision };
        if (now.markdown === startedFrom.markdown) baseRevision = now.revision;
      }
    }
    const result = await bridge.invoke('drafts.edit', { draftId, path: section.path, markdown, baseRevision });
    if (!result.ok) {
      setBusy(false);
      keepWorkingCopy(markdown);
      if (result.error.code === 'ERR_CONFLICT') setConflict(latest ?? { markdown: null, revision: baseRevision });
      else setError(result.error);
      return;
    }
    if (result.value.workingMarkdown !== null) await autosave.clear();
    setBusy(false);
    onDone('saved');
  }

  function saveOverLatest(): void {
    if (!conflict) return;
    setBase(conflict);
    setConflict(null);
    void save(conflict);
  }

  function requestDiscard(): void {
    if (!changed) {
      void autosave.clear().then(() => onDone('discarded'));
      return;
    }
    discardDialog.current?.showModal();
  }

  function discard(): void {
    discardDialog.current?.close();
    void autosave.clear().then(() => onDone('discarded'));
  }

  const modelText = section.modelMarkdown;
  return (
    <div
      className="section-editor"
      data-testid={`section-editor-${section.path}`}
      onKeyDown={(event) => {
        if (isSaveChord(event)) {
          event.preventDefault();
          event.stopPropagation();
          void save();
        }
      }}
    >
      {restored && (
        <p className="warning-panel" role="status" data-testid="restored-notice">
          <strong>Unsaved edit restored.</strong> This is the text you were editing when the page closed. Save it, or discard it to go back to the section as it stands.
        </p>
      )}
      <p className="hint" id={`${id}-help`}>Markdown formatting is kept. Save with Ctrl+S (⌘S); your changes are kept as a working copy until you save or discard them.</p>
      <RichTextEditor
        ref={editor}
        markdown={initialText}
        label={`Text of ${heading}`}
        describedBy={`${id}-help`}
        autoFocus={!restored}
        onChange={(markdown) => { setText(markdown); setChanged(true); autosave.schedule(markdown); }}
        onBlur={() => { void autosave.flush(); }}
      />
      <AutosaveStatus state={autosave.state} what="edit" />
      {conflict && (
        <div className="warning-panel" role="alert" data-testid="edit-conflict">
          <p><strong>This section changed after you started editing</strong> — someone saved an edit, or it was regenerated. Nothing was overwritten, and your text is still in the editor.</p>
          <details>
            <summary>The section as it stands now</summary>
            {conflict.markdown ? <MarkdownView markdown={conflict.markdown} /> : <p className="notice">No text.</p>}
          </details>
          <div className="button-row">
            <button type="button" onClick={saveOverLatest} disabled={busy}>Save my text over it</button>
            <button type="button" className="danger" onClick={requestDiscard} disabled={busy}>Discard my edit</button>
          </div>
        </div>
      )}
      {error && <ApiErrorView error={error} />}
      <div className="button-row">
        <button type="button" className="primary" onClick={() => void save()} disabled={busy}>{busy ? 'Saving…' : 'Save'}</button>
        <button type="button" onClick={requestDiscard} disabled={busy}>Discard edit</button>
      </div>
      {modelText !== null && (
        <details className="section-diff" open>
          <summary>Your edit against the model&apos;s draft</summary>
          <DiffView before={modelText} after={text} testId={`diff-${section.path}`} />
        </details>
      )}
      <dialog ref={discardDialog} className="dialog" aria-labelledby={`${id}-discard-title`}>
        <h2 id={`${id}-discard-title`}>Discard your edit?</h2>
        <p>The changes you made to “{heading}” will be lost, and the section stays as it is.</p>
        <div className="dialog-actions">
          <button type="button" onClick={() => discardDialog.current?.close()}>Keep editing</button>
          <button type="button" className="danger-solid" onClick={discard}>Discard edit</button>
        </div>
      </dialog>
    </div>
  );
}
