import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../secrets/index.ts';
import { appMigrations, openStorage } from '../storage/index.ts';
import { RunStore } from './store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('RunStore checkpoints across migrations 10 (run_steps without its second unique index) and 12 (run owners, pins)', () => {
  it('keeps the checkpoints of a version-9 database readable, and upserts on (run, path) afterwards', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-run-steps-'));
    dirs.push(dataDir);
    const secrets = new MemorySecretStore();
    const before = appMigrations.filter((migration) => migration.version <= 9);
    expect(before).toHaveLength(9);

    // A database as version 9 left it, with a run and two checkpoints (sealed outputs).
    let storage = await openStorage({ dataDir, secrets, migrations: before });
    const accountId = storage.accounts.list()[0]!.id;
    const scope = storage.scopeFor({ accountId });
    let store = new RunStore(scope);
    // The run row as version 9 wrote it (no owner or pins columns yet).
    storage.db.prepare("INSERT INTO runs (id, account_id, workflow_id, version, status, input, trace_id, created_by, created_at, updated_at) VALUES ('run-1', ?, 'credit-memo', 'v1', 'running', ?, 'trace-1', 'analyst', 1, 1)").run(accountId, scope.sealJson({ table: 'runs', rowId: 'run-1', column: 'input' }, { borrower: 'Acme' }));
    store.saveStep('run-1', { path: 'profile', kind: 'llm', status: 'done', output: { summary: 'Family-owned shipper' }, attempts: 1, startedAt: 2, finishedAt: 3 });
    store.saveStep('run-1', { path: 'approval', kind: 'human', status: 'waiting', attempts: 1, startedAt: 4, finishedAt: null });
    const indexesBefore = (storage.db.pragma('index_list(run_steps)') as { name: string }[]).length;
    await storage.dispose();

    storage = await openStorage({ dataDir, secrets });
    try {
      expect(storage.schemaVersion()).toBe(appMigrations.at(-1)!.version);
      // The primary key's index only: the unique index on key is gone.
      expect(indexesBefore).toBe(2);
      expect((storage.db.pragma('index_list(run_steps)') as { name: string }[]).length).toBe(1);
      store = new RunStore(storage.scopeFor({ accountId }));
      // Migration 12: the run reads back with no owner and no pinned sub-workflows (it follows the latest, as before).
      expect(store.run('run-1')).toMatchObject({ input: { borrower: 'Acme' }, status: 'running', owner: null, ownerSeenAt: null, pins: {} });
      const steps = store.steps('run-1');
      expect(steps.get('profile')).toMatchObject({ status: 'done', output: { summary: 'Family-owned shipper' }, attempts: 1 });
      expect(steps.get('approval')).toMatchObject({ status: 'waiting', output: null });
      // Answering the waiting step updates its row in place.
      store.saveStep('run-1', { path: 'approval', kind: 'human', status: 'done', output: { approved: true }, attempts: 1, startedAt: 4, finishedAt: 5 });
      const after = store.steps('run-1');
      expect(after.size).toBe(2);
      expect(after.get('approval')).toMatchObject({ status: 'done', output: { approved: true }, finishedAt: 5 });
    } finally {
      await storage.dispose();
    }
  });
});
