import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestModel } from '../../models/index.ts';
import { main } from '../main.ts';
import type { CliIo } from '../output.ts';
import { modelsListCommand } from './models.ts';

// The CLI end to end in-process: a real data dir opened with STRONGROOM_MASTER_KEY (the headless,
// read-only secret backend), the real registry and real node-llama-cpp on the demo model.

const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-models-'));
const dataDir = join(root, 'data');
const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Ran = { code: number; stdout: string; stderr: string; writes: string[]; json: { ok: boolean; value?: unknown; error?: { code: string; message: string; details?: Record<string, unknown> } } };

function capturing(): { io: CliIo; stdout: string[]; stderr: string[]; writes: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writes: string[] = [];
  const io: CliIo = { out: (t) => stdout.push(t.endsWith('\n') ? t : `${t}\n`), err: (t) => stderr.push(t), write: (t) => { writes.push(t); stdout.push(t); } };
  return { io, stdout, stderr, writes };
}

async function runIn(dir: string, args: string[]): Promise<Ran> {
  const { io, stdout, stderr, writes } = capturing();
  const code = await main(['node', 'strongroom', ...args, '--data-dir', dir], io, env);
  const text = stdout.join('');
  return { code, stdout: text, stderr: stderr.join(''), writes, json: args.includes('--json') ? (JSON.parse(text) as { ok: boolean }) : { ok: code === 0 } };
}

