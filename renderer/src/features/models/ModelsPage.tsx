import { useState } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { AddModelForm } from './AddModelForm.tsx';
import { ModelCard } from './ModelCard.tsx';
import './models.css';

/**
 * Models: local GGUF files and OpenAI-compatible endpoints, their health, a test prompt and which
 * accounts may use them. What is offered follows `can(...)`; the router decides for real.
 */
export function ModelsPage() {
  const auth = useAuth();
  const { state, reload } = useApiQuery('models.list', {});
  const [announcement, setAnnouncement] = useState('');
  const canManage = auth.can('models.manage');

  function changed(message: string): void {
    setAnnouncement(message);
    reload();
  }

  return (
    <section className="models-page" aria-labelledby="models-title">
      <h1 id="models-title">Models</h1>
      <p className="hint">A local GGUF model with a recorded SHA-256 is verified against it before it loads (models added here always get one; “Verify checksum” hashes the file again). Endpoints are reached only at the address configured here. A workflow runs only on a model allowed its data’s classification; one that names no model uses the account’s default.</p>
      <p role="status" className="announcement">{announcement}</p>
      {canManage && <SetAsideManifests />}
      {state.status === 'loading' && <p>Loading models…</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && state.value.length === 0 && (
        <p data-testid="models-empty">No model is available to this account yet. {canManage ? 'Add one below, or' : 'Ask an administrator to add one, or'} run <code>strongroom demo</code> on the server for a test model.</p>
      )}
      {state.status === 'ok' && (
        <ul className="model-list" data-testid="model-list">
          {state.value.map((model) => (
            <li key={model.id}><ModelCard model={model} canManage={canManage} canUse={auth.can('models.use')} onChanged={changed} /></li>
          ))}
        </ul>
      )}
      {canManage && <AddModelForm onAdded={(id) => changed(`Model ${id} added.`)} />}
    </section>
  );
}

/**
 * Shipped manifests that did not load (unreadable, not JSON, not a manifest): without this a model
 * would be missing from the list with no word why. Read once at start, so fixing one needs a restart.
 */
function SetAsideManifests() {
  const { state } = useApiQuery('models.manifestProblems', {});
  if (state.status !== 'ok' || state.value.problems.length === 0) return null;
  const { folder, problems } = state.value;
  return (
    <section className="warning-panel" aria-labelledby="set-aside-title" data-testid="manifest-problems">
      <h2 id="set-aside-title">Shipped models set aside</h2>
      <p>{problems.length === 1 ? 'One model file' : `${problems.length} model files`} in {folder === null ? 'the shipped models folder' : <code>{folder}</code>} could not be used, so {problems.length === 1 ? 'its model is' : 'their models are'} missing below. The other models are unaffected. Fix the file on the server and restart Strongroom.</p>
      <ul>
        {problems.map((problem) => (
          <li key={problem.file}><code>{problem.file}</code> {problem.reason}</li>
        ))}
      </ul>
    </section>
  );
}
