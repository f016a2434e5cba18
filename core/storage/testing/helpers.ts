import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySecretStore } from '../../secrets/index.ts';
import type { SecretStore } from '../../secrets/index.ts';
import { openStorage } from '../storage.ts';
import type { Storage, StorageOptions } from '../storage.ts';
import { notesTable, testMigrations } from './notes.ts';

/** A fresh directory under the OS temp dir; remove it with the returned cleanup. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `strongroom-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Storage with the notes test table, an in-memory secret store unless one is given. */
export function openTestStorage(dataDir: string, options: Partial<StorageOptions> & { secrets?: SecretStore } = {}): Promise<Storage> {
  return openStorage({ dataDir, secrets: options.secrets ?? new MemorySecretStore(), migrations: testMigrations, sealedTables: [notesTable], ...options });
}

/** Every byte Strongroom keeps on disk for a database: the file, its WAL and its shared memory. */
export function databaseBytes(file: string): Buffer {
  const parts: Buffer[] = [];
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      parts.push(readFileSync(`${file}${suffix}`));
    } catch {
      // The WAL and SHM exist only while a connection is open or after a crash.
    }
  }
  return Buffer.concat(parts);
}
