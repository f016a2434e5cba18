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

/** `summary` replaces the cause's words in the message ("Model m at host: <summary>"). */
export function modelError(
  code: ErrorCode,
  subject: ErrorSubject,
  cause: string,
  options: { details?: Record<string, unknown>; error?: unknown; retryable?: boolean; summary?: string } = {},
): CoreError {
  const error = new CoreError(code, `Model ${subject.model} at ${subject.host}: ${options.summary ?? cause.replaceAll('_', ' ')}`, {
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

/** What a server said about a refused request: an OpenAI-style error's type, code and a short message. */
export interface ServerError {
  type?: string;
  code?: string;
  message?: string;
}

/** At most this much of an error response is read, for at most ERROR_BODY_TIMEOUT_MS. */
export const ERROR_BODY_LIMIT = 8 * 1024;
export const ERROR_BODY_TIMEOUT_MS = 2_000;
const SERVER_MESSAGE_LIMIT = 300;
/** A server message sharing this many consecutive characters with the request may be echoing it. */
const ECHO_WINDOW = 16;

function identifier(value: unknown): string | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  return text !== undefined && /^[\w.:/-]{1,64}$/.test(text) ? text : undefined;
}

/** Every string in the request at least ECHO_WINDOW long: the prompt, and anything else sent. */
function requestTexts(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.length >= ECHO_WINDOW) into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) requestTexts(item, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) requestTexts(item, into);
  }
  return into;
}

function echoes(message: string, texts: readonly string[]): boolean {
  if (texts.length === 0) return false;
  for (let start = 0; start + ECHO_WINDOW <= message.length; start++) {
    const window = message.slice(start, start + ECHO_WINDOW);
    if (texts.some((text) => text.includes(window))) return true;
  }
  return false;
}

/**
 * The error a server put in a refused request's body: OpenAI's and llama-server's
 * `{"error":{"type","code","message"}}`, vLLM's top-level `{"object":"error","type","message"}`,
 * TGI's and Ollama's `{"error":"…","error_type"}`. Type and code only when they are identifiers.
 * The message is whitespace-collapsed and capped; it is dropped when it repeats any stretch of
 * the request (a validation error may quote the prompt), contains the API key, or answers 401/403
 * (some echo part of the key) — so an error never carries prompt text or a secret.
 */
export function parseServerError(body: string, status: number, request: { body?: unknown; apiKey?: string | null }): ServerError | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const top = json as Record<string, unknown>;
  const nested = typeof top.error === 'object' && top.error !== null && !Array.isArray(top.error) ? (top.error as Record<string, unknown>) : undefined;
  const source = nested ?? top;
  const rawMessage = nested?.message ?? (typeof top.error === 'string' ? top.error : undefined) ?? top.message ?? top.detail;
  const server: ServerError = {};
  const type = identifier(source.type ?? top.error_type);
  const code = identifier(source.code);
  if (type !== undefined) server.type = type;
  if (code !== undefined) server.code = code;
  if (typeof rawMessage === 'string' && status !== 401 && status !== 403) {
    let message = rawMessage.replace(/\s+/g, ' ').trim();
    if (message.length > SERVER_MESSAGE_LIMIT) message = `${message.slice(0, SERVER_MESSAGE_LIMIT - 1)}…`;
    const apiKey = request.apiKey ?? '';
    const leaks = (apiKey !== '' && rawMessage.includes(apiKey)) || echoes(message, requestTexts(request.body));
    if (message !== '' && !leaks) server.message = message;
  }
  return Object.keys(server).length === 0 ? undefined : server;
}

const contextTypes = new Set(['exceed_context_size_error', 'context_length_exceeded', 'context_window_exceeded']);
const contextWords = /context (length|size|window)|maximum context|exceeds the available context|prompt is too long|too many (input )?tokens/i;

/** The server refused the prompt as longer than the model's context (llama-server, vLLM, OpenAI). */
function isContextExceeded(server: ServerError | undefined): boolean {
  if (server === undefined) return false;
  return contextTypes.has(server.type ?? '') || contextTypes.has(server.code ?? '') || contextWords.test(server.message ?? '');
}

/** `HTTP 400, exceed_context_size_error: request (…) exceeds the available context size …`. */
function serverSays(status: number, server: ServerError | undefined): string {
  const kind = server?.type ?? server?.code;
  const said = [kind, server?.message].filter((part) => part !== undefined).join(': ');
  return said === '' ? `HTTP ${status}` : `HTTP ${status}, ${said}`;
}

/**
 * A non-2xx answer → a typed error. `server` is what `parseServerError` kept of the body: its
 * type, code and message go into the message and `details.serverError`; never the request.
 */
export function httpStatusError(status: number, retryAfterMs: number | undefined, retryAfterCapMs: number, subject: ErrorSubject, server?: ServerError): CoreError {
  const details: Record<string, unknown> = { status };
  if (server !== undefined) details.serverError = server;
  const fail = (code: ErrorCode, cause: string, options: { retryable?: boolean; summary?: string } = {}): CoreError =>
    modelError(code, subject, cause, { details, summary: `${options.summary ?? cause.replaceAll('_', ' ')} (${serverSays(status, server)})`, ...(options.retryable === undefined ? {} : { retryable: options.retryable }) });
  if (status === 429) {
    if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
    return fail('ERR_MODEL_RATE_LIMITED', 'rate_limited', { retryable: retryAfterMs === undefined || retryAfterMs <= retryAfterCapMs });
  }
  if (status >= 300 && status < 400) return fail('ERR_MODEL_UNAVAILABLE', 'redirect_refused');
  if (status === 401) return fail('ERR_MODEL_UNAVAILABLE', 'unauthorized');
  if (status === 403) return fail('ERR_MODEL_UNAVAILABLE', 'forbidden');
  if (status === 404) return fail('ERR_MODEL_NOT_FOUND', 'not_found');
  if (status === 501 || status === 405) return fail('ERR_MODEL_UNSUPPORTED', 'not_implemented');
  if (status >= 500) {
    // A 503 may say when to come back; beyond the cap it is not worth waiting for.
    const hint = status === 503 ? retryAfterMs : undefined;
    if (hint !== undefined) details.retryAfterMs = hint;
    return fail('ERR_MODEL_UNAVAILABLE', 'server_error', { retryable: hint === undefined || hint <= retryAfterCapMs });
  }
  // The same code as a local model's prompt that does not fit its context.
  if (isContextExceeded(server)) return fail('ERR_INPUT_INVALID', 'context_size_exceeded', { summary: "the prompt does not fit the model's context" });
  return fail('ERR_MODEL_UNSUPPORTED', 'request_rejected');
}
