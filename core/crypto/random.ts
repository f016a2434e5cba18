import { randomBytes } from 'node:crypto';
import { CoreError } from '../base/index.ts';

/** Cryptographic randomness, injected so tests can make it deterministic or observe it. */
export type RandomSource = (size: number) => Buffer;

export const secureRandom: RandomSource = (size) => randomBytes(size);

/**
 * Hands out 96-bit GCM nonces from a pooled CSPRNG buffer: one randomBytes call per 4,096 nonces
 * instead of one per encryption (a ~2 µs saving on every seal). Nonces only need to be unique, and
 * random 96-bit ones are, within the per-key limits KeyRing enforces.
 */
export class NonceSource {
  private readonly random: RandomSource;
  private pool: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(random: RandomSource) {
    this.random = random;
  }

  next(): Buffer {
    const nonce = Buffer.allocUnsafe(12);
    this.nextInto(nonce);
    return nonce;
  }

  /** Writes the next nonce into target[0..12) — no allocation, for the per-seal hot path. */
  nextInto(target: Uint8Array): void {
    if (this.offset + 12 > this.pool.length) {
      const pool = this.random(12 * 4096);
      // A short answer would leave nonce bytes unfilled; refuse rather than seal with a weak nonce.
      if (pool.length < 12 * 4096) throw new CoreError('ERR_INTERNAL', 'The random source returned fewer bytes than asked for.');
      this.pool = pool;
      this.offset = 0;
    }
    const pool = this.pool;
    const start = this.offset;
    for (let index = 0; index < 12; index += 1) target[index] = pool[start + index]!;
    this.offset = start + 12;
  }
}
