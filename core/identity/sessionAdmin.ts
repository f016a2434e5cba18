import { CoreError } from '../base/index.ts';
import type { MethodInput, MethodOutput } from '../contracts/index.ts';
import type { Principal } from '../api/index.ts';
import type { Storage } from '../storage/index.ts';
import type { IdentityService } from './service.ts';
import { hashSessionId } from './sessions.ts';
import type { IdentityStore, SessionRecord } from './store.ts';

export interface SessionAdminContext {
  principal: Principal;
  /** The caller's own session id, to mark its row (`own`); null for the CLI's operator. */
  sessionId: string | null;
  requestId?: string;
}

type SessionRow = MethodOutput<'admin.sessions.list'>[number];

/**
 * Who is signed in, and ending their sessions (offboarding, a stolen laptop): admin.sessions.list
 * and .end. Sessions come from the database, so the CLI sees and ends those of a running serve
 * (which notices a row ended elsewhere at the session's next call or event-stream heartbeat).
 *
 * What an administrator sees: an installation administrator (and the CLI's operator) every
 * session; an account administrator only sessions acting in their account now. A person who is a
 * member of several accounts and acts in another one is not shown to this account's
 * administrators — where they work is that account's business — and ending "every session" of a
 * person ends only those shown. Anything not shown is refused exactly as a handle or person that
 * does not exist.
 */
export class SessionAdministration {
  private readonly storage: Storage;
  private readonly store: IdentityStore;
  private readonly identity: IdentityService;

  constructor(options: { storage: Storage; store: IdentityStore; identity: IdentityService }) {
    this.storage = options.storage;
    this.store = options.store;
    this.identity = options.identity;
  }

  private visibleTo(principal: Principal): SessionRecord[] {
    return this.identity.actingSessions().filter((record) => principal.installationAdmin || record.accountId === principal.accountId);
  }

  /** The sessions the caller administers, by person, then oldest first. */
  list(context: SessionAdminContext): SessionRow[] {
    const own = context.sessionId === null ? null : hashSessionId(context.sessionId);
    const accountNames = new Map(this.storage.accounts.list().map((account) => [account.id, account.name]));
    const rows = this.visibleTo(context.principal).map((record): SessionRow => {
      const accountId = record.accountId ?? '';
      return {
        handle: record.idHash,
        userId: record.userId,
        displayName: this.nameOf(record.userId),
        email: this.store.userById(record.userId)?.email ?? null,
        kind: record.kind,
        accountId,
        accountName: accountNames.get(accountId) ?? accountId,
        startedAt: new Date(record.createdAt).toISOString(),
        verifiedAt: new Date(record.verifiedAt).toISOString(),
        lastSeenAt: record.lastSeenAt === null ? null : new Date(record.lastSeenAt).toISOString(),
        endsAt: new Date(this.identity.endsAt(record)).toISOString(),
        own: record.idHash === own,
      };
    });
    return rows.sort((a, b) => a.displayName.localeCompare(b.displayName) || a.userId.localeCompare(b.userId) || a.startedAt.localeCompare(b.startedAt));
  }

  /**
   * Ends one session or every session of one person that the caller administers, each in its own
   * audited transaction (`auth.sessionEnded`, reason `ended-by-admin`, the administrator as actor,
   * `user:<id>` as resource, concerning the account the session acted in).
   */
  end(input: MethodInput<'admin.sessions.end'>, context: SessionAdminContext): { ended: number } {
    const visible = this.visibleTo(context.principal);
    const byHandle = 'handle' in input;
    const targets = byHandle ? visible.filter((record) => record.idHash === input.handle) : visible.filter((record) => record.userId === input.userId);
    if (targets.length === 0) {
      // The same answer whether it ended already, is another account's, or never existed; audited
      // by the router as a denial naming what was asked for.
      throw byHandle
        ? new CoreError('ERR_NOT_FOUND', 'There is no such session open among those you administer.', { deniedResource: `session:${input.handle}` })
        : new CoreError('ERR_NOT_FOUND', 'This person has no session open among those you administer.', { deniedResource: `user:${input.userId}` });
    }
    const { principal } = context;
    let ended = 0;
    for (const record of targets) {
      const done = this.identity.endForAdministrator(record, {
        action: 'auth.sessionEnded',
        outcome: 'success',
        actor: { userId: principal.userId, accountId: principal.accountId, roles: principal.roles },
        accountId: record.accountId,
        resource: `user:${record.userId}`,
        requestId: context.requestId ?? null,
        details: { reason: 'ended-by-admin', session: record.idHash, kind: record.kind, by: byHandle ? 'session' : 'user' },
      });
      if (done) ended += 1;
    }
    return { ended };
  }

  /** A person as pages name them (the local administrator by role, as on the Members page). */
  private nameOf(userId: string): string {
    const user = this.store.userById(userId);
    if (!user) return userId;
    if (user.kind === 'local-admin') return 'Local administrator';
    return user.displayName || (user.subject ?? user.id);
  }
}
