import { CoreError } from '../base/index.ts';
import type { Clock, EventBus, Logger } from '../base/index.ts';
import { roles as allRoles, SessionEndReasonSchema } from '../contracts/index.ts';
import type { AuthStatus, IdpConfig, Role } from '../contracts/index.ts';
import type { Principal, Session, SessionResolver } from '../api/index.ts';
import type { AuditEntry, AuditLog } from '../audit/index.ts';
import type { AccountScope, Storage } from '../storage/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { Sealed } from '../crypto/index.ts';
import { generatePassphrase, hashPassphrase, verifyPassphrase } from './passphrase.ts';
import { buildPrincipal, membershipsOf, rolesFromGroups } from './principals.ts';
import { RelyingParty } from './relyingParty.ts';
import type { PendingSignIn, SignInResult } from './relyingParty.ts';
import { hashSessionId, newSessionId, standingOf } from './sessions.ts';
import type { LiveSession } from './sessions.ts';
import type { IdentityStore, SessionRecord, UserRecord } from './store.ts';

export interface IdentityServiceOptions {
  storage: Storage;
  store: IdentityStore;
  audit: AuditLog;
  secrets: SecretStore;
  clock: Clock;
  events: EventBus;
  logger: Logger;
}

/** After this long without the IdP vouching for a session, auth.status tries a refresh. */
const revalidateAfterMs = 15 * 60_000;
const localFailureLimit = 5;
/** A session ends this long after sign-in, whatever happens (the bank's working day, with margin). */
const sessionLifetimeMs = 12 * 3_600_000;
const localLockoutMs = 60_000;
/** How often serve looks whether another process changed the database (followOtherProcesses). */
const otherWritesEveryMs = 1_000;
/** How often a session's last use is written to its row (Admin → Sessions shows it). */
const lastSeenEveryMs = 60_000;
/** How long the reason a session ended is kept for its holder's sign-in page (auth.status). */
const endedReasonTtlMs = 60 * 60_000;
/** At most this many reasons are kept (the oldest go first), however many sessions end in an hour. */
const endedReasonLimit = 10_000;

type SessionEnded = NonNullable<AuthStatus['sessionEnded']>;
type SessionEndReason = SessionEnded['reason'];

/**
 * Who may act, and as whom. Owns sign-in (local passphrase and OIDC), sessions (persisted as
 * hashes so a desktop can resume offline within the admin-set grace period), and the principal
 * every API call is authorized as. Every sign-in, failure and sign-out is audited in the same
 * transaction as its change.
 */
export class IdentityService implements SessionResolver {
  private readonly storage: Storage;
  private readonly store: IdentityStore;
  private readonly audit: AuditLog;
  private readonly secrets: SecretStore;
  private readonly clock: Clock;
  private readonly events: EventBus;
  private readonly logger: Logger;
  private readonly live = new Map<string, LiveSession>();
  /** The database's data_version when last looked at, and when (followOtherProcesses). */
  private otherWrites: { version: number; checkedAt: number } | undefined;
  private readonly pending = new Map<string, PendingSignIn>();
  private relyingPartyCache: { key: string; rp: RelyingParty } | undefined;
  private localFailures = { count: 0, lockedUntil: 0 };
  /** Verifications under way: counted before the scrypt await, so parallel guesses meet the limit too. */
  private localAttemptsInFlight = 0;
  /** Revalidations under way, shared by every caller: one refresh grant per stale session. */
  private readonly revalidating = new Map<string, Promise<LiveSession | null>>();
  /**
   * Why sessions ended lately, by id hash (oldest first): told to the holder of that session id
   * only — auth.status with its cookie — so the sign-in page can say why, and to nobody else.
   */
  private readonly recentlyEnded = new Map<string, { reason: SessionEndReason; accountId: string | null; at: number }>();

  constructor(options: IdentityServiceOptions) {
    this.storage = options.storage;
    this.store = options.store;
    this.audit = options.audit;
    this.secrets = options.secrets;
    this.clock = options.clock;
    this.events = options.events;
    this.logger = options.logger;
  }

  /** The first account: its admins administer the installation; installation-level secrets are sealed under its key. */
  administrationAccountId(): string {
    const first = this.storage.accounts.list()[0];
    if (!first) throw new CoreError('ERR_STORAGE_NOT_INITIALISED', 'This installation has no account yet. Run: strongroom init');
    return first.id;
  }

  private administrationScope(): AccountScope {
    return this.storage.scopeFor({ accountId: this.administrationAccountId() });
  }

  private liveAccountIds(): string[] {
    return this.storage.accounts.list().map((a) => a.id);
  }

  mode(): 'local' | 'oidc' {
    return this.store.idpConfig() ? 'oidc' : 'local';
  }

