import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ServeOptions {
  /** An existing data directory (a restart); a fresh one when omitted. */
  dataDir?: string;
  /** The headless master key; must be the same across restarts and CLI calls on one data directory. */
  masterKey?: string;
  /** The local administrator's first-run passphrase (STRONGROOM_ADMIN_PASSPHRASE); generated when omitted. */
  adminPassphrase?: string;
  env?: Record<string, string>;
  args?: string[];
}

export interface ServeHandle {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  masterKey: string;
  /** What the local administrator signs in with (only applied on a data directory's first run). */
  adminPassphrase: string;
  /** What serve wrote on stderr (its log lines), for a failing test's message. */
  stderr(): string;
  stop(): Promise<number | null>;
}

/** The environment every `strongroom` process of one installation shares. */
function installationEnv(masterKey: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // A headless key source: the e2e journeys never touch the OS keychain (storage tests do).
  return { ...process.env, STRONGROOM_MASTER_KEY: masterKey, ...extra };
}

export function newMasterKey(): string {
  return randomBytes(32).toString('base64');
}

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'strongroom-e2e-'));
}

/**
 * Starts `strongroom serve` exactly as a user would (`bin/strongroom.js`), by default on a fresh
 * data directory with a known local administrator passphrase, and waits for its one JSON line.
 */
export async function startServe(options: ServeOptions = {}): Promise<ServeHandle> {
  const dataDir = options.dataDir ?? newDataDir();
  const masterKey = options.masterKey ?? newMasterKey();
  const adminPassphrase = options.adminPassphrase ?? `e2e-${randomBytes(12).toString('base64url')}`;
  const child: ChildProcess = spawn(process.execPath, ['bin/strongroom.js', 'serve', '--data-dir', dataDir, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: installationEnv(masterKey, { STRONGROOM_ADMIN_PASSPHRASE: adminPassphrase, ...options.env }),
  });
  // Kept, not echoed: one log line per API call would drown the test report.
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-200_000); });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`strongroom serve exited with ${code} before it was ready:\n${stderr.slice(-2000)}`)));
  });
  const { url, token } = JSON.parse(line) as { url: string; token: string };
  return {
    url,
    token,
    dataDir,
    masterKey,
    adminPassphrase,
    origin: new URL(url).origin,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

/**
 * An installation that can actually run workflows: serve once (the first run creates the local
 * administrator), stop, register `strongroom demo`'s generated test model and run `prepare` (e.g.
 * workflow imports) with the CLI while nothing serves, then serve again on the same data.
 */
export async function startServeWithDemoModel(prepare: (installation: ServeHandle) => Promise<void> = async () => undefined): Promise<ServeHandle> {
  const first = await startServe();
  const exitCode = await first.stop();
  if (exitCode !== 0) throw new Error(`the first strongroom serve exited with ${exitCode}:\n${first.stderr().slice(-2000)}`);
  await strongroom(['demo'], first);
  await prepare(first);
  return startServe({ dataDir: first.dataDir, masterKey: first.masterKey, adminPassphrase: first.adminPassphrase });
}

/**
 * Runs one `strongroom` CLI command against an installation, as its operator would. Rejects with
 * the command's stderr when it fails.
 */
export function strongroom(args: string[], installation: { dataDir: string; masterKey: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['bin/strongroom.js', ...args, '--data-dir', installation.dataDir], { env: installationEnv(installation.masterKey) }, (error, stdout, stderr) => {
      if (error) reject(new Error(`strongroom ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}
