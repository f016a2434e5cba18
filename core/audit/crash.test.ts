import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../base/index.ts';
import { EnvironmentSecretStore } from '../secrets/index.ts';
import { openStorage } from '../storage/index.ts';
import { AuditLog } from './auditLog.ts';
import { genesisHash } from './canonical.ts';
import { tempDir } from './testing.ts';
import { verifyDatabase } from './verifyDatabase.ts';

const appender = new URL('./testing/crashAppender.ts', import.meta.url).pathname;
const dir = tempDir('crash');
afterAll(() => dir.cleanup());

/** Starts the appender, SIGKILLs it `delayMs` after it is ready; resolves with the last acknowledged number. */
function runAndKill(start: number, delayMs: number, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [appender, dir.path, String(start)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRONGROOM_MASTER_KEY: key } });
    let lastAck = start - 1;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), delayMs);
      else lastAck = Number(line);
    });
    child.once('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`appender exited on its own: ${stderr.slice(0, 800)}`));
      child.once('close', () => resolve(lastAck));
    });
  });
}

describe('crash during append', () => {
  it('after 30 SIGKILLs mid-append the chain verifies, every acknowledged entry is there, and every change has its entry and no entry lacks its change', async () => {
    const key = randomBytes(32).toString('base64');
    const secrets = new EnvironmentSecretStore(key);
    await (await openStorage({ dataDir: dir.path, secrets })).dispose();
    let next = 1;
    let acknowledged = 0;
    for (let round = 0; round < 30; round += 1) {
      const lastAck = await runAndKill(next, Math.floor(Math.random() * 150), key);
      const storage = await openStorage({ dataDir: dir.path, secrets });
      try {
        const log = new AuditLog({ storage, clock: systemClock, checkpointEvery: 7 });
        const report = await verifyDatabase(log);
        expect(report, `round ${round}`).toMatchObject({ ok: true, firstProblem: null });
        const numbers = new Set(storage.db.prepare("SELECT json_extract(details, '$.n') FROM audit_log WHERE action LIKE 'test.%'").pluck().all() as number[]);
        for (let n = next; n <= lastAck; n += 1) expect(numbers.has(n), `round ${round}: acknowledged ${n} is missing`).toBe(true);
        // Atomicity: the set of changes equals the set of entries that describe a change.
        const changes = storage.db.prepare("SELECT key FROM meta WHERE key LIKE 'crash-%' ORDER BY key").pluck().all();
        const described = storage.db.prepare("SELECT json_extract(details, '$.key') AS k FROM audit_log WHERE action = 'test.change' ORDER BY k").pluck().all();
        expect(described).toEqual(changes);
        acknowledged += Math.max(0, lastAck - next + 1);
        next = Math.max(lastAck, ...numbers) + 1;
        // The log goes on where the dead process stopped: the next entry links to the last one —
        // or to the genesis hash, when the first round's process died before its first commit.
        const seq = log.append({ action: 'test.after-crash', outcome: 'success', actor: null });
        const previous = seq > 1 ? log.row(seq - 1) : undefined;
        if (seq > 1) expect(previous, `round ${round}: entry ${seq - 1} exists`).toBeDefined();
        expect(log.row(seq)!.prev, `round ${round}`).toBe(previous?.hash ?? genesisHash);
      } finally {
        await storage.dispose();
      }
    }
    expect(acknowledged).toBeGreaterThan(30);
  }, 180_000);
});
