import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
