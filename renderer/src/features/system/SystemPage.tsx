import { useApiQuery } from '../../bridge/context.tsx';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';

/** Version, run mode, data directory, build and health, from `system.info` and `system.health`. */
export function SystemPage() {
  const info = useApiQuery('system.info', {});
  const health = useApiQuery('system.health', {});
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">System</h1>
      <h2>Installation</h2>
      {info.state.status === 'loading' && <p>Loading…</p>}
      {info.state.status === 'error' && <ApiErrorView error={info.state.error} onRetry={info.reload} />}
      {info.state.status === 'ok' && (
        <dl className="facts" data-testid="system-info">
          <dt>Version</dt>
          <dd>{info.state.value.version}</dd>
          <dt>Mode</dt>
          <dd>{info.state.value.mode}</dd>
          <dt>Data directory</dt>
          <dd>{info.state.value.dataDir === null ? <span className="hint">Shown to installation administrators.</span> : <code>{info.state.value.dataDir}</code>}</dd>
          <dt>Build</dt>
          <dd>{info.state.value.build.commit ?? 'source checkout'}{info.state.value.build.builtAt ? ` (${info.state.value.build.builtAt})` : ''}</dd>
          <dt>Runtime</dt>
          <dd>Node {info.state.value.build.node} on {info.state.value.build.platform}-{info.state.value.build.arch}</dd>
        </dl>
      )}
      <h2>Health</h2>
      {health.state.status === 'loading' && <p>Checking…</p>}
      {health.state.status === 'error' && <ApiErrorView error={health.state.error} onRetry={health.reload} />}
      {health.state.status === 'ok' && (
        <>
          <p data-testid="system-health-status">Overall: <strong>{health.state.value.status}</strong></p>
          <table className="table">
            <thead>
              <tr><th scope="col">Check</th><th scope="col">Status</th><th scope="col">Detail</th></tr>
            </thead>
            <tbody>
              {health.state.value.checks.map((check) => (
                <tr key={check.name}><td>{check.name}</td><td>{check.status}</td><td>{check.detail ?? ''}</td></tr>
              ))}
            </tbody>
          </table>
          <button type="button" onClick={health.reload}>Check again</button>
        </>
      )}
    </section>
  );
}
