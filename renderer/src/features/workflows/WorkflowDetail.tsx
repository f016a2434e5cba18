import { useId, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { ApiError } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { DefinitionTree } from './DefinitionTree.tsx';
import { SchemaForm } from './SchemaForm.tsx';
import type { JsonSchema } from './schemaValues.ts';

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

/** The run launcher: a form generated from the workflow's input schema (or pasted JSON). */
export function RunLauncher() {
  const { workflowId = '' } = useParams();
  const bridge = useBridge();
  const navigate = useNavigate();
  const detail = useApiQuery('workflows.get', { workflowId });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [modelId, setModelId] = useState('');
  const id = useId();

  if (detail.state.status === 'loading') return <p className="notice">Loading {workflowId}…</p>;
  if (detail.state.status === 'error') return <ApiErrorView error={detail.state.error} onRetry={detail.reload} />;
  const definition = detail.state.value.definition as { name?: string; inputs?: JsonSchema };

  async function start(input: unknown): Promise<void> {
    setBusy(true);
    setError(null);
    const result = await bridge.invoke('runs.start', { workflowId, input, ...(modelId.trim() ? { modelId: modelId.trim() } : {}) });
    setBusy(false);
    if (result.ok) void navigate(`/workflows/runs/${result.value.id}`);
    else setError(result.error);
  }

  return (
    <div className="run-launcher" data-testid="run-launcher">
      <p><Link to={`/workflows/${workflowId}`}>← {definition.name ?? workflowId}</Link></p>
      <h2>Run {definition.name ?? workflowId}</h2>
      <p className="hint">Fill in the form, or switch to JSON and paste an input such as the sample shipped with the workflow.</p>
      <div className="field">
        <label htmlFor={`${id}-model`}>Model id (optional; default: the account's default model)</label>
        <input id={`${id}-model`} value={modelId} onChange={(e) => setModelId(e.target.value)} />
      </div>
      {error && <ApiErrorView error={error} />}
      <SchemaForm schema={definition.inputs ?? { type: 'object' }} submitLabel="Start run" busy={busy} onSubmit={(input) => void start(input)} />
    </div>
  );
}
