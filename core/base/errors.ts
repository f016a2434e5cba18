import type { ApiError, ErrorCode } from '../contracts/index.ts';

/** Account-scoped things a caller names by id (a workflow by its id, which is a name). */
export type AccountResourceKind = 'run' | 'trace' | 'span' | 'feedback' | 'draft' | 'workflow';

/** Each kind keeps its area's not-found code (clients and tests match on them); all are HTTP 404. */
const notInAccountCodes: Readonly<Record<AccountResourceKind, ErrorCode>> = {
  run: 'ERR_NOT_FOUND',
  draft: 'ERR_NOT_FOUND',
  trace: 'ERR_TRACE_NOT_FOUND',
  span: 'ERR_TRACE_NOT_FOUND',
  feedback: 'ERR_FEEDBACK_NOT_FOUND',
  workflow: 'ERR_WORKFLOW_NOT_FOUND',
};

/**
 * The one error type core throws on purpose. It carries a stable code and safe details; `cause`
 * stays inside core and is never serialised to a client.
 */
export class CoreError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /**
   * Set on a refusal to name what the caller asked for (`run:<id>`): the router then audits the
   * call as denied with this resource. Stays inside core like `cause`: the caller knows what it
   * asked for, and the answer must not depend on whether the resource exists elsewhere.
   */
  readonly deniedResource: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { details?: Record<string, unknown>; cause?: unknown; deniedResource?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CoreError';
    this.code = code;
    this.details = options?.details;
    this.deniedResource = options?.deniedResource;
  }

  /**
   * The one refusal for an id that is not in the caller's account: the same code, status and words
   * whether it is in another account or nowhere (repositories look only in the caller's account,
   * so nothing else is known), and audited by the router as denied, naming `<kind>:<id>`, so a
   * probe of another account's ids is on record. Pass only ids the contract validated, never content.
   */
  static notInAccount(kind: AccountResourceKind, id: string): CoreError {
    return new CoreError(notInAccountCodes[kind], `There is no such ${kind} in your account.`, { deniedResource: `${kind}:${id}` });
  }

  toApiError(): ApiError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isCoreError(error: unknown): error is CoreError {
  return error instanceof CoreError;
}

/**
 * What SQLite's own failure means for the person, when it is about the disk rather than a bug:
 * the disk is full, the data directory cannot be written, or the file cannot be read. The change
 * did not happen (its transaction rolled back). Undefined for anything else.
 */
export function storageFailure(error: unknown): CoreError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const said = (message: string) => new CoreError('ERR_STORAGE_UNAVAILABLE', `${message} Nothing was changed.`, { details: { sqlite: code }, cause: error });
  if (code === 'SQLITE_FULL') return said('The disk holding Strongroom’s data directory is full: free some space (or move the data directory to a larger disk), then try again.');
  if (code.startsWith('SQLITE_READONLY')) return said('Strongroom’s data directory cannot be written (it is read-only, or its permissions changed): make it writable for the account Strongroom runs as, then try again.');
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') return said('Strongroom could not read or write its database file (a disk or file-system error): check the disk, then try again; `strongroom doctor` checks the database.');
  return undefined;
}
