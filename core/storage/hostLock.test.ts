import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDataDirectory, hostLockFileName } from './hostLock.ts';
import { tempDir } from './testing/helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function dir(): string {
  const made = tempDir('host-lock');
  cleanups.push(made.cleanup);
  return made.path;
}

/** A real, live process other than this one (a lock holder that is still running). */
function liveProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child.pid!;
}

/** The pid of a process that has exited (a holder that crashed). */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

function holdAs(dataDir: string, holder: Record<string, unknown>): void {
  writeFileSync(join(dataDir, hostLockFileName), JSON.stringify({ host: hostname(), kind: 'serve', startedAt: '2026-11-22T05:00:00.000Z', ...holder }));
}

describe('one host per data directory', () => {
  it('records this process, its address without the launch token, and removes the lock on release', () => {
    const dataDir = dir();
    const lock = claimDataDirectory(dataDir, 'serve');
    const file = join(dataDir, hostLockFileName);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), kind: 'serve' });
    lock.setUrl('http://127.0.0.1:4000/#token=secret-launch-token');
    const written = readFileSync(file, 'utf8');
    expect(JSON.parse(written)).toMatchObject({ url: 'http://127.0.0.1:4000/' });
    expect(written).not.toContain('secret-launch-token');
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('refuses while another live process holds it, naming its pid, kind and address', () => {
    const dataDir = dir();
    const pid = liveProcess();
    holdAs(dataDir, { pid, kind: 'desktop', url: 'http://127.0.0.1:4100/' });
    expect(() => claimDataDirectory(dataDir, 'serve')).toThrow(expect.objectContaining({ code: 'ERR_CONFLICT', message: expect.stringContaining(`Strongroom desktop is already running on ${dataDir} (pid ${pid} at http://127.0.0.1:4100/`) as string }));
    // The holder's lock is untouched.
    expect(JSON.parse(readFileSync(join(dataDir, hostLockFileName), 'utf8'))).toMatchObject({ pid });
  });

  it('takes over a lock whose process is gone (a crash or kill -9), and an unreadable one', () => {
    const dataDir = dir();
    holdAs(dataDir, { pid: deadPid() });
    const lock = claimDataDirectory(dataDir, 'serve');
    expect(JSON.parse(readFileSync(lock.file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    writeFileSync(join(dataDir, hostLockFileName), 'not json');
    claimDataDirectory(dataDir, 'desktop').release();
  });

  it('refuses a lock held on another machine (a shared volume), saying which file to remove once it is safe', () => {
    const dataDir = dir();
    holdAs(dataDir, { pid: process.pid, host: 'another-host.example' });
    expect(() => claimDataDirectory(dataDir, 'serve')).toThrow(expect.objectContaining({ code: 'ERR_CONFLICT', message: expect.stringMatching(/in use by Strongroom serve on another-host\.example .* remove .*host\.lock/) as string }));
  });
});
