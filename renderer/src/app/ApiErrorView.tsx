import type { ApiError, InputIssue } from '../../../core/contracts/index.ts';
import { retryMayHelp } from './apiErrors.ts';

function issuesOf(error: ApiError): InputIssue[] {
  const issues = error.details?.issues;
  return Array.isArray(issues) ? (issues as InputIssue[]) : [];
}

/** Shows a typed API error plainly: what happened, its stable code, and what to fix; "Try again" only where it may help. */
export function ApiErrorView({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const issues = issuesOf(error);
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
      {onRetry && retryMayHelp(error.code) && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
