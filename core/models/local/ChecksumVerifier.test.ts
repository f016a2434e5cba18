import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../base/index.ts';
import { ChecksumVerifier } from './ChecksumVerifier.ts';

let dir: string;
let file: string;
let sha: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strongroom-sum-'));
  file = join(dir, 'model.gguf');
  const content = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // spans several read chunks
  await writeFile(file, content);
  sha = createHash('sha256').update(content).digest('hex');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ChecksumVerifier', () => {
  it('accepts the right digest (any case) and hashes the file only once', async () => {
    const verifier = new ChecksumVerifier();
    await verifier.verify('m', file, sha);
    await verifier.verify('m', file, sha.toUpperCase());
    expect(verifier.hashedFiles).toBe(1);
  });

  it('re-hashes after the file changes (size or mtime) and then detects the mismatch', async () => {
    const verifier = new ChecksumVerifier();
    const path = join(dir, 'changing.gguf');
    await writeFile(path, 'version one');
    const first = await verifier.digest('m', path);
    await writeFile(path, 'version two'); // same size
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    const error = await verifier.verify('m', path, first).catch((caught: unknown) => caught);
    expect(verifier.hashedFiles).toBe(2);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('ERR_MODEL_CHECKSUM_MISMATCH');
    expect((error as CoreError).details).toMatchObject({ model: 'm', cause: 'sha256 differs from the manifest', expected: first });
  });

  it('persists digests so a restarted process does not re-hash an unchanged file', async () => {
    const cacheFile = join(dir, 'cache', 'checksums.json');
    const before = new ChecksumVerifier({ cacheFile });
    await before.verify('m', file, sha);
    expect(JSON.parse(await readFile(cacheFile, 'utf8'))).toHaveProperty([file, 'sha256'], sha);
    const after = new ChecksumVerifier({ cacheFile });
    await after.verify('m', file, sha);
    expect(after.hashedFiles).toBe(0);
  });

  it('recompute hashes whatever the cache says, and refreshes the cache it persists', async () => {
    const cacheFile = join(dir, 'recompute', 'checksums.json');
    const path = join(dir, 'edited-in-place.gguf');
    const mtime = 1_700_000_000; // whole seconds, so putting it back is exact
    await writeFile(path, 'weights one');
    await utimes(path, mtime, mtime);
    const verifier = new ChecksumVerifier({ cacheFile });
    const first = await verifier.digest('m', path);
    // Same size, and the old mtime put back: the cache cannot tell the file changed.
    await writeFile(path, 'weights two');
    await utimes(path, mtime, mtime);
    expect(await verifier.digest('m', path)).toBe(first);
    const now = await verifier.recompute('m', path);
    expect(now).toBe(createHash('sha256').update('weights two').digest('hex'));
    expect(now).not.toBe(first);
    expect(await verifier.digest('m', path)).toBe(now);
    const restarted = new ChecksumVerifier({ cacheFile });
    expect(await restarted.digest('m', path)).toBe(now);
    expect(restarted.hashedFiles).toBe(0);
    expect((await stat(cacheFile)).mode & 0o777).toBe(0o600);
  });

  it('a corrupt cache file costs a re-hash, not a failure', async () => {
    const cacheFile = join(dir, 'corrupt.json');
    await writeFile(cacheFile, '{not json');
    const verifier = new ChecksumVerifier({ cacheFile });
    await verifier.verify('m', file, sha);
    expect(verifier.hashedFiles).toBe(1);
  });

  it('a missing file is ERR_MODEL_NOT_FOUND naming the model', async () => {
    const error = await new ChecksumVerifier().verify('absent-model', join(dir, 'absent.gguf'), sha).catch((caught: unknown) => caught);
    expect((error as CoreError).code).toBe('ERR_MODEL_NOT_FOUND');
    expect((error as CoreError).details).toMatchObject({ model: 'absent-model', cause: 'file does not exist' });
  });
});
