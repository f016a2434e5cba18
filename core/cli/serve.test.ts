import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/strongroom.js', import.meta.url).pathname;
// Headless key source, so these tests never touch the OS keychain (the storage tests do that).
const env = { ...process.env, STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };

describe('strongroom serve (as a process)', () => {
  it('prints exactly one JSON line, serves the API behind the token, and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-serve-'));
    const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const stdoutLines: string[] = [];
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => { stdoutLines.push(line); if (stdoutLines.length === 1) resolve(line); });
      child.once('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
    });
    const ready = JSON.parse(first) as { url: string; token: string };
    expect(Object.keys(ready).sort()).toEqual(['token', 'url']);
    const url = new URL(ready.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.hash).toBe(`#token=${ready.token}`);

    const denied = await fetch(`${url.origin}/api/system.info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(denied.status).toBe(401);
    const info = await fetch(`${url.origin}/api/system.info`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ready.token}` }, body: '{}' });
    expect(await info.json()).toMatchObject({ ok: true, value: { mode: 'serve', dataDir } });

    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stdoutLines).toHaveLength(1);
  });

  it('refuses a non-loopback host with a clear message and exit code 1', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--host', '0.0.0.0', '--data-dir', mkdtempSync(join(tmpdir(), 'strongroom-serve-'))], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/loopback addresses only/);
  });
});
