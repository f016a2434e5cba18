import { createHash, randomBytes } from 'node:crypto';
import type { Principal, Session, SessionResolver } from '../api/index.ts';

/** A signed-in session as identity keeps it in memory; the database holds only the id's hash. */
export interface LiveSession {
  id: string;
  idHash: string;
  userId: string;
  kind: 'local' | 'oidc';
  accountId: string;
  principal: Principal;
  createdAt: number;
  /** When the IdP last vouched for this session (sign-in or refresh). */
  verifiedAt: number;
  /** When this process last wrote the session's last use to its row (service.seen). */
  lastSeenWrittenAt?: number;
  /**
   * What the session's pages show of it — permissions where it acts, the accounts and roles it may
   * switch to — as one comparable string (`standingOf`): when it changes, they are told
   * (`auth.sessionChanged`).
   */
  standing: string;
}

/** A principal and the memberships behind it as `LiveSession.standing` compares them. */
export function standingOf(principal: Principal, memberships: readonly { accountId: string; role: string }[]): string {
  return JSON.stringify([principal.accountId, principal.displayName, principal.installationAdmin, [...principal.permissions].sort(), memberships.map((m) => `${m.accountId}:${m.role}`).sort()]);
}

export function newSessionId(): { id: string; idHash: string } {
  const id = randomBytes(32).toString('base64url');
  return { id, idHash: hashSessionId(id) };
}

/** Session ids are bearer secrets: only their SHA-256 is stored. */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** Composes several resolvers; the first that knows a session id answers. */
export function firstResolver(...resolvers: SessionResolver[]): SessionResolver {
  return {
    resolve(sessionId): Session | undefined {
      for (const resolver of resolvers) {
        const session = resolver.resolve(sessionId);
        if (session) return session;
      }
      return undefined;
    },
  };
}
