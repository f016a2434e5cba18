import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
/* eslint-disable no-restricted-imports -- the test IdP is identity's testing seam, meant for other areas' tests, not an internal */
import { startTestIdp } from '../../identity/testing/testIdp.ts';
import type { TestIdp } from '../../identity/testing/testIdp.ts';
/* eslint-enable no-restricted-imports */
import { main } from '../main.ts';
import type { CliIo } from '../output.ts';

const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-admin-'));
const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
let idp: TestIdp;
beforeAll(async () => { idp = await startTestIdp({ users: [] }); });
afterAll(async () => {
  await idp.stop();
  rmSync(root, { recursive: true, force: true });
});

function cli(dataDir: string) {
  return async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
    const code = await main(['node', 'strongroom', ...args, '--data-dir', dataDir], io, env);
    return { code, out: stdout.join('\n'), err: stderr.join('\n') };
  };
}

describe('strongroom admin idp and map-group', () => {
  it('refuses idp set until a group is mapped to admin, says so for a repeated mapping, and idp clear returns to local mode', async () => {
    const run = cli(join(root, 'one'));
    expect((await run('init')).code).toBe(0);
    const set = ['admin', 'idp', 'set', '--issuer', idp.issuer, '--client-id', idp.clientId, '--algs', 'RS256'];

    const refused = await run(...set);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('ERR_CONFLICT');
    expect(refused.err).toContain('--role admin');
    expect((await run('admin', 'idp', 'show')).out).toContain('local mode');

    // Mappings are made before the IdP exists; mapping the same one again changes nothing.
    expect((await run('admin', 'map-group', 'strongroom-admins', '--account', 'Default', '--role', 'admin')).out).toBe('Group "strongroom-admins" → admin in Default. Members get it at their next sign-in.');
    const again = await run('admin', 'map-group', 'strongroom-admins', '--account', 'Default', '--role', 'admin', '--json');
    expect(JSON.parse(again.out)).toMatchObject({ ok: true, value: { group: 'strongroom-admins', role: 'admin', created: false } });
    expect((await run('admin', 'map-group', 'strongroom-admins', '--account', 'Default', '--role', 'admin')).out).toContain('already mapped');

    const configured = await run(...set);
    expect(configured.code).toBe(0);
    expect(configured.out).toContain('strongroom admin idp clear');
    expect((await run('admin', 'idp', 'show')).out).toContain(idp.issuer);

    const cleared = await run('admin', 'idp', 'clear');
    expect(cleared.code).toBe(0);
    expect(cleared.out).toContain(`Identity provider ${idp.issuer} removed`);
    expect((await run('admin', 'idp', 'show')).out).toContain('local mode');
    expect((await run('admin', 'idp', 'clear')).out).toContain('already runs in local mode');
  });

  it('refuses a plain-http issuer that is not on this machine', async () => {
    const run = cli(join(root, 'two'));
    expect((await run('init')).code).toBe(0);
    expect((await run('admin', 'map-group', 'strongroom-admins', '--account', 'Default', '--role', 'admin')).code).toBe(0);
    const refused = await run('admin', 'idp', 'set', '--issuer', 'http://login.bank.internal/realms/staff', '--client-id', 'strongroom');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('https');
  });
});

describe('strongroom admin sessions, beside a running serve', () => {
  const bin = new URL('../../../bin/strongroom.js', import.meta.url).pathname;
  const passphrase = 'serve local admin passphrase';

  async function startServe(dataDir: string): Promise<{ child: ChildProcess; origin: string; token: string }> {
    const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, STRONGROOM_ADMIN_PASSPHRASE: passphrase } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`serve exited early with ${code}: ${stderr}`)));
    });
    const ready = JSON.parse(line) as { url: string; token: string };
    return { child, origin: new URL(ready.url).origin, token: ready.token };
  }

  it('lists the sessions a running serve holds and ends one there: its next call is refused and its page hears why', async () => {
    const dataDir = join(root, 'sessions');
    const run = cli(dataDir);
    expect((await run('init')).code).toBe(0);
    const serve = await startServe(dataDir);
    const exited = new Promise((resolve) => serve.child.once('exit', resolve));
    try {
      const post = (method: string, body: unknown, cookie?: string) => fetch(`${serve.origin}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${serve.token}`, ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
      const signIn = async () => (await post('auth.signInLocal', { passphrase })).headers.get('set-cookie')!.split(';')[0]!;
      const ended = await signIn();
      const kept = await signIn();
      const handleOf = (cookie: string) => createHash('sha256').update(cookie.slice(cookie.indexOf('=') + 1)).digest('base64url');
      // The page of the session about to end, listening as the app does.
      const abort = new AbortController();
      const stream = await fetch(`${serve.origin}/api/events`, { headers: { authorization: `Bearer ${serve.token}`, cookie: ended }, signal: abort.signal });
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let heard = '';
      const hear = async (pattern: RegExp) => { while (!pattern.test(heard)) { const { value, done } = await reader.read(); if (done) break; heard += value; } return heard; };
      await hear(/: connected/);

      const listed = await run('admin', 'sessions', 'list', '--json');
      expect(listed.code).toBe(0);
      const sessions = (JSON.parse(listed.out) as { ok: true; value: Array<{ handle: string; displayName: string; kind: string; accountName: string; own: boolean }> }).value;
      expect(sessions.map((s) => s.handle).sort()).toEqual([handleOf(ended), handleOf(kept)].sort());
      expect(sessions[0]).toMatchObject({ displayName: 'Local administrator', kind: 'local', accountName: 'Default', own: false });
      expect(listed.out).not.toContain(ended.slice(ended.indexOf('=') + 1));
      expect((await run('admin', 'sessions', 'list')).out).toContain(handleOf(kept));

      const neither = await run('admin', 'sessions', 'end');
      expect(neither).toMatchObject({ code: 1 });
      expect(neither.err).toContain('ERR_INPUT_INVALID');
      const unknown = await run('admin', 'sessions', 'end', '--session', randomBytes(32).toString('base64url'), '--json');
      expect(unknown.code).toBe(1);
      expect(JSON.parse(unknown.out)).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });

      const end = await run('admin', 'sessions', 'end', '--session', handleOf(ended));
      expect(end.code).toBe(0);
      expect(end.out).toContain('1 session ended.');
      // serve held the session in memory: it ends there at its next look, and its page is told why.
      expect((await post('system.info', {}, ended)).status).toBe(401);
      expect(await hear(/event: auth\.sessionEnded\ndata: .*\n/)).toContain(JSON.stringify({ sessionHash: handleOf(ended), reason: 'ended-by-admin' }));
      abort.abort();
      expect(await (await post('auth.status', {}, ended)).json()).toMatchObject({ ok: true, value: { signedIn: false, sessionEnded: { reason: 'ended-by-admin' } } });
      expect((await post('system.info', {}, kept)).status).toBe(200);
    } finally {
      serve.child.kill('SIGTERM');
      await exited;
    }
  });
});
