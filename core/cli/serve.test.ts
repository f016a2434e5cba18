import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/strongroom.js', import.meta.url).pathname;
// Headless key source, so these tests never touch the OS keychain (the storage tests do that).
const baseEnv = { ...process.env, STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };

interface Started {
  child: ChildProcess;
  ready: { url: string; token: string };
  stdoutLines: string[];
  stderr: () => string;
}

async function startServe(env: NodeJS.ProcessEnv, dataDir = mkdtempSync(join(tmpdir(), 'strongroom-serve-'))): Promise<Started> {
  const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stdoutLines: string[] = [];
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => { stdoutLines.push(line); if (stdoutLines.length === 1) resolve(line); });
    child.once('exit', (code) => reject(new Error(`serve exited early with ${code}: ${stderr}`)));
  });
  return { child, ready: JSON.parse(first) as { url: string; token: string }, stdoutLines, stderr: () => stderr };
}

function call(origin: string, token: string, method: string, body: unknown, cookie?: string) {
  return fetch(`${origin}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exit;
}

describe('strongroom serve (as a process)', () => {
  it('prints exactly one JSON line, needs the token and a sign-in, and exits 0 on SIGTERM', async () => {
    const passphrase = 'correct horse battery staple';
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-serve-'));
    const { child, ready, stdoutLines, stderr } = await startServe({ ...baseEnv, STRONGROOM_ADMIN_PASSPHRASE: passphrase }, dataDir);
    expect(Object.keys(ready).sort()).toEqual(['token', 'url']);
    const url = new URL(ready.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.hash).toBe(`#token=${ready.token}`);
    expect(stderr()).not.toContain(passphrase);

    expect((await call(url.origin, 'wrong', 'auth.status', {})).status).toBe(401);
    const status = await (await call(url.origin, ready.token, 'auth.status', {})).json();
    expect(status).toMatchObject({ ok: true, value: { mode: 'local', signedIn: false } });
    const anonymous = await call(url.origin, ready.token, 'system.info', {});
    expect(anonymous.status).toBe(401);

    const wrong = await call(url.origin, ready.token, 'auth.signInLocal', { passphrase: 'not it at all' });
    expect(await wrong.json()).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_SIGNIN_FAILED' } });
    const signIn = await call(url.origin, ready.token, 'auth.signInLocal', { passphrase });
    expect(await signIn.json()).toMatchObject({ ok: true, value: { signedIn: true, user: { kind: 'local-admin' } } });
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^strongroom_session_${url.port}=`));
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;

    const info = await call(url.origin, ready.token, 'system.info', {}, cookie);
    expect(await info.json()).toMatchObject({ ok: true, value: { mode: 'serve', dataDir } });
    // The session cookie alone is not enough: the launch token still gates the API.
    expect((await call(url.origin, 'wrong', 'system.info', {}, cookie)).status).toBe(401);

    expect(await stop(child)).toBe(0);
    expect(stdoutLines).toHaveLength(1);
  });

  it('shows a generated first-run passphrase once on stderr, and it signs in', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-serve-'));
    const first = await startServe(baseEnv, dataDir);
    const passphrase = /passphrase is: (\S+)/.exec(first.stderr())?.[1];
    expect(passphrase).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){4}$/);
    expect(await stop(first.child)).toBe(0);

    const second = await startServe(baseEnv, dataDir);
    expect(second.stderr()).not.toContain('passphrase is');
    const origin = new URL(second.ready.url).origin;
    const signIn = await call(origin, second.ready.token, 'auth.signInLocal', { passphrase });
    expect(await signIn.json()).toMatchObject({ ok: true, value: { signedIn: true } });
    expect(await stop(second.child)).toBe(0);
  });

  it('refuses a non-loopback host with a clear message and exit code 1', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--host', '0.0.0.0', '--data-dir', mkdtempSync(join(tmpdir(), 'strongroom-serve-'))], { stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/loopback addresses only/);
  });

  it('refuses a second serve on the same data directory, naming the first one and its address, and starts again once it stopped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-serve-'));
    const first = await startServe(baseEnv, dataDir);
    const second = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv });
    let stdout = '';
    let stderr = '';
    second.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const origin = new URL(first.ready.url).origin;
    expect(stderr).toMatch(new RegExp(`Strongroom serve is already running on ${dataDir} \\(pid ${first.child.pid} on [^ ]+ at ${origin.replace(/[.]/g, '\\.')}/,`));
    // The launch token is never written to the lock or repeated in the refusal.
    expect(stderr).not.toContain(first.ready.token);
    // The first one was not disturbed.
    expect((await call(origin, first.ready.token, 'auth.status', {})).status).toBe(200);
    expect(await stop(first.child)).toBe(0);
    const again = await startServe(baseEnv, dataDir);
    expect(await stop(again.child)).toBe(0);
  });

  it('refuses a named data directory that does not exist (a volume that did not mount), creating nothing, and names init', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'strongroom-serve-'));
    const missing = join(parent, 'vault', 'strongroom');
    const child = spawn(process.execPath, [bin, 'serve', '--data-dir', missing], { stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`the data directory ${missing} does not exist`);
    expect(stderr).toContain(`strongroom init --data-dir ${missing}`);
    expect(existsSync(join(parent, 'vault'))).toBe(false);
  });
});
