import { useRef, useState } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { ImportWorkflowDialog } from './ImportWorkflowDialog.tsx';
import type { Imported } from './ImportWorkflowDialog.tsx';
import './workflows.css';

/** `/workflows`: the section's heading and its two views, workflows and runs. */
export function WorkflowsPage() {
  return (
    <section aria-labelledby="page-title" className="workflows">
      <h1 id="page-title">Workflows</h1>
      <nav aria-label="Workflows" className="workflows-tabs">
        <NavLink to="/workflows" end>Definitions</NavLink>
        <NavLink to="/workflows/runs">Runs</NavLink>
      </nav>
      <Outlet />
    </section>
  );
}

/** Every workflow of the account with its latest version, source and how many versions exist; import for those who manage workflows. */
export function WorkflowList() {
  const { state, reload } = useApiQuery('workflows.list', {});
  const { can } = useAuth();
  const [importing, setImporting] = useState(false);
  // Kept here, not in the dialog: closing it (or a refusal) loses nothing typed.
  const [definitionText, setDefinitionText] = useState('');
  const [imported, setImported] = useState<Imported | null>(null);
  const importButton = useRef<HTMLButtonElement>(null);
  const announcement = useRef<HTMLDivElement>(null);
  const canImport = can('workflows.manage');

  function done(result: Imported): void {
    setImporting(false);
    setDefinitionText('');
    setImported(result);
    reload();
    setTimeout(() => announcement.current?.focus(), 0);
  }

  let body;
  if (state.status === 'loading') body = <p className="notice">Loading workflows…</p>;
  else if (state.status === 'error') body = <ApiErrorView error={state.error} onRetry={reload} />;
  else if (state.value.length === 0) body = <p className="notice">No workflows in this account yet. {canImport ? 'Import a definition above.' : 'Someone who manages workflows (a builder or an administrator) can import one.'}</p>;
  else {
    body = (
      <table className="table workflow-table" data-testid="workflow-list">
        <caption className="visually-hidden">Workflows in this account</caption>
        <thead>
          <tr><th scope="col">Workflow</th><th scope="col">Latest version</th><th scope="col">Source</th><th scope="col">Versions</th><th scope="col">Classification</th></tr>
        </thead>
        <tbody>
          {state.value.map((workflow) => (
            <tr key={workflow.id} data-testid={`workflow-${workflow.id}`}>
              <td>
                <Link to={`/workflows/${workflow.id}`}>{workflow.name}</Link>
                <div className="hint"><code>{workflow.id}</code></div>
              </td>
              <td><code title={workflow.version}>{workflow.version.slice(0, 12)}</code></td>
              <td>{workflow.source}</td>
              <td>{workflow.versions.length}</td>
              <td>{workflow.classification}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return (
    <>
      {canImport && (
        <p className="workflow-list-actions">
          <button ref={importButton} type="button" className="primary" onClick={() => setImporting(true)}>Import a workflow…</button>
        </p>
      )}
      <div ref={announcement} tabIndex={-1} role="status" className="import-result">
        {imported && (
          <p className="announcement" data-testid="import-result">
            {imported.created ? 'Imported' : 'Already imported, nothing changed:'} <Link to={`/workflows/${imported.id}`}>{imported.id}</Link>, version <code>{imported.version.slice(0, 12)}</code>.
          </p>
        )}
      </div>
      {body}
      {importing && <ImportWorkflowDialog text={definitionText} onTextChange={setDefinitionText} onClose={() => { setImporting(false); setTimeout(() => importButton.current?.focus(), 0); }} onImported={done} />}
    </>
  );
}