  // ── Sessions ────────────────────────────────────────────────────────────────

  /** SessionResolver for the router: live sessions from memory, resumed ones from the database. */
  resolve(sessionId: string | null | undefined): Session | undefined {
    if (!sessionId) return undefined;
    this.followOtherProcesses();
    const session = this.lookup(sessionId);
    if (!session) return undefined;
    if (!this.usable(session)) {
      this.announceUnusable(session);
      return undefined;
    }
    // Ask the IdP to vouch again in the background once a session is stale; a refusal ends it.
    if (session.kind === 'oidc' && this.clock.now() - session.verifiedAt > revalidateAfterMs) void this.revalidateOnce(session);
    this.seen(session);
    return { id: session.id, principal: session.principal, createdAt: session.createdAt };
  }

  /**
   * Identity changes another process made — the CLI's `admin unmap-group`, `admin accounts
   * create`, a boundary set while serve runs — reach the sessions held here at their next call,
   * not at their next IdP check: when SQLite's data_version says another connection committed
   * (looked at most once a second), cached principals are recomputed (refreshPrincipals), and
   * pages whose standing changed are told.
   */
  private followOtherProcesses(): void {
    const now = this.clock.now();
    if (this.otherWrites !== undefined && now - this.otherWrites.checkedAt < otherWritesEveryMs) return;
    const version = this.store.dataVersion();
    const changed = this.otherWrites !== undefined && version !== this.otherWrites.version;
    this.otherWrites = { version, checkedAt: now };
    if (changed) this.refreshPrincipals();
  }

  /**
   * Keeps when a session was last used (a call, or an open page's heartbeat), for Admin → Sessions:
   * in its row at most once a minute, so a busy page costs one small write a minute. A failed
   * write is not worth refusing the call for.
   */
  private seen(session: LiveSession): void {
    const now = this.clock.now();
    if (session.lastSeenWrittenAt !== undefined && now - session.lastSeenWrittenAt < lastSeenEveryMs) return;
    session.lastSeenWrittenAt = now;
    try {
      this.store.touchSession(session.idHash, now);
    } catch (error) {
      this.logger.warn({ code: error instanceof Error ? error.name : 'unknown' }, 'could not record when a session was last seen');
    }
  }

  /**
   * Whether a session may act: within its lifetime, an OIDC one within the offline grace period,
   * a local one only in local mode. resolve() and status() both ask this, so auth.status never
   * says "signed in" for a session every call would refuse.
   */
  private usable(session: LiveSession): boolean {
    return this.overdue(session) === null;
  }

  /** Why a session may no longer act by its times and kind (lifetime, grace, sign-in mode), or null while it may. */
  private overdue(session: { kind: 'local' | 'oidc'; createdAt: number; verifiedAt: number }): SessionEndReason | null {
    const now = this.clock.now();
    if (now - session.createdAt > sessionLifetimeMs) return 'lifetime';
    // Local sign-in is off once an IdP is configured: local sessions end with it.
    if (session.kind === 'local') return this.mode() === 'oidc' ? 'local-sign-in-off' : null;
    const config = this.store.idpConfig();
    if (!config) return 'idp-removed';
    return now - session.verifiedAt > config.offlineGraceHours * 3_600_000 ? 'offline-grace' : null;
  }

  /**
   * A session found past its lifetime or grace period (nothing ends it at that moment): tells its
   * pages once. The event stream resolves every open stream's session at each heartbeat, so open
   * pages hear of it within one. Deferred: resolve() runs inside the event bus's own delivery.
   */
  /** How many sessions this process holds in memory (diagnostics; tests check that ended ones go). */
  get heldSessions(): number {
    return this.live.size;
  }

  private announceUnusable(session: LiveSession): void {
    // Not kept in memory once it can no longer act: a long-running serve would otherwise hold every
    // session that ever ran out. A cookie that keeps calling is looked up from its row again.
    this.live.delete(session.id);
    const reason = this.overdue(session);
    if (reason === null || this.recentlyEnded.has(session.idHash)) return;
    this.remember(session.idHash, reason, session.accountId);
    queueMicrotask(() => this.events.publish('auth.sessionEnded', { sessionHash: session.idHash, reason }));
  }

  /**
   * The session an id names: held here, else resumed from its stored row. One held here whose row
   * another process ended — `strongroom admin sessions end` in a terminal while serve runs — ends
   * here too, and its pages are told why, as its row says (an older row that says nothing was
   * ended by an administrator, unless it is overdue).
   */
  private lookup(sessionId: string): LiveSession | undefined {
    const held = this.live.get(sessionId);
    if (!held) return this.resume(sessionId);
    if (this.store.sessionOpen(held.idHash)) return held;
    this.live.delete(sessionId);
    if (!this.recentlyEnded.has(held.idHash)) {
      const reason = this.storedEndReason(this.store.session(held.idHash)?.endReason) ?? this.overdue(held) ?? 'ended-by-admin';
      this.remember(held.idHash, reason, held.accountId);
      // Deferred like announceUnusable: lookups run inside the event bus's own delivery.
      queueMicrotask(() => this.events.publish('auth.sessionEnded', { sessionHash: held.idHash, reason }));
    }
    return undefined;
  }

