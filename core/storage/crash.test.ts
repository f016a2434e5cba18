import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvironmentSecretStore } from '../secrets/index.ts';
import { openTestStorage, tempDir } from './testing/helpers.ts';
import { NotesRepository } from './testing/notes.ts';

const writer = new URL('./testing/crashWriter.ts', import.meta.url).pathname;
const dir = tempDir('crash');
afterAll(() => dir.cleanup());

/** Starts the writer and SIGKILLs it `delayMs` after it reports ready; resolves with the last acknowledged seq. */
function runAndKill(startSeq: number, delayMs: number, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir.path, String(startSeq)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRONGROOM_MASTER_KEY: key } });
    let lastAck = startSeq - 1;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), delayMs);
      else lastAck = Number(line);
    });
    child.once('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${stderr.slice(0, 500)}`));
      // 'exit' can precede the last buffered stdout lines; 'close' follows them.
      child.once('close', () => resolve(lastAck));
    });
  });
}

describe('crash safety', () => {
  it('after 50 SIGKILLs at random moments the database passes integrity_check and holds every acknowledged write', async () => {
    const key = randomBytes(32).toString('base64');
    const secrets = new EnvironmentSecretStore(key);
    await (await openTestStorage(dir.path, { secrets })).dispose();
    let nextSeq = 0;
    let totalAcknowledged = 0;
    for (let round = 0; round < 50; round += 1) {
      const lastAck = await runAndKill(nextSeq, Math.floor(Math.random() * 120), key);
      const storage = await openTestStorage(dir.path, { secrets });
      try {
        expect(storage.db.pragma('integrity_check', { simple: true })).toBe('ok');
        const notes = new NotesRepository(storage.scopeFor({ accountId: storage.accounts.list()[0]!.id }));
        const seqs = new Set(notes.seqs());
        for (let seq = nextSeq; seq <= lastAck; seq += 1) if (!seqs.has(seq)) throw new Error(`round ${round}: acknowledged seq ${seq} is missing`);
        totalAcknowledged += Math.max(0, lastAck - nextSeq + 1);
        // Whatever committed after the last acknowledgement is there too; start above all of it.
        nextSeq = Math.max(lastAck + 1, ...seqs) + 1;
        if (round % 10 === 9) expect(notes.list().every((note) => note.title === `note ${note.seq}`)).toBe(true);
      } finally {
        await storage.dispose();
      }
    }
    expect(totalAcknowledged).toBeGreaterThan(50);
  }, 120_000);
});
