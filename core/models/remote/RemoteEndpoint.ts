import {
  BrokenCircuitError,
  bulkhead,
  BulkheadRejectedError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
} from 'cockatiel';
import type { BulkheadPolicy, CircuitBreakerPolicy, IBackoff, IBackoffFactory, IRetryBackoffContext } from 'cockatiel';
import { Agent, fetch } from 'undici';
import type { Response } from 'undici';
import { CoreError, systemClock } from '../../base/index.ts';
import type { Clock, Disposable, Logger } from '../../base/index.ts';
import { readCaFile } from './caFile.ts';
import { Attempt, Call, raceAbort } from './call.ts';
import {
  cancelledError,
  classifyNetworkError,
  countsAgainstEndpoint,
  ERROR_BODY_LIMIT,
  ERROR_BODY_TIMEOUT_MS,
  httpStatusError,
  isRetryable,
  modelError,
  parseRetryAfter,
  parseServerError,
  timeoutError,
} from './errors.ts';
import type { ErrorSubject } from './errors.ts';
import { parseBaseUrl, resolveEndpointOptions } from './options.ts';
import type { RemoteEndpointOptions, ResolvedEndpointOptions, RetryEvent } from './options.ts';

export type CircuitStatus = 'closed' | 'open' | 'half-open' | 'isolated';

export interface RequestInit {
  method: 'GET' | 'POST';
  /** Serialised as JSON. */
  body?: unknown;
  /** Streamed (SSE) responses keep the first-token deadline running past the headers. */
  stream?: boolean;
}

const ignore = (): void => undefined;

/**
 * The start of an error response's body: at most ERROR_BODY_LIMIT bytes within
 * ERROR_BODY_TIMEOUT_MS, so a server that trickles or never ends its error page cannot hold the
 * call. Whatever arrived is returned; a failed read is an empty body, not a second error.
 */
async function readErrorBody(response: Response, signal: AbortSignal): Promise<string> {
  if (response.body === null) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stop = (): void => void reader.cancel().catch(ignore);
  const timer = setTimeout(stop, ERROR_BODY_TIMEOUT_MS);
  signal.addEventListener('abort', stop, { once: true });
  try {
    while (size < ERROR_BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A reset or an abort mid-body: keep what arrived.
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
    await reader.cancel().catch(ignore);
  }
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_LIMIT).toString('utf8');
}

/**
 * One OpenAI-compatible server, shared by every model it serves: the HTTP dispatcher (with the
 * endpoint's CA), and the resilience policies that must be per endpoint — a circuit breaker and a
 * concurrency limit — from cockatiel, plus per-call retries with decorrelated-jitter backoff.
 * Only `baseUrl`'s origin is ever contacted; redirects are refused, never followed.
 */
export class RemoteEndpoint implements Disposable {
  readonly baseUrl: URL;
  /** `host[:port]`, as named in error details. */
  readonly host: string;
  readonly options: ResolvedEndpointOptions;
  readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly getApiKey: ((model: string) => Promise<string | null>) | undefined;
  private readonly caFile: string | undefined;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly limiter: BulkheadPolicy;
  private readonly calls = new Set<Call>();
  private agent: Promise<Agent> | undefined;
  private disposed = false;