  /** A session from an earlier run of the app (desktop restart), rebuilt from its stored hash. */
  private resume(sessionId: string): LiveSession | undefined {
    const record = this.store.session(hashSessionId(sessionId));
    if (!record || record.endedAt !== null || record.accountId === null) return undefined;
    const user = this.store.userById(record.userId);
    const now = user && this.principalFor(user, record.accountId);
    if (!user || !now) return undefined;
    const session: LiveSession = { id: sessionId, idHash: record.idHash, userId: user.id, kind: record.kind, accountId: record.accountId, principal: now.principal, standing: now.standing, createdAt: record.createdAt, verifiedAt: record.verifiedAt };
    this.live.set(sessionId, session);
    return session;
  }

  /** A user's principal in an account as it is now, with what their pages show of it (`LiveSession.standing`). */
  private principalFor(user: UserRecord, accountId: string): { principal: Principal; standing: string } | null {
    const memberships = membershipsOf(this.store, user, this.liveAccountIds());
    const principal = buildPrincipal(this.store, user, accountId, memberships, this.administrationAccountId());
    return principal ? { principal, standing: standingOf(principal, memberships) } : null;
  }

  /** Gives a session its principal as it is now, and tells its pages if what they show changed. */
  private follow(session: LiveSession, now: { principal: Principal; standing: string }): void {
    const changed = now.standing !== session.standing;
    session.principal = now.principal;
    session.standing = now.standing;
    if (changed) this.events.publish('auth.sessionChanged', { sessionHash: session.idHash });
  }

  private startSession(user: UserRecord, kind: 'local' | 'oidc', refreshToken: string | null, audit: AuditEntry): LiveSession {
    const memberships = membershipsOf(this.store, user, this.liveAccountIds());
    const accountId = memberships[0]?.accountId;
    const principal = accountId === undefined ? null : buildPrincipal(this.store, user, accountId, memberships, this.administrationAccountId());
    if (!accountId || !principal) {
      this.store.atomically(() => this.audit.append({ ...audit, outcome: 'failure', actor: { userId: user.id, accountId: null }, details: { ...audit.details, reason: 'no-access' } }));
      throw new CoreError('ERR_AUTH_NO_ACCESS', `You are signed in as ${user.displayName}, but no account is open to you. Ask an administrator to map one of your groups to an account.`);
    }
    const { id, idHash } = newSessionId();
    const now = this.clock.now();
    const scope = this.administrationScope();
    scope.prepareForWrite();
    const storeInKeychain = refreshToken !== null && this.secrets.writable && this.secrets.backend === 'keychain';
    this.store.atomically(() => {
      const sealedRefresh: Sealed<string> | null = refreshToken !== null && !storeInKeychain ? scope.sealText({ table: 'auth_sessions', rowId: idHash, column: 'refresh_token' }, refreshToken) : null;
      this.store.insertSession({ idHash, userId: user.id, accountId, kind, createdAt: now, verifiedAt: now, refreshToken: sealedRefresh }, scope.accountId);
      this.store.touchSignIn(user.id, now);
      this.audit.append({ ...audit, outcome: 'success', actor: { userId: user.id, accountId, roles: principal.roles } });
    });
    if (storeInKeychain && refreshToken) void this.secrets.set(this.refreshSecretName(idHash), refreshToken).catch(() => this.logger.warn({ code: 'ERR_SECRETS_UNAVAILABLE' }, 'refresh token could not be stored in the keychain'));
    const session: LiveSession = { id, idHash, userId: user.id, kind, accountId, principal, standing: standingOf(principal, memberships), createdAt: now, verifiedAt: now };
    this.live.set(id, session);
    return session;
  }

  private refreshSecretName(idHash: string): string {
    return `${this.storage.installationId}/refresh-token/${idHash}`;
  }

  private async refreshTokenOf(session: LiveSession): Promise<string | null> {
    if (this.secrets.backend === 'keychain') {
      const fromKeychain = await this.secrets.get(this.refreshSecretName(session.idHash)).catch(() => null);
      if (fromKeychain) return fromKeychain;
    }
    const record = this.store.session(session.idHash);
    if (!record?.refreshToken) return null;
    return this.administrationScope().open({ table: 'auth_sessions', rowId: session.idHash, column: 'refresh_token' }, record.refreshToken);
  }

