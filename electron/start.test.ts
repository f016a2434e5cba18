// `npm start` (scripts/start.mjs) on a machine like CI: no Electron runtime, no display. It must
// say why in one stderr line, hand stdout to serve mode untouched, forward signals and pass the
// exit code through; with a runtime and a display it launches Electron on the app.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const script = join(root, 'scripts', 'start.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'strongroom-start-'));
const rendererBuilt = existsSync(join(root, 'dist', 'renderer', 'index.html'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** An environment without a display, where Electron's runtime lookup finds nothing. */
function headlessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // The master key comes from the environment, as on any headless machine without a keychain.
  // The local administrator's first-run passphrase comes from the environment too, so serve prints no banner.
  const env: NodeJS.ProcessEnv = { ...process.env, STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64'), STRONGROOM_ADMIN_PASSPHRASE: randomBytes(12).toString('hex'), ELECTRON_OVERRIDE_DIST_PATH: join(scratch, 'no-electron-here'), ...extra };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

/** Starts `npm start`, waits for serve's JSON line, sends `signal`, and collects the outcome. */
async function startAndStop(env: NodeJS.ProcessEnv, signal: NodeJS.Signals) {
  // serve starts an installation in a named data directory that exists (a missing one may be a volume that did not mount).
  const dataDir = join(scratch, `data-${Date.now()}`);
  mkdirSync(dataDir);
  const child = spawn(process.execPath, [script, '--port', '0', '--data-dir', dataDir], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stdoutLines: string[] = [];
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdoutLines.push(line);
      resolve(line);
    });
    child.once('exit', () => reject(new Error(`start.mjs exited before serve was ready:\n${stderr}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = JSON.parse(await firstLine) as { url: string; token: string };
  // auth.status is public: it answers before anyone has signed in.
  const health = await fetch(new URL('/api/auth.status', ready.url), { method: 'POST', headers: { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' }, body: '{}' });
  child.kill(signal);
  return { ready, healthStatus: health.status, exitCode: await exit, stderr, stdoutLines };
}

describe('npm start without Electron', () => {
  it.skipIf(!rendererBuilt)('explains in one stderr line, runs serve with stdout untouched, and exits 0 on SIGTERM', async () => {
    const outcome = await startAndStop(headlessEnv(), 'SIGTERM');
    expect(outcome.ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(outcome.ready.token).toMatch(/^[\w-]{20,}$/);
    expect(outcome.healthStatus).toBe(200);
    expect(outcome.stdoutLines).toHaveLength(1);
    // Serve logs JSON lines to stderr; start.mjs adds exactly one plain line of its own.
    const plain = outcome.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatch(/^Electron runtime not available \(.+\); starting serve mode instead\.$/);
    expect(outcome.exitCode).toBe(0);
  });

  it.skipIf(!rendererBuilt)('says when the runtime exists but there is no display, and forwards SIGINT', async () => {
    const electronDir = join(scratch, 'electron-present');
    mkdirSync(electronDir, { recursive: true });
    const fake = join(electronDir, 'electron');
    writeFileSync(fake, '#!/bin/sh\nexit 0\n');
    chmodSync(fake, 0o755);
    const outcome = await startAndStop(headlessEnv({ ELECTRON_OVERRIDE_DIST_PATH: electronDir }), 'SIGINT');
    const plain = outcome.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
    expect(plain).toEqual(['No display available (DISPLAY and WAYLAND_DISPLAY are unset); starting serve mode instead.']);
    expect(outcome.exitCode).toBe(0);
  });
});

describe('npm start with Electron and a display', () => {
  it.skipIf(!rendererBuilt || process.platform !== 'linux')('launches the Electron runtime on the app directory with the arguments, and returns its exit code', async () => {
    const electronDir = join(scratch, 'electron-runtime');
    mkdirSync(electronDir, { recursive: true });
    const argsFile = join(scratch, 'electron-args.txt');
    const fake = join(electronDir, 'electron');
    // A stand-in runtime: records its arguments and exits with a code start.mjs must pass on.
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nexit 3\n`);
    chmodSync(fake, 0o755);
    const env = { ...headlessEnv({ ELECTRON_OVERRIDE_DIST_PATH: electronDir }), DISPLAY: ':99' };
    const child = spawn(process.execPath, [script, '--inspect-me'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(3);
    expect(readFileSync(argsFile, 'utf8').trim().split('\n')).toEqual([root, '--inspect-me']);
    expect(stderr).not.toMatch(/serve mode/);
    expect(existsSync(join(root, 'dist', 'electron', 'main.js'))).toBe(true);
  });
});
