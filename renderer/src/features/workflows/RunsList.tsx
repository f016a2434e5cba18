import { Link } from 'react-router';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiEvent, useApiQuery } from '../../bridge/context.tsx';
import { useCallback } from 'react';
import { shownStatus } from './runActions.ts';

export function StatusBadge({ status }: { status: string | null }) {
  return <span className={`status status-${status ?? 'pending'}`}>{status ?? 'pending'}</span>;
}

/** Recent runs of the account, refreshed when any run changes state. */
export function RunsList() {
  const { state, reload } = useApiQuery('runs.list', { limit: 50 });
  useApiEvent('runs.progress', useCallback((event) => { if (event.path === '') reload(); }, [reload]));
  if (state.status === 'loading') return <p className="notice">Loading runs…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  if (state.value.length === 0) return <p className="notice">No runs yet. Open a workflow and run it.</p>;
  return (
    <table className="table" data-testid="runs-list">
      <caption className="visually-hidden">Recent runs</caption>
      <thead><tr><th scope="col">Run</th><th scope="col">Workflow</th><th scope="col">Status</th><th scope="col">Started</th></tr></thead>
      <tbody>
        {state.value.map((run) => (
          <tr key={run.id}>
            <td><Link to={`/workflows/runs/${run.id}`}><code>{run.id.slice(0, 8)}</code></Link>{run.replayOf && <span className="hint"> replay of <code>{run.replayOf.slice(0, 8)}</code></span>}</td>
            <td>{run.workflowId}</td>
            <td>
              <StatusBadge status={shownStatus(run)} />
              {run.waitingOn.length > 0 && <span className="hint"> on {run.waitingOn.join(', ')}</span>}
              {run.status === 'running' && !run.executing && <span className="hint" data-testid={`run-left-behind-${run.id}`}> no process is executing it: Strongroom takes it up again within a minute, or open it to resume now</span>}
            </td>
            <td>{new Date(run.createdAt).toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
