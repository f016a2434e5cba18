import { useCallback, useState } from 'react';
import type { ApiError, ApiResult, InputIssue, MethodInput, MethodName, MethodOutput } from '../../../../core/contracts/index.ts';
import { useBridge } from '../../bridge/context.tsx';

/** One API call made on demand (a form submit), with its pending state and last error. */
export function useApiAction<M extends MethodName>(method: M) {
  const bridge = useBridge();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async (input: MethodInput<M>): Promise<ApiResult<MethodOutput<M>>> => {
    setPending(true);
    setError(null);
    const result = await bridge.invoke(method, input);
    setPending(false);
    if (!result.ok) setError(result.error);
    return result;
  }, [bridge, method]);
  const reset = useCallback(() => setError(null), []);
  return { run, pending, error, reset };
}

function issuesOf(error: ApiError | null): InputIssue[] {
  const issues = error?.details?.issues;
  return Array.isArray(issues) ? (issues as InputIssue[]) : [];
}

/** The top-level field an issue path names: `algorithms[0]` → `algorithms`, `(root)` → `(root)`. */
export function fieldOfPath(path: string): string {
  return path.split(/[.[]/)[0] ?? path;
}

/** Messages of ERR_INPUT_INVALID issues that belong to one field. */
export function fieldIssues(error: ApiError | null, field: string): string[] {
  return issuesOf(error).filter((issue) => fieldOfPath(issue.path) === field).map((issue) => issue.message);
}

/**
 * Everything a field needs to show its own validation errors: `aria-invalid`, `aria-describedby`
 * pointing at the message (after the field's hint, if it has one), and the message element itself.
 */
export function fieldErrorFor(error: ApiError | null, field: string, inputId: string, hintId?: string) {
  const messages = fieldIssues(error, field);
  const errorId = `${inputId}-error`;
  const describedBy = [hintId, messages.length > 0 ? errorId : undefined].filter(Boolean).join(' ');
  return {
    inputProps: {
      ...(messages.length > 0 ? { 'aria-invalid': true as const } : {}),
      ...(describedBy ? { 'aria-describedby': describedBy } : {}),
    },
    message: messages.length > 0 ? <p id={errorId} className="field-error" data-testid={`field-error-${field}`}>{messages.join('; ')}</p> : null,
  };
}

/**
 * A form's error summary, announced: the message and code. Issues for the form's `fields` are
 * shown beside them; any others are listed here. For ERR_INPUT_INVALID whose issues are all
 * beside their fields, the summary only points there.
 */
export function FormError({ error, fields = [] }: { error: ApiError | null; fields?: readonly string[] }) {
  if (!error) return null;
  const issues = issuesOf(error);
  const placed = issues.filter((issue) => fields.includes(fieldOfPath(issue.path)));
  const unplaced = issues.filter((issue) => !fields.includes(fieldOfPath(issue.path)));
  return (
    <div role="alert" className="error-panel">
      {/* A refusal other than validation (an issuer that does not answer) says more than its field note. */}
      <p className="error-message">{placed.length > 0 && unplaced.length === 0 && error.code === 'ERR_INPUT_INVALID' ? 'Some fields need attention: see the messages beside them.' : error.message}</p>
      {unplaced.length > 0 && (
        <ul className="error-issues">
          {unplaced.map((issue) => <li key={`${issue.path}:${issue.message}`}><code>{issue.path}</code>: {issue.message}</li>)}
        </ul>
      )}
      <p className="error-code">Error code <code>{error.code}</code></p>
    </div>
  );
}

/** Dates from the API (ISO strings) as people read them here. */
export function formatDateTime(iso: string | null): string {
  return iso === null ? 'never' : new Date(iso).toLocaleString();
}
