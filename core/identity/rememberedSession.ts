import type { SecretStore } from '../secrets/index.ts';

/** Where the desktop keeps the id of the window's session, so it can resume after a restart. */
export interface SessionSlot {
  get(): string | null;
  set(sessionId: string | null): void;
}

/**
 * The desktop's session slot. The session id is a bearer secret, so it lives in the OS keychain
 * (never in a file); where the secret store is not writable (headless key from the environment)
 * the slot is memory-only and the user signs in again after a restart. Resuming goes through the
 * identity service, which refuses a session past its offline grace period.
 */
export async function rememberedSession(secrets: SecretStore, installationId: string): Promise<SessionSlot> {
  const name = `${installationId}/desktop-session`;
  const persistent = secrets.writable && secrets.backend === 'keychain';
  let current = persistent ? await secrets.get(name).catch(() => null) : null;
  return {
    get: () => current,
    set(sessionId) {
      current = sessionId;
      if (!persistent) return;
      void (sessionId === null ? secrets.delete(name) : secrets.set(name, sessionId)).catch(() => undefined);
    },
  };
}

/** A slot held in memory only (tests, headless). */
export function memorySessionSlot(initial: string | null = null): SessionSlot {
  let current = initial;
  return { get: () => current, set: (sessionId) => { current = sessionId; } };
}
