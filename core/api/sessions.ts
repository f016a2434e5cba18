import { randomBytes } from 'node:crypto';
import type { Principal } from './principal.ts';

export interface Session {
  id: string;
  principal: Principal;
  createdAt: number;
}

/**
 * Live sessions, keyed by an unguessable id. Transports map their credential (an IPC window, an
 * HTTP bearer token, a CLI invocation) to a session id; the router turns that into a principal.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  create(principal: Principal): Session {
    const session: Session = { id: randomBytes(24).toString('base64url'), principal, createdAt: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  resolve(sessionId: string | null | undefined): Session | undefined {
    return sessionId ? this.sessions.get(sessionId) : undefined;
  }

  revoke(sessionId: string): boolean {
    return this.sessions.delete(sessionId);
  }
}
