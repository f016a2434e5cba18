import { useId, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import type { ApiError, MethodOutput } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { ModelChoice } from '../workflows/ModelChoice.tsx';
import { SchemaForm } from '../workflows/SchemaForm.tsx';
import type { JsonSchema } from '../workflows/schemaValues.ts';
import { acceptedFileTypes, decodeFileText, documentsField, encodingNotice, isAcceptedFile, toSourceDocument, withDocuments } from './attachments.ts';
import type { SourceDocument } from './attachments.ts';
import { relaxNullable, restoreNulls } from '../workflows/nullableFields.ts';

type DraftingWorkflow = MethodOutput<'drafts.workflows'>[number];

/** Plain-text and Markdown files read in the browser and added to the input's `documents`. */
function SourceFiles({ schema, attached, onChange }: { schema: JsonSchema; attached: readonly SourceDocument[]; onChange: (documents: SourceDocument[]) => void }) {
  const id = useId();
  const field = documentsField(schema);
  const input = useRef<HTMLInputElement>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [notices, setNotices] = useState<string[]>([]);
  if (!field) return <p className="hint">This workflow takes no source documents.</p>;

  async function add(files: FileList | null): Promise<void> {
    if (!files || !field) return;
    const found: string[] = [];
    const guessed: string[] = [];
    const next = [...attached];
    const taken = new Set(next.map((document) => document.id));
    for (const file of Array.from(files)) {
      if (!isAcceptedFile(file)) {
        found.push(`${file.name} is not a plain-text or Markdown file (.txt, .md); convert it to text first.`);
        continue;
      }
      const decoded = decodeFileText(new Uint8Array(await file.arrayBuffer()));
      const result = toSourceDocument({ name: file.name, text: decoded.text }, taken, field.limits);
      if (!result.ok) {
        found.push(result.problem);
        continue;
      }
      const notice = encodingNotice(file.name, decoded.encoding);
      if (notice !== null) guessed.push(notice);
      taken.add(result.document.id);
      next.push(result.document);
    }
    setProblems(found);
    setNotices(guessed);
    onChange(next);
    if (input.current) input.current.value = '';
  }

  return (
    <fieldset className="field field-wide source-files" aria-describedby={`${id}-hint`}>
      <legend>Source files</legend>
      <p className="hint" id={`${id}-hint`}>
        Accepted: plain text (.txt) and Markdown (.md), UTF-8 (a file in the older Windows-1252 encoding is read as such, with a warning), up to {field.limits.text.toLocaleString('en')} characters each. They are read on this computer and added to the input’s
        documents, after any the form already has. Convert PDFs and Word files to text first.
      </p>
      <label htmlFor={`${id}-files`}>Attach source files</label>
      <input ref={input} id={`${id}-files`} type="file" multiple accept={acceptedFileTypes} onChange={(event) => void add(event.target.files)} />
      {problems.length > 0 && (
        <div role="alert">
          <ul className="field-error-list">
            {problems.map((problem) => <li key={problem} className="field-error">{problem}</li>)}
          </ul>
        </div>
      )}
      {notices.length > 0 && (
        <div role="status" className="warning-panel" data-testid="attachment-notices">
          {notices.map((notice) => <p key={notice}>{notice}</p>)}
        </div>
      )}
      {attached.length > 0 && (
        <ul className="attached-files" data-testid="attached-files">
          {attached.map((document) => (
            <li key={document.id}>
              <span>{document.title}</span> <span className="hint">{document.text.length.toLocaleString('en')} characters, id <code>{document.id}</code></span>{' '}
              <button type="button" className="danger" onClick={() => onChange(attached.filter((candidate) => candidate.id !== document.id))}>Remove<span className="visually-hidden"> {document.title}</span></button>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

function WorkflowInput({ workflow }: { workflow: DraftingWorkflow }) {
  const bridge = useBridge();
  const navigate = useNavigate();
  const { can } = useAuth();
  const errorRef = useRef<HTMLDivElement>(null);
  const [modelId, setModelId] = useState('');
  const [attached, setAttached] = useState<SourceDocument[]>([]);
  const [form, setForm] = useState<{ generation: number; initial: unknown }>({ generation: 0, initial: undefined });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState('');
  const schema = workflow.inputs as JsonSchema;
  const formSchema = useMemo(() => relaxNullable(schema), [schema]);

  async function create(value: unknown): Promise<void> {
    setBusy(true);
    setError(null);
    const input = withDocuments(restoreNulls(schema, value), attached, documentsField(schema)?.limits.id);
    const result = await bridge.invoke('drafts.create', { workflowId: workflow.id, input, ...(modelId ? { modelId } : {}) });
    setBusy(false);
    if (result.ok) {
      void navigate(`/drafts/${result.value.id}`);
      return;
    }
    setError(result.error);
    // The error names the fields to fix; the form keeps everything typed.
    setTimeout(() => errorRef.current?.querySelector<HTMLElement>('.error-focus')?.focus(), 0);
  }

  return (
    <div className="new-draft-input">
      {workflow.description && <p className="workflow-description">{workflow.description}</p>}
      <p className="hint">Version <code title={workflow.version}>{workflow.version.slice(0, 12)}</code></p>
      {can('models.read') && <ModelChoice label="Model (optional)" classification={workflow.classification} value={modelId} onChange={setModelId} />}
      <SourceFiles schema={schema} attached={attached} onChange={setAttached} />
      <h3>Input</h3>
      {workflow.sample !== null && (
        <div className="sample-row">
          <button type="button" onClick={() => { setForm((current) => ({ generation: current.generation + 1, initial: workflow.sample })); setNotice('The form now holds the sample input. Review it, then start drafting.'); }}>Use sample input</button>
          <span className="hint">Replaces what is in the form with the synthetic sample shipped with the workflow.</span>
        </div>
      )}
      <p className="announcement" role="status">{notice}</p>
      <div ref={errorRef} className="error-slot">{error && <ErrorFocus error={error} />}</div>
      <SchemaForm key={form.generation} schema={formSchema} initial={form.initial} submitLabel="Start drafting" busy={busy} onSubmit={(value) => void create(value)} />
    </div>
  );
}

/** The API's refusal, focusable so focus can move to it after a failed submit. */
function ErrorFocus({ error }: { error: ApiError }) {
  return <div tabIndex={-1} className="error-focus"><ApiErrorView error={error} /></div>;
}

/** `/drafts/new`: pick a drafting workflow, fill its generated form (or use its sample), attach files, start. */
export function NewDraft() {
  const id = useId();
  const [searchParams, setSearchParams] = useSearchParams();
  const { state, reload } = useApiQuery('drafts.workflows', {});
  const chosen = searchParams.get('workflow') ?? '';

  if (state.status === 'loading') return <p className="notice" role="status">Loading drafting workflows…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  const workflows = state.value;
  const workflow = workflows.find((candidate) => candidate.id === chosen);
  return (
    <div className="new-draft" data-testid="new-draft">
      <p><Link to="/drafts">← All drafts</Link></p>
      <h2>New draft</h2>
      {workflows.length === 0 ? <p className="notice">No workflow in this account produces documents.</p> : (
        <div className="field">
          <label htmlFor={`${id}-workflow`}>Workflow</label>
          <select id={`${id}-workflow`} value={workflow ? workflow.id : ''} onChange={(event) => setSearchParams(event.target.value ? { workflow: event.target.value } : {}, { replace: true })}>
            <option value="">Choose a workflow…</option>
            {workflows.map((candidate) => <option key={candidate.id} value={candidate.id}>{candidate.name}</option>)}
          </select>
        </div>
      )}
      {chosen && !workflow && <p className="error-panel" role="alert">No drafting workflow “{chosen}” in this account.</p>}
      {workflow && <WorkflowInput key={workflow.id} workflow={workflow} />}
    </div>
  );
}
