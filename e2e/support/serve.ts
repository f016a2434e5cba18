import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ServeHandle {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  stop(): Promise<number | null>;
}

/**
 * Starts `strongroom serve` exactly as a user would (`bin/strongroom.js`) on a fresh data
 * directory, and waits for its one JSON line.
 */
export async function startServe(extraEnv: Record<string, string> = {}): Promise<ServeHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['bin/strongroom.js', 'serve', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // A headless key source: the e2e journeys never touch the OS keychain (storage tests do).
    env: { ...process.env, STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64'), ...extraEnv },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`strongroom serve exited with ${code} before it was ready`)));
  });
  const { url, token } = JSON.parse(line) as { url: string; token: string };
  return {
    url,
    token,
    dataDir,
    origin: new URL(url).origin,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
