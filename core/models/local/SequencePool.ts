import type { LlamaContextSequence, Token } from 'node-llama-cpp';

interface Waiter {
  resolve: (sequence: LlamaContextSequence) => void;
  reject: (error: unknown) => void;
  onQueue?: (ahead: number | null) => void;
}

/** A listener's failure must not strand the queue. */
function notify(listener: ((ahead: number | null) => void) | undefined, ahead: number | null): void {
  try {
    listener?.(ahead);
  } catch {
    // the listener's own business
  }
}

/**
 * Hands out a context's sequences to one generation at a time. Each sequence keeps the tokens it
 * last evaluated in its KV cache, so a new request goes to the free sequence whose cache its prompt
 * continues: the steps of a run that share a system prompt land on the sequence that already holds
 * it and skip re-evaluating it.
 */
export class SequencePool {
  private readonly free: LlamaContextSequence[];
  private readonly waiters: Waiter[] = [];
  private closed = false;
  private readonly lastUsed = new WeakMap<LlamaContextSequence, number>();
  private uses = 0;
  /** Tokens each sequence can hold. */
  readonly contextSize: number;

  constructor(sequences: readonly LlamaContextSequence[]) {
    const [first] = sequences;
    if (first === undefined) throw new RangeError('SequencePool needs at least one sequence');
    this.free = [...sequences];
    this.contextSize = first.contextSize;
  }

  /**
   * Resolves with the free sequence best matching `prompt`, waiting in FIFO order if none is free;
   * rejects if `signal` aborts while waiting or the pool closes. `onQueue` hears how many requests
   * are ahead while it waits (at once, then as that shrinks) and `null` when it gets a sequence.
   */
  acquire(prompt: readonly Token[], signal?: AbortSignal, onQueue?: (ahead: number | null) => void): Promise<LlamaContextSequence> {
    if (this.closed) return Promise.reject(new Error('SequencePool is closed'));
    if (this.free.length > 0) return Promise.resolve(this.takeBest(prompt));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (sequence: LlamaContextSequence) => {
          signal?.removeEventListener('abort', onAbort);
          notify(onQueue, null);
          resolve(sequence);
        },
        reject,
        ...(onQueue === undefined ? {} : { onQueue }),
      };
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) {
          this.waiters.splice(index, 1);
          this.tellPositions(index);
        }
        reject(new Error('aborted while queued', { cause: signal?.reason })); // the caller maps it to ERR_MODEL_CANCELLED
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      notify(onQueue, this.waiters.length - 1);
    });
  }

  release(sequence: LlamaContextSequence): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve(sequence);
      this.tellPositions(0);
    } else this.free.push(sequence);
  }

  /** Tells the waiters from `from` on their new place in the queue. */
  private tellPositions(from: number): void {
    for (let index = from; index < this.waiters.length; index += 1) notify(this.waiters[index]?.onQueue, index);
  }

  /** Sequences free right now. */
  get idle(): number {
    return this.free.length;
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('SequencePool is closed'));
    this.free.length = 0;
  }

  /**
   * The free sequence to evaluate `prompt` on. Like llama-server's slot choice: the sequence whose
   * cache the prompt mostly continues (shared prefix ≥ half of what it holds); otherwise an empty
   * one; otherwise the least recently used, so one run's cache is not evicted by another run that
   * only shares the chat template's first few tokens with it.
   */
  private takeBest(prompt: readonly Token[]): LlamaContextSequence {
    let best: { index: number; shared: number; held: number } | undefined;
    let empty: number | undefined;
    let leastRecent: { index: number; use: number } | undefined;
    for (const [index, sequence] of this.free.entries()) {
      const held = sequence.nextTokenIndex;
      const shared = held === 0 ? 0 : sequence.compareContextTokens(prompt as Token[]).firstDifferentIndex;
      if (best === undefined || shared > best.shared) best = { index, shared, held };
      if (held === 0 && empty === undefined) empty = index;
      const use = this.lastUsed.get(sequence) ?? 0;
      if (leastRecent === undefined || use < leastRecent.use) leastRecent = { index, use };
    }
    const continues = best !== undefined && best.shared > 0 && best.shared * 2 >= best.held;
    const chosen = continues ? best?.index : (empty ?? leastRecent?.index);
    const [sequence] = this.free.splice(chosen ?? 0, 1);
    if (sequence === undefined) throw new Error('SequencePool.takeBest called with no free sequence');
    this.lastUsed.set(sequence, ++this.uses);
    return sequence;
  }
}
