import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBridge, localOperator } from '../../api/index.ts';
import type { Principal } from '../../api/index.ts';
import type { MethodInput, MethodName, MethodOutput, Role } from '../../contracts/index.ts';
import { installationPermissions, rolePermissions } from '../../contracts/index.ts';
import { createCore } from '../../createCore.ts';
import type { Core } from '../../createCore.ts';
import { MemorySecretStore } from '../../secrets/index.ts';
import { writeTestModel } from '../gguf/testModel.ts';
import { fastEndpoint, jsonReply, startFakeServer, streamReply } from '../remote/testServer.ts';
import type { FakeServer } from '../remote/testServer.ts';
import { readShippedManifests } from './manifests.ts';
import { CHECKSUM_CACHE_FILE, ModelRegistry } from './ModelRegistry.ts';

// The registry against the real thing: a real SQLite data dir, real node-llama-cpp on a generated
// GGUF, and a loopback OpenAI-compatible server for remote models.

const root = mkdtempSync(join(tmpdir(), 'strongroom-models-'));
const shippedDir = join(root, 'shipped');
const modelPath = join(root, 'tiny.gguf');
let sha256 = '';
let core: Core;
let secrets: MemorySecretStore;
let server: FakeServer;
/** One server for several models, answering 500 to chat while `failing`. */
let shared: FakeServer;
let failing = false;
let accountA = '';
let accountB = '';

function principal(accountId: string, role: Role, installationAdmin = false): Principal {
  return { kind: 'user', userId: `u-${role}-${accountId.slice(0, 6)}`, displayName: role, accountId, roles: [role], permissions: new Set(rolePermissions[role].filter((p) => installationAdmin || !installationPermissions.includes(p))), installationAdmin };
}

