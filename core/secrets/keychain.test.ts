import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { masterKeySecretName } from './secretStore.ts';
import { testKeychain } from './testing.ts';

// The real OS keychain (see testing.ts): skipped off CI when no Secret Service is reachable.
const { store, unreachable, skip, reachableMessage, cleanup } = await testKeychain('keychain');
afterAll(cleanup);

describe.skipIf(skip)('OS keychain (keytar + Secret Service)', () => {
  it('is reachable', () => {
    expect(unreachable, reachableMessage).toBeUndefined();
  });

  it('stores, reads back, lists and deletes a secret under a test-only service name', async () => {
    const value = randomBytes(32).toString('base64');
    await store.set('round-trip', value);
    expect(await store.get('round-trip')).toBe(value);
    expect(await store.names()).toContain('round-trip');
    expect(await store.delete('round-trip')).toBe(true);
    expect(await store.get('round-trip')).toBeNull();
    expect(await store.delete('round-trip')).toBe(false);
  });

  it('receives the master key on first run, and the next run uses that key', async () => {
    const { openStorage } = await import('../storage/index.ts');
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-keychain-'));
    try {
      const first = await openStorage({ dataDir, secrets: store });
      const name = masterKeySecretName(first.installationId, 1);
      const stored = await store.get(name);
      expect(first.firstRun.masterKey).toBe(true);
      expect(stored).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      await first.dispose();
      const second = await openStorage({ dataDir, secrets: store });
      expect(second.firstRun.masterKey).toBe(false);
      expect(second.keys.describeKeys().every((key) => key.unwraps)).toBe(true);
      await second.dispose();
      await store.delete(name);
      await expect(openStorage({ dataDir, secrets: store })).rejects.toMatchObject({ code: 'ERR_SECRETS_KEY_MISSING' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