  /** What the UI needs to know about the caller's sign-in. Refreshes a stale OIDC session when the IdP is reachable. */
  async status(sessionId: string | null): Promise<AuthStatus> {
    let session = sessionId ? this.lookup(sessionId) : undefined;
    if (session?.kind === 'oidc' && this.clock.now() - session.verifiedAt > revalidateAfterMs) {
      session = (await this.revalidateOnce(session)) ?? undefined;
    }
    const config = this.store.idpConfig();
    const signedIn = session !== undefined && this.usable(session);
    const base = { mode: config ? 'oidc' : 'local', idp: config ? { issuer: config.issuer } : null, localSetupRequired: !config && !this.localPassphraseIsSet() } as const;
    if (!session || !signedIn) {
      if (session) this.announceUnusable(session);
      return { ...base, signedIn: false, user: null, activeAccount: null, accounts: [], offlineUntil: null, sessionEndsAt: null, sessionEnded: sessionId ? this.endOf(sessionId) : null };
    }
    const user = this.store.userById(session.userId);
    const memberships = user ? membershipsOf(this.store, user, this.liveAccountIds()) : [];
    const liveAccounts = this.storage.accounts.list();
    const names = new Map(liveAccounts.map((a) => [a.id, a.name]));
    // One entry per account with every role held there (several groups can map to one account), in the accounts' order.
    const byAccount = new Map<string, { id: string; name: string; roles: Role[] }>();
    for (const membership of memberships) {
      const account = byAccount.get(membership.accountId) ?? { id: membership.accountId, name: names.get(membership.accountId) ?? membership.accountId, roles: [] };
      if (!account.roles.includes(membership.role)) account.roles.push(membership.role);
      byAccount.set(membership.accountId, account);
    }
    for (const account of byAccount.values()) account.roles.sort((a, b) => allRoles.indexOf(a) - allRoles.indexOf(b));
    const stale = session.kind === 'oidc' && this.clock.now() - session.verifiedAt > revalidateAfterMs;
    return {
      ...base,
      signedIn: true,
      user: { id: session.userId, displayName: session.principal.displayName, email: user?.email ?? null, kind: user?.kind ?? 'user' },
      activeAccount: { id: session.accountId, name: names.get(session.accountId) ?? session.accountId, roles: [...session.principal.roles] },
      accounts: liveAccounts.flatMap((account) => byAccount.get(account.id) ?? []),
      offlineUntil: stale && config ? new Date(session.verifiedAt + config.offlineGraceHours * 3_600_000).toISOString() : null,
      sessionEndsAt: new Date(session.createdAt + sessionLifetimeMs).toISOString(),
      sessionEnded: null,
    };
  }

  /**
   * Why the session `sessionId` names is over, for its holder's sign-in page: the reason remembered
   * when it ended, else what its stored row shows. Null for an id that names no session.
   */
  private endOf(sessionId: string): SessionEnded | null {
    const idHash = hashSessionId(sessionId);
    this.forgetOldEnds();
    const remembered = this.recentlyEnded.get(idHash);
    if (remembered) return this.describeEnd(remembered.reason, remembered.accountId);
    const record = this.store.session(idHash);
    if (!record) return null;
    // Ended before Strongroom restarted (or long ago): its row says why (rows ended before schema
    // 17 do not; the reason is in the audit log).
    if (record.endedAt !== null) return this.describeEnd(this.storedEndReason(record.endReason) ?? 'ended', record.accountId);
    if (record.accountId === null) return this.describeEnd('ended', null);
    const overdue = this.overdue(record);
    if (overdue !== null) return this.describeEnd(overdue, null);
    // Still open, within its lifetime and grace, yet nobody can act with it: its account is gone for this user.
    return this.describeEnd('access-removed', record.accountId);
  }

  private storedEndReason(stored: string | null | undefined): SessionEndReason | undefined {
    const parsed = SessionEndReasonSchema.safeParse(stored);
    return parsed.success ? parsed.data : undefined;
  }

  private describeEnd(reason: SessionEndReason, accountId: string | null): SessionEnded {
    const accountName = reason === 'access-removed' && accountId !== null ? this.storage.accounts.byId(accountId)?.name ?? null : null;
    const hours = reason === 'lifetime' ? sessionLifetimeMs / 3_600_000 : reason === 'offline-grace' ? this.store.idpConfig()?.offlineGraceHours ?? null : null;
    return { reason, accountName, hours };
  }

  private remember(idHash: string, reason: SessionEndReason, accountId: string | null): void {
    this.recentlyEnded.delete(idHash);
    this.recentlyEnded.set(idHash, { reason, accountId, at: this.clock.now() });
    this.forgetOldEnds();
  }

