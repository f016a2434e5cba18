import { useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { MethodOutput } from '../../../../core/contracts/index.ts';
import { FormError, useApiAction } from '../admin/forms.tsx';
import { useModalDialog } from './useModalDialog.ts';

type Validation = MethodOutput<'workflows.validate'>;
export type Imported = MethodOutput<'workflows.import'>;

/** The API's limit on a definition's text (`workflows.validate` and `workflows.import`). */
const maxDefinitionLength = 1_000_000;

/**
 * Imports a workflow definition (YAML or JSON) read from a file or pasted: validated first with
 * `workflows.validate`, each issue shown with its path, and imported only when valid. The text
 * belongs to the caller, so a refusal, an error or closing the dialog loses nothing typed.
 */
export function ImportWorkflowDialog({ text, onTextChange, onClose, onImported }: { text: string; onTextChange: (text: string) => void; onClose: () => void; onImported: (imported: Imported) => void }) {
  const dialog = useModalDialog();
  const validate = useApiAction('workflows.validate');
  const importer = useApiAction('workflows.import');
  const [checked, setChecked] = useState<{ text: string; result: Validation } | null>(null);
  const [fileNote, setFileNote] = useState('');
  const issuesRef = useRef<HTMLDivElement>(null);
  const id = useId();

  async function readFile(files: FileList | null): Promise<void> {
    const file = files?.[0];
    if (!file) return;
    const content = await file.text();
    if (content.length > maxDefinitionLength) {
      setFileNote(`${file.name} has ${content.length.toLocaleString('en')} characters; a definition may have at most ${maxDefinitionLength.toLocaleString('en')}. Nothing was read.`);
      return;
    }
    onTextChange(content);
    setChecked(null);
    setFileNote(`Read ${file.name} (${content.length.toLocaleString('en')} characters). Check it below, then validate or import.`);
  }

  /** Validates the text as it stands; true when it may be imported. */
  async function check(): Promise<boolean> {
    const result = await validate.run({ text });
    if (!result.ok) return false;
    setChecked({ text, result: result.value });
    if (!result.value.valid) setTimeout(() => issuesRef.current?.focus(), 0);
    return result.value.valid;
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!(await check())) return;
    const result = await importer.run({ text });
    if (result.ok) onImported(result.value);
  }

  const current = checked !== null && checked.text === text ? checked.result : null;
  const stale = checked !== null && checked.text !== text;
  const issues = checked?.result.issues ?? [];
  const empty = text.trim() === '';
  const busy = validate.pending || importer.pending;
  return (
    <dialog ref={dialog} className="dialog import-dialog" aria-labelledby={`${id}-title`} onClose={onClose} data-testid="import-workflow-dialog">
      <form onSubmit={(event) => { void submit(event); }}>
        <h2 id={`${id}-title`}>Import a workflow definition</h2>
        <p className="hint">YAML or JSON, as <code>strongroom workflows import FILE</code> takes it. It is validated first; importing adds a version to this account (importing the same text again changes nothing).</p>
        <div className="field">
          <label htmlFor={`${id}-file`}>Read a file (.yaml, .yml or .json)</label>
          <input id={`${id}-file`} type="file" accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml" onChange={(event) => { void readFile(event.target.files); event.target.value = ''; }} />
          <p className="hint" role="status">{fileNote}</p>
        </div>
        <div className="field field-wide">
          <label htmlFor={`${id}-text`}>Definition (YAML or JSON)</label>
          <textarea
            id={`${id}-text`}
            className="json-input"
            rows={12}
            spellCheck={false}
            maxLength={maxDefinitionLength}
            value={text}
            onChange={(event) => onTextChange(event.target.value)}
            aria-invalid={issues.length > 0 && !stale}
            aria-describedby={issues.length > 0 ? `${id}-issues` : undefined}
          />
        </div>
        {checked && !checked.result.valid && (
          <div ref={issuesRef} tabIndex={-1} id={`${id}-issues`} role="alert" className="error-panel import-issues" data-testid="import-issues">
            <p className="error-message">{stale ? 'The last check, before your latest changes, found' : 'The definition is not valid:'} {issues.length} {issues.length === 1 ? 'problem' : 'problems'}.</p>
            <ul className="error-issues">
              {issues.map((issue) => <li key={`${issue.path}:${issue.message}`}><code>{issue.path || '(definition)'}</code>: {issue.message}</li>)}
            </ul>
          </div>
        )}
        {current?.valid && <p role="status" className="announcement" data-testid="import-valid">Valid: workflow <code>{current.id}</code>, version <code>{current.version?.slice(0, 12)}</code>.</p>}
        <FormError error={validate.error ?? importer.error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Close</button>
          <button type="button" disabled={empty || busy} onClick={() => void check()}>Validate</button>
          <button type="submit" className="primary" disabled={empty || busy}>Import</button>
        </div>
      </form>
    </dialog>
  );
}
