import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../base/index.ts';
import { openDatabase } from '../../storage/index.ts';
import type { SqliteDatabase } from '../../storage/index.ts';
import { createCounterTool, readCounter } from './counterTool.ts';
import { contextFor, failure } from './testing/helpers.ts';
import { SqliteToolCallLedger } from './ToolCallLedger.ts';
import type { ToolCallRef } from './ToolCallLedger.ts';
import { toolError } from './toolErrors.ts';

let dir: string;
let db: SqliteDatabase;
let ledger: SqliteToolCallLedger;
const clock = { now: () => 1_700_000_000_000, monotonic: () => 0 };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-ledger-'));
  db = openDatabase(join(dir, 'strongroom.db'));
  ledger = new SqliteToolCallLedger({ db, clock });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ref = (idempotencyKey: string, accountId = 'account-a', tool = 'payments.transfer'): ToolCallRef => ({ accountId, idempotencyKey, tool });

describe('counter tool with the ledger', () => {
  it('applies a key once: the second call returns the first result and does not increment', async () => {
    const counter = createCounterTool({ db, ledger });
    expect(await counter.call({ counter: 'c' }, contextFor('account-a', 'run-1:steps[0]'))).toEqual({ value: 1 });
    expect(await counter.call({ counter: 'c' }, contextFor('account-a', 'run-1:steps[0]'))).toEqual({ value: 1 });
    expect(readCounter(db, 'account-a', 'c')).toBe(1);
    expect(await counter.call({ counter: 'c', by: 5 }, contextFor('account-a', 'run-1:steps[1]'))).toEqual({ value: 6 });
    expect(readCounter(db, 'account-a', 'c')).toBe(6);
    expect(ledger.get('run-1:steps[0]')).toEqual({ accountId: 'account-a', tool: 'counter', state: 'done', createdAt: clock.now() });
  });

  it('applies a key once across two connections to the same file', async () => {
    const other = openDatabase(join(dir, 'strongroom.db'));
    try {
      const first = createCounterTool({ db, ledger });
      const second = createCounterTool({ db: other, ledger: new SqliteToolCallLedger({ db: other }) });
      const results = await Promise.all([first, second, first, second].map((tool) => tool.call({ counter: 'c' }, contextFor('account-a', 'run-2:steps[0]'))));
      expect(results).toEqual(Array(4).fill({ value: 1 }));
      expect(readCounter(db, 'account-a', 'c')).toBe(1);
    } finally {
      other.close();
    }
  });

  it('never runs a step twice when the process is killed mid-run and the run is redone', async () => {
    const file = join(dir, 'crash.db');
    const count = 400;
    // Kill the first worker once it has acknowledged some steps, then redo every step from 0.
    const firstAcknowledged = await runWorker(file, count, 60);
    expect(firstAcknowledged).toBeGreaterThanOrEqual(60);
    expect(firstAcknowledged).toBeLessThan(count);
    expect(await runWorker(file, count)).toBe(count);
    const check = openDatabase(file);
    try {
      expect(readCounter(check, 'account-a', 'crash')).toBe(count);
      expect(check.prepare('SELECT count(*) AS n FROM tool_calls').get()).toEqual({ n: count });
    } finally {
      check.close();
    }
  });

  it('rolls the effect back with the entry when the effect throws, so a retry runs it', () => {
    expect(() =>
      ledger.runOnce(ref('k'), (handle) => {
        handle.exec('CREATE TABLE IF NOT EXISTS effects (n INTEGER)');
        handle.exec('INSERT INTO effects VALUES (1)');
        throw new Error('effect failed');
      }),
    ).toThrow('effect failed');
    expect(ledger.get('k')).toBeUndefined();
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'effects'").get()).toEqual({ n: 0 });
    expect(ledger.runOnce(ref('k'), () => 'ran')).toEqual({ value: 'ran', replayed: false });
  });

  it('refuses a key reused by another account or tool', async () => {
    ledger.runOnce(ref('k'), () => 1);
    const byOtherAccount = await failure(Promise.resolve().then(() => ledger.runOnce(ref('k', 'account-b'), () => 2)));
    expect(byOtherAccount.code).toBe('ERR_CONFLICT');
    const byOtherTool = await failure(ledger.runAtMostOnce(ref('k', 'account-a', 'other.tool'), async () => 3));
    expect(byOtherTool.code).toBe('ERR_CONFLICT');
  });
});

