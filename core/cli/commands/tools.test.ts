import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.ts';
import type { CliIo } from '../output.ts';
import { toolsMcpAddCommand } from './tools.ts';

// `strongroom tools …` end to end in-process on a real data dir (STRONGROOM_MASTER_KEY: the
// headless, read-only secret backend) with the stdio MCP test server.

const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-tools-'));
const dataDir = join(root, 'data');
const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
const server = join(import.meta.dirname, '..', '..', 'workflows', 'tools', 'testing', 'stdioTestServer.ts');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function capture(): { io: CliIo; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { io: { out: (t) => stdout.push(t), err: (t) => stderr.push(t) }, stdout, stderr };
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; value: unknown }> {
  const { io, stdout, stderr } = capture();
  const code = await main(['node', 'strongroom', ...args, '--data-dir', dataDir], io, env);
  const text = stdout.join('');
  const parsed = args.includes('--json') && text !== '' ? (JSON.parse(text) as { value?: unknown; error?: unknown }) : undefined;
  return { code, stdout: text, stderr: stderr.join(''), value: parsed?.value ?? parsed?.error };
}

beforeAll(async () => {
  const init = await run('init', '--json');
  expect(init.code, init.stderr).toBe(0);
});

const names = (value: unknown): string[] => (value as { name: string }[]).map((tool) => tool.name).sort();

describe('strongroom tools list | mcp add|list|remove | allow', () => {
  it('adds a stdio server whose tools no account sees until allowed', async () => {
    const added = await run('tools', 'mcp', 'add', 'sanctions', '--command', process.execPath, '--arg', server, '--json');
    expect(added.code, added.stderr).toBe(0);
    expect(added.value).toMatchObject({ name: 'sanctions', transport: 'stdio', command: process.execPath, args: [server], hasToken: false });
    expect(names((await run('tools', 'list', '--account', 'Default', '--json')).value)).toEqual(['calculator', 'customer_lookup', 'date_math']);
    const listed = await run('tools', 'mcp', 'list');
    expect(listed.stdout).toContain(`sanctions  stdio  ${process.execPath} ${server}`);
  });

  it('allow adds entries to the account, after which tools list shows the server tools', async () => {
    const allowed = await run('tools', 'allow', '--account', 'Default', 'sanctions.*', '--json');
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.value).toMatchObject({ entries: ['sanctions.*'] });
    expect((await run('tools', 'allow', '--account', 'Default', 'calculator', '--json')).value).toMatchObject({ entries: ['calculator', 'sanctions.*'] });
    const list = await run('tools', 'list', '--account', 'Default', '--json');
    expect(names(list.value)).toContain('sanctions.sanctions_screen');
    const text = await run('tools', 'list', '--account', 'Default');
    expect(text.stdout).toMatch(/^sanctions\.transfer {2}sanctions {2}side effects/m);
  });

  it('refuses unclear or unusable input with a typed error and exit code 1', async () => {
    const both = await run('tools', 'mcp', 'add', 'both', '--command', 'x', '--url', 'https://mcp.example/mcp');
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/error ERR_INPUT_INVALID: Give either --command/);
    expect((await run('tools', 'allow', '--account', 'Default', 'nowhere.*')).stderr).toMatch(/ERR_INPUT_INVALID/);
    expect((await run('tools', 'allow', '--account', 'Nobody', 'calculator')).stderr).toMatch(/ERR_NOT_FOUND/);
    // The environment secret backend is read-only: a token cannot be kept, so nothing is added.
    const { io, stderr } = capture();
    expect(await toolsMcpAddCommand(io, { dataDir, json: false, env, name: 'bankmcp', arg: [], inheritEnv: [], url: 'https://mcp.bank.example/mcp', token: 'tok-never-stored' })).toBe(1);
    expect(stderr.join('')).toMatch(/ERR_SECRETS_UNAVAILABLE/);
    expect(stderr.join('')).not.toContain('tok-never-stored');
    expect(names((await run('tools', 'mcp', 'list', '--json')).value)).toEqual(['sanctions']);
  });

  it('mcp remove drops the server and its allow-list entries; allow --replace clears the rest', async () => {
    expect((await run('tools', 'mcp', 'remove', 'sanctions')).code).toBe(0);
    expect(names((await run('tools', 'list', '--account', 'Default', '--json')).value)).toEqual(['calculator', 'customer_lookup', 'date_math']);
    expect((await run('tools', 'allow', '--account', 'Default', '--replace', '--json')).value).toEqual({ accountId: expect.any(String) as string, entries: [] });
    expect((await run('tools', 'mcp', 'list')).stdout).toBe('No MCP servers are configured.');
  });
});
