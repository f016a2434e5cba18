import { CoreError } from '../../base/index.ts';
import { cancelledError, timeoutError } from './errors.ts';
import type { ErrorSubject } from './errors.ts';

const ignore = (): void => undefined;

/** The typed error an aborted signal stands for (internal signals are always aborted with one). */
export function abortReason(signal: AbortSignal, subject: ErrorSubject): CoreError {
  return signal.reason instanceof CoreError ? signal.reason : cancelledError(subject);
}

/**
 * Settles with `promise`, or rejects with the signal's reason the moment it aborts — for waits
 * that do not watch a signal themselves (cockatiel's retry delay, bulkhead queue and half-open
 * wait). The abandoned promise's eventual rejection is swallowed.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, subject: ErrorSubject): Promise<T> {
  if (signal.aborted) {
    promise.catch(ignore);
    return Promise.reject(abortReason(signal, subject));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(ignore);
      reject(abortReason(signal, subject));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * One logical model call: its total deadline and its cancellation. Everything the call does —
 * queueing, attempts, backoff, the repair attempt — runs under `signal`, so a hung endpoint can
 * never hold the caller past `totalMs`.
 */
export class Call {
  readonly subject: ErrorSubject;
  readonly signal: AbortSignal;
  /** Set once text reached the caller: from then on nothing is retried (no duplicated deltas). */
  outputDelivered = false;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly userSignal: AbortSignal | undefined;
  private readonly onUserAbort = (): void => this.abort(cancelledError(this.subject));

  constructor(subject: ErrorSubject, totalMs: number, userSignal: AbortSignal | undefined) {
    this.subject = subject;
    this.signal = this.controller.signal;
    this.userSignal = userSignal;
    this.timer = setTimeout(() => this.abort(timeoutError(subject, 'total', totalMs)), totalMs);
    if (userSignal?.aborted) this.onUserAbort();
    else userSignal?.addEventListener('abort', this.onUserAbort, { once: true });
  }

  abort(reason: CoreError): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  throwIfAborted(): void {
    if (this.signal.aborted) throw abortReason(this.signal, this.subject);
  }

  close(): void {
    clearTimeout(this.timer);
    this.userSignal?.removeEventListener('abort', this.onUserAbort);
  }
}

/** One HTTP exchange within a call, with its own first-token deadline. */
export class Attempt {
  readonly call: Call;
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private firstTokenTimer: NodeJS.Timeout | undefined;

  constructor(call: Call, firstTokenMs: number) {
    this.call = call;
    this.signal = AbortSignal.any([call.signal, this.controller.signal]);
    this.firstTokenTimer = setTimeout(() => this.controller.abort(timeoutError(call.subject, 'firstToken', firstTokenMs)), firstTokenMs);
  }

  /** The first token (or, for a non-streamed call, the response) arrived: only the total deadline applies now. */
  markFirstToken(): void {
    clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = undefined;
  }

  close(): void {
    clearTimeout(this.firstTokenTimer);
    // Releases the socket if the body was not read to the end.
    if (!this.controller.signal.aborted) this.controller.abort(cancelledError(this.call.subject, 'attempt_closed'));
  }
}