function as(who: Principal = localOperator()) {
  const bridge = createInProcessBridge(core.router, core.events, core.sessions.create(who).id);
  return {
    bridge,
    invoke: <M extends MethodName>(method: M, input: MethodInput<M>) => bridge.invoke(method, input),
    call: async <M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> => {
      const result = await bridge.invoke(method, input);
      if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
      return result.value;
    },
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

beforeAll(async () => {
  mkdirSync(shippedDir);
  sha256 = (await writeTestModel(modelPath)).sha256;
  // A shipped manifest with a relative path, offered to every account, and a disabled example.
  writeFileSync(join(shippedDir, 'tiny.json'), JSON.stringify({ id: 'shipped-tiny', name: 'Shipped tiny', kind: 'local', path: '../tiny.gguf', sha256, classifications: ['public'], accounts: ['*'], testModel: true }));
  // A shipped manifest without a checksum, for an account that does not exist yet.
  writeFileSync(join(shippedDir, 'nosum.json'), JSON.stringify({ id: 'shipped-nosum', name: 'Shipped without checksum', kind: 'local', path: '../tiny.gguf', accounts: ['Gamma'] }));
  writeFileSync(join(shippedDir, 'half-written.json'), '{ "id": "half-written", "name": ');
  writeFileSync(join(shippedDir, 'example.json'), JSON.stringify({ id: 'example-remote', name: 'Example', kind: 'remote', endpoint: 'https://llm.bank.internal/v1', enabled: false }));
  server = await startFakeServer((request, response) => {
    if (request.path.endsWith('/models')) jsonReply(response, 200, { data: [{ id: 'served-model' }] });
    else if (request.path.endsWith('/chat/completions')) streamReply(response, ['Hello', ' there']);
    else jsonReply(response, 404, { error: { type: 'not_found' } });
  });
  shared = await startFakeServer((request, response) => {
    if (failing) jsonReply(response, 500, { error: { type: 'server_error' } });
    else streamReply(response, ['ok']);
  });
  secrets = new MemorySecretStore();
  core = await createCore({ dataDir: join(root, 'data'), mode: 'test', heartbeatMs: 0, secrets, shippedModelsDir: shippedDir, modelRegistry: { threads: 1, remote: fastEndpoint } });
  accountA = (await as().call('admin.accounts.create', { name: 'Alpha' })).id;
  accountB = (await as().call('admin.accounts.create', { name: 'Beta' })).id;
}, 60_000);

afterAll(async () => {
  await core.dispose();
  await server.close();
  await shared.close();
  rmSync(root, { recursive: true, force: true });
});

describe('model registry', () => {
  it('lists shipped manifests (relative paths resolved, disabled examples hidden) to every account', async () => {
    const models = await as(principal(accountA, 'analyst')).call('models.list', {});
    // Where it lives is for those who may change it: an analyst sees the model, not the server's path.
    expect(models).toEqual([expect.objectContaining({ id: 'shipped-tiny', source: 'shipped', kind: 'local', location: null, sha256, testModel: true, allAccounts: true, isDefault: true, manageable: false })]);
    const asInstallationAdmin = await as(principal(accountA, 'admin', true)).call('models.list', {});
    expect(asInstallationAdmin.find((model) => model.id === 'shipped-tiny')).toMatchObject({ location: modelPath, manageable: true });
  });

  it('adds a local GGUF after computing its checksum, audits it in the same change, and runs a test prompt through node-llama-cpp', async () => {
    const added = await as(principal(accountA, 'admin')).call('models.add', { kind: 'local', id: 'alpha-tiny', name: 'Alpha tiny', path: modelPath, sha256, classifications: ['public', 'confidential'] });
    expect(added).toMatchObject({ id: 'alpha-tiny', source: 'added', sha256, allAccounts: false, accounts: [{ id: accountA, name: 'Alpha' }] });
    const entries = core.audit!.list({ actionPrefix: 'model.' });
    expect(entries).toEqual([expect.objectContaining({ action: 'model.add', resource: 'model:alpha-tiny', outcome: 'success' })]);

    const result = await as(principal(accountA, 'analyst')).call('models.test', { modelId: 'alpha-tiny', prompt: 'Hi', maxTokens: 4 });
    expect(result.model).toBe('alpha-tiny');
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(typeof result.text).toBe('string');
    expect(await as(principal(accountA, 'analyst')).call('models.health', { modelId: 'alpha-tiny' })).toMatchObject({ status: 'ok' });
    expect(await as(principal(accountA, 'admin')).call('models.verify', { modelId: 'alpha-tiny' })).toEqual({ model: 'alpha-tiny', sha256, recorded: sha256, matches: true });
  }, 60_000);

  it('keeps one account’s model from another: not listed, not resolvable, not testable, not removable', async () => {
    const beta = as(principal(accountB, 'admin'));
    expect((await beta.call('models.list', {})).map((m) => m.id)).toEqual(['shipped-tiny']);
    for (const method of ['models.test', 'models.health', 'models.remove', 'models.verify'] as const) {
      expect(await beta.invoke(method, { modelId: 'alpha-tiny' })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_NOT_FOUND' } });
    }
    expect(() => core.models!.resolve('alpha-tiny', accountB)).toThrow(/No model alpha-tiny is available/);
    // An account administrator may not share a model with another account.
    expect(await as(principal(accountA, 'admin')).invoke('models.setAvailability', { modelId: 'alpha-tiny', accounts: [accountA, accountB] })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(await beta.invoke('models.add', { kind: 'local', id: 'beta-x', name: 'x', path: modelPath, accounts: [accountA] })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
  });

  it('resolves per account and classification: defaults to a real model before a test model, refuses data the manifest does not allow', () => {
    expect(core.models!.resolve(null, accountA).id).toBe('alpha-tiny');
    expect(core.models!.resolve(null, accountB).id).toBe('shipped-tiny');
    expect(core.models!.resolve('alpha-tiny', accountA, 'confidential').id).toBe('alpha-tiny');
    expect(thrown(() => core.models!.resolve('alpha-tiny', accountA, 'restricted'))).toMatchObject({ code: 'ERR_MODEL_UNAVAILABLE', details: { model: 'alpha-tiny', cause: 'classification not allowed' } });
    expect(thrown(() => core.models!.resolve(null, accountB, 'restricted'))).toMatchObject({ code: 'ERR_MODEL_UNAVAILABLE', details: { model: null, cause: 'classification not allowed', classification: 'restricted' } });
  });

  it('lets an installation administrator change availability, audited, including a shipped model', async () => {
    const view = await as().call('models.setAvailability', { modelId: 'shipped-tiny', accounts: [accountB] });
    expect(view).toMatchObject({ allAccounts: false, accounts: [{ id: accountB, name: 'Beta' }] });
    expect(() => core.models!.resolve('shipped-tiny', accountA)).toThrow(/not available|No model/);
    expect(core.models!.resolve('shipped-tiny', accountB).id).toBe('shipped-tiny');
    expect(core.audit!.list({ actionPrefix: 'model.availability' })).toHaveLength(1);
    expect(await as().invoke('models.remove', { modelId: 'shipped-tiny' })).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT' } });
    await as().call('models.setAvailability', { modelId: 'shipped-tiny', accounts: [], allAccounts: true });
  });

  it('refuses a missing file, a checksum mismatch, an unsupported architecture and a non-GGUF file with typed errors naming the model', async () => {
    const admin = as(principal(accountA, 'admin'));
    expect(await admin.invoke('models.add', { kind: 'local', id: 'missing', name: 'm', path: join(root, 'nope.gguf') })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_NOT_FOUND', details: { model: 'missing', cause: 'file does not exist' } } });
    expect(await admin.invoke('models.add', { kind: 'local', id: 'mismatch', name: 'm', path: modelPath, sha256: '0'.repeat(64) })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_CHECKSUM_MISMATCH', details: { model: 'mismatch' } } });
    const alien = join(root, 'alien.gguf');
    await writeTestModel(alien, { architecture: 'nonesuch-arch' });
    expect(await admin.invoke('models.add', { kind: 'local', id: 'alien', name: 'a', path: alien })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_UNSUPPORTED', details: { model: 'alien', cause: 'unsupported architecture', architecture: 'nonesuch-arch' } } });
    const junk = join(root, 'junk.gguf');
    writeFileSync(junk, 'not a model at all');
    expect(await admin.invoke('models.add', { kind: 'local', id: 'junk', name: 'j', path: junk })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_UNSUPPORTED', details: { model: 'junk' } } });
    expect(await admin.invoke('models.add', { kind: 'local', id: 'alpha-tiny', name: 'dup', path: modelPath })).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT' } });
    expect((await admin.call('models.list', {})).map((m) => m.id).sort()).toEqual(['alpha-tiny', 'shipped-tiny']);
  });

  it('adds a remote endpoint with its API key in the SecretStore only, reports health and a test prompt, and names the model when the endpoint is down', async () => {
    const admin = as(principal(accountA, 'admin'));
    const added = await admin.call('models.add', { kind: 'remote', id: 'alpha-remote', name: 'Alpha remote', endpoint: server.baseUrl, remoteModel: 'served-model', apiKey: 'sk-very-secret' });
    expect(added).toMatchObject({ kind: 'remote', location: server.baseUrl, hasApiKey: true });
    expect(JSON.stringify(await admin.call('models.list', {}))).not.toContain('sk-very-secret');
    expect(JSON.stringify(core.audit!.list({ actionPrefix: 'model.' }))).not.toContain('sk-very-secret');
    const stored = core.storage!.db.prepare("SELECT manifest FROM models WHERE id = 'alpha-remote'").pluck().get() as string;
    expect(stored).not.toContain('sk-very-secret');
    expect(await secrets.get(`${core.storage!.installationId}/model-api-key/alpha-remote`)).toBe('sk-very-secret');

    expect(await admin.call('models.health', { modelId: 'alpha-remote' })).toMatchObject({ status: 'ok' });
    expect(await admin.call('models.test', { modelId: 'alpha-remote', prompt: 'Hi' })).toMatchObject({ text: 'Hello there', testModel: false, usage: { outputTokens: 2 } });
    expect(server.requests.find((r) => r.path.endsWith('/chat/completions'))?.headers.authorization).toBe('Bearer sk-very-secret');

    await admin.call('models.add', { kind: 'remote', id: 'alpha-down', name: 'Down', endpoint: 'http://127.0.0.1:9/v1' });
    const health = await admin.call('models.health', { modelId: 'alpha-down' });
    expect(health.status).toBe('failed');
    expect(health.detail).toMatch(/^ERR_MODEL_UNAVAILABLE/);
    const down = await admin.invoke('models.test', { modelId: 'alpha-down', prompt: 'Hi' });
    expect(down).toMatchObject({ ok: false, error: { details: { model: 'alpha-down' } } });

    expect(await admin.call('models.remove', { modelId: 'alpha-remote' })).toEqual({ removed: true });
    expect(await secrets.get(`${core.storage!.installationId}/model-api-key/alpha-remote`)).toBeNull();
    expect(core.audit!.list({ actionPrefix: 'model.remove' })).toHaveLength(1);
  }, 30_000);

  it('refuses an endpoint carrying credentials, and roles without models.manage', async () => {
    expect(await as(principal(accountA, 'admin')).invoke('models.add', { kind: 'remote', id: 'creds', name: 'c', endpoint: 'https://user:pw@llm.example/v1' })).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
    expect(await as(principal(accountA, 'analyst')).invoke('models.add', { kind: 'remote', id: 'x', name: 'x', endpoint: server.baseUrl })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(await as(principal(accountA, 'reviewer')).invoke('models.test', { modelId: 'alpha-tiny' })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
  });

  it('checks a chat template override when the model is added, keeps it in the manifest and prompts with it', async () => {
    const admin = as(principal(accountA, 'admin'));
    const refused = await admin.invoke('models.add', { kind: 'local', id: 'bad-template', name: 'b', path: modelPath, chatTemplate: '{% if %}' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_UNSUPPORTED', details: { model: 'bad-template', cause: 'chat template override is not a usable Jinja template' } } });
    expect((await admin.call('models.list', {})).map((m) => m.id)).not.toContain('bad-template');

    const template = '{% for m in messages %}<{{ m.role }}> {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant> {% endif %}';
    const added = await admin.call('models.add', { kind: 'local', id: 'templated', name: 'Templated', path: modelPath, chatTemplate: template });
    expect(added).toMatchObject({ id: 'templated', chatTemplate: true });
    const plain = await as(principal(accountA, 'analyst')).call('models.test', { modelId: 'alpha-tiny', prompt: 'Hi', maxTokens: 1 });
    const templated = await as(principal(accountA, 'analyst')).call('models.test', { modelId: 'templated', prompt: 'Hi', maxTokens: 1 });
    // The same message rendered through a different template is a different prompt.
    expect(templated.usage.inputTokens).not.toBe(plain.usage.inputTokens);
    await admin.call('models.remove', { modelId: 'templated' });
  }, 60_000);

  it('streams a test prompt’s text to the user who asked, in the account they asked from, and to no one else', async () => {
    const analyst = as(principal(accountA, 'analyst'));
    const colleague = as({ ...principal(accountA, 'analyst'), userId: 'u-colleague' });
    // The same person signed in to another account: users are installation-wide.
    const elsewhere = as({ ...principal(accountB, 'analyst'), userId: principal(accountA, 'analyst').userId });
    const mine: string[] = [];
    const theirs: string[] = [];
    const streamId = randomUUID();
    const unsubscribe = [
      analyst.bridge.subscribe('models.testDelta', (event) => { if (event.streamId === streamId) mine.push(event.text); }),
      colleague.bridge.subscribe('models.testDelta', (event) => theirs.push(event.text)),
      elsewhere.bridge.subscribe('models.testDelta', (event) => theirs.push(event.text)),
    ];
    const result = await analyst.call('models.test', { modelId: 'alpha-tiny', prompt: 'Say hello.', maxTokens: 12, streamId });
    unsubscribe.forEach((stop) => stop());
    expect(result.usage.outputTokens).toBeGreaterThan(1);
    expect(mine.length).toBeGreaterThan(1);
    expect(mine.join('')).toBe(result.text);
    expect(theirs).toEqual([]);
    expect(await analyst.invoke('models.test', { modelId: 'alpha-tiny', streamId: 'not-a-uuid' })).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
  }, 60_000);

  it('changes a model’s classifications, authorized and audited like availability; a default no real model may serve is an error, never the test model', async () => {
    const operator = as();
    const admin = as(principal(accountA, 'admin'));
    await operator.call('models.setClassifications', { modelId: 'shipped-tiny', classifications: ['public', 'internal', 'confidential', 'restricted'] });
    const refused = thrown(() => core.models!.resolve(null, accountA, 'restricted')) as Error;
    expect(refused).toMatchObject({ code: 'ERR_MODEL_UNAVAILABLE', details: { model: null, cause: 'classification not allowed', classification: 'restricted', models: [{ model: 'alpha-tiny', allowed: ['public', 'confidential'] }, { model: 'alpha-down', allowed: ['public', 'internal'] }] } });
    expect(refused.message).toContain('No model available to this account may serve restricted data');
    expect(refused.message).toContain('`strongroom models classify ID --classifications …,restricted`');
    expect(refused.message).toContain('The test model shipped-tiny is not used in place of a real model.');
    expect((thrown(() => core.models!.resolve('alpha-down', accountA, 'restricted')) as Error).message).toContain('`strongroom models classify alpha-down --classifications public,internal,restricted`');
    // An account without a real model still gets the test model by default.
    expect(core.models!.resolve(null, accountB, 'restricted').id).toBe('shipped-tiny');

    expect(await as(principal(accountA, 'analyst')).invoke('models.setClassifications', { modelId: 'alpha-tiny', classifications: ['restricted'] })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(await as(principal(accountB, 'admin')).invoke('models.setClassifications', { modelId: 'alpha-tiny', classifications: ['restricted'] })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_NOT_FOUND' } });
    expect(await admin.invoke('models.setClassifications', { modelId: 'shipped-tiny', classifications: ['public'] })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    // What the page offers follows the same rule: the shared model is not this admin's to change; their own is.
    const listed = await admin.call('models.list', {});
    expect(listed.find((model) => model.id === 'shipped-tiny')).toMatchObject({ manageable: false });
    expect(listed.find((model) => model.id === 'alpha-tiny')).toMatchObject({ manageable: true });
    expect((await operator.call('models.list', {})).find((model) => model.id === 'shipped-tiny')).toMatchObject({ manageable: true });

    const changed = await admin.call('models.setClassifications', { modelId: 'alpha-tiny', classifications: ['restricted', 'public', 'confidential', 'restricted'] });
    expect(changed).toMatchObject({ id: 'alpha-tiny', classifications: ['public', 'confidential', 'restricted'], accounts: [{ id: accountA }] });
    expect(core.audit!.list({ actionPrefix: 'model.classifications' }).map((entry) => [entry.resource, entry.details])).toEqual([
      ['model:shipped-tiny', { from: ['public'], to: ['public', 'internal', 'confidential', 'restricted'] }],
      ['model:alpha-tiny', { from: ['public', 'confidential'], to: ['public', 'confidential', 'restricted'] }],
    ]);
    expect(core.models!.resolve(null, accountA, 'restricted').id).toBe('alpha-tiny');
    expect(core.models!.resolve('alpha-tiny', accountA, 'restricted').id).toBe('alpha-tiny');
    // A shipped model's override changes what it serves, not who may use it.
    expect((await operator.call('models.list', {})).find((model) => model.id === 'shipped-tiny')).toMatchObject({ allAccounts: true, classifications: ['public', 'internal', 'confidential', 'restricted'] });
    await operator.call('models.setClassifications', { modelId: 'shipped-tiny', classifications: ['public'] });
    expect(thrown(() => core.models!.resolve(null, accountB, 'restricted'))).toMatchObject({ code: 'ERR_MODEL_UNAVAILABLE' });
  });

  it('lets an account choose its default model, audited; a choice that cannot serve the data falls back, and a removed model is forgotten', async () => {
    const admin = as(principal(accountA, 'admin'));
    const defaultOf = async () => (await admin.call('models.list', {})).filter((model) => model.isDefault).map((model) => [model.id, model.chosenDefault]);
    // By default: the first real model.
    expect(await defaultOf()).toEqual([['alpha-tiny', false]]);
    expect(await admin.call('models.setDefault', { accountId: accountA, modelId: 'alpha-down' })).toEqual({ accountId: accountA, modelId: 'alpha-down' });
    expect(await defaultOf()).toEqual([['alpha-down', true]]);
    expect(core.models!.resolve(null, accountA).id).toBe('alpha-down');
    expect(core.models!.resolve(null, accountA, 'internal').id).toBe('alpha-down');
    // The chosen model may not serve restricted data: the first real one that may, as before.
    expect(core.models!.resolve(null, accountA, 'restricted').id).toBe('alpha-tiny');
    // A named model is still the named model.
    expect(core.models!.resolve('alpha-tiny', accountA).id).toBe('alpha-tiny');

    // Only who manages models in that account; never a test model; never another account's model.
    expect(await as(principal(accountA, 'analyst')).invoke('models.setDefault', { accountId: accountA, modelId: 'alpha-tiny' })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(await admin.invoke('models.setDefault', { accountId: accountB, modelId: 'shipped-tiny' })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(await admin.invoke('models.setDefault', { accountId: accountA, modelId: 'shipped-tiny' })).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', details: { issues: [{ path: 'modelId' }] } } });
    expect(await as(principal(accountB, 'admin')).invoke('models.setDefault', { accountId: accountB, modelId: 'alpha-tiny' })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_NOT_FOUND' } });
    // Account B still has only the test model, whatever A chose.
    expect(core.models!.resolve(null, accountB).id).toBe('shipped-tiny');

    // A chosen model that is removed is no account's default any more.
    await admin.call('models.add', { kind: 'remote', id: 'alpha-brief', name: 'Brief', endpoint: 'http://127.0.0.1:9/v1' });
    await admin.call('models.setDefault', { accountId: accountA, modelId: 'alpha-brief' });
    expect(core.models!.resolve(null, accountA).id).toBe('alpha-brief');
    await admin.call('models.remove', { modelId: 'alpha-brief' });
    expect(core.storage!.db.prepare('SELECT count(*) FROM model_defaults').pluck().get()).toBe(0);
    expect(await defaultOf()).toEqual([['alpha-tiny', false]]);

    await admin.call('models.setDefault', { accountId: accountA, modelId: 'alpha-down' });
    expect(await admin.call('models.setDefault', { accountId: accountA, modelId: null })).toEqual({ accountId: accountA, modelId: null });
    expect(await defaultOf()).toEqual([['alpha-tiny', false]]);
    expect(core.audit!.list({ actionPrefix: 'model.default' }).map((entry) => [entry.resource, entry.details])).toEqual([
      [`account:${accountA}`, { from: null, to: 'alpha-down' }],
      [`account:${accountA}`, { from: 'alpha-down', to: 'alpha-brief' }],
      [`account:${accountA}`, { from: null, to: 'alpha-down' }],
      [`account:${accountA}`, { from: 'alpha-down', to: null }],
    ]);
  });

  it('keeps checksums in the data directory across restarts, and Verify recomputes: a file changed in place is caught', async () => {
    const admin = as(principal(accountA, 'admin'));
    const path = join(root, 'verify-me.gguf');
    const mtime = 1_700_000_000; // whole seconds, so putting it back is exact
    copyFileSync(modelPath, path);
    utimesSync(path, mtime, mtime);
    await admin.call('models.add', { kind: 'local', id: 'verify-me', name: 'Verify me', path });
    const cacheFile = join(root, 'data', CHECKSUM_CACHE_FILE);
    const cached = () => (JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, { size: number; sha256: string }>)[path];
    expect(cached()).toEqual({ size: statSync(path).size, mtimeMs: mtime * 1000, sha256 });

    // One byte changes in place and the mtime is put back: size and mtime cannot tell, a recompute can.
    const flipLastByte = () => {
      const bytes = readFileSync(path);
      bytes[bytes.length - 1] = bytes.at(-1)! ^ 0xff;
      writeFileSync(path, bytes);
      utimesSync(path, mtime, mtime);
    };
    // Loaded and in use before the file changes: a mismatch found by Verify takes it out of service
    // at once, not only at the next restart.
    expect(await admin.call('models.health', { modelId: 'verify-me' })).toMatchObject({ status: 'ok' });
    flipLastByte();
    const changed = await admin.call('models.verify', { modelId: 'verify-me' });
    expect(changed).toMatchObject({ model: 'verify-me', recorded: sha256, matches: false });
    expect(changed.sha256).not.toBe(sha256);
    // The cache now holds what the file is, so the next load refuses it.
    expect(cached()?.sha256).toBe(changed.sha256);
    expect(await admin.call('models.health', { modelId: 'verify-me' })).toMatchObject({ status: 'failed', detail: 'ERR_MODEL_CHECKSUM_MISMATCH: sha256 differs from the manifest' });

    // The original bytes are back. A restarted registry reads the digest from the data directory
    // instead of hashing the file (which would match), until Verify recomputes it.
    flipLastByte();
    const restarted = new ModelRegistry({ storage: core.storage!, audit: core.audit!, secrets, shippedManifests: [], threads: 1 });
    try {
      const who = principal(accountA, 'admin');
      expect(await restarted.health(who, 'verify-me')).toMatchObject({ status: 'failed', detail: 'ERR_MODEL_CHECKSUM_MISMATCH: sha256 differs from the manifest' });
      expect(await restarted.verify(who, 'verify-me')).toEqual({ model: 'verify-me', sha256, recorded: sha256, matches: true });
      expect(cached()?.sha256).toBe(sha256);
      expect(await restarted.health(who, 'verify-me')).toMatchObject({ status: 'ok' });
    } finally {
      await restarted.dispose();
    }
    await admin.call('models.remove', { modelId: 'verify-me' });
  }, 60_000);

  it('says so when a model has no recorded checksum, and records the computed one on request, never replacing one', async () => {
    const operator = as();
    expect((await operator.call('models.list', {})).find((model) => model.id === 'shipped-nosum')).toMatchObject({ source: 'shipped', sha256: null, allAccounts: false, accounts: [] });
    expect(await operator.call('models.verify', { modelId: 'shipped-nosum' })).toEqual({ model: 'shipped-nosum', sha256, recorded: null, matches: null });
    // Only the digest that was shown is recorded, and only by someone who may change the model.
    expect(await operator.invoke('models.recordChecksum', { modelId: 'shipped-nosum', sha256: '0'.repeat(64) })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_CHECKSUM_MISMATCH', details: { model: 'shipped-nosum', cause: 'file changed since it was verified' } } });
    expect(await as(principal(accountA, 'admin')).invoke('models.recordChecksum', { modelId: 'shipped-nosum', sha256 })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_NOT_FOUND' } });
    expect(await operator.call('models.recordChecksum', { modelId: 'shipped-nosum', sha256: sha256.toUpperCase() })).toMatchObject({ id: 'shipped-nosum', sha256 });
    expect(core.audit!.list({ actionPrefix: 'model.checksum' }).map((entry) => [entry.resource, entry.details])).toEqual([['model:shipped-nosum', { sha256 }]]);
    expect(await operator.call('models.verify', { modelId: 'shipped-nosum' })).toEqual({ model: 'shipped-nosum', sha256, recorded: sha256, matches: true });
    for (const modelId of ['shipped-nosum', 'alpha-tiny']) {
      expect(await operator.invoke('models.recordChecksum', { modelId, sha256 })).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT' } });
    }
    // The override leaves availability to the manifest: an account it names, created later, gets the model.
    const gamma = await operator.call('admin.accounts.create', { name: 'Gamma' });
    expect(core.models!.resolve('shipped-nosum', gamma.id).id).toBe('shipped-nosum');
  });

  it('shares one endpoint — circuit breaker and concurrency limit — between models on the same server with the same API key', async () => {
    const admin = as(principal(accountA, 'admin'));
    const remote = (id: string, apiKey: string) => admin.call('models.add', { kind: 'remote', id, name: id, endpoint: shared.baseUrl, remoteModel: 'served-model', apiKey });
    await remote('same-key-a', 'sk-shared');
    await remote('same-key-b', 'sk-shared');
    await remote('other-key', 'sk-other');
    expect(await admin.call('models.test', { modelId: 'same-key-b', prompt: 'Hi' })).toMatchObject({ text: 'ok' });
    expect(shared.requests.at(-1)?.headers.authorization).toBe('Bearer sk-shared');

    // Failures through one model open the breaker for the other: it is refused without a request.
    failing = true;
    for (let call = 0; call < 2; call++) expect(await admin.invoke('models.test', { modelId: 'same-key-a', prompt: 'Hi' })).toMatchObject({ ok: false });
    const sent = shared.requests.length;
    expect(await admin.invoke('models.test', { modelId: 'same-key-b', prompt: 'Hi' })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_CIRCUIT_OPEN', details: { model: 'same-key-b' } } });
    expect(shared.requests.length).toBe(sent);
    // Another key on the same server is another client: its requests still go out, with its own key.
    expect(await admin.invoke('models.test', { modelId: 'other-key', prompt: 'Hi' })).toMatchObject({ ok: false, error: { code: 'ERR_MODEL_UNAVAILABLE', details: { model: 'other-key' } } });
    expect(shared.requests.length).toBeGreaterThan(sent);
    expect(shared.requests.at(-1)?.headers.authorization).toBe('Bearer sk-other');
    failing = false;
    for (const modelId of ['same-key-a', 'same-key-b', 'other-key']) await admin.call('models.remove', { modelId });
  }, 30_000);
  it('refuses an endpoint whose CA file is missing or not PEM, naming the file, before anything is stored', async () => {
    const admin = as(principal(accountA, 'admin'));
    const missing = join(root, 'no-such-ca.pem');
    const notPem = join(root, 'not-a-cert.pem');
    writeFileSync(notPem, 'hello\n');
    const add = (id: string, caFile: string) => admin.invoke('models.add', { kind: 'remote', id, name: id, endpoint: 'https://llm.bank.internal/v1', caFile, apiKey: 'sk-ca-test' });
    const unreadable = await add('ca-missing', missing);
    expect(unreadable).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining(`The CA file ${missing} of model ca-missing cannot be read (ENOENT)`) as unknown, details: { model: 'ca-missing', caFile: missing, cause: 'ca_file_unreadable', issues: [{ path: 'caFile' }] } } });
    const invalid = await add('ca-not-pem', notPem);
    // Every process reads the file again from its own working directory: a relative path is refused.
    const relativePath = await add('ca-relative', 'certs/bank-ca.pem');
    expect(relativePath).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', details: { issues: [{ path: 'caFile', message: expect.stringContaining('absolute path') as unknown }] } } });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining(`The CA file ${notPem} of model ca-not-pem holds no PEM certificate`) as unknown, details: { caFile: notPem, cause: 'ca_file_invalid' } } });
    const ids = (await admin.call('models.list', {})).map((model) => model.id);
    expect(ids).not.toContain('ca-missing');
    expect(ids).not.toContain('ca-not-pem');
    expect(await secrets.get(`${core.storage!.installationId}/model-api-key/ca-missing`)).toBeNull();

    const pem = join(root, 'bank-ca.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(root, 'bank-ca.key'), '-out', pem, '-days', '2', '-subj', '/CN=Bank CA'], { stdio: 'ignore' });
    expect(await add('ca-good', pem)).toMatchObject({ ok: true, value: { id: 'ca-good' } });
    await admin.call('models.remove', { modelId: 'ca-good' });
  });

  it('models.manifestProblems: those who manage models see which shipped manifests were set aside and why; others are refused', async () => {
    const admin = as(principal(accountA, 'admin'));
    expect(await admin.call('models.manifestProblems', {})).toEqual({ folder: shippedDir, problems: [{ file: 'half-written.json', reason: expect.stringMatching(/^is not valid JSON/) as unknown }] });
    const analyst = await as(principal(accountA, 'analyst')).invoke('models.manifestProblems', {});
    expect(analyst).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
  });

  it('sets a broken shipped manifest aside: the other models still load, and the file and reason are logged, never its content', async () => {
    const dir = join(root, 'shipped-with-broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ id: 'still-here', name: 'Still here', kind: 'remote', endpoint: 'https://llm.bank.internal/v1', accounts: ['*'] }));
    writeFileSync(join(dir, 'broken.json'), '{ "id": "broken", "secret-looking": "sk-in-a-broken-file",\n');
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify({ id: 'wrong', name: 'Wrong', kind: 'remote', endpoint: 'not a url' }));
    const shipped = readShippedManifests(dir);
    expect(shipped.map((manifest) => manifest.id)).toEqual(['still-here']);
    expect(shipped.problems).toEqual([
      { file: 'broken.json', reason: expect.stringMatching(/^is not valid JSON/) as unknown },
      { file: 'wrong.json', reason: 'does not match models/manifest.schema.json (endpoint: Invalid URL)', issues: [{ path: 'endpoint', message: 'Invalid URL' }] },
    ]);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const registry = new ModelRegistry({ storage: core.storage!, audit: core.audit!, secrets, shippedManifests: shipped, threads: 1, logger });
    try {
      expect((await registry.list(localOperator())).map((model) => model.id)).toContain('still-here');
      expect(registry.manifestProblems.map((problem) => problem.file)).toEqual(['broken.json', 'wrong.json']);
      const logged = lines.map((line) => JSON.parse(line) as { msg: string; file: string; reason: string; level: number });
      expect(logged).toEqual([expect.objectContaining({ msg: 'model manifest set aside', file: 'broken.json', level: 40 }), expect.objectContaining({ file: 'wrong.json', reason: shipped.problems[1]?.reason })]);
      expect(lines.join('')).not.toContain('sk-in-a-broken-file');
    } finally {
      await registry.dispose();
    }
  });
});