  private forgetOldEnds(): void {
    const oldest = this.clock.now() - endedReasonTtlMs;
    for (const [idHash, ended] of this.recentlyEnded) {
      if (ended.at >= oldest && this.recentlyEnded.size <= endedReasonLimit) break;
      this.recentlyEnded.delete(idHash);
    }
  }

  /** Tells the ended session's own pages (and only them: see `auth.sessionEnded`), and remembers why for its sign-in page. */
  private sessionEnded(idHash: string, reason: SessionEndReason, accountId: string | null): void {
    this.remember(idHash, reason, accountId);
    this.events.publish('auth.sessionEnded', { sessionHash: idHash, reason });
  }

  /**
   * Joins the revalidation already under way for this session, or starts one. Two refresh grants
   * with the same refresh token would make an IdP that rotates tokens refuse the second and end a
   * valid session.
   */
  private revalidateOnce(session: LiveSession): Promise<LiveSession | null> {
    let pending = this.revalidating.get(session.id);
    if (!pending) {
      pending = this.revalidate(session).finally(() => this.revalidating.delete(session.id));
      this.revalidating.set(session.id, pending);
    }
    return pending;
  }

  /** Asks the IdP (refresh grant) to vouch for a session again. Unreachable: keep it (grace applies). Refused: end it. */
  private async revalidate(session: LiveSession): Promise<LiveSession | null> {
    const refreshToken = await this.refreshTokenOf(session);
    const rp = await this.relyingParty();
    if (!refreshToken || !rp) return session;
    try {
      const refreshed = await rp.refresh(refreshToken);
      const now = this.clock.now();
      this.store.atomically(() => {
        this.store.updateSession(session.idHash, { verifiedAt: now });
        // Group changes at the IdP apply at each refresh, not only at the next sign-in.
        if (refreshed.groups !== null) {
          const roles = rolesFromGroups(this.store.groupMappings(), refreshed.groups);
          this.store.replaceGroupMemberships(session.userId, roles, now);
          this.audit.append({ action: 'auth.membershipsEvaluated', outcome: 'success', actor: { userId: session.userId, accountId: null }, details: { groups: refreshed.groups, roles: roles.map((r) => `${r.accountId}:${r.role}`), on: 'refresh' } });
        }
      });
      if (refreshed.refreshToken && refreshed.refreshToken !== refreshToken) await this.storeRefreshToken(session, refreshed.refreshToken);
      session.verifiedAt = now;
      const user = this.store.userById(session.userId);
      const current = user && this.principalFor(user, session.accountId);
      if (!current) {
        this.end(session, 'auth.sessionExpired', 'access-removed', 'access-removed');
        return null;
      }
      // Roles the IdP's groups give now: the session's pages follow at once.
      this.follow(session, current);
      return session;
    } catch (error) {
      if (error instanceof CoreError && error.code === 'ERR_AUTH_IDP_UNREACHABLE') return session;
      this.end(session, 'auth.sessionExpired', 'refresh-refused', 'refresh-refused');
      return null;
    }
  }

  private async storeRefreshToken(session: LiveSession, refreshToken: string): Promise<void> {
    if (this.secrets.backend === 'keychain' && this.secrets.writable) {
      await this.secrets.set(this.refreshSecretName(session.idHash), refreshToken);
      return;
    }
    const scope = this.administrationScope();
    scope.prepareForWrite();
    this.store.atomically(() => this.store.updateSession(session.idHash, { refreshToken: scope.sealText({ table: 'auth_sessions', rowId: session.idHash, column: 'refresh_token' }, refreshToken) }));
  }

  private end(session: LiveSession, action: string, reason: string, endReason: SessionEndReason, requestId?: string): void {
    this.close(session.idHash, { action, outcome: 'success', actor: { userId: session.userId, accountId: session.accountId, roles: session.principal.roles }, requestId: requestId ?? null, details: { reason } }, endReason, session.accountId);
  }

  /**
   * How every single session ends: its row closed with `entry` appended in one transaction, then
   * forgotten here (its refresh token too) and its pages told why. A row closed already (by
   * another process) changes nothing and is not audited again. True if this call ended it.
   */
  private close(idHash: string, entry: AuditEntry, endReason: SessionEndReason, accountId: string | null): boolean {
    const closed = this.store.atomically(() => {
      if (!this.store.endSession(idHash, this.clock.now(), endReason)) return false;
      this.audit.append(entry);
      return true;
    });
    for (const [id, held] of this.live) if (held.idHash === idHash) this.live.delete(id);
    if (!closed) return false;
    if (this.secrets.backend === 'keychain') void this.secrets.delete(this.refreshSecretName(idHash)).catch(() => undefined);
    this.sessionEnded(idHash, endReason, accountId);
    return true;
  }

