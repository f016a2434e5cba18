import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isCoreError } from '../base/index.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { backupDatabase, restoreDatabase } from './backup.ts';
import { openReadOnly } from './database.ts';
import { databaseFileName } from './storage.ts';
import { markerFileName } from './marker.ts';
import { openTestStorage, tempDir } from './testing/helpers.ts';
import { testMigrations } from './testing/notes.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dir(): string {
  const made = tempDir('backup');
  cleanups.push(made.cleanup);
  return made.path;
}

/** Every entry under a directory with its size and SHA-256: what "nothing changed" is compared by. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string, name: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      out[`${name}/`] = `mode ${stat.mode.toString(8)}`;
      for (const entry of readdirSync(path)) walk(join(path, entry), `${name}/${entry}`);
    } else {
      out[name] = `${stat.size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    }
  };
  walk(root, '.');
  return out;
}

/** An installation (closed) with a real backup of it, sharing one secret store. */
async function installationWithBackup(): Promise<{ root: string; dataDir: string; backup: string; secrets: MemorySecretStore }> {
  const root = dir();
  const dataDir = join(root, 'data');
  const secrets = new MemorySecretStore();
  const storage = await openTestStorage(dataDir, { secrets });
  const backup = join(root, 'backup.sqlite');
  try {
    await backupDatabase(storage.db, backup, { now: () => 1_700_000_000_000 });
  } finally {
    await storage.dispose();
  }
  return { root, dataDir, backup, secrets };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (!isCoreError(error)) throw new Error(`expected a CoreError, got: ${String(error)}`, { cause: error });
    return { code: error.code, message: error.message, details: error.details };
  }
  throw new Error('expected the restore to be refused');
}

