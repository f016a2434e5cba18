import { retryMayHelp } from '../../../core/contracts/index.ts';
import type { ApiError, InputIssue } from '../../../core/contracts/index.ts';
import { useBridgeStatus } from '../bridge/context.tsx';
import { isStaleTokenError } from '../bridge/status.ts';

function issuesOf(error: ApiError): InputIssue[] {
  const issues = error.details?.issues;
  return Array.isArray(issues) ? (issues as InputIssue[]) : [];
}

/**
 * Shows a typed API error plainly: what happened, its stable code, and what to fix; "Try again" only
 * where it may help — for transient errors (`errorRetry` beside the codes in core/contracts), never
 * for not-found, forbidden or invalid input, and never once serve mode refused this page's launch
 * token (serve restarted): only the new address it printed works then.
 */
export function ApiErrorView({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const issues = issuesOf(error);
  const bridgeStatus = useBridgeStatus();
  const tokenRefused = isStaleTokenError(error) || bridgeStatus?.token === 'refused';
  return (
    <div role="alert" className="error-panel">
      <p className="error-message">{error.message}</p>
      <p className="error-code">
        Error code <code>{error.code}</code>
      </p>
      {issues.length > 0 && (
        <ul className="error-issues">
          {issues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
      {/* Another tab switched the session's account: this page's view is of the old one. Starting
          afresh shows the account now chosen; whatever is typed here stays until then. */}
      {error.code === 'ERR_AUTH_ACCOUNT_CHANGED' && (
        <button type="button" onClick={() => window.location.assign('/')}>
          Continue in the account now chosen
        </button>
      )}
      {onRetry && retryMayHelp(error.code) && !tokenRefused && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
