import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDataDirectory, hostHolderFileName, hostLockFileName } from './hostLock.ts';
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

const module = new URL('./hostLock.ts', import.meta.url).pathname;

/** Another process that tries to claim `dataDir` and says `held` or `refused <message>`, then waits. */
function claimer(dataDir: string, kind: 'serve' | 'desktop'): { child: ChildProcess; said: Promise<string> } {
  const script = `
    const { claimDataDirectory } = await import(${JSON.stringify(module)});
    try {
      const lock = claimDataDirectory(${JSON.stringify(dataDir)}, ${JSON.stringify(kind)});
      lock.setUrl('http://127.0.0.1:4100/#token=secret-launch-token');
      console.log('held');
    } catch (error) {
      console.log('refused ' + error.code + ' ' + error.message);
    }
    setTimeout(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  const said = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`claimer exited with ${code}`)));
  });
  return { child, said };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

describe('one host per data directory', () => {
  it('records this process and its address without the launch token, and frees the directory on release', () => {
    const dataDir = dir();
    const lock = claimDataDirectory(dataDir, 'serve');
    const about = join(dataDir, hostHolderFileName);
    expect(JSON.parse(readFileSync(about, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), kind: 'serve' });
    lock.setUrl('http://127.0.0.1:4000/#token=secret-launch-token');
    const written = readFileSync(about, 'utf8');
    expect(JSON.parse(written)).toMatchObject({ url: 'http://127.0.0.1:4000/' });
    expect(written).not.toContain('secret-launch-token');
    lock.release();
    expect(existsSync(about)).toBe(false);
    claimDataDirectory(dataDir, 'desktop').release();
  });

  it('refuses while another process holds it, naming its pid, kind and address', async () => {
    const dataDir = dir();
    const holder = claimer(dataDir, 'desktop');
    expect(await holder.said).toBe('held');
    expect(() => claimDataDirectory(dataDir, 'serve')).toThrow(expect.objectContaining({
      code: 'ERR_CONFLICT',
      message: expect.stringContaining(`Strongroom desktop is already running on ${dataDir} (pid ${holder.child.pid} on ${hostname()} at http://127.0.0.1:4100/,`) as string,
    }));
    // The holder's record is untouched.
    expect(JSON.parse(readFileSync(join(dataDir, hostHolderFileName), 'utf8'))).toMatchObject({ pid: holder.child.pid });
  });

  it('is free again the moment its holder dies, however it dies (kill -9): no stale lock to judge', async () => {
    const dataDir = dir();
    const holder = claimer(dataDir, 'serve');
    expect(await holder.said).toBe('held');
    holder.child.kill('SIGKILL');
    await exited(holder.child);
    expect(existsSync(join(dataDir, hostLockFileName))).toBe(true);
    const lock = claimDataDirectory(dataDir, 'serve');
    expect(JSON.parse(readFileSync(join(dataDir, hostHolderFileName), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('lets exactly one of several processes starting at once have it', async () => {
    const dataDir = dir();
    const starters = Array.from({ length: 4 }, () => claimer(dataDir, 'serve'));
    const said = await Promise.all(starters.map((starter) => starter.said));
    expect(said.filter((line) => line === 'held')).toHaveLength(1);
    expect(said.filter((line) => line.startsWith('refused ERR_CONFLICT '))).toHaveLength(3);
  });
});
