import { randomBytes } from 'node:crypto';
import type { Principal } from './principal.ts';

export interface Session {
  id: string;
  principal: Principal;
  createdAt: number;
}

/** Turns a transport's session id into the calling principal. Identity provides the real one. */
export interface SessionResolver {
  resolve(sessionId: string | null | undefined): Session | undefined;
}

/**
 * In-memory sessions, keyed by an unguessable id: the CLI's operator session, tests, and the
 * base that identity's persistent sessions build on.
 */
export class SessionRegistry implements SessionResolver {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  create(principal: Principal, id: string = randomBytes(24).toString('base64url')): Session {
    const session: Session = { id, principal, createdAt: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  resolve(sessionId: string | null | undefined): Session | undefined {
    return sessionId ? this.sessions.get(sessionId) : undefined;
  }

  /** Replaces the principal of a live session (account switch, role change). */
  update(sessionId: string, principal: Principal): void {
    const session = this.sessions.get(sessionId);
    if (session) this.sessions.set(sessionId, { ...session, principal });
  }

  revoke(sessionId: string): boolean {
    return this.sessions.delete(sessionId);
  }
}