describe('restoreDatabase refuses anything that is not a Strongroom backup', () => {
  it('refuses, with a typed error naming the file and the cause, and changes nothing in the data directory', async () => {
    const { root, dataDir, backup, secrets } = await installationWithBackup();
    const files: Record<string, string> = {};
    // A plain SQLite database with one table t: it used to replace the installation with a new, empty one.
    files.other = join(root, 'other.db');
    const other = new Database(files.other);
    other.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    other.close();
    files.garbage = join(root, 'garbage.db');
    writeFileSync(files.garbage, randomBytes(8192));
    files.empty = join(root, 'empty.db');
    writeFileSync(files.empty, '');
    files.directory = join(root, 'a-directory');
    mkdirSync(files.directory);
    // A real backup with a page of audit_log overwritten.
    files.corrupt = join(root, 'corrupt.db');
    copyFileSync(backup, files.corrupt);
    const { db } = openReadOnly(files.corrupt);
    const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'audit_log'").get() as { rootpage: number };
    db.close();
    const fd = openSync(files.corrupt, 'r+');
    writeSync(fd, randomBytes(4096), 0, 4096, (rootpage - 1) * 4096);
    closeSync(fd);
    // The installation's own database file: a Strongroom database, but not made by `strongroom backup`.
    files.live = join(root, 'live-copy.db');
    copyFileSync(join(dataDir, databaseFileName), files.live);
    // A backup whose meta table lost its installation id.
    files.anonymous = join(root, 'anonymous.db');
    copyFileSync(backup, files.anonymous);
    const anonymous = new Database(files.anonymous);
    anonymous.exec("DELETE FROM meta WHERE key = 'installation_id'");
    anonymous.close();

    const expected: Record<string, { code: string; reason: RegExp }> = {
      other: { code: 'ERR_INPUT_INVALID', reason: /no schema_migrations or meta table/ },
      garbage: { code: 'ERR_INPUT_INVALID', reason: /not a SQLite database/ },
      empty: { code: 'ERR_INPUT_INVALID', reason: /not a SQLite database/ },
      directory: { code: 'ERR_INPUT_INVALID', reason: /is a directory/ },
      corrupt: { code: 'ERR_STORAGE_TAMPERED', reason: /damaged \(integrity_check: .+\)/ },
      live: { code: 'ERR_INPUT_INVALID', reason: /meta table has no backup_id/ },
      anonymous: { code: 'ERR_INPUT_INVALID', reason: /meta table has no installation_id/ },
    };
    const before = snapshot(dataDir);
    for (const [name, from] of Object.entries(files)) {
      const error = await refusal(restoreDatabase({ dataDir, from, secrets, force: true, now: () => Date.now(), migrations: testMigrations, beforeSwap: () => Promise.reject(new Error(`${name} reached the swap`)) }));
      expect({ name, code: error.code }).toEqual({ name, code: expected[name]!.code });
      expect(error.message).toContain(from);
      expect(error.message).toMatch(expected[name]!.reason);
      expect(error.details).toMatchObject({ file: from });
      expect(snapshot(dataDir)).toEqual(before);
    }
    // Refused into a data directory that does not exist yet: it is not created.
    const fresh = join(root, 'fresh');
    await refusal(restoreDatabase({ dataDir: fresh, from: files.other, secrets, force: false, now: () => Date.now(), migrations: testMigrations }));
    expect(existsSync(fresh)).toBe(false);
  });

  it('still restores a real backup, and one whose WAL-mode source is read without -wal/-shm beside it', async () => {
    const { root, dataDir, backup, secrets } = await installationWithBackup();
    // A backup file switched to WAL mode (e.g. opened by some tool) is still a backup.
    const wal = join(root, 'wal-backup.sqlite');
    copyFileSync(backup, wal);
    const db = new Database(wal);
    db.pragma('journal_mode = WAL');
    db.close();
    const report = await restoreDatabase({ dataDir, from: wal, secrets, force: true, now: () => Date.now(), migrations: testMigrations });
    expect(report).toMatchObject({ backupId: expect.any(String) as string, takenAt: 1_700_000_000_000 });
    expect(existsSync(`${wal}-wal`) || existsSync(`${wal}-shm`)).toBe(false);
    expect(readdirSync(dataDir).sort()).toEqual([markerFileName, databaseFileName, expect.stringMatching(/^strongroom\.db\.before-restore-/)]);
  });

  it('replaces a damaged database with --force (kept beside it), and refuses one that is in use', async () => {
    const { dataDir, backup, secrets } = await installationWithBackup();
    const target = join(dataDir, databaseFileName);
    const restore = () => restoreDatabase({ dataDir, from: backup, secrets, force: true, now: () => Date.now(), migrations: testMigrations });
    // In use: another connection holds it open with a write lock.
    const holder = new Database(target);
    holder.exec('BEGIN IMMEDIATE');
    expect(await refusal(restore())).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE', message: expect.stringContaining('is in use by a running Strongroom') as string });
    holder.exec('ROLLBACK');
    holder.close();
    // Damaged: overwritten with random bytes (what doctor sends to "restore the latest backup").
    const damaged = randomBytes(64 * 1024);
    writeFileSync(target, damaged);
    const report = await restore();
    expect(report.previous).toMatch(/strongroom\.db\.before-restore-/);
    expect(readFileSync(report.previous!)).toEqual(damaged);
    const restored = openReadOnly(target);
    expect(restored.db.pragma('integrity_check', { simple: true })).toBe('ok');
    restored.db.close();
  });

  it('restores where the database went missing, setting aside what it left behind rather than rolling it into the restored copy', async () => {
    const { dataDir, backup, secrets } = await installationWithBackup();
    const target = join(dataDir, databaseFileName);
    rmSync(target);
    // What a lost database leaves: a WAL and a hot journal that SQLite would apply to a new file there.
    writeFileSync(`${target}-wal`, 'frames of the missing database');
    writeFileSync(`${target}-journal`, 'a hot journal of the missing database');
    const report = await restoreDatabase({ dataDir, from: backup, secrets, force: false, now: () => Date.now(), migrations: testMigrations });
    expect(report.previous).toBeNull();
    const names = readdirSync(dataDir);
    expect(names.filter((name) => /^strongroom\.db-(wal|journal)\.abandoned-/.test(name))).toHaveLength(2);
    expect(names).not.toContain(`${databaseFileName}-journal`);
    expect(names).not.toContain(`${databaseFileName}-wal`);
    const restored = openReadOnly(target);
    expect(restored.db.pragma('integrity_check', { simple: true })).toBe('ok');
    restored.db.close();
  });
});