  /**
   * Ends a stored session for an administrator (admin.sessions.end), whether this process holds it
   * or not: the path every end takes, audited with `entry` (the administrator as actor). False if
   * it had ended already.
   */
  endForAdministrator(record: SessionRecord, entry: AuditEntry): boolean {
    return this.close(record.idHash, entry, 'ended-by-admin', record.accountId);
  }

  /**
   * The stored sessions that can act now — open, within their lifetime and grace, their user still
   * in the account they act in — oldest first: what admin.sessions.list shows. From the database,
   * so the CLI sees serve's sessions too.
   */
  actingSessions(): SessionRecord[] {
    const liveAccounts = this.liveAccountIds();
    return this.store.openSessions(this.clock.now() - sessionLifetimeMs).filter((record) => {
      if (record.accountId === null || this.overdue(record) !== null) return false;
      const user = this.store.userById(record.userId);
      return user !== undefined && membershipsOf(this.store, user, liveAccounts).some((m) => m.accountId === record.accountId);
    });
  }

  /** When a session's fixed lifetime ends. */
  endsAt(record: { createdAt: number }): number {
    return record.createdAt + sessionLifetimeMs;
  }

  /**
   * Ends the caller's session, valid or not: an expired session, or a local one after an IdP was
   * configured, is ended too (its row closed, its refresh token forgotten), so signing out always
   * works. A session id nobody knows changes nothing.
   */
  signOut(sessionId: string, requestId?: string): void {
    const session = this.lookup(sessionId);
    if (session) return this.end(session, 'auth.signOut', 'user', 'signed-out', requestId);
    // Not resumable (its user or account is gone): close the stored row all the same.
    const idHash = hashSessionId(sessionId);
    const record = this.store.session(idHash);
    if (!record) return;
    this.close(idHash, { action: 'auth.signOut', outcome: 'success', actor: { userId: record.userId, accountId: record.accountId }, requestId: requestId ?? null, details: { reason: 'user' } }, 'signed-out', record.accountId);
  }

  /**
   * Forgets sessions the caller has just ended in the store (endSessionsOfKind, inside its audited
   * transaction): drops them from memory and their refresh tokens from the keychain, and tells
   * each one's pages why.
   */
  forgetSessions(idHashes: readonly string[], reason: SessionEndReason): void {
    const ended = new Set(idHashes);
    for (const [id, session] of this.live) if (ended.has(session.idHash)) this.live.delete(id);
    if (this.secrets.backend === 'keychain') for (const idHash of ended) void this.secrets.delete(this.refreshSecretName(idHash)).catch(() => undefined);
    for (const idHash of ended) this.sessionEnded(idHash, reason, null);
  }

  /** A relying party for a configuration not saved yet, to check its issuer answers (discovery only). */
  async probeIssuer(config: IdpConfig, clientSecret: string | null): Promise<void> {
    const rp = new RelyingParty({ config, clientSecret, clock: this.clock, timeoutMs: 5_000, jwksCache: { load: () => undefined, save: () => undefined } });
    await rp.checkDiscovery();
  }

  switchAccount(sessionId: string, accountId: string, requestId?: string): void {
    const session = this.lookup(sessionId);
    const user = session && this.store.userById(session.userId);
    if (!session || !user) throw new CoreError('ERR_AUTH_UNAUTHENTICATED', 'Sign in to use Strongroom.');
    const next = this.principalFor(user, accountId);
    if (!next) throw new CoreError('ERR_AUTH_FORBIDDEN', 'You do not have permission to do this.');
    this.store.atomically(() => {
      this.store.updateSession(session.idHash, { accountId });
      this.audit.append({ action: 'auth.switchAccount', outcome: 'success', actor: { userId: user.id, accountId, roles: next.principal.roles }, requestId: requestId ?? null, resource: `account:${accountId}` });
    });
    // No auth.sessionChanged: the switching page reloads itself, and the session's other tabs keep
    // the account they show (their calls are refused with ERR_AUTH_ACCOUNT_CHANGED).
    session.accountId = accountId;
    session.principal = next.principal;
    session.standing = next.standing;
  }

  /**
   * Recomputes cached principals so boundary, membership and account changes apply to the next
   * call, and tells the pages of each session whose principal or accounts changed
   * (`auth.sessionChanged`), so what they offer follows at once. A session left with no principal
   * (its account deleted) can act no more: its pages are told so.
   */
  refreshPrincipals(): void {
    for (const session of this.live.values()) {
      const user = this.store.userById(session.userId);
      const current = user && this.principalFor(user, session.accountId);
      if (current) {
        this.follow(session, current);
        continue;
      }
      this.live.delete(session.id);
      this.sessionEnded(session.idHash, 'access-removed', session.accountId);
    }
  }

  // ── Local mode ──────────────────────────────────────────────────────────────

