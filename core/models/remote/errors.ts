import { CoreError } from '../../base/index.ts';
import type { ErrorCode } from '../../contracts/index.ts';

/** Who an error is about. Details name the model, the endpoint host and the cause, never content. */
export interface ErrorSubject {
  model: string;
  host: string;
}

/**
 * Errors worth another attempt (429, 5xx, network). Kept out of `details` because it is a policy
 * decision of this module, not something a client should branch on.
 */
const retryable = new WeakSet<CoreError>();

export function modelError(
  code: ErrorCode,
  subject: ErrorSubject,
  cause: string,
  options: { details?: Record<string, unknown>; error?: unknown; retryable?: boolean } = {},
): CoreError {
  const error = new CoreError(code, `Model ${subject.model} at ${subject.host}: ${cause.replaceAll('_', ' ')}`, {
    details: { model: subject.model, host: subject.host, cause, ...options.details },
    cause: options.error,
  });
  if (options.retryable) retryable.add(error);
  return error;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof CoreError && retryable.has(error);
}

/** Failures that say the endpoint is unwell, which is what the circuit breaker counts. */
export function countsAgainstEndpoint(error: unknown): boolean {
  if (!(error instanceof CoreError)) return false;
  if (error.code === 'ERR_MODEL_UNAVAILABLE') return isRetryable(error) || error.details?.cause === 'stream_interrupted';
  return error.code === 'ERR_MODEL_TIMEOUT' && error.details?.timeout !== 'queue';
}

export type TimeoutKind = 'connect' | 'firstToken' | 'total' | 'queue';

export function timeoutError(subject: ErrorSubject, timeout: TimeoutKind, timeoutMs: number): CoreError {
  return modelError('ERR_MODEL_TIMEOUT', subject, `${timeout}_timeout`, {
    details: { timeout, timeoutMs },
    retryable: timeout === 'connect',
  });
}

export function cancelledError(subject: ErrorSubject, cause = 'cancelled'): CoreError {
  return modelError('ERR_MODEL_CANCELLED', subject, cause);
}

/** OpenSSL/Node verification codes → the cause an administrator can act on. */
const tlsCauses: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self_signed_certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self_signed_certificate_in_chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown_certificate_authority',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown_certificate_authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown_certificate_authority',
  CERT_UNTRUSTED: 'unknown_certificate_authority',
  CERT_HAS_EXPIRED: 'certificate_expired',
  CERT_NOT_YET_VALID: 'certificate_not_yet_valid',
  CERT_REVOKED: 'certificate_revoked',
  CERT_SIGNATURE_FAILURE: 'certificate_signature_invalid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname_mismatch',
  HOSTNAME_MISMATCH: 'hostname_mismatch',
};

const networkCauses: Record<string, string> = {
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  UND_ERR_CLOSED: 'connection_reset',
  ENOTFOUND: 'host_not_found',
  EAI_AGAIN: 'host_not_found',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'host_unreachable',
  ETIMEDOUT: 'host_unreachable',
};

/** The first `code` along an error's cause chain (fetch wraps the socket error as `cause`). */
export function findErrorCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] : current.cause;
  }
  return undefined;
}

export interface Timeouts {
  connectMs: number;
  totalMs: number;
}

/**
 * Turns what fetch or a body read threw into a typed error. `afterOutput` marks a failure after
 * the caller already received text, which must not be retried (it would duplicate deltas).
 */
export function classifyNetworkError(error: unknown, subject: ErrorSubject, timeouts: Timeouts, afterOutput: boolean): CoreError {
  if (error instanceof CoreError) return error;
  const code = findErrorCode(error);
  if (code !== undefined && (code in tlsCauses || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return modelError('ERR_MODEL_TLS', subject, tlsCauses[code] ?? 'tls_handshake_failed', { details: { tlsCode: code }, error });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return timeoutError(subject, 'connect', timeouts.connectMs);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return timeoutError(subject, 'total', timeouts.totalMs);
  const midStream = error instanceof TypeError && error.message === 'terminated';
  const cause = midStream ? 'stream_interrupted' : (code !== undefined ? networkCauses[code] : undefined) ?? 'network_error';
  return modelError('ERR_MODEL_UNAVAILABLE', subject, cause, {
    details: code === undefined ? {} : { errorCode: code },
    error,
    retryable: !afterOutput,
  });
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A non-2xx answer → a typed error; the body is never read into the error (it may echo input). */
export function httpStatusError(status: number, retryAfterMs: number | undefined, retryAfterCapMs: number, subject: ErrorSubject): CoreError {
  const details: Record<string, unknown> = { status };
  if (status === 429) {
    if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
    return modelError('ERR_MODEL_RATE_LIMITED', subject, 'rate_limited', {
      details,
      retryable: retryAfterMs === undefined || retryAfterMs <= retryAfterCapMs,
    });
  }
  if (status >= 300 && status < 400) return modelError('ERR_MODEL_UNAVAILABLE', subject, 'redirect_refused', { details });
  if (status === 401) return modelError('ERR_MODEL_UNAVAILABLE', subject, 'unauthorized', { details });
  if (status === 403) return modelError('ERR_MODEL_UNAVAILABLE', subject, 'forbidden', { details });
  if (status === 404) return modelError('ERR_MODEL_NOT_FOUND', subject, 'not_found', { details });
  if (status === 501 || status === 405) return modelError('ERR_MODEL_UNSUPPORTED', subject, 'not_implemented', { details });
  if (status >= 500) {
    // A 503 may say when to come back; beyond the cap it is not worth waiting for.
    const hint = status === 503 ? retryAfterMs : undefined;
    if (hint !== undefined) details.retryAfterMs = hint;
    return modelError('ERR_MODEL_UNAVAILABLE', subject, 'server_error', { details, retryable: hint === undefined || hint <= retryAfterCapMs });
  }
  return modelError('ERR_MODEL_UNSUPPORTED', subject, 'request_rejected', { details });
}
