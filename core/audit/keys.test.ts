// Keys Strongroom makes on its own — an account's first data key, a rotation when a key reaches
// its encryption limit — are audited in the transaction that makes them, like the rotations an
// operator asks for (core/cli/commands/keys.test.ts), and the chain still verifies.
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../createCore.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { apiAs, tempDir } from './testing.ts';
import { verifyDatabase } from './verifyDatabase.ts';

const dir = tempDir('keys');
afterAll(() => dir.cleanup());

describe('automatic key changes', () => {
  it('records an account\u2019s first key and the rotation at the encryption limit, with no actor, and the chain verifies', async () => {
    // A key is due for rotation once 40 encryptions are reserved for it (reserved in blocks of 8).
    const core = await createCore({ dataDir: dir.path, mode: 'test', heartbeatMs: 0, secrets: new MemorySecretStore(), keyLimits: { rotateAfter: 40, reserveBlock: 8 } });
    try {
      const account = await apiAs(core).call('admin.accounts.create', { name: 'Treasury' });
      const storage = core.storage!;
      const scope = storage.scopeFor({ accountId: account.id });
      scope.prepareForWrite();
      const rows = () => storage.db.prepare("SELECT actor_user_id AS actor, account_id AS account, outcome, details FROM audit_log WHERE action = 'keys.rotate' AND account_id = ? ORDER BY seq").all(account.id) as Array<{ actor: string | null; account: string; outcome: string; details: string }>;
      expect(rows()).toHaveLength(1);
      const first = JSON.parse(rows()[0]!.details) as Record<string, unknown>;
      expect(rows()[0]).toMatchObject({ actor: null, account: account.id, outcome: 'success' });
      expect(first).toMatchObject({ key: 'data', automatic: true, reason: 'first key', previousKeyId: null });

      for (let i = 0; i < 48; i += 1) scope.sealJson({ table: 'runs', rowId: `r${i}`, column: 'input' }, { i });
      scope.prepareForWrite(); // the next write transaction rotates the key that reached its limit
      expect(rows()).toHaveLength(2);
      const second = JSON.parse(rows()[1]!.details) as Record<string, unknown>;
      expect(second).toMatchObject({ key: 'data', automatic: true, reason: 'encryption limit', previousKeyId: first.keyId, previousVersion: first.version });
      expect(second.version).toBe((first.version as number) + 1);
      // Key material never reaches the log.
      expect(rows().map((r) => r.details).join('')).not.toMatch(/[A-Za-z0-9+/]{40,}/);
      expect((await verifyDatabase(core.audit!)).ok).toBe(true);
    } finally {
      await core.dispose();
    }
  });
});
