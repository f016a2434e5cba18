import type { ErrorCode } from '../../contracts/index.ts';

const statusByCode: Record<ErrorCode, number> = {
  ERR_API_UNKNOWN_METHOD: 404,
  ERR_API_UNKNOWN_EVENT: 404,
  ERR_INPUT_INVALID: 400,
  ERR_OUTPUT_INVALID: 500,
  ERR_AUTH_UNAUTHENTICATED: 401,
  ERR_AUTH_FORBIDDEN: 403,
  ERR_TRANSPORT_FAILED: 400,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_INTERNAL: 500,
  ERR_STORAGE_TAMPERED: 500,
  ERR_STORAGE_KEY_DESTROYED: 410,
  ERR_STORAGE_SCHEMA_TOO_NEW: 503,
  ERR_STORAGE_NOT_INITIALISED: 503,
  ERR_STORAGE_UNAVAILABLE: 503,
  ERR_SECRETS_UNAVAILABLE: 503,
  ERR_SECRETS_INVALID: 503,
  ERR_SECRETS_KEY_MISSING: 503,
  ERR_SECRETS_KEY_MISMATCH: 503,
};

/** HTTP status for an error code; the body always carries the code itself. */
export function httpStatusFor(code: ErrorCode): number {
  return statusByCode[code];
}