const run = (...args: string[]): Promise<Ran> => runIn(dataDir, args);

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

  it('backup says the demo model file is not in it, and where that file is', async () => {
    const modelFile = join(dataDir, 'models', 'strongroom-test-model.gguf');
    const json = await run('backup', '--out', join(root, 'with-model.sqlite'), '--json');
    expect(json.code).toBe(0);
    expect((json.json as unknown as { notIncluded: unknown }).notIncluded).toEqual({ modelFiles: [{ id: 'strongroom-test', path: modelFile, bytes: expect.any(Number) as number }] });
    const text = await run('backup', '--out', join(root, 'with-model-text.sqlite'));
    expect(text.stdout).toContain('Not in the backup: the local model file the installation uses; copy it separately to restore on another machine:');
    expect(text.stdout).toMatch(new RegExp(`strongroom-test {2}${modelFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+\\.\\d MiB\\)`));
  });

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

    // Relative paths are the shell's: resolved against the working directory before they are stored.
    const relativeLocal = await run('models', 'add', '--id', 'relative', '--name', 'Relative', '--path', relative(process.cwd(), file), '--json');
    expect(relativeLocal.json).toMatchObject({ ok: true, value: { id: 'relative', location: file } });
    const caFile = join(root, 'bank-ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const relativeCa = await run('models', 'add', '--id', 'bank-tls', '--name', 'Bank TLS', '--endpoint', 'https://llm.bank.internal/v1', '--ca-file', relative(process.cwd(), caFile), '--json');
    expect(relativeCa.json).toMatchObject({ ok: true, value: { id: 'bank-tls', caFile } });
    expect((await run('models', 'list')).stdout).toContain(`https://llm.bank.internal/v1 (trusting the CA in ${caFile})`);

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
    expect((list.json.value as Array<{ id: string }>).map((m) => m.id)).toEqual(['strongroom-test', 'extra', 'bank-vllm', 'relative', 'bank-tls']);
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

    // default: the model an account uses when nobody names one; --clear goes back to its first real model.
    expect((await run('models', 'add', '--id', 'chosen', '--name', 'Chosen', '--path', file, '--account', 'Default')).code).toBe(0);
    expect(await run('models', 'default', 'chosen', '--account', 'Default')).toMatchObject({ code: 0, stdout: 'Default now uses chosen when a workflow names no model.\n' });
    const neither = await run('models', 'default', '--account', 'Default', '--json');
    expect(neither.json).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
    // A model the account may not use cannot be its default.
    expect((await run('models', 'default', 'plain', '--account', 'Default', '--json')).json).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_NOT_FOUND' } });
    expect((await run('models', 'default', '--clear', '--account', 'Default', '--json')).json).toMatchObject({ ok: true, value: { modelId: null } });

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

describe('strongroom models: what an operator must see', () => {
  // Its own installation, so these run without the local-model tests above (-t selects them alone).
  const ownDir = join(root, 'own-data');
  const own = (...args: string[]): Promise<Ran> => runIn(ownDir, args);
  let server: Server | undefined;
  let baseUrl = '';

  beforeAll(async () => {
    expect((await own('init')).code).toBe(0);
    // An OpenAI-compatible server that answers chat but lists another model name than the one asked for.
    server = createServer((request, response) => {
      if (request.url?.endsWith('/models')) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'other-model' }] }));
        return;
      }
      if (!request.url?.endsWith('/chat/completions')) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const chunk of [{ choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }] }, { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }]) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
      response.end('data: [DONE]\n\n');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  }, 60_000);
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  });

  it('test prints a degraded health result in text mode too, then runs the prompt', async () => {
    expect((await own('models', 'add', '--id', 'ls', '--name', 'LS', '--endpoint', baseUrl, '--remote-model', 'asked-model')).code).toBe(0);
    const text = await own('models', 'test', 'ls');
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('warning: model ls is degraded: reachable, but asked-model is not among the 1 model(s) it lists');
    expect(text.stdout).toContain('Hello');
    const json = await own('models', 'test', 'ls', '--json');
    expect(json.json.value).toMatchObject({ health: { status: 'degraded' }, text: 'Hello' });
    expect(json.stderr).not.toContain('degraded');
  }, 30_000);

  it('add refuses an endpoint whose CA file is missing or not PEM, naming the file', async () => {
    const missing = join(root, 'missing-ca.pem');
    const refused = await own('models', 'add', '--id', 'with-ca', '--name', 'CA', '--endpoint', 'https://llm.bank.internal/v1', '--ca-file', missing);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error ERR_INPUT_INVALID: The CA file ${missing} of model with-ca cannot be read (ENOENT)`);
    const notPem = join(root, 'not-pem.txt');
    writeFileSync(notPem, 'not a certificate\n');
    const invalid = await own('models', 'add', '--id', 'with-ca', '--name', 'CA', '--endpoint', 'https://llm.bank.internal/v1', '--ca-file', notPem, '--json');
    expect(invalid.json.error).toMatchObject({ code: 'ERR_INPUT_INVALID', details: { model: 'with-ca', caFile: notPem, cause: 'ca_file_invalid' } });
    expect(((await own('models', 'list', '--json')).json.value as Array<{ id: string }>).map((model) => model.id)).not.toContain('with-ca');
  }, 30_000);

  it('list still lists the models when a shipped manifest is broken, and names the file and why', async () => {
    const manifestsDir = join(root, 'manifests-with-broken');
    mkdirSync(manifestsDir);
    writeFileSync(join(manifestsDir, 'broken.json'), '{ "id": "broken", "note": "content never shown"');
    writeFileSync(join(manifestsDir, 'ok.json'), JSON.stringify({ id: 'fine', name: 'Fine', kind: 'remote', endpoint: 'https://llm.bank.internal/v1' }));
    const text = capturing();
    expect(await modelsListCommand(text.io, { dataDir: ownDir, json: false, env, manifestsDir })).toBe(0);
    const printed = text.stdout.join('');
    expect(printed).toMatch(/^ls {2}remote {2}added/);
    expect(printed).toContain(`Set aside (fix the file and run again; the other models are unaffected):\n  ${join(manifestsDir, 'broken.json')} is not valid JSON`);
    expect(printed).not.toContain('content never shown');
    const json = capturing();
    expect(await modelsListCommand(json.io, { dataDir: ownDir, json: true, env, manifestsDir })).toBe(0);
    expect(JSON.parse(json.stdout.join(''))).toMatchObject({ ok: true, value: [expect.objectContaining({ id: 'ls' })], manifestProblems: [{ file: 'broken.json', reason: expect.stringMatching(/^is not valid JSON/) as unknown }] });
    // The shipped folder itself has nothing set aside.
    expect((await own('models', 'list', '--json')).json).toMatchObject({ ok: true, manifestProblems: [] });
  }, 30_000);
});
