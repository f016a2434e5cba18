// The lease refresh runs on a timer while runs execute. When it cannot write — the master key was
// rotated by `strongroom keys rotate --master` in another process while this one runs — it must
// not take the process down with everyone's work: it logs, and requests say what happened.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../secrets/index.ts';
import { openStorage, rotateMasterKey } from '../storage/index.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import { instantModel } from './testing/instantModel.ts';

const slow = `id: slow
name: Slow
inputs: {type: object}
steps:
  - {id: draft, kind: llm, prompt: "Summarise the file"}
`;

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.core.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('refreshing the leases of executing runs', () => {
  it('survives a master key rotated by another process, logs it, and tells callers to restart with the new key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-lease-refresh-'));
    dirs.push(dataDir);
    const secrets = new MemorySecretStore();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(line); } });
    const h = await harness({ workflows: { slow }, model: instantModel({ delayMs: 2_000 }), dataDir, secrets, logger, lease: { refreshMs: 20 } });
    open.push(h);
    const run = await h.call('runs.start', { workflowId: 'slow', input: {} });

    // What `strongroom keys rotate --master` does from another process while this one runs.
    const cli = await openStorage({ dataDir, secrets });
    await rotateMasterKey(cli);
    await cli.dispose();

    // Several refreshes later the process is still here (an exception on the timer would fail this
    // test as an unhandled error), and it said why the refresh failed — without any content.
    await expect.poll(() => lines.filter((line) => line.includes('could not refresh the leases')).length, { timeout: 5_000 }).toBeGreaterThan(1);
    const logged = JSON.parse(lines.find((line) => line.includes('could not refresh the leases'))!) as Record<string, unknown>;
    expect(logged).toMatchObject({ code: 'ERR_SECRETS_KEY_MISMATCH' });
    // A request that needs the account's key says what happened and what to do, not "tampered".
    await expect(h.call('runs.get', { runId: run.id })).rejects.toMatchObject({ code: 'ERR_SECRETS_KEY_MISMATCH' });
    await expect(h.call('runs.get', { runId: run.id })).rejects.toThrow(/master key was rotated .* Restart Strongroom/);
  });
});
