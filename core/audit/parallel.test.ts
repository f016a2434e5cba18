import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localOperator, startHttpServer } from '../api/index.ts';
import type { HttpServer } from '../api/index.ts';
import type { Core } from '../createCore.ts';
import { EnvironmentSecretStore } from '../secrets/index.ts';
import { apiAs, openCore, principalFor, tempDir } from './testing.ts';
import { verifyDatabase } from './verifyDatabase.ts';

const appender = new URL('./testing/crashAppender.ts', import.meta.url).pathname;
const dir = tempDir('parallel');
const key = randomBytes(32).toString('base64');
let core: Core;
let server: HttpServer;

function runAppender(start: number, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [appender, dir.path, String(start), String(count)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, STRONGROOM_MASTER_KEY: key } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`appender failed (${code}): ${stderr.slice(0, 800)}`))));
  });
}

beforeAll(async () => {
  core = await openCore(dir.path, { secrets: new EnvironmentSecretStore(key), every: 25 });
  server = await startHttpServer({ router: core.router, events: core.events, logger: core.logger, sessionId: core.sessions.create(localOperator()).id });
});
afterAll(async () => {
  await server.close();
  await core.dispose();
  dir.cleanup();
});

describe('concurrency', () => {
  it('parallel API calls over HTTP and in-process, with two other processes appending at the same time, make one linear chain', async () => {
    const ops = apiAs(core);
    const accounts = await Promise.all(['Alpha', 'Beta', 'Gamma'].map((name) => ops.call('admin.accounts.create', { name })));
    const before = core.audit!.currentHead().seq;
    const post = (method: string, body: unknown) =>
      fetch(`${server.origin}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: JSON.stringify(body) }).then((response) => response.json() as Promise<{ ok: boolean }>);
    const analyst = apiAs(core, principalFor(accounts[0]!.id, 'analyst'));
    const calls: Array<Promise<{ ok: boolean }>> = [];
    for (let i = 0; i < 120; i += 1) {
      const account = accounts[i % 3]!;
      calls.push(post('admin.groups.map', { accountId: account.id, group: `group-${i}`, role: 'reviewer' }));
      calls.push(post('audit.retention.set', { accountId: account.id, retentionDays: 3000 + i }));
      calls.push(analyst.bridge.invoke('audit.purge', {})); // denied: recorded by the router
    }
    const processes = [runAppender(1_000_000, 150), runAppender(2_000_000, 150)];
    const results = await Promise.all(calls);
    await Promise.all(processes);
    expect(results.filter((result) => result.ok)).toHaveLength(240);

    const head = core.audit!.currentHead();
    // 240 changes + 120 denials here, 2 × 150 from the other processes.
    expect(head.seq - before).toBe(240 + 120 + 300);
    const rows = core.storage!.db.prepare('SELECT seq, prev, hash FROM audit_log ORDER BY seq').all() as Array<{ seq: number; prev: string; hash: string }>;
    rows.forEach((row, index) => {
      expect(row.seq).toBe(index + 1);
      if (index > 0) expect(row.prev).toBe(rows[index - 1]!.hash);
    });
    expect(new Set(rows.map((row) => row.prev)).size).toBe(rows.length);
    expect(await verifyDatabase(core.audit!)).toMatchObject({ ok: true, entries: head.seq });
  }, 120_000);
});
