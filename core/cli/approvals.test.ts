import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';
import type { CliIo } from './output.ts';

const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-approvals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dataDir = join(root, 'data');
const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = { out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
  const code = await main(['node', 'strongroom', ...args, '--data-dir', dataDir], io, env);
  return { code, out: stdout.join('\n'), err: stderr.join('\n') };
}

describe('strongroom admin approvals', () => {
  it('shows the account\u2019s four-eyes rule, turns it on and off as the operator, and names an unknown account', async () => {
    expect((await run('init')).code).toBe(0);
    expect((await run('admin', 'accounts', 'create', 'Credit Risk')).code).toBe(0);
    expect((await run('admin', 'approvals', '--account', 'Credit Risk')).out).toBe("Four-eyes is off in Credit Risk: each workflow's own approval rules apply.");
    const on = await run('admin', 'approvals', '--account', 'Credit Risk', '--four-eyes', 'on', '--json');
    expect(on.code).toBe(0);
    expect(JSON.parse(on.out)).toMatchObject({ ok: true, value: { fourEyes: true, updatedBy: 'local-operator' } });
    expect((await run('admin', 'approvals', '--account', 'Credit Risk')).out).toContain('Four-eyes is on in Credit Risk');
    expect((await run('admin', 'approvals', '--account', 'Credit Risk', '--four-eyes', 'off')).out).toContain('Four-eyes is off');
    const unknown = await run('admin', 'approvals', '--account', 'Nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no account named "Nobody"');
    const bad = await run('admin', 'approvals', '--account', 'Credit Risk', '--four-eyes', 'maybe');
    expect(bad.code).not.toBe(0);
  });
});