  /** Whether the local administrator can sign in yet. */
  localPassphraseIsSet(): boolean {
    return Boolean(this.store.localAdministrator()?.passphraseHash);
  }

  /** Sets a passphrase for the local administrator if it has none; returns it to be shown once. */
  async ensureLocalPassphrase(): Promise<string | null> {
    const admin = this.store.localAdministrator();
    if (!admin || admin.passphraseHash) return null;
    const passphrase = generatePassphrase();
    await this.setLocalPassphrase(passphrase);
    return passphrase;
  }

  async setLocalPassphrase(passphrase: string): Promise<void> {
    if (passphrase.length < 12) throw new CoreError('ERR_INPUT_INVALID', 'The passphrase must be at least 12 characters long.');
    const admin = this.store.localAdministrator();
    if (!admin) throw new CoreError('ERR_STORAGE_NOT_INITIALISED', 'There is no local administrator. Run: strongroom init');
    const hash = await hashPassphrase(passphrase);
    this.store.atomically(() => {
      this.store.setPassphraseHash(admin.id, hash);
      this.audit.append({ action: 'auth.passphraseSet', outcome: 'success', actor: { userId: null, accountId: null }, resource: `user:${admin.id}` });
    });
  }

  /** First run in local mode: sets the passphrase (only while none exists) and signs in. */
  async setupLocal(passphrase: string, requestId?: string): Promise<LiveSession> {
    if (this.mode() !== 'local' || this.localPassphraseIsSet()) {
      this.store.atomically(() => this.audit.append({ action: 'auth.setupLocal', outcome: 'failure', requestId: requestId ?? null, details: { reason: 'already-set' } }));
      throw new CoreError('ERR_CONFLICT', 'The local administrator already has a passphrase. Sign in with it.');
    }
    if (passphrase.length < 12) throw new CoreError('ERR_INPUT_INVALID', 'The passphrase must be at least 12 characters long.');
    const admin = this.store.localAdministrator();
    if (!admin) throw new CoreError('ERR_STORAGE_NOT_INITIALISED', 'There is no local administrator. Run: strongroom init');
    const hash = await hashPassphrase(passphrase);
    // Conditional: of two setups racing through the hash, only the first one sets the passphrase.
    const claimed = this.store.atomically(() => {
      const first = this.store.setFirstPassphraseHash(admin.id, hash);
      this.audit.append({ action: 'auth.setupLocal', outcome: first ? 'success' : 'failure', requestId: requestId ?? null, resource: `user:${admin.id}`, ...(first ? {} : { details: { reason: 'already-set' } }) });
      return first;
    });
    if (!claimed) throw new CoreError('ERR_CONFLICT', 'The local administrator already has a passphrase. Sign in with it.');
    return this.signInLocal(passphrase, requestId);
  }

  /** Headless provisioning: STRONGROOM_ADMIN_PASSPHRASE sets the first passphrase (never a later one). */
  async applyProvisionedPassphrase(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
    const given = env.STRONGROOM_ADMIN_PASSPHRASE;
    if (!given || this.mode() !== 'local' || this.localPassphraseIsSet()) return false;
    await this.setLocalPassphrase(given);
    return true;
  }

  async signInLocal(passphrase: string, requestId?: string): Promise<LiveSession> {
    const audit: AuditEntry = { action: 'auth.signIn', outcome: 'failure', requestId: requestId ?? null, details: { method: 'local' } };
    const fail = (reason: string, error: CoreError): never => {
      this.store.atomically(() => this.audit.append({ ...audit, details: { method: 'local', reason } }));
      throw error;
    };
    if (this.mode() === 'oidc') fail('local-disabled', new CoreError('ERR_AUTH_NOT_CONFIGURED', 'Local sign-in is off because this installation signs in through your organisation’s identity provider.'));
    const now = this.clock.now();
    if (now < this.localFailures.lockedUntil) fail('locked', new CoreError('ERR_AUTH_SIGNIN_FAILED', 'Too many wrong passphrases. Wait a minute and try again.', { details: { reason: 'locked', retryAfterMs: this.localFailures.lockedUntil - now } }));
    if (this.localFailures.count + this.localAttemptsInFlight >= localFailureLimit) fail('locked', new CoreError('ERR_AUTH_SIGNIN_FAILED', 'Too many passphrase attempts at once. Wait a minute and try again.', { details: { reason: 'locked', retryAfterMs: localLockoutMs } }));
    const admin = this.store.localAdministrator();
    this.localAttemptsInFlight += 1;
    let ok: boolean;
    try {
      ok = admin?.passphraseHash ? await verifyPassphrase(passphrase, admin.passphraseHash) : false;
    } finally {
      this.localAttemptsInFlight -= 1;
    }
    if (!admin || !ok) {
      this.localFailures.count += 1;
      if (this.localFailures.count >= localFailureLimit) this.localFailures = { count: 0, lockedUntil: now + localLockoutMs };
      return fail('wrong-passphrase', new CoreError('ERR_AUTH_SIGNIN_FAILED', 'That passphrase is not correct.', { details: { reason: 'wrong-passphrase' } }));
    }
    this.localFailures = { count: 0, lockedUntil: 0 };
    return this.startSession(admin, 'local', null, audit);
  }

