import { z } from 'zod';

/**
 * Every error that crosses the API boundary carries one of these stable codes
 * (`ERR_<AREA>_<REASON>`). Clients branch on the code, never on the message.
 */
export const errorCodes = [
  'ERR_API_UNKNOWN_METHOD',
  'ERR_API_UNKNOWN_EVENT',
  'ERR_INPUT_INVALID',
  'ERR_OUTPUT_INVALID',
  'ERR_AUTH_UNAUTHENTICATED',
  'ERR_AUTH_FORBIDDEN',
  'ERR_TRANSPORT_FAILED',
  'ERR_NOT_FOUND',
  'ERR_CONFLICT',
  'ERR_INTERNAL',
  // Storage, crypto and secrets (issue 3). Messages name the fix; details name table and row,
  // never content.
  'ERR_STORAGE_TAMPERED',
  'ERR_STORAGE_KEY_DESTROYED',
  'ERR_STORAGE_SCHEMA_TOO_NEW',
  'ERR_STORAGE_NOT_INITIALISED',
  'ERR_STORAGE_UNAVAILABLE',
  'ERR_SECRETS_UNAVAILABLE',
  'ERR_SECRETS_INVALID',
  'ERR_SECRETS_KEY_MISSING',
  'ERR_SECRETS_KEY_MISMATCH',
  // Models (issue 5): each names the model and the cause in its details.
  'ERR_MODEL_NOT_FOUND',
  'ERR_MODEL_UNAVAILABLE',
  'ERR_MODEL_CHECKSUM_MISMATCH',
  'ERR_MODEL_UNSUPPORTED',
  'ERR_MODEL_TIMEOUT',
  'ERR_MODEL_TLS',
  'ERR_MODEL_RATE_LIMITED',
  'ERR_MODEL_CIRCUIT_OPEN',
  'ERR_MODEL_STREAM_MALFORMED',
  'ERR_MODEL_OUTPUT_INVALID',
  'ERR_MODEL_CANCELLED',
  // Identity (issue 4): messages say what to do; details carry a reason, never a token.
  'ERR_AUTH_TOKEN_INVALID',
  'ERR_AUTH_SIGNIN_FAILED',
  'ERR_AUTH_SESSION_EXPIRED',
  'ERR_AUTH_IDP_UNREACHABLE',
  'ERR_AUTH_NOT_CONFIGURED',
  'ERR_AUTH_NO_ACCESS',
  // A page of one account called after its session switched to another (in another tab).
  'ERR_AUTH_ACCOUNT_CHANGED',
  // Workflow tools (issue 6): details name the tool and a reason, never arguments or results.
  'ERR_TOOL_NOT_FOUND',
  'ERR_TOOL_INPUT_INVALID',
  'ERR_TOOL_FAILED',
  'ERR_TOOL_TIMEOUT',
  // Workflows (issue 6).
  'ERR_WORKFLOW_NOT_FOUND',
  'ERR_WORKFLOW_STEP_FAILED',
  'ERR_WORKFLOW_TIMEOUT',
  'ERR_WORKFLOW_CANCELLED',
  'ERR_WORKFLOW_NOT_WAITING',
  'ERR_WORKFLOW_REPLAY_MISSING',
  'ERR_WORKFLOW_BUDGET',
  // An approval step with `onReject: end` was rejected: the run ends there (details.path).
  'ERR_WORKFLOW_REJECTED',
  // Guardrails (a seam in the step chain until policies land).
  'ERR_GUARDRAIL_BLOCKED',
  // Tracing and feedback (issue 7).
  'ERR_TRACE_NOT_FOUND',
  'ERR_FEEDBACK_NOT_FOUND',
  'ERR_FEEDBACK_EMPTY',
] as const;

export const ErrorCodeSchema = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/**
 * Whether the same call, made again unchanged, may get another answer: `transient` for what passes
 * (the network, a busy or slow model, a locked keychain, a full disk being freed, a state that
 * moves on), `permanent` for what a retry only repeats (input refused, a permission not held, an
 * id not in the account, data that cannot be decrypted, a run that has ended). Clients offer
 * "Try again" only for transient errors. Every code must be classified here (the type says so).
 */
