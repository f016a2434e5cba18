import { Link, NavLink, Outlet } from 'react-router';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
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

/** Every workflow of the account with its latest version, source and how many versions exist. */
export function WorkflowList() {
  const { state, reload } = useApiQuery('workflows.list', {});
  if (state.status === 'loading') return <p className="notice">Loading workflows…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  if (state.value.length === 0) return <p className="notice">No workflows in this account yet. Import one with <code>strongroom workflows import FILE</code>.</p>;
  return (
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
