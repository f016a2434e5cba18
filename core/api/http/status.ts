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
};

/** HTTP status for an error code; the body always carries the code itself. */
export function httpStatusFor(code: ErrorCode): number {
  return statusByCode[code];
}