  constructor(options: RemoteEndpointOptions) {
    this.baseUrl = parseBaseUrl(options.baseUrl);
    this.host = this.baseUrl.host;
    this.options = resolveEndpointOptions(options);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.getApiKey = options.getApiKey;
    this.caFile = options.caFile;
    this.onRetry = options.onRetry;
    this.breaker = circuitBreaker(handleWhen(countsAgainstEndpoint), {
      halfOpenAfter: this.options.circuitBreaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.options.circuitBreaker.failureThreshold),
    });
    this.breaker.onBreak(() => this.logger?.warn({ host: this.host }, 'model endpoint circuit opened'));
    this.breaker.onReset(() => this.logger?.info({ host: this.host }, 'model endpoint circuit closed'));
    this.limiter = bulkhead(this.options.concurrency.maxInFlight, this.options.concurrency.maxQueued);
  }

  get circuitStatus(): CircuitStatus {
    switch (this.breaker.state) {
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      case CircuitState.Isolated:
        return 'isolated';
      default:
        return 'closed';
    }
  }

  /** Runs one logical call under its total deadline and the caller's signal. */
  async run<T>(model: string, signal: AbortSignal | undefined, body: (call: Call) => Promise<T>, totalMs = this.options.timeouts.totalMs): Promise<T> {
    const subject: ErrorSubject = { model, host: this.host };
    if (this.disposed) throw modelError('ERR_MODEL_UNAVAILABLE', subject, 'provider_disposed');
    const call = new Call(subject, totalMs, signal);
    this.calls.add(call);
    try {
      return await raceAbort(body(call), call.signal, subject);
    } finally {
      call.close();
      this.calls.delete(call);
    }
  }

  /** One request with retries, the circuit breaker and the concurrency limit. */
  async send<T>(call: Call, exchange: (attempt: Attempt) => Promise<T>): Promise<T> {
    const policy = retry(
      handleWhen((error) => isRetryable(error) && !call.outputDelivered),
      { maxAttempts: this.options.retry.maxRetries, backoff: this.backoff() },
      // An abandoned call's backoff timer must not keep the process alive at shutdown.
    ).dangerouslyUnref();
    policy.onRetry((event) => {
      const error = 'error' in event ? event.error : undefined;
      const retryEvent: RetryEvent = {
        model: call.subject.model,
        host: this.host,
        attempt: event.attempt,
        delayMs: event.delay,
        code: error instanceof CoreError ? error.code : 'unknown',
        cause: error instanceof CoreError ? String(error.details?.cause) : 'unknown',
      };
      this.logger?.warn(retryEvent, 'model call retried');
      this.onRetry?.(retryEvent);
    });
    const work = policy.execute(() => {
      call.throwIfAborted();
      return this.withSlot(call, () => this.throughBreaker(call, () => this.exchange(call, exchange)));
    });
    return raceAbort(work, call.signal, call.subject);
  }

  /** One request with no retry, breaker or queue: for health probes, which must see the raw endpoint. */
  async sendOnce<T>(call: Call, exchange: (attempt: Attempt) => Promise<T>): Promise<T> {
    return this.exchange(call, exchange);
  }

  /** A fetch confined to this endpoint: API key, CA, deadlines, and a typed error for every failure. */
  async fetch(attempt: Attempt, path: string, init: RequestInit): Promise<Response> {
    const subject = attempt.call.subject;
    const url = new URL(path, this.baseUrl);
    if (url.origin !== this.baseUrl.origin) throw new Error(`Refusing to contact ${url.origin}: only ${this.baseUrl.origin} is configured`);
    const headers: Record<string, string> = { accept: init.stream ? 'text/event-stream' : 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const apiKey = await this.apiKey(subject);
    if (apiKey !== null && apiKey !== '') headers.authorization = `Bearer ${apiKey}`;
    const dispatcher = await this.dispatcher(subject);
    let response: Response;
    try {
      response = await fetch(url, {
        method: init.method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: attempt.signal,
        dispatcher,
        redirect: 'manual',
      });
    } catch (error) {
      throw this.classify(attempt, error);
    }
    if (!init.stream) attempt.markFirstToken();
    if (response.status < 200 || response.status >= 300) {
      const body = response.status >= 400 ? await readErrorBody(response, attempt.signal) : '';
      await response.body?.cancel().catch(ignore);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.clock.now());
      const server = body === '' ? undefined : parseServerError(body, response.status, { body: init.body, apiKey });
      throw httpStatusError(response.status, retryAfterMs, this.options.retry.retryAfterCapMs, subject, server);
    }
    return response;
  }

  /** The body's chunks; a failure while reading becomes a typed error. */
  async *read(attempt: Attempt, response: Response): AsyncGenerator<Uint8Array> {
    if (response.body === null) return;
    try {
      for await (const chunk of response.body) yield chunk;
    } catch (error) {
      throw this.classify(attempt, error);
    }
  }

  /** Maps what fetch or a body read threw: an aborted attempt reports why it was aborted. */
  classify(attempt: Attempt, error: unknown): CoreError {
    if (attempt.signal.aborted) {
      const reason: unknown = attempt.signal.reason;
      return reason instanceof CoreError ? reason : cancelledError(attempt.call.subject);
    }
    const { connectMs, totalMs } = this.options.timeouts;
    return classifyNetworkError(error, attempt.call.subject, { connectMs, totalMs }, attempt.call.outputDelivered);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const call of this.calls) call.abort(cancelledError(call.subject, 'provider_disposed'));
    const agent = await this.agent?.catch(() => undefined);
    await agent?.destroy();
  }

  private async exchange<T>(call: Call, exchange: (attempt: Attempt) => Promise<T>): Promise<T> {
    const attempt = new Attempt(call, this.options.timeouts.firstTokenMs);
    try {
      return await exchange(attempt);
    } catch (error) {
      if (attempt.signal.aborted) throw this.classify(attempt, error);
      throw error;
    } finally {
      attempt.close();
    }
  }

  private async throughBreaker<T>(call: Call, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.breaker.execute(fn);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw modelError('ERR_MODEL_CIRCUIT_OPEN', call.subject, 'circuit_open', {
          details: { halfOpenAfterMs: this.options.circuitBreaker.halfOpenAfterMs },
          error,
        });
      }
      throw error;
    }
  }

  /** Waits for a concurrency slot, at most `queueMs`; a full queue fails at once. */
  private async withSlot<T>(call: Call, fn: () => Promise<T>): Promise<T> {
    const { queueMs } = this.options.timeouts;
    const queue = new AbortController();
    const signal = AbortSignal.any([call.signal, queue.signal]);
    const timer = setTimeout(() => queue.abort(timeoutError(call.subject, 'queue', queueMs)), queueMs);
    try {
      const work = this.limiter.execute(() => {
        clearTimeout(timer);
        return fn();
      }, signal);
      return await raceAbort(work, signal, call.subject);
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        const { maxInFlight, maxQueued } = this.options.concurrency;
        throw modelError('ERR_MODEL_RATE_LIMITED', call.subject, 'queue_full', { details: { maxInFlight, maxQueued }, error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Decorrelated jitter (cockatiel's default generator), stretched to honour a `Retry-After` within the cap. */
  private backoff(): IBackoffFactory<IRetryBackoffContext<unknown>> {
    const jitter = new ExponentialBackoff({ initialDelay: this.options.retry.initialDelayMs, maxDelay: this.options.retry.maxDelayMs });
    const withRetryAfter = (backoff: IBackoff<unknown>, context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> => {
      const error = 'error' in context.result ? context.result.error : undefined;
      const hint = error instanceof CoreError ? error.details?.retryAfterMs : undefined;
      return {
        duration: typeof hint === 'number' ? Math.max(hint, backoff.duration) : backoff.duration,
        next: (nextContext) => withRetryAfter(backoff.next(nextContext), nextContext),
      };
    };
    return { next: (context) => withRetryAfter(jitter.next(), context) };
  }

  private async apiKey(subject: ErrorSubject): Promise<string | null> {
    if (this.getApiKey === undefined) return null;
    try {
      return await this.getApiKey(subject.model);
    } catch (error) {
      if (error instanceof CoreError) throw error;
      // The getter's own error may describe the keychain; it never contains the key.
      throw modelError('ERR_MODEL_UNAVAILABLE', subject, 'api_key_unavailable', { error });
    }
  }

  private async dispatcher(subject: ErrorSubject): Promise<Agent> {
    this.agent ??= this.createAgent();
    try {
      return await this.agent;
    } catch (error) {
      this.agent = undefined;
      const cause = error instanceof RangeError ? 'ca_file_invalid' : 'ca_file_unreadable';
      throw modelError('ERR_MODEL_TLS', subject, cause, { details: { caFile: this.caFile }, error });
    }
  }

  private async createAgent(): Promise<Agent> {
    const { connectMs, totalMs } = this.options.timeouts;
    const ca = this.caFile === undefined ? undefined : await readCaFile(this.caFile);
    // `ca` replaces the public roots for this endpoint: an internal server is trusted through the
    // bank's CA only. Undici's own header/body timeouts are a backstop behind the call deadline.
    return new Agent({
      connect: ca === undefined ? { timeout: connectMs } : { timeout: connectMs, ca },
      headersTimeout: totalMs,
      bodyTimeout: totalMs,
    });
  }
}