describe('ledger for asynchronous effects (remote calls)', () => {
  it('replays a recorded answer without calling again', async () => {
    let calls = 0;
    const effect = async () => ({ transfer: ++calls, at: undefined });
    expect(await ledger.runAtMostOnce(ref('k'), effect)).toEqual({ value: { transfer: 1 }, replayed: false });
    expect(await ledger.runAtMostOnce(ref('k'), effect)).toEqual({ value: { transfer: 1 }, replayed: true });
    expect(calls).toBe(1);
  });

  it('forgets a call refused before it was sent, so a retry runs it', async () => {
    let calls = 0;
    const refused = await failure(
      ledger.runAtMostOnce(ref('k'), async () => {
        calls += 1;
        throw toolError('ERR_TOOL_FAILED', 'unavailable', { tool: 'payments.transfer', reason: 'unavailable', outcome: 'not_applied' });
      }),
    );
    expect(refused.details).toMatchObject({ reason: 'unavailable' });
    expect(ledger.get('k')).toBeUndefined();
    expect(await ledger.runAtMostOnce(ref('k'), async () => ++calls)).toEqual({ value: 2, replayed: false });
  });

  it("records the tool's error answer and replays it as the same error", async () => {
    let calls = 0;
    const effect = async (): Promise<never> => {
      calls += 1;
      throw toolError('ERR_TOOL_FAILED', 'Tool payments.transfer reported an error.', { tool: 'payments.transfer', reason: 'tool_error', outcome: 'failed' });
    };
    const first = await failure(ledger.runAtMostOnce(ref('k'), effect));
    const replay = await failure(ledger.runAtMostOnce(ref('k'), effect));
    expect(calls).toBe(1);
    expect(replay).toBeInstanceOf(CoreError);
    expect({ code: replay.code, message: replay.message }).toEqual({ code: first.code, message: first.message });
    expect(replay.details).toMatchObject({ reason: 'tool_error', replayed: true });
  });

  it('refuses to repeat a call whose outcome is unknown (timeout, crash)', async () => {
    let calls = 0;
    await expect(
      ledger.runAtMostOnce(ref('k'), async () => {
        calls += 1;
        throw toolError('ERR_TOOL_TIMEOUT', 'timed out', { tool: 'payments.transfer', reason: 'timeout' });
      }),
    ).rejects.toMatchObject({ code: 'ERR_TOOL_TIMEOUT' });
    expect(ledger.get('k')?.state).toBe('pending');
    const again = await failure(ledger.runAtMostOnce(ref('k'), async () => ++calls));
    expect(again.code).toBe('ERR_TOOL_FAILED');
    expect(again.details).toMatchObject({ reason: 'outcome_unknown' });
    expect(calls).toBe(1);
  });

  it('stores results through the codec, so a sealing codec keeps them off the disk in plaintext', async () => {
    const seen: ToolCallRef[] = [];
    const reverse = (text: string) => [...text].reverse().join('');
    const sealed = new SqliteToolCallLedger({
      db,
      codec: {
        encode: (at, json) => (seen.push(at), Buffer.from(reverse(json))),
        decode: (_at, stored) => reverse(Buffer.from(stored).toString('utf8')),
      },
    });
    await sealed.runAtMostOnce(ref('k'), async () => ({ memo: 'plaintext-marker' }));
    expect(await sealed.runAtMostOnce(ref('k'), async () => ({ memo: 'other' }))).toEqual({ value: { memo: 'plaintext-marker' }, replayed: true });
    expect(seen).toEqual([ref('k')]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(join(dir, 'strongroom.db')).includes('plaintext-marker')).toBe(false);
  });
});

/** Runs the counter worker; kills it after `killAfter` acknowledged steps. Returns how many it acknowledged. */
function runWorker(file: string, count: number, killAfter?: number): Promise<number> {
  const worker = join(import.meta.dirname, 'testing', 'counterWorker.ts');
  const child = spawn(process.execPath, [worker, file, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acknowledged = 0;
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    acknowledged += lines.length;
    if (killAfter !== undefined && acknowledged >= killAfter) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (killAfter === undefined && code !== 0) reject(new Error(`counter worker exited with ${code ?? signal}`));
      else resolve(acknowledged);
    });
  });
}
