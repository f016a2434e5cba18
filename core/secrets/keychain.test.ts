import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeychainSecretStore } from './keychain.ts';
import { masterKeySecretName } from './secretStore.ts';

// The real OS keychain: keytar → libsecret → a Secret Service (gnome-keyring) on the session
// D-Bus. scripts/test-all.mjs provides one on Linux. Off CI, with no Secret Service reachable,
// these tests skip; with CI=true they run regardless and fail, saying why.
const service = `strongroom-test-${process.pid}-${randomBytes(4).toString('hex')}`;
const store = new KeychainSecretStore({ service, timeoutMs: 8_000 });
const onCi = Boolean(process.env.CI) && process.env.CI !== 'false';
let unreachable: string | undefined;
try {
  await store.probe();
} catch (error) {
  unreachable = error instanceof Error ? error.message : String(error);
}

afterAll(async () => {
  if (unreachable) return;
  for (const name of await store.names()) await store.delete(name);
});

describe.skipIf(unreachable !== undefined && !onCi)('OS keychain (keytar + Secret Service)', () => {
  it('is reachable', () => {
    expect(unreachable, 'The Secret Service must be reachable here; run the tests inside dbus-run-session with an unlocked gnome-keyring (scripts/test-all.mjs does).').toBeUndefined();
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