  // ── Enterprise mode (OIDC) ─────────────────────────────────────────────────

  private async relyingParty(): Promise<RelyingParty | null> {
    const config = this.store.idpConfig();
    if (!config) return null;
    // Confidential clients (common with ADFS and Entra) authenticate with the secret kept in the keychain.
    const clientSecret = await this.secrets.get(`${this.storage.installationId}/idp/client-secret`).catch(() => null);
    const key = JSON.stringify({ config, secret: clientSecret !== null });
    if (this.relyingPartyCache && this.relyingPartyCache.key === key) return this.relyingPartyCache.rp;
    const rp = new RelyingParty({
      config,
      clientSecret,
      clock: this.clock,
      jwksCache: {
        load: (issuer) => this.store.loadJwks(this.administrationScope(), issuer),
        save: (issuer, jwks, fetchedAt) => this.store.atomically(() => this.store.saveJwks(this.administrationScope(), issuer, jwks, fetchedAt)),
      },
    });
    this.relyingPartyCache = { key, rp };
    return rp;
  }

  /** Starts an OIDC sign-in; the callback must arrive at `redirectUri` with the returned state. */
  async beginSignIn(redirectUri: string): Promise<URL> {
    const rp = await this.relyingParty();
    if (!rp) throw new CoreError('ERR_AUTH_NOT_CONFIGURED', 'No identity provider is configured; sign in with the local administrator passphrase.');
    const { url, pending } = await rp.begin(redirectUri);
    for (const [state, attempt] of this.pending) if (this.clock.now() - attempt.createdAt > 10 * 60_000) this.pending.delete(state);
    this.pending.set(pending.state, pending);
    return url;
  }

  /** Finishes an OIDC sign-in from the IdP's redirect; maps groups to memberships and starts a session. */
  async completeSignIn(callbackUrl: URL, requestId?: string): Promise<LiveSession> {
    const audit: AuditEntry = { action: 'auth.signIn', outcome: 'failure', requestId: requestId ?? null, details: { method: 'oidc' } };
    const state = callbackUrl.searchParams.get('state') ?? '';
    const pending = this.pending.get(state);
    const rp = await this.relyingParty();
    try {
      if (!rp) throw new CoreError('ERR_AUTH_NOT_CONFIGURED', 'No identity provider is configured.');
      if (!pending) throw new CoreError('ERR_AUTH_SIGNIN_FAILED', 'This sign-in response does not belong to a sign-in started here. Start again.', { details: { reason: 'state-unknown' } });
      this.pending.delete(state);
      const result = await rp.complete(callbackUrl, pending);
      return this.acceptSignIn(result, audit);
    } catch (error) {
      const detailReason = error instanceof CoreError ? error.details?.reason : undefined;
      const reason = typeof detailReason === 'string' ? detailReason : error instanceof CoreError ? error.code : 'unexpected';
      if (!(error instanceof CoreError && error.code === 'ERR_AUTH_NO_ACCESS')) {
        this.store.atomically(() => this.audit.append({ ...audit, details: { method: 'oidc', reason } }));
      }
      throw error;
    }
  }

  private acceptSignIn(result: SignInResult, audit: AuditEntry): LiveSession {
    const now = this.clock.now();
    const config = this.store.idpConfig()!;
    const user = this.store.atomically(() => {
      const upserted = this.store.upsertIdpUser(config.issuer, result.token.subject, { displayName: result.displayName, email: result.email }, now);
      // Mappings are re-evaluated at every sign-in: a group removed at the IdP removes the role here.
      const roles = rolesFromGroups(this.store.groupMappings(), result.groups);
      this.store.replaceGroupMemberships(upserted.id, roles, now);
      this.audit.append({ action: 'auth.membershipsEvaluated', outcome: 'success', actor: { userId: upserted.id, accountId: null }, details: { groups: result.groups, roles: roles.map((r) => `${r.accountId}:${r.role}`) } });
      return upserted;
    });
    return this.startSession(user, 'oidc', result.refreshToken, audit);
  }

  /** Publishes the sign-in change so UIs refresh (desktop sign-in completes out of band). */
  announce(signedIn: boolean): void {
    this.events.publish('auth.changed', { signedIn });
  }

  principalOf(sessionId: string | null): Principal | null {
    return this.resolve(sessionId)?.principal ?? null;
  }
}
