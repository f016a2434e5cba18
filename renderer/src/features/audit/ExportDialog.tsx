import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { AuditFilterInput } from '../../../../core/contracts/index.ts';
import { FormError, useApiAction } from '../admin/forms.tsx';
import { saveFile } from './download.ts';
import { describeAuditFilter, exportBlockedByActor } from './filters.ts';
import type { ActorMatch } from './filters.ts';

const formats = [
  { value: 'jsonl', label: 'JSONL — the verifiable record (checkpoints and proofs included)' },
  { value: 'csv', label: 'CSV — for spreadsheets' },
  { value: 'pdf', label: 'PDF — a summary for people' },
] as const;

/**
 * Exports the entries the current search selects; the file is saved by the browser. The Export
 * button is disabled while the export runs, which drops focus: the result (or the refusal) takes it.
 * An export is of one person's entries: an actor filter that matched several people is narrowed
 * on the page first (the API refuses it too).
 */
export function ExportDialog({ filter, actorMatch, accountName, onClose, onExported }: { filter: AuditFilterInput; actorMatch: ActorMatch | null; accountName: (accountId: string) => string | undefined; onClose: () => void; onExported: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const exporter = useApiAction('audit.export');
  const kit = useApiAction('audit.verifierKit');
  const [format, setFormat] = useState<'jsonl' | 'csv' | 'pdf'>('jsonl');
  const [saved, setSaved] = useState<{ fileName: string; entries: number; sha256: string } | null>(null);
  const [kitSaved, setKitSaved] = useState<string[] | null>(null);
  const result = useRef<HTMLDivElement>(null);
  const failure = useRef<HTMLDivElement>(null);
  const kitResult = useRef<HTMLDivElement>(null);
  const id = useId();
  const blocked = exportBlockedByActor(filter, actorMatch);
  const focusLater = (target: { current: HTMLElement | null }) => setTimeout(() => target.current?.focus(), 0);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const exported = await exporter.run({ ...filter, format });
    if (!exported.ok) {
      focusLater(failure);
      return;
    }
    saveFile(exported.value);
    setSaved({ fileName: exported.value.fileName, entries: exported.value.entries, sha256: exported.value.sha256 });
    onExported();
    focusLater(result);
  }

  /** The standalone verifier and every signing key (a retired one signed older checkpoints). */
  async function saveKit(): Promise<void> {
    const saving = await kit.run({});
    if (!saving.ok) {
      focusLater(failure);
      return;
    }
    const files = [saving.value.script, ...saving.value.publicKeys];
    for (const file of files) saveFile(file);
    setKitSaved(files.map((file) => file.fileName));
    focusLater(kitResult);
  }

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={`${id}-title`} onClose={onClose}>
      <form onSubmit={(event) => { void submit(event); }}>
        <h2 id={`${id}-title`}>Export the audit log</h2>
        <p data-testid="audit-export-scope">Entries: {describeAuditFilter(filter, accountName, actorMatch)}. The export itself is recorded in the log.</p>
        {blocked && <p className="warning-panel" data-testid="audit-export-actor-blocked">The actor filter matches {actorMatch?.total} people, and an export is of one person’s entries. Close this dialog and choose one of them (Only …) first.</p>}
        <fieldset className="field">
          <legend>Format</legend>
          {formats.map((option) => (
            <label key={option.value} className="check audit-format">
              <input type="radio" name={`${id}-format`} value={option.value} checked={format === option.value} onChange={() => setFormat(option.value)} />
              {option.label}
            </label>
          ))}
        </fieldset>
        <div ref={failure} tabIndex={-1} className="focus-target"><FormError error={exporter.error ?? kit.error} /></div>
        {saved && (
          <div ref={result} tabIndex={-1} role="status" className="audit-saved" data-testid="audit-export-result">
            <p>Saved <strong>{saved.fileName}</strong>: {saved.entries} entries.</p>
            <p>SHA-256 <code className="hash">{saved.sha256}</code></p>
            {format === 'jsonl' && (
              <>
                <p className="hint">Anyone can check it offline, on any machine with Node.js: save the verifier and the public key beside it, then run <code>node verify-audit.mjs {saved.fileName} --public-key audit-key.pem</code>.</p>
                <button type="button" onClick={() => { void saveKit(); }} disabled={kit.pending} data-testid="audit-save-kit">{kit.pending ? 'Saving…' : 'Save the verifier and public key'}</button>
                <div ref={kitResult} tabIndex={-1} role="status" className="focus-target">{kitSaved && <p data-testid="audit-kit-saved">Saved {kitSaved.join(', ')}.</p>}</div>
              </>
            )}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>{saved ? 'Close' : 'Cancel'}</button>
          <button type="submit" className="primary" disabled={exporter.pending || blocked}>{exporter.pending ? 'Exporting…' : 'Export'}</button>
        </div>
      </form>
    </dialog>
  );
}
