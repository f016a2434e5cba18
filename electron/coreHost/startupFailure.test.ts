// The core host's start-up failure path, against a real createCore on real database files: the
// error it throws for a wrong or missing master key or a too-new schema reaches main as
// `startupFailed`, lands in the real log file with its code and fix (never the key), and the
// process ends with the status main does not restart. A stand-in plays the parentPort.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/base/index.ts';
import { createCore } from '../../core/index.ts';
import { EnvironmentSecretStore, MemorySecretStore } from '../../core/secrets/index.ts';
import type { SecretStore } from '../../core/secrets/index.ts';
import { openDatabase } from '../../core/storage/index.ts';
import { startupFailedExitCode } from '../shared/coreHostProtocol.ts';
import type { HostToMainMessage } from '../shared/coreHostProtocol.ts';
import { reportStartupFailure } from './startupFailure.ts';

class FakePort extends EventEmitter {
  readonly posted: HostToMainMessage[] = [];
  postMessage(message: HostToMainMessage): void {
    this.posted.push(message);
  }
  fromMain(data: unknown): void {
    this.emit('message', { data });
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const key = randomBytes(32).toString('base64');

/** An installation set up with `key`, then broken by `breakIt`; returns the error core starts with. */
async function failedStart(breakIt: (dataDir: string) => SecretStore): Promise<{ dataDir: string; error: unknown }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-host-start-'));
  dirs.push(dataDir);
  const first = await createCore({ dataDir, mode: 'desktop', heartbeatMs: 0, resumeInterruptedRuns: false, secrets: new EnvironmentSecretStore(key) });
  await first.dispose();
  const secrets = breakIt(dataDir);
  const error = await createCore({ dataDir, mode: 'desktop', heartbeatMs: 0, resumeInterruptedRuns: false, secrets }).then(
    async (core) => {
      await core.dispose();
      return new Error('core started');
    },
    (thrown: unknown) => thrown,
  );
  return { dataDir, error };
}

async function report(dataDir: string, error: unknown) {
  const port = new FakePort();
  const logging = createLogger({ dataDir });
  const exits: number[] = [];
  const stderr: string[] = [];
  const done = reportStartupFailure(error, { port, logger: logging.logger, closeLog: logging.close, stderr: (text) => stderr.push(text), exit: (code) => exits.push(code), graceMs: 5_000 });
  return { port, exits, stderr, done, log: () => readFileSync(join(dataDir, 'logs', 'strongroom.log'), 'utf8') };
}

describe('core host start-up failure', () => {
  const cases: Array<[string, string, (dataDir: string) => SecretStore]> = [
    ['a wrong master key', 'ERR_SECRETS_KEY_MISMATCH', () => new EnvironmentSecretStore(randomBytes(32).toString('base64'))],
    ['a missing master key', 'ERR_SECRETS_KEY_MISSING', () => new MemorySecretStore()],
    [
      'a database from a newer release',
      'ERR_STORAGE_SCHEMA_TOO_NEW',
      (dataDir) => {
        const db = openDatabase(join(dataDir, 'strongroom.db'));
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('from the future');
        db.close();
        return new EnvironmentSecretStore(key);
      },
    ],
  ];

  for (const [what, code, breakIt] of cases) {
    it(`${what}: main gets ${code} with the fix, the log file has it (never the key), and the process ends with the no-restart status once main says so`, async () => {
      const { dataDir, error } = await failedStart(breakIt);
      expect(error).toMatchObject({ code });
      const run = await report(dataDir, error);
      await new Promise((resolve) => setImmediate(resolve));
      expect(run.port.posted).toEqual([{ kind: 'startupFailed', error: { code, message: (error as Error).message } }]);
      expect(run.exits).toEqual([]);
      run.port.fromMain({ kind: 'shutdown' });
      await run.done;
      expect(run.exits).toEqual([startupFailedExitCode]);
      expect(run.stderr.join('')).toContain(code);
      const line = run.log().trim().split('\n').map((text) => JSON.parse(text) as { level: number; msg: string; code?: string; reason?: string }).find((entry) => entry.msg === 'core could not start');
      expect(line).toMatchObject({ level: 60, code, reason: (error as Error).message });
      expect(run.log()).not.toContain(key);
    });
  }

  it('any other error is logged by type only and exits 1, so main restarts the core', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-host-start-'));
    dirs.push(dataDir);
    const run = await report(dataDir, new TypeError('customer Jane Doe owes 5,000'));
    await run.done;
    expect(run.port.posted).toEqual([]);
    expect(run.exits).toEqual([1]);
    expect(run.log()).toContain('TypeError');
    expect(run.log()).not.toContain('Jane Doe');
  });
});
