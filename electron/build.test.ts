// Builds the shell with scripts/build-electron.mjs and exercises the real bundles: the preload's
// shape (one CommonJS file that requires only `electron`) and the bundled core host, run under
// plain Node with a stand-in for Electron's process.parentPort and driven by the real CoreHost.
import { fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../core/index.ts';
import { EnvironmentSecretStore } from '../core/secrets/index.ts';
import { startupFailedExitCode } from './shared/coreHostProtocol.ts';
import type { MainToHostMessage } from './shared/coreHostProtocol.ts';
import { CoreHost } from './main/coreHost.ts';
import type { CoreHostOptions, UtilityChild } from './main/coreHost.ts';

const root = join(import.meta.dirname, '..');
// Inside the repository (two levels below it, like dist/electron) so bundles resolve node_modules
// and core's package.json lookup exactly as they do in the app.
const outDir = join(root, 'dist', `electron-test-${process.pid}`);
const scratch = mkdtempSync(join(tmpdir(), 'strongroom-build-'));
const shim = join(scratch, 'parentPort.mjs');
const masterKey = randomBytes(32).toString('base64');

beforeAll(() => {
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build-electron.mjs'), `--out-dir=${outDir}`], { cwd: root, env: { ...process.env, CI: '1' }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}\n${result.stderr}`);
  // What Electron gives a utilityProcess, made from Node's fork IPC channel.
  writeFileSync(shim, [
    "import { EventEmitter } from 'node:events';",
    'const port = new EventEmitter();',
    "process.on('message', (data) => port.emit('message', { data }));",
    'port.postMessage = (message) => process.send(message);',
    'process.parentPort = port;',
  ].join('\n'));
}, 120_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

const read = (name: string) => readFileSync(join(outDir, name), 'utf8');
const imports = (code: string) => [...code.matchAll(/^import\s(?:[^'"]*\sfrom\s)?["']([^"']+)["']/gm)].map((match) => match[1]);

describe('scripts/build-electron.mjs', () => {
  it('writes main.js, preload.cjs and coreHost.js', () => {
    for (const name of ['main.js', 'preload.cjs', 'coreHost.js']) expect(existsSync(join(outDir, name)), name).toBe(true);
  });

  it('makes the preload one CommonJS script that requires nothing but electron', () => {
    const code = read('preload.cjs');
    expect(() => new Script(code, { filename: 'preload.cjs' })).not.toThrow();
    expect([...code.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1])).toEqual(['electron']);
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
    expect(code).toContain('exposeInMainWorld("strongroom"');
  });

  it('resolves shipped files in the core host from one place, the application root', () => {
    // Every module is bundled into coreHost.js: a path relative to a module's own location would
    // point elsewhere once bundled. Only core/base/paths.ts (appRoot) and module resolution may use import.meta.url.
    const uses = [...read('coreHost.js').matchAll(/^.*import\.meta\.url.*$/gm)].map((match) => match[0].trim());
    const isAppRoot = (line: string) => /^(const|let|var) appRoot = /.test(line);
    expect(uses.filter((line) => !isAppRoot(line) && !line.includes('createRequire(import.meta.url)'))).toEqual([]);
    expect(uses.some(isAppRoot)).toBe(true);
  });

  it('keeps main and the core host as ES modules that Node can parse', () => {
    for (const name of ['main.js', 'coreHost.js']) {
      const check = spawnSync(process.execPath, ['--check', join(outDir, name)], { encoding: 'utf8' });
      expect(check.status, `${name}: ${check.stderr}`).toBe(0);
    }
  });

  it('leaves electron, builtins and dependencies external, and drops the unused HTTP stack', () => {
    const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // A specifier's package: `@scope/name` or `name`, without any subpath (`@scope/name/client/index.js`).
    const packageOf = (id: string) => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0] ?? id);
    const allowed = (id: string | undefined) => id !== undefined && (id === 'electron' || id.startsWith('node:') || Object.hasOwn(packageJson.dependencies, packageOf(id)));
    const main = imports(read('main.js'));
    const coreHost = imports(read('coreHost.js'));
    expect(main).toContain('electron');
    expect(main.filter((id) => !allowed(id))).toEqual([]);
    expect(coreHost.filter((id) => !allowed(id))).toEqual([]);
    expect(coreHost).not.toContain('electron');
    expect([...main, ...coreHost]).not.toContain('fastify');
  });
});

/** The bundled core host in a Node child process, adapted to the UtilityChild main expects. */
class ForkedCoreHost implements UtilityChild {
  readonly process: ChildProcess;
  constructor(dataDir: string) {
    this.process = fork(join(outDir, 'coreHost.js'), [`--data-dir=${dataDir}`], {
      execArgv: ['--import', pathToFileURL(shim).href],
      serialization: 'advanced',
      // Headless: the master key comes from the environment instead of the OS keychain.
      env: { ...process.env, STRONGROOM_MASTER_KEY: masterKey, STRONGROOM_ADMIN_PASSPHRASE: 'bundled host passphrase' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
  }
  postMessage(message: MainToHostMessage): void {
    if (this.process.connected) this.process.send(message);
  }
  on(event: 'message' | 'exit', listener: ((message: unknown) => void) | ((code: number) => void)): this {
    if (event === 'message') this.process.on('message', listener);
    else this.process.on('exit', (code) => listener(code ?? 1));
    return this;
  }
  kill(): boolean {
    return this.process.kill('SIGKILL');
  }
}

/** The real CoreHost over bundled core hosts in `dataDir`: every child it forked, every exit it saw. */
function hostOver(dataDir: string, options: Pick<CoreHostOptions, 'onStartupFailed'> = {}) {
  const children: ForkedCoreHost[] = [];
  const exits: Array<[number, boolean]> = [];
  const host = new CoreHost({
    spawn: () => {
      const child = new ForkedCoreHost(dataDir);
      children.push(child);
      return child;
    },
    onEvent: () => undefined,
    onExit: (code, willRestart) => exits.push([code, willRestart]),
    ...options,
  });
  return { host, children, exits };
}

describe('bundled core host driven by CoreHost', () => {
  it('answers calls, survives a crash, and shuts down cleanly', async () => {
    const dataDir = join(scratch, 'data');
    const { host, children, exits } = hostOver(dataDir);

    // The window starts signed out; signing in binds the session to it.
    expect(await host.call('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } });
    expect(await host.call('auth.signInLocal', { passphrase: 'bundled host passphrase' })).toMatchObject({ ok: true, value: { signedIn: true } });
    const info = await host.call('system.info', {});
    expect(info).toMatchObject({ ok: true, value: { name: 'Strongroom', mode: 'desktop', dataDir } });
    expect(await host.call('system.nope', {})).toMatchObject({ ok: false, error: { code: 'ERR_API_UNKNOWN_METHOD' } });
    expect(existsSync(join(dataDir, 'logs', 'strongroom.log'))).toBe(true);
    // The bundle finds what ships beside it (core/base/paths.ts): the workflows, the customer
    // table their lookups read, and the standalone audit verifier the Audit page hands out.
    const workflows = await host.call('workflows.list', {});
    expect(workflows.ok && (workflows.value as Array<{ id: string }>).map((w) => w.id).sort()).toEqual(['credit-memo', 'credit-risk-section', 'kyc-periodic-review', 'sar-narrative']);
    const kit = await host.call('audit.verifierKit', {});
    expect(kit).toMatchObject({ ok: true, value: { script: { fileName: 'verify-audit.mjs', content: readFileSync(join(root, 'scripts', 'verify-audit.mjs'), 'utf8') } } });
    const lookup = 'id: lookup\nname: Look a customer up\ninputs: {type: object}\nsteps:\n  - {id: find, kind: tool, tool: customer_lookup, args: {customerId: {value: CUST-100482}}}\n';
    expect(await host.call('workflows.import', { text: lookup })).toMatchObject({ ok: true });
    const started = await host.call('runs.start', { workflowId: 'lookup', input: {} });
    const runId = (started as { ok: true; value: { id: string } }).value.id;
    let run = await host.call('runs.get', { runId });
    for (let i = 0; i < 200 && run.ok && (run.value as { status: string }).status === 'running'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      run = await host.call('runs.get', { runId });
    }
    expect(run).toMatchObject({ ok: true, value: { status: 'completed', output: { found: true, customer: { legalName: 'Tallowmere Precision Castings, Inc.' } } } });
    const drafting = await host.call('drafts.workflows', {});
    expect(drafting.ok && (drafting.value as Array<{ id: string; sample: unknown }>).find((w) => w.id === 'credit-memo')?.sample).toMatchObject({ borrower: expect.anything() as unknown });

    // Crash the core with a call in flight: the call fails, never hangs; the next call is served
    // by a restarted core.
    // Stop the core first, so the call is certainly still in flight when the core dies.
    children[0]?.process.kill('SIGSTOP');
    const inFlight = host.call('auth.status', {});
    children[0]?.kill();
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'ERR_TRANSPORT_FAILED' } });
    expect(exits).toEqual([[1, true]]);
    // The restarted core answers (the headless session was memory-only, so it asks for sign-in again).
    expect(await host.call('auth.status', {})).toMatchObject({ ok: true, value: { signedIn: false, localSetupRequired: false } });
    expect(children).toHaveLength(2);

    const exited = new Promise<number | null>((resolve) => children[1]?.process.once('exit', (code) => resolve(code)));
    await host.dispose();
    expect(await exited).toBe(0);
    expect(await host.call('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_TRANSPORT_FAILED' } });
  });
});

describe('bundled core host that cannot start', () => {
  it('reports the typed error to CoreHost, writes it to the log file, exits with the no-restart status and is not restarted', async () => {
    const dataDir = join(scratch, 'wrong-key');
    // An installation set up with another master key than the one the core host is given.
    const setUp = await createCore({ dataDir, mode: 'cli', heartbeatMs: 0, resumeInterruptedRuns: false, secrets: new EnvironmentSecretStore(randomBytes(32).toString('base64')) });
    await setUp.dispose();
    let failed: (error: { code: string; message: string }) => void = () => undefined;
    const reported = new Promise<{ code: string; message: string }>((resolve) => (failed = resolve));
    const { host, children, exits } = hostOver(dataDir, { onStartupFailed: (error) => failed(error) });
    const call = host.call('auth.status', {});
    const exited = new Promise<number | null>((resolve) => children[0]?.process.once('exit', (code) => resolve(code)));
    const error = await reported;
    expect(error).toMatchObject({ code: 'ERR_SECRETS_KEY_MISMATCH', message: expect.stringContaining('STRONGROOM_MASTER_KEY') as string });
    expect(await call).toEqual({ ok: false, error });
    expect(await exited).toBe(startupFailedExitCode);
    expect(children).toHaveLength(1);
    expect(exits).toEqual([]);
    const log = readFileSync(join(dataDir, 'logs', 'strongroom.log'), 'utf8');
    expect(log).toContain('ERR_SECRETS_KEY_MISMATCH');
    expect(log).not.toContain(masterKey);
    await host.dispose();
  });
});
