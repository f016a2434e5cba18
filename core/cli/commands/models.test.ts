import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTestModel } from '../../models/index.ts';
import { main } from '../main.ts';
import type { CliIo } from '../output.ts';

// The CLI end to end in-process: a real data dir opened with STRONGROOM_MASTER_KEY (the headless,
// read-only secret backend), the real registry and real node-llama-cpp on the demo model.

const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-models-'));
const dataDir = join(root, 'data');
const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; writes: string[]; json: { ok: boolean; value?: unknown; error?: { code: string; message: string; details?: Record<string, unknown> } } }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writes: string[] = [];
  const io: CliIo = { out: (t) => stdout.push(t.endsWith('\n') ? t : `${t}\n`), err: (t) => stderr.push(t), write: (t) => { writes.push(t); stdout.push(t); } };
  const code = await main(['node', 'strongroom', ...args, '--data-dir', dataDir], io, env);
  const text = stdout.join('');
  return { code, stdout: text, stderr: stderr.join(''), writes, json: args.includes('--json') ? (JSON.parse(text) as { ok: boolean }) : { ok: code === 0 } };
}

describe('strongroom demo / models list|add|test', () => {
  it('demo writes and registers the test model for every account, and is idempotent', async () => {
    const first = await run('demo');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Wrote a generated test model/);
    expect(first.stdout).toMatch(/meaningless/);
    expect(existsSync(join(dataDir, 'models', 'strongroom-test-model.gguf'))).toBe(true);
    const again = await run('demo', '--json');
    expect(again.json).toEqual({ ok: true, value: { modelId: 'strongroom-test', path: join(dataDir, 'models', 'strongroom-test-model.gguf'), wroteFile: false, registered: false } });
  }, 60_000);

  it('list shows it labelled as a test model, in text and JSON', async () => {
    const text = await run('models', 'list');
    expect(text.stdout).toMatch(/strongroom-test {2}local {2}added .*TEST MODEL — text is meaningless/);
    const json = await run('models', 'list', '--json');
    expect(json.json.value).toEqual([expect.objectContaining({ id: 'strongroom-test', testModel: true, allAccounts: true, classifications: ['public', 'internal', 'confidential', 'restricted'] })]);
  });

  it('test checks health and generates through node-llama-cpp', async () => {
    const result = await run('models', 'test', 'strongroom-test', '--max-tokens', '4', '--json');
    expect(result.code).toBe(0);
    expect(result.json.value).toMatchObject({ health: { status: 'ok' }, model: 'strongroom-test', testModel: true, usage: { outputTokens: expect.any(Number) as number } });
    // Text mode streams the reply as it is generated, then prints the figures.
    const text = await run('models', 'test', 'strongroom-test', '--max-tokens', '8');
    expect(text.writes.length).toBeGreaterThan(2); // several deltas, then the closing line break
    expect(text.writes.at(-1)).toBe('\n');
    const header = 'strongroom-test:\n';
    const streamed = text.writes.join('');
    expect(text.stdout.startsWith(header + streamed)).toBe(true);
    expect(text.stdout.slice(header.length + streamed.length)).toMatch(/^strongroom-test \(test model: its text is meaningless\): 8 tokens in \d+ ms .*\n$/);
  }, 60_000);

  it('add: a local file for a named account, an endpoint, and typed errors for a missing file, a mismatch and an unknown account', async () => {
    const file = join(root, 'extra.gguf');
    const { sha256 } = await writeTestModel(file, { seed: 7 });
    const added = await run('models', 'add', '--id', 'extra', '--name', 'Extra', '--path', file, '--sha256', sha256, '--account', 'Default', '--json');
    expect(added.json).toMatchObject({ ok: true, value: { id: 'extra', sha256, accounts: [{ name: 'Default' }], allAccounts: false } });
    const remote = await run('models', 'add', '--id', 'bank-vllm', '--name', 'Bank vLLM', '--endpoint', 'https://llm.bank.internal/v1', '--classification', 'internal', '--json');
    expect(remote.json).toMatchObject({ ok: true, value: { kind: 'remote', location: 'https://llm.bank.internal/v1', classifications: ['internal'], hasApiKey: false } });

    const missing = await run('models', 'add', '--id', 'gone', '--name', 'Gone', '--path', join(root, 'gone.gguf'), '--json');
    expect(missing.code).toBe(1);
    expect(missing.json.error).toMatchObject({ code: 'ERR_MODEL_NOT_FOUND', details: { model: 'gone' } });
    const mismatch = await run('models', 'add', '--id', 'bad', '--name', 'Bad', '--path', file, '--sha256', 'f'.repeat(64));
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/error ERR_MODEL_CHECKSUM_MISMATCH: The file of model bad/);
    const unknown = await run('models', 'add', '--id', 'x', '--name', 'X', '--path', file, '--account', 'Nobody');
    expect(unknown.stderr).toMatch(/no account named "Nobody"/);
    const both = await run('models', 'add', '--id', 'y', '--name', 'Y', '--json');
    expect(both.json.error).toMatchObject({ code: 'ERR_INPUT_INVALID' });

    const list = await run('models', 'list', '--json');
    expect((list.json.value as Array<{ id: string }>).map((m) => m.id)).toEqual(['strongroom-test', 'extra', 'bank-vllm']);
  }, 60_000);

  it('test of an endpoint that is down fails with the model named', async () => {
    await run('models', 'add', '--id', 'down', '--name', 'Down', '--endpoint', 'http://127.0.0.1:9/v1');
    const result = await run('models', 'test', 'down', '--json');
    expect(result.code).toBe(1);
    expect(result.json.error).toMatchObject({ code: 'ERR_MODEL_UNAVAILABLE', details: { model: 'down' } });
  }, 60_000);

  it('test of a local model whose file has gone says so, with the code of the cause', async () => {
    const file = join(root, 'vanishing.gguf');
    await writeTestModel(file, { seed: 9 });
    expect((await run('models', 'add', '--id', 'vanishing', '--name', 'Vanishing', '--path', file)).code).toBe(0);
    rmSync(file);
    const result = await run('models', 'test', 'vanishing', '--json');
    expect(result.code).toBe(1);
    expect(result.json.error).toMatchObject({ code: 'ERR_MODEL_NOT_FOUND', message: expect.stringContaining('file does not exist') as string, details: { model: 'vanishing' } });
  }, 60_000);

  it('add --chat-template reads the template from a file, and names a file it cannot read', async () => {
    const file = join(root, 'chat.jinja');
    writeFileSync(file, '{% for m in messages %}<{{ m.role }}> {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant> {% endif %}');
    const model = join(dataDir, 'models', 'strongroom-test-model.gguf');
    const added = await run('models', 'add', '--id', 'templated', '--name', 'Templated', '--path', model, '--chat-template', file, '--json');
    expect(added.json).toMatchObject({ ok: true, value: { id: 'templated', chatTemplate: true } });
    const missing = await run('models', 'add', '--id', 'templated-2', '--name', 'T2', '--path', model, '--chat-template', join(root, 'nope.jinja'), '--json');
    expect(missing.json).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', details: { file: join(root, 'nope.jinja') } } });
  }, 60_000);

  it('add --classifications (with a note when shipped workflows’ data is not allowed), classify, and verify', async () => {
    const file = join(root, 'extra.gguf');
    const plain = await run('models', 'add', '--id', 'plain', '--name', 'Plain', '--path', file);
    expect(plain.stdout).toContain('classifications: public, internal;');
    expect(plain.stdout).toContain('Note: it may not serve confidential or restricted data, which the shipped workflows handle. Allow it with `strongroom models classify plain --classifications public,internal,confidential,restricted`');
    const cleared = await run('models', 'add', '--id', 'cleared', '--name', 'Cleared', '--path', file, '--classifications', 'restricted, public', '--classification', 'internal', '--json');
    expect(cleared.json.value).toMatchObject({ id: 'cleared', classifications: ['public', 'internal', 'restricted'] });

    const unknown = await run('models', 'classify', 'plain', '--classifications', 'public,secret');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('(not secret)');
    const classified = await run('models', 'classify', 'plain', '--classifications', 'confidential,internal');
    expect(classified).toMatchObject({ code: 0, stdout: 'Model plain may now serve internal, confidential data.\n' });
    expect(((await run('models', 'list', '--json')).json.value as Array<{ id: string; classifications: string[] }>).find((m) => m.id === 'plain')?.classifications).toEqual(['internal', 'confidential']);

    // verify hashes the file now: an in-place change the size and mtime do not show is caught (exit 1).
    const { sha256 } = await writeTestModel(join(root, 'changing.gguf'), { seed: 9 });
    const changing = join(root, 'changing-copy.gguf');
    copyFileSync(join(root, 'changing.gguf'), changing);
    utimesSync(changing, 1_700_000_000, 1_700_000_000);
    await run('models', 'add', '--id', 'changing', '--name', 'Changing', '--path', changing);
    const same = await run('models', 'verify', 'changing', '--record');
    expect(same).toMatchObject({ code: 0, stdout: `changing: the file matches its recorded SHA-256 ${sha256}.\n` });
    const bytes = readFileSync(changing);
    bytes[0] = bytes[0]! ^ 0xff;
    writeFileSync(changing, bytes);
    utimesSync(changing, 1_700_000_000, 1_700_000_000);
    const changed = await run('models', 'verify', 'changing', '--json');
    expect(changed.code).toBe(1);
    expect(changed.json.error).toMatchObject({ code: 'ERR_MODEL_CHECKSUM_MISMATCH', details: { model: 'changing', expected: sha256 } });
  }, 60_000);
});