export const errorRetry: Readonly<Record<ErrorCode, 'transient' | 'permanent'>> = {
  ERR_API_UNKNOWN_METHOD: 'permanent',
  ERR_API_UNKNOWN_EVENT: 'permanent',
  ERR_INPUT_INVALID: 'permanent',
  ERR_OUTPUT_INVALID: 'permanent',
  // Signed out: after signing in (another tab), the same call succeeds.
  ERR_AUTH_UNAUTHENTICATED: 'transient',
  ERR_AUTH_FORBIDDEN: 'permanent',
  ERR_TRANSPORT_FAILED: 'transient',
  ERR_NOT_FOUND: 'permanent',
  // Someone else's change came first, or the state is not ready yet: reading again shows the latest.
  ERR_CONFLICT: 'transient',
  ERR_INTERNAL: 'transient',
  ERR_STORAGE_TAMPERED: 'permanent',
  ERR_STORAGE_KEY_DESTROYED: 'permanent',
  ERR_STORAGE_SCHEMA_TOO_NEW: 'permanent',
  ERR_STORAGE_NOT_INITIALISED: 'permanent',
  ERR_STORAGE_UNAVAILABLE: 'transient',
  ERR_SECRETS_UNAVAILABLE: 'transient',
  ERR_SECRETS_INVALID: 'permanent',
  ERR_SECRETS_KEY_MISSING: 'permanent',
  // The running app holds the old master key until it is restarted.
  ERR_SECRETS_KEY_MISMATCH: 'permanent',
  ERR_MODEL_NOT_FOUND: 'permanent',
  ERR_MODEL_UNAVAILABLE: 'transient',
  ERR_MODEL_CHECKSUM_MISMATCH: 'permanent',
  ERR_MODEL_UNSUPPORTED: 'permanent',
  ERR_MODEL_TIMEOUT: 'transient',
  ERR_MODEL_TLS: 'transient',
  ERR_MODEL_RATE_LIMITED: 'transient',
  ERR_MODEL_CIRCUIT_OPEN: 'transient',
  ERR_MODEL_STREAM_MALFORMED: 'transient',
  ERR_MODEL_OUTPUT_INVALID: 'transient',
  ERR_MODEL_CANCELLED: 'transient',
  ERR_AUTH_TOKEN_INVALID: 'transient',
  ERR_AUTH_SIGNIN_FAILED: 'transient',
  ERR_AUTH_SESSION_EXPIRED: 'transient',
  ERR_AUTH_IDP_UNREACHABLE: 'transient',
  ERR_AUTH_NOT_CONFIGURED: 'permanent',
  ERR_AUTH_NO_ACCESS: 'permanent',
  // This page shows another account than the session's: it must start afresh, not call again.
  ERR_AUTH_ACCOUNT_CHANGED: 'permanent',
  ERR_TOOL_NOT_FOUND: 'permanent',
  ERR_TOOL_INPUT_INVALID: 'permanent',
  ERR_TOOL_FAILED: 'transient',
  ERR_TOOL_TIMEOUT: 'transient',
  ERR_WORKFLOW_NOT_FOUND: 'permanent',
  ERR_WORKFLOW_STEP_FAILED: 'transient',
  ERR_WORKFLOW_TIMEOUT: 'transient',
  ERR_WORKFLOW_CANCELLED: 'permanent',
  ERR_WORKFLOW_NOT_WAITING: 'permanent',
  ERR_WORKFLOW_REPLAY_MISSING: 'permanent',
  ERR_WORKFLOW_BUDGET: 'permanent',
  ERR_WORKFLOW_REJECTED: 'permanent',
  ERR_GUARDRAIL_BLOCKED: 'permanent',
  ERR_TRACE_NOT_FOUND: 'permanent',
  ERR_FEEDBACK_NOT_FOUND: 'permanent',
  ERR_FEEDBACK_EMPTY: 'permanent',
};

/** Whether "Try again" may help with an error of this code (see `errorRetry`); a code this build does not know may. */
export function retryMayHelp(code: string): boolean {
  return !Object.hasOwn(errorRetry, code) || errorRetry[code as ErrorCode] === 'transient';
}

/** One zod issue, reduced to what a client may see: where and what, never the offending value. */
export const InputIssueSchema = z.object({
  path: z.string(),
  message: z.string(),
});
export type InputIssue = z.infer<typeof InputIssueSchema>;

export const ApiErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/** The envelope every call returns on every transport. Errors are data, not exceptions. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export const ApiResultSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ApiErrorSchema }),
]);

/** Renders a zod issue path as `steps[3].map.over`, the form validation errors name. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}

export function toInputIssues(error: z.ZodError): InputIssue[] {
  return error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
}
