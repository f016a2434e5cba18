import { useState } from 'react';
import type { ApiError, AuditVerification } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useBridge } from '../../bridge/context.tsx';

/** Verify: recomputes every entry hash, link, Merkle root and checkpoint signature in the database. */
export function VerifyPanel() {
  const bridge = useBridge();
  const [state, setState] = useState<{ status: 'idle' } | { status: 'running' } | { status: 'done'; report: AuditVerification } | { status: 'error'; error: ApiError }>({ status: 'idle' });

  async function verify(): Promise<void> {
    setState({ status: 'running' });
    const result = await bridge.invoke('audit.verify', {});
    setState(result.ok ? { status: 'done', report: result.value } : { status: 'error', error: result.error });
  }

  return (
    <div className="audit-verify">
      <button type="button" onClick={() => { void verify(); }} disabled={state.status === 'running'}>{state.status === 'running' ? 'Verifying…' : 'Verify'}</button>
      <div role="status" aria-live="polite" data-testid="audit-verify-result">
        {state.status === 'done' && state.report.ok && (
          <p className="verify-ok">
            <strong>Verified.</strong> {state.report.entries} entries{state.report.purged > 0 ? ` (and ${state.report.purged} purged under signed tombstones)` : ''} and {state.report.checkpoints} signed checkpoints are intact
            {state.report.lastCheckpoint && <>; last root <code className="hash">{state.report.lastCheckpoint.root.slice(0, 16)}…</code> over {state.report.lastCheckpoint.size} entries, key {state.report.lastCheckpoint.keyId}</>}.
          </p>
        )}
        {state.status === 'done' && !state.report.ok && (
          <div className="error-panel">
            <p className="error-message">Verification failed{state.report.firstProblem?.seq !== undefined ? ` at entry ${state.report.firstProblem.seq}` : ''}: {state.report.firstProblem?.reason}</p>
            <p>The log was altered outside Strongroom. Keep this database and its backups as evidence and tell your security team.</p>
          </div>
        )}
      </div>
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={() => { void verify(); }} />}
    </div>
  );
}
