import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CoreError } from '../base/index.ts';

/**
 * One long-running host per data directory. `strongroom serve` and the desktop app each resume
 * interrupted runs, load models and keep timers; two of them on one database would double the
 * model memory and race for the same runs (only the run leases keep them apart). Short CLI
 * commands (`runs list`, `backup`, …) do not take the lock: SQLite lets them work beside a host.
 *
 * The lock is a file created exclusively (O_EXCL), holding the holder's pid, host name and, once
 * known, its address. A lock whose process is gone (a crash, kill -9) is taken over; one held on
 * another machine (a shared volume) cannot be checked from here, so it is refused with the file's
 * path to remove once the operator is sure.
 */
export const hostLockFileName = 'host.lock';

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function write(file: string, holder: HostLockHolder, exclusive: boolean): void {
  if (!exclusive) {
    const staged = `${file}.${process.pid}`;
    const fd = openSync(staged, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(holder));
    } finally {
      closeSync(fd);
    }
    renameSync(staged, file);
    return;
  }
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
}

/**
 * Claims `dataDir` for this process as `kind` ('serve' or 'desktop'). Throws ERR_CONFLICT naming
 * the running holder (its pid, kind and address) when another live host has it.
 */
export function claimDataDirectory(dataDir: string, kind: 'serve' | 'desktop', now: () => number = Date.now): HostLock {
  const file = join(dataDir, hostLockFileName);
  const holder: HostLockHolder = { pid: process.pid, host: hostname(), kind, startedAt: new Date(now()).toISOString() };
  for (let attempt = 0; ; attempt += 1) {
    try {
      write(file, holder, true);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CoreError('ERR_CONFLICT', `Another Strongroom took ${dataDir} at the same moment; try again.`);
        throw error;
      }
      const current = readHolder(file);
      if (current !== undefined && current.host !== holder.host) {
        throw new CoreError('ERR_CONFLICT', `${dataDir} is in use by Strongroom ${current.kind} on ${current.host} (pid ${current.pid}, since ${current.startedAt}). Stop it there first; if that machine is gone, remove ${file}.`, { details: { holder: current } });
      }
      if (current !== undefined && current.pid !== process.pid && alive(current.pid)) {
        const where = current.url === undefined ? '' : ` at ${current.url.replace(/#.*$/, '')}`;
        throw new CoreError('ERR_CONFLICT', `Strongroom ${current.kind} is already running on ${dataDir} (pid ${current.pid}${where}, since ${current.startedAt}). Use that one, or stop it before starting another.`, { details: { holder: { ...current, url: current.url?.replace(/#.*$/, '') } } });
      }
      // Its holder is gone (crash, kill -9) or the file is unreadable: take it over.
      rmSync(file, { force: true });
    }
  }
  let released = false;
  return {
    file,
    setUrl(url) {
      if (released) return;
      // Never the launch token (after '#'): the file is readable by the data directory's owner only, but still.
      write(file, { ...holder, url: url.replace(/#.*$/, '') }, false);
    },
    release() {
      if (released) return;
      released = true;
      if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
    },
  };
}
