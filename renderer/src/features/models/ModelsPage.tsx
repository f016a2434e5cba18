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
