import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { ApiError, DataClassification } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { DefinitionTree } from './DefinitionTree.tsx';
import { ModelChoice } from './ModelChoice.tsx';
import { SchemaForm } from './SchemaForm.tsx';
import type { JsonSchema } from './schemaValues.ts';
import { fieldIssues } from './serverIssues.ts';

/** One workflow: its versions, the chosen version's definition as a tree, and the run launcher. */
export function WorkflowDetail() {
  const { workflowId = '' } = useParams();
  const id = useId();
  const [version, setVersion] = useState<string | undefined>(undefined);
  const list = useApiQuery('workflows.list', {});
  const detail = useApiQuery('workflows.get', { workflowId, ...(version ? { version } : {}) });
  const summary = list.state.status === 'ok' ? list.state.value.find((w) => w.id === workflowId) : undefined;
  const { can } = useAuth();

  if (detail.state.status === 'loading') return <p className="notice">Loading {workflowId}…</p>;
  if (detail.state.status === 'error') return <ApiErrorView error={detail.state.error} onRetry={detail.reload} />;
  const definition = detail.state.value.definition as { name?: string; description?: string; steps?: unknown[]; inputs?: JsonSchema; classification?: string };
  return (
    <div className="workflow-detail">
      <p><Link to="/workflows">← All workflows</Link></p>
      <h2>{definition.name ?? workflowId}</h2>
      {definition.description && <p className="workflow-description">{definition.description}</p>}
      <dl className="facts">
        <dt>Id</dt><dd><code>{workflowId}</code></dd>
        <dt>Classification</dt><dd>{definition.classification ?? '—'}</dd>
        <dt><label htmlFor={`${id}-version`}>Version</label></dt>
        <dd>
          <select id={`${id}-version`} value={detail.state.value.version} onChange={(e) => setVersion(e.target.value)}>
            {(summary?.versions ?? [{ version: detail.state.value.version, source: 'shipped', importedAt: null }]).map((v) => (
              <option key={v.version} value={v.version}>{v.version.slice(0, 12)} — {v.source}{v.importedAt ? `, imported ${v.importedAt.slice(0, 10)}` : ''}</option>
            ))}
          </select>
        </dd>
      </dl>
      {can('runs.start') && <p><Link className="button primary" to={`/workflows/${workflowId}/run`}>Run this workflow</Link></p>}
      <h3>Steps</h3>
      <DefinitionTree steps={(definition.steps ?? []) as Array<Record<string, unknown>>} />
    </div>
  );
}

/**
 * The shipped sample input of a workflow, if it has one. Samples (`resources/samples/<id>.input.json`)
 * reach the browser only through `drafts.workflows` (drafting workflows; every shipped workflow
 * with a sample is one), so this needs `drafts.read`, which every role that may start runs holds.
 */
function SampleInput({ workflowId, onUse }: { workflowId: string; onUse: (sample: unknown) => void }) {
  const { state } = useApiQuery('drafts.workflows', {});
  const sample = state.status === 'ok' ? state.value.find((workflow) => workflow.id === workflowId)?.sample ?? null : null;
  if (sample === null) return null;
  return (
    <div className="sample-row">
      <button type="button" onClick={() => onUse(sample)}>Use sample input</button>
      <span className="hint">Replaces what is in the form with the synthetic sample shipped with the workflow.</span>
    </div>
  );
}

/** The run launcher: the model to use and a form generated from the workflow's input schema (or pasted JSON). */
export function RunLauncher() {
  const { workflowId = '' } = useParams();
  const bridge = useBridge();
  const navigate = useNavigate();
  const { can } = useAuth();
  const detail = useApiQuery('workflows.get', { workflowId });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [modelId, setModelId] = useState('');
  // Remounting the form (a new generation) is how a sample replaces what it holds.
  const [form, setForm] = useState<{ generation: number; initial: unknown }>({ generation: 0, initial: undefined });
  const [notice, setNotice] = useState('');
  const errorRef = useRef<HTMLDivElement>(null);
  // The error names the fields to fix, and the form keeps everything typed: focus goes to the
  // error once it is on the page (a timer set beside setError ran before React had rendered it).
  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);
  // Each refused field also says why beside itself, in plain words, until it is edited.
  const issues = useMemo(() => fieldIssues(error, 'input'), [error]);

  if (detail.state.status === 'loading') return <p className="notice">Loading {workflowId}…</p>;
  if (detail.state.status === 'error') return <ApiErrorView error={detail.state.error} onRetry={detail.reload} />;
  const definition = detail.state.value.definition as { name?: string; inputs?: JsonSchema; classification?: DataClassification };

  async function start(input: unknown): Promise<void> {
    setBusy(true);
    setError(null);
    // What the sample notice said is past once the form is submitted; a refusal speaks for itself.
    setNotice('');
    const result = await bridge.invoke('runs.start', { workflowId, input, ...(modelId ? { modelId } : {}) });
    setBusy(false);
    if (result.ok) {
      void navigate(`/workflows/runs/${result.value.id}`);
      return;
    }
    setError(result.error);
  }

  return (
    <div className="run-launcher" data-testid="run-launcher">
      <p><Link to={`/workflows/${workflowId}`}>← {definition.name ?? workflowId}</Link></p>
      <h2>Run {definition.name ?? workflowId}</h2>
      {can('models.read') && <ModelChoice classification={definition.classification} value={modelId} onChange={setModelId} />}
      <h3>Input</h3>
      <p className="hint">Fill in the form, or switch to JSON and paste an input.</p>
      {can('drafts.read') && <SampleInput workflowId={workflowId} onUse={(sample) => { setForm((current) => ({ generation: current.generation + 1, initial: sample })); setNotice('The form now holds the sample input. Review it, then start the run.'); }} />}
      <p className="announcement" role="status">{notice}</p>
      {error && <div ref={errorRef} tabIndex={-1} className="error-focus"><ApiErrorView error={error} /></div>}
      <SchemaForm key={form.generation} schema={definition.inputs ?? { type: 'object' }} initial={form.initial} submitLabel="Start run" busy={busy} issues={issues} onSubmit={(input) => void start(input)} />
    </div>
  );
}
