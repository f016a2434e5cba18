// The real OS keychain for tests: keytar → libsecret → a Secret Service (gnome-keyring) on the
// session D-Bus, which scripts/test-all.mjs provides on Linux. Off CI, with no Secret Service
// reachable, keychain tests skip; with CI=true they run regardless and fail, saying why.
import { randomBytes } from 'node:crypto';
import { KeychainSecretStore } from './keychain.ts';

export interface TestKeychain {
  /** A store under a service name of its own, so tests never touch a real "Strongroom" entry. */
  store: KeychainSecretStore;
  service: string;
  /** Why the keychain cannot be reached, or undefined when it can. */
  unreachable: string | undefined;
  /** Whether keychain tests should skip (unreachable, and not on CI). */
  skip: boolean;
  /** What a test asserts first, so a CI run without a Secret Service fails with the fix. */
  reachableMessage: string;
  /** Deletes every secret the tests stored. */
  cleanup: () => Promise<void>;
}

export async function testKeychain(prefix: string): Promise<TestKeychain> {
  const service = `strongroom-test-${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const store = new KeychainSecretStore({ service, timeoutMs: 8_000 });
  const onCi = Boolean(process.env.CI) && process.env.CI !== 'false';
  let unreachable: string | undefined;
  try {
    await store.probe();
  } catch (error) {
    unreachable = error instanceof Error ? error.message : String(error);
  }
  return {
    store,
    service,
    unreachable,
    skip: unreachable !== undefined && !onCi,
    reachableMessage: 'The Secret Service must be reachable here; run the tests inside dbus-run-session with an unlocked gnome-keyring (scripts/test-all.mjs does).',
    cleanup: async () => {
      if (unreachable) return;
      for (const name of await store.names()) await store.delete(name);
    },
  };
}
