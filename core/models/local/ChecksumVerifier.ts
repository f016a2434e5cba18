import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CoreError } from '../../base/index.ts';

interface CachedDigest {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface ChecksumVerifierOptions {
  /**
   * A JSON file remembering digests across restarts, keyed by path and valid while size and
   * mtime are unchanged. Without it the cache lives in memory only.
   */
  cacheFile?: string;
}

/**
 * Verifies model files against their manifest SHA-256 before the first load. Hashing a multi-GB
 * file takes seconds, so a digest is cached by (path, size, mtime): a file that was replaced or
 * modified in place gets a new mtime or size and is hashed again.
 */
export class ChecksumVerifier {
  private readonly cacheFile: string | undefined;
  private readonly digests = new Map<string, CachedDigest>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private loaded: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** How many files were actually hashed (the rest came from the cache); for tests and stats. */
  hashedFiles = 0;

  constructor(options: ChecksumVerifierOptions = {}) {
    this.cacheFile = options.cacheFile;
  }

  /**
   * Throws `ERR_MODEL_NOT_FOUND` when the file is missing and `ERR_MODEL_CHECKSUM_MISMATCH` when
   * its digest differs from `expectedSha256` (hex, case-insensitive).
   */
  async verify(modelId: string, path: string, expectedSha256: string): Promise<void> {
    const actual = await this.digest(modelId, path);
    if (actual !== expectedSha256.toLowerCase()) {
      throw new CoreError('ERR_MODEL_CHECKSUM_MISMATCH', `The file of model ${modelId} does not match its manifest checksum; replace the file or fix the manifest.`, {
        details: { model: modelId, cause: 'sha256 differs from the manifest', expected: expectedSha256.toLowerCase(), actual },
      });
    }
  }

  /** The file's SHA-256 (hex), from the cache when size and mtime are unchanged. */
  async digest(modelId: string, path: string): Promise<string> {
    await this.loadCache();
    const info = await statModelFile(modelId, path);
    const cached = this.digests.get(path);
    if (cached !== undefined && cached.size === info.size && cached.mtimeMs === info.mtimeMs) return cached.sha256;
    return this.hash(path, info);
  }

  /**
   * The file's SHA-256 hashed now, whatever the cache holds, and the cache refreshed with it: a
   * file changed without a new size or mtime is caught here, and then also at its next load.
   */
  async recompute(modelId: string, path: string): Promise<string> {
    await this.loadCache();
    return this.hash(path, await statModelFile(modelId, path));
  }

  /** Hashes once per (path, size, mtime) at a time; concurrent callers share the result. */
  private hash(path: string, info: { size: number; mtimeMs: number }): Promise<string> {
    const key = `${path}\0${info.size}\0${info.mtimeMs}`;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const sha256 = await hashFile(path);
        this.hashedFiles++;
        this.digests.set(path, { size: info.size, mtimeMs: info.mtimeMs, sha256 });
        await this.saveCache();
        return sha256;
      })().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async loadCache(): Promise<void> {
    const cacheFile = this.cacheFile;
    if (cacheFile === undefined) return;
    this.loaded ??= (async () => {
      try {
        const parsed: unknown = JSON.parse(await readFile(cacheFile, 'utf8'));
        if (typeof parsed !== 'object' || parsed === null) return;
        for (const [path, entry] of Object.entries(parsed)) {
          if (isCachedDigest(entry)) this.digests.set(path, entry);
        }
      } catch {
        // A missing or corrupt cache only costs a re-hash.
      }
    })();
    await this.loaded;
  }

  /** Writes one at a time (they share a temporary file); a cache that cannot be written only costs a re-hash later. */
  private saveCache(): Promise<void> {
    const cacheFile = this.cacheFile;
    if (cacheFile === undefined) return Promise.resolve();
    this.saving = this.saving.then(async () => {
      await mkdir(dirname(cacheFile), { recursive: true });
      const temporary = `${cacheFile}.tmp-${process.pid}`;
      // Owner-only, like the database beside it: the cache decides which files are re-hashed.
      await writeFile(temporary, JSON.stringify(Object.fromEntries(this.digests), null, 1), { mode: 0o600 });
      await rename(temporary, cacheFile);
    }).catch(() => undefined);
    return this.saving;
  }
}

function isCachedDigest(value: unknown): value is CachedDigest {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.size === 'number' && typeof entry.mtimeMs === 'number' && typeof entry.sha256 === 'string';
}

/** `stat` that turns a missing or unreadable file into `ERR_MODEL_NOT_FOUND` naming the model. */
export async function statModelFile(modelId: string, path: string): Promise<{ size: number; mtimeMs: number }> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    return { size: info.size, mtimeMs: info.mtimeMs };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new CoreError('ERR_MODEL_NOT_FOUND', `The file of model ${modelId} is missing or unreadable; check the manifest path.`, {
      details: { model: modelId, cause: code === 'ENOENT' ? 'file does not exist' : `file cannot be read (${code})`, path },
      cause: error,
    });
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
