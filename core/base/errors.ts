import type { ApiError, ErrorCode } from '../contracts/index.ts';

/**
 * The one error type core throws on purpose. It carries a stable code and safe details; `cause`
 * stays inside core and is never serialised to a client.
 */
export class CoreError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CoreError';
    this.code = code;
    this.details = options?.details;
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
