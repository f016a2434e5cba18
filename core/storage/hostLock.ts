import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { CoreError } from '../base/index.ts';

/**
 * One long-running host per data directory. `strongroom serve` and the desktop app each resume
 * interrupted runs, load models and keep timers; two of them on one database would double the
 * model memory and race for the same runs (only the run leases keep them apart). Short CLI
 * commands (`runs list`, `backup`, …) do not take the lock: SQLite lets them work beside a host.
 *
 * The lock is SQLite's own: `host.lock` is a tiny SQLite file that the holder keeps in an
 * EXCLUSIVE transaction for as long as it runs. The operating system drops that file lock when
 * the process ends however it ends (a crash, kill -9, a power cut), so there is no stale lock to
 * judge, no pid to check (pids are reused, across reboots too) and no window where two starters
 * both think they won: taking the lock is one atomic step. Beside it, `host.json` says who holds
 * it (pid, host, kind, address without the launch token) for the refusal a second start shows.
 * On a network file system the lock is only as good as that file system's locking.
 */
export const hostLockFileName = 'host.lock';
export const hostHolderFileName = 'host.json';

const holderSchema = z.object({ pid: z.number().int().positive(), host: z.string().max(255), kind: z.string().max(20), startedAt: z.string().max(40), url: z.string().max(500).optional() });
export type HostLockHolder = z.infer<typeof holderSchema>;

export interface HostLock {
  readonly file: string;
  /** Records the address the host serves at, for the message a second start shows. */
  setUrl(url: string): void;
  release(): void;
}

function readHolder(file: string): HostLockHolder | undefined {
  try {
    const parsed = holderSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function writeHolder(file: string, holder: HostLockHolder): void {
  const staged = `${file}.${process.pid}`;
  writeFileSync(staged, JSON.stringify(holder), { mode: 0o600 });
  renameSync(staged, file);
}

const withoutToken = (url: string): string => url.replace(/#.*$/, '');

/**
 * The lock connections this process holds. A connection nothing refers to would be closed by the
 * garbage collector — and with it the lock — so they are kept here until released.
 */
const held = new Set<Database.Database>();

/**
 * Claims `dataDir` for this process as `kind` ('serve' or 'desktop'). Throws ERR_CONFLICT naming
 * the running holder (its pid, kind and address, as far as `host.json` says) when another process
 * holds it.
 */
export function claimDataDirectory(dataDir: string, kind: 'serve' | 'desktop', now: () => number = Date.now): HostLock {
  const file = join(dataDir, hostLockFileName);
  const about = join(dataDir, hostHolderFileName);
  const created = !existsSync(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 0 });
    if (created) chmodSync(file, 0o600);
    // Once taken, an EXCLUSIVE-mode lock is kept until the connection closes.
    db.pragma('locking_mode = EXCLUSIVE');
    // A write inside the transaction makes SQLite take (and, in EXCLUSIVE mode, keep) the file's
    // exclusive lock even when the file is new and empty. Never committed: closing rolls it back.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (since INTEGER)');
  } catch (error) {
    db?.close();
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      const holder = readHolder(about);
      const who = holder === undefined ? 'Another Strongroom' : `Strongroom ${holder.kind}`;
      const where = holder === undefined ? '' : ` (pid ${holder.pid} on ${holder.host}${holder.url === undefined ? '' : ` at ${withoutToken(holder.url)}`}, since ${holder.startedAt})`;
      throw new CoreError('ERR_CONFLICT', `${who} is already running on ${dataDir}${where}. Use that one, or stop it before starting another.`, {
        details: { holder: holder === undefined ? null : { ...holder, ...(holder.url === undefined ? {} : { url: withoutToken(holder.url) }) } },
      });
    }
    throw new CoreError('ERR_STORAGE_UNAVAILABLE', `The lock file ${file} cannot be used: ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
  }
  const connection = db;
  held.add(connection);
  const holder: HostLockHolder = { pid: process.pid, host: hostname(), kind, startedAt: new Date(now()).toISOString() };
  writeHolder(about, holder);
  let released = false;
  return {
    file,
    setUrl(url) {
      if (!released) writeHolder(about, { ...holder, url: withoutToken(url) });
    },
    release() {
      if (released) return;
      released = true;
      // host.json first: once the lock goes, the next holder writes its own.
      if (readHolder(about)?.pid === process.pid) rmSync(about, { force: true });
      held.delete(connection);
      connection.close();
    },
  };
}
