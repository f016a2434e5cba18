import type { Clock, Logger } from '../../base/index.ts';

/** How one OpenAI-compatible server (vLLM, TGI, Ollama, llama-server) is reached. */
export interface RemoteEndpointOptions {
  /** The OpenAI-compatible base, normally ending in `/v1` (e.g. `https://llm.bank.internal/v1`). */
  baseUrl: string;
  /**
   * The API key, looked up per request (the keychain-backed getter in production) for the model
   * making it: models that share an endpoint each send their own key.
   */
  getApiKey?: (model: string) => Promise<string | null>;
  /** PEM file of the CA(s) to trust for this endpoint instead of the public roots (internal CAs). */
  caFile?: string;
  timeouts?: Partial<RemoteTimeouts>;
  retry?: Partial<RemoteRetryOptions>;
  circuitBreaker?: Partial<RemoteCircuitBreakerOptions>;
  concurrency?: Partial<RemoteConcurrencyOptions>;
  /** Ask for `stream_options.include_usage` (vLLM, llama-server, Ollama ≥ 0.5). Off for servers that reject it. */
  streamUsage?: boolean;
  clock?: Clock;
  logger?: Logger;
  /** Observes each retry (for tracing and tests); never sees content. */
  onRetry?: (event: RetryEvent) => void;
}

export interface RemoteTimeouts {
  /** TCP connect plus TLS handshake. */
  connectMs: number;
  /** From sending a request to the first streamed token (for non-streamed calls: the response headers). */
  firstTokenMs: number;
  /** The whole call: queueing, retries, backoff, streaming and the one repair attempt. */
  totalMs: number;
  /** Longest wait for a concurrency slot. */
  queueMs: number;
  /** `health()` as a whole. */
  healthMs: number;
}

export interface RemoteRetryOptions {
  /** Retries after the first attempt (so `maxRetries + 1` attempts at most). */
  maxRetries: number;
  /** Decorrelated-jitter backoff bounds. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the call fails with ERR_MODEL_RATE_LIMITED. */
  retryAfterCapMs: number;
}

export interface RemoteCircuitBreakerOptions {
  /** Consecutive endpoint failures (5xx, network, timeouts) that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  halfOpenAfterMs: number;
}

export interface RemoteConcurrencyOptions {
  /** Requests in flight to this endpoint at once. */
  maxInFlight: number;
  /** Calls waiting for a slot; beyond this a call fails at once with ERR_MODEL_RATE_LIMITED. */
  maxQueued: number;
}

export interface RetryEvent {
  model: string;
  host: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  code: string;
  cause: string;
}

export interface ResolvedEndpointOptions {
  timeouts: RemoteTimeouts;
  retry: RemoteRetryOptions;
  circuitBreaker: RemoteCircuitBreakerOptions;
  concurrency: RemoteConcurrencyOptions;
  streamUsage: boolean;
}

/** Defaults sized for a CPU or shared GPU server inside a bank: generous, but never unbounded. */
export const remoteDefaults: ResolvedEndpointOptions = {
  timeouts: { connectMs: 10_000, firstTokenMs: 120_000, totalMs: 600_000, queueMs: 60_000, healthMs: 10_000 },
  retry: { maxRetries: 3, initialDelayMs: 250, maxDelayMs: 8_000, retryAfterCapMs: 30_000 },
  circuitBreaker: { failureThreshold: 5, halfOpenAfterMs: 30_000 },
  concurrency: { maxInFlight: 4, maxQueued: 64 },
  streamUsage: true,
};

export function resolveEndpointOptions(options: RemoteEndpointOptions): ResolvedEndpointOptions {
  const resolved: ResolvedEndpointOptions = {
    timeouts: { ...remoteDefaults.timeouts, ...options.timeouts },
    retry: { ...remoteDefaults.retry, ...options.retry },
    circuitBreaker: { ...remoteDefaults.circuitBreaker, ...options.circuitBreaker },
    concurrency: { ...remoteDefaults.concurrency, ...options.concurrency },
    streamUsage: options.streamUsage ?? remoteDefaults.streamUsage,
  };
  const positive: [string, number][] = [
    ...Object.entries(resolved.timeouts).map(([key, value]: [string, number]): [string, number] => [`timeouts.${key}`, value]),
    ['concurrency.maxInFlight', resolved.concurrency.maxInFlight],
    ['circuitBreaker.failureThreshold', resolved.circuitBreaker.failureThreshold],
  ];
  for (const [name, value] of positive) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`Remote endpoint option ${name} must be a positive number`);
  }
  return resolved;
}

/**
 * The base URL, normalised to end in `/`. Credentials in the URL are refused: they would end up in
 * logs and error details, and the key belongs in the keychain.
 */
export function parseBaseUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`Remote endpoint must be http(s), got ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new RangeError('Remote endpoint URL must not carry credentials; use the keychain');
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}
