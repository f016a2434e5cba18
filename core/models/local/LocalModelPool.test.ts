import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../base/index.ts';
import type { Clock } from '../../base/index.ts';
import { writeTestModel } from '../gguf/testModel.ts';
import { LocalModelPool } from './LocalModelPool.ts';
import type { LocalModelPoolOptions } from './LocalModelPool.ts';

let dir: string;
const paths: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strongroom-pool-'));
  for (const seed of [1, 2, 3]) paths.push((await writeTestModel(join(dir, `m${seed}.gguf`), { seed, embedding: 32, layers: 1, vocabSize: 400 })).path);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A clock that advances only when told, so "least recently used" is exact. */
function manualClock(): Clock & { tick(): void } {
  let now = 0;
  return { now: () => now, monotonic: () => now, tick: () => void (now += 1000) };
}

async function poolWithRoomFor(models: number, options: LocalModelPoolOptions = {}): Promise<LocalModelPool> {
  // Measure one model's accounted size, then budget for exactly `models` of them.
  const probe = new LocalModelPool({ threads: 1 });
  probe.register({ id: 'probe', path: paths[0] ?? '', contextSize: 256, sequences: 1 });
  (await probe.acquire('probe')).release();
  const bytes = probe.stats().usedBytes;
  await probe.dispose();
  const pool = new LocalModelPool({ threads: 1, memoryBudgetBytes: bytes * models + bytes / 2, ...options });
  for (const [index, path] of paths.entries()) pool.register({ id: `m${index + 1}`, path, contextSize: 256, sequences: 1 });
  return pool;
}

describe('LocalModelPool', () => {
  it('unloads the least recently used idle model to stay under the memory budget', async () => {
    const clock = manualClock();
    const pool = await poolWithRoomFor(2, { clock });
    try {
      (await pool.acquire('m1')).release();
      clock.tick();
      (await pool.acquire('m2')).release();
      clock.tick();
      (await pool.acquire('m1')).release(); // m1 is now more recent than m2
      clock.tick();
      (await pool.acquire('m3')).release();
      const loaded = pool.stats().models.map((model) => model.id).sort();
      expect(loaded).toEqual(['m1', 'm3']);
      expect(pool.stats().unloads).toBe(1);
      expect(pool.stats().usedBytes).toBeLessThanOrEqual(pool.stats().budgetBytes);
    } finally {
      await pool.dispose();
    }
  });

  it('never unloads a model in use; fails with ERR_MODEL_UNAVAILABLE when nothing idle can go', async () => {
    const pool = await poolWithRoomFor(1);
    try {
      const lease = await pool.acquire('m1');
      const error = await pool.acquire('m2').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CoreError);
      expect((error as CoreError).code).toBe('ERR_MODEL_UNAVAILABLE');
      expect((error as CoreError).details).toMatchObject({ model: 'm2', cause: 'memory budget taken by models in use' });
      expect(pool.stats().models.map((model) => model.id)).toEqual(['m1']);
      lease.release();
      (await pool.acquire('m2')).release();
      expect(pool.stats().models.map((model) => model.id)).toEqual(['m2']);
    } finally {
      await pool.dispose();
    }
  });

  it('refuses a model larger than the whole budget', async () => {
    const pool = new LocalModelPool({ memoryBudgetBytes: 1024 });
    pool.register({ id: 'big', path: paths[0] ?? '' });
    const error = await pool.acquire('big').catch((caught: unknown) => caught);
    expect((error as CoreError).code).toBe('ERR_MODEL_UNAVAILABLE');
    expect((error as CoreError).details).toMatchObject({ model: 'big', cause: 'larger than the memory budget' });
    await pool.dispose();
  });

  it('loads a model once for concurrent first requests, and not at all before one', async () => {
    const pool = await poolWithRoomFor(3);
    try {
      expect(pool.stats().loads).toBe(0);
      const leases = await Promise.all([pool.acquire('m1'), pool.acquire('m1'), pool.acquire('m1')]);
      expect(pool.stats().loads).toBe(1);
      expect(new Set(leases.map((lease) => lease.loaded)).size).toBe(1);
      for (const lease of leases) lease.release();
      expect(await pool.unload('m1')).toBe(true);
      expect(pool.stats().models).toEqual([]);
    } finally {
      await pool.dispose();
    }
  });

  it('retires a loaded model whose spec changes: in-flight work finishes, new requests load the new file', async () => {
    const pool = await poolWithRoomFor(3);
    try {
      const oldLease = await pool.acquire('m1');
      pool.register({ id: 'm1', path: paths[1] ?? '', contextSize: 256, sequences: 1 });
      const newLease = await pool.acquire('m1');
      expect(newLease.loaded).not.toBe(oldLease.loaded);
      expect(newLease.loaded.spec.path).toBe(paths[1]);
      expect(pool.stats().loads).toBe(2);
      // The retired copy still counts against the budget until its last request ends.
      const withBoth = pool.stats().usedBytes;
      oldLease.release();
      expect(pool.stats().usedBytes).toBeLessThan(withBoth);
      newLease.release();
      // Registering the same spec again changes nothing.
      pool.register({ id: 'm1', path: paths[1] ?? '', contextSize: 256, sequences: 1 });
      (await pool.acquire('m1')).release();
      expect(pool.stats().loads).toBe(2);
    } finally {
      await pool.dispose();
    }
  });

  it('is unusable after dispose', async () => {
    const pool = await poolWithRoomFor(1);
    (await pool.acquire('m1')).release();
    await pool.dispose();
    expect(pool.stats().models).toEqual([]);
    const error = await pool.acquire('m1').catch((caught: unknown) => caught);
    expect((error as CoreError).code).toBe('ERR_MODEL_UNAVAILABLE');
  });
});
