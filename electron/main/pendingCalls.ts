// Bookkeeping for calls relayed to the core host: each waits under a request id until its result
// arrives or the transport fails. Kept apart from CoreHost so the process lifecycle stays readable.
import type { ApiResult } from '../../core/contracts/index.ts';

type Settle = (result: ApiResult<unknown>) => void;

export function transportFailed(message: string): ApiResult<never> {
  return { ok: false, error: { code: 'ERR_TRANSPORT_FAILED', message } };
}

export class PendingCalls {
  private readonly waiting = new Map<string, Settle>();

  /** A promise that settles when `settle(id, …)` or one of the fail methods is called. */
  add(id: string): Promise<ApiResult<unknown>> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  settle(id: string, result: ApiResult<unknown>): void {
    const settle = this.waiting.get(id);
    this.waiting.delete(id);
    settle?.(result);
  }

  /** Fails every waiting call except those in `keep` (calls never delivered, safe to resend). */
  failAll(message: string, keep: ReadonlySet<string> = new Set()): void {
    for (const [id, settle] of this.waiting) {
      if (keep.has(id)) continue;
      this.waiting.delete(id);
      settle(transportFailed(message));
    }
  }

  /** Settles every waiting call with the same result (a core that could not start). */
  settleAll(result: ApiResult<unknown>): void {
    for (const [id, settle] of this.waiting) {
      this.waiting.delete(id);
      settle(result);
    }
  }

  get size(): number {
    return this.waiting.size;
  }
}

/** Whether `promise` settles within `ms`; the timer never outlives the answer. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Allows at most `max` restarts within any `windowMs`, so a core that crashes at start-up is not respawned forever. */
export class RestartBudget {
  private readonly max: number;
  private readonly windowMs: number;
  private readonly recent: number[] = [];

  constructor(max: number, windowMs: number) {
    this.max = max;
    this.windowMs = windowMs;
  }

  /** Spends one restart at time `now` if the budget allows; false means give up. */
  tryTake(now: number): boolean {
    while (this.recent.length > 0 && (this.recent[0] ?? now) <= now - this.windowMs) this.recent.shift();
    if (this.recent.length >= this.max) return false;
    this.recent.push(now);
    return true;
  }
}
