import { randomUUID } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import type { IdpConfig, Permission, Role } from '../contracts/index.ts';
import { IdpConfigSchema } from '../contracts/index.ts';
import { Repository } from '../storage/index.ts';
import type { AccountScope, SqliteDatabase } from '../storage/index.ts';
import type { Sealed } from '../crypto/index.ts';

export interface UserRecord {
  id: string;
  kind: 'local-admin' | 'user';
  issuer: string | null;
  subject: string | null;
  displayName: string;
  email: string | null;
  passphraseHash: string | null;
  lastSignInAt: number | null;
}

export interface MembershipRecord {
  accountId: string;
  role: Role;
  source: 'group' | 'local';
}

export interface GroupMappingRecord {
  id: string;
  accountId: string;
  group: string;
  role: Role;
  createdAt: number;
}

export interface SessionRecord {
  idHash: string;
  userId: string;
  accountId: string | null;
  kind: 'local' | 'oidc';
  createdAt: number;
  verifiedAt: number;
  endedAt: number | null;
  /** Why it ended (a SessionEndReason), kept so its holder's page can say so after a restart; null for rows ended before schema 17. */
  endReason: string | null;
  /** Its last call or open page's heartbeat (written at most once a minute); null before schema 17 or its first use. */
  lastSeenAt: number | null;
  refreshToken: Sealed<string> | null;
}

interface UserRow { id: string; kind: 'local-admin' | 'user'; issuer: string | null; subject: string | null; display_name: string; email: string | null; passphrase_hash: string | null; last_sign_in_at: number | null }
interface SessionRow { id_hash: string; user_id: string; account_id: string | null; kind: 'local' | 'oidc'; created_at: number; verified_at: number; ended_at: number | null; end_reason?: string | null; last_seen_at?: number | null; refresh_token: Buffer | null }

const userColumns = 'id, kind, issuer, subject, display_name, email, passphrase_hash, last_sign_in_at';
const toUser = (row: UserRow): UserRecord => ({ id: row.id, kind: row.kind, issuer: row.issuer, subject: row.subject, displayName: row.display_name, email: row.email, passphraseHash: row.passphrase_hash, lastSignInAt: row.last_sign_in_at });
const toSession = (row: SessionRow): SessionRecord => ({ idHash: row.id_hash, userId: row.user_id, accountId: row.account_id, kind: row.kind, createdAt: row.created_at, verifiedAt: row.verified_at, endedAt: row.ended_at, endReason: row.end_reason ?? null, lastSeenAt: row.last_seen_at ?? null, refreshToken: row.refresh_token as unknown as Sealed<string> | null });

/**
 * Identity's tables: users, memberships, group mappings, boundaries, the IdP configuration,
 * sessions and the cached JWKS. Installation-level (not account-scoped): only the identity
 * service uses it, and it decides access from the authorized principal.
 */
export class IdentityStore extends Repository {
  constructor(db: SqliteDatabase) {
    super(db);
  }

  /** Runs fn in one synchronous transaction, with audit entries appended inside it. */
  atomically<T>(fn: () => T): T {
    return this.durably(fn);
  }

  // Users
  userById(id: string): UserRecord | undefined {
    const row = this.statement<[string], UserRow>(`SELECT ${userColumns} FROM users WHERE id = ? AND disabled_at IS NULL`).get(id);
    return row ? toUser(row) : undefined;
  }

  userByIdentity(issuer: string, subject: string): UserRecord | undefined {
    const row = this.statement<[string, string], UserRow>(`SELECT ${userColumns} FROM users WHERE issuer = ? AND subject = ?`).get(issuer, subject);
    return row ? toUser(row) : undefined;
  }

  localAdministrator(): UserRecord | undefined {
    const row = this.statement<[], UserRow>(`SELECT ${userColumns} FROM users WHERE kind = 'local-admin' AND disabled_at IS NULL ORDER BY created_at LIMIT 1`).get();
    return row ? toUser(row) : undefined;
  }

  upsertIdpUser(issuer: string, subject: string, profile: { displayName: string; email: string | null }, now: number): UserRecord {
    const existing = this.userByIdentity(issuer, subject);
    if (existing) {
      this.statement<[string, string | null, number, string]>('UPDATE users SET display_name = ?, email = ?, last_sign_in_at = ? WHERE id = ?').run(profile.displayName, profile.email, now, existing.id);
      return { ...existing, ...profile, lastSignInAt: now };
    }
    const id = randomUUID();
    this.statement<[string, number, string, string, string, string | null, number]>(
      "INSERT INTO users (id, kind, account_id, role, created_at, issuer, subject, display_name, email, last_sign_in_at) VALUES (?, 'user', NULL, '', ?, ?, ?, ?, ?, ?)",
    ).run(id, now, issuer, subject, profile.displayName, profile.email, now);
    return this.userById(id)!;
  }

  /** Sets the first passphrase only: false if one was set meanwhile (first-run setup races). */
  setFirstPassphraseHash(userId: string, hash: string): boolean {
    return this.statement<[string, string]>('UPDATE users SET passphrase_hash = ? WHERE id = ? AND passphrase_hash IS NULL').run(hash, userId).changes === 1;
  }

  setPassphraseHash(userId: string, hash: string): void {
    this.statement<[string, string]>('UPDATE users SET passphrase_hash = ? WHERE id = ?').run(hash, userId);
  }

  touchSignIn(userId: string, now: number): void {
    this.statement<[number, string]>('UPDATE users SET last_sign_in_at = ? WHERE id = ?').run(now, userId);
  }

  // Memberships
  memberships(userId: string): MembershipRecord[] {
    return this.statement<[string], { account_id: string; role: Role; source: 'group' | 'local' }>(
      'SELECT m.account_id, m.role, m.source FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.user_id = ? AND a.deleted_at IS NULL ORDER BY m.account_id, m.role',
    ).all(userId).map((r) => ({ accountId: r.account_id, role: r.role, source: r.source }));
  }

  /** Replaces a user's group-derived memberships with exactly these (sign-in re-evaluation). */
  replaceGroupMemberships(userId: string, memberships: readonly { accountId: string; role: Role }[], now: number): void {
    this.statement<[string]>("DELETE FROM memberships WHERE user_id = ? AND source = 'group'").run(userId);
    const insert = this.statement<[string, string, string, number]>("INSERT OR IGNORE INTO memberships (user_id, account_id, role, source, updated_at) VALUES (?, ?, ?, 'group', ?)");
    for (const m of memberships) insert.run(userId, m.accountId, m.role, now);
  }

  members(accountId: string): Array<{ user: UserRecord; role: Role; source: 'group' | 'local' }> {
    const rows = this.statement<[string], UserRow & { role: Role; source: 'group' | 'local' }>(
      `SELECT u.id, u.kind, u.issuer, u.subject, u.display_name, u.email, u.passphrase_hash, u.last_sign_in_at, m.role, m.source FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = ? AND u.disabled_at IS NULL ORDER BY u.display_name, m.role`,
    ).all(accountId);
    return rows.map((row) => ({ user: toUser(row), role: row.role, source: row.source }));
  }


  // Group mappings
  groupMappings(accountId?: string): GroupMappingRecord[] {
    const rows = accountId === undefined
      ? this.statement<[], { id: string; account_id: string; group_name: string; role: Role; created_at: number }>('SELECT g.id, g.account_id, g.group_name, g.role, g.created_at FROM group_mappings g JOIN accounts a ON a.id = g.account_id WHERE a.deleted_at IS NULL ORDER BY g.created_at').all()
      : this.statement<[string], { id: string; account_id: string; group_name: string; role: Role; created_at: number }>('SELECT id, account_id, group_name, role, created_at FROM group_mappings WHERE account_id = ? ORDER BY created_at').all(accountId);
    return rows.map((r) => ({ id: r.id, accountId: r.account_id, group: r.group_name, role: r.role, createdAt: r.created_at }));
  }

  /** Maps a group to a role; `created: false` when that mapping existed already (nothing written). */
  addGroupMapping(accountId: string, group: string, role: Role, createdBy: string, now: number): { mapping: GroupMappingRecord; created: boolean } {
    const existing = this.groupMappings(accountId).find((m) => m.group === group && m.role === role);
    if (existing) return { mapping: existing, created: false };
    const id = randomUUID();
    this.statement<[string, string, string, string, number, string]>('INSERT INTO group_mappings (id, account_id, group_name, role, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)').run(id, accountId, group, role, now, createdBy);
    return { mapping: { id, accountId, group, role, createdAt: now }, created: true };
  }

  removeGroupMapping(accountId: string, mappingId: string): GroupMappingRecord | undefined {
    const mapping = this.groupMappings(accountId).find((m) => m.id === mappingId);
    if (mapping) this.statement<[string, string]>('DELETE FROM group_mappings WHERE id = ? AND account_id = ?').run(mappingId, accountId);
    return mapping;
  }

  // Boundaries
  boundaries(accountId: string): Map<Role, Permission[]> {
    const rows = this.statement<[string], { role: Role; permissions: string }>('SELECT role, permissions FROM boundaries WHERE account_id = ?').all(accountId);
    return new Map(rows.map((r) => [r.role, JSON.parse(r.permissions) as Permission[]]));
  }

  setBoundary(accountId: string, role: Role, permissions: readonly Permission[] | null, now: number): void {
    if (permissions === null) this.statement<[string, string]>('DELETE FROM boundaries WHERE account_id = ? AND role = ?').run(accountId, role);
    else this.statement<[string, string, string, number]>('INSERT INTO boundaries (account_id, role, permissions, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, role) DO UPDATE SET permissions = excluded.permissions, updated_at = excluded.updated_at').run(accountId, role, JSON.stringify(permissions), now);
  }

  /** Users by id (disabled ones left out). */
  usersByIds(ids: readonly string[]): UserRecord[] {
    return ids.map((id) => this.userById(id)).filter((user): user is UserRecord => user !== undefined);
  }

  // IdP configuration
  idpConfig(): IdpConfig | null {
    const row = this.statement<[], { issuer: string; client_id: string; groups_claim: string; algorithms: string; offline_grace_hours: number; scopes: string }>('SELECT issuer, client_id, groups_claim, algorithms, offline_grace_hours, scopes FROM idp_config WHERE id = 1').get();
    if (!row) return null;
    return IdpConfigSchema.parse({ issuer: row.issuer, clientId: row.client_id, groupsClaim: row.groups_claim, algorithms: JSON.parse(row.algorithms) as unknown, offlineGraceHours: row.offline_grace_hours, scopes: JSON.parse(row.scopes) as unknown });
  }

  setIdpConfig(config: IdpConfig, now: number): void {
    this.statement<[string, string, string, string, number, string, number]>(
      'INSERT INTO idp_config (id, issuer, client_id, groups_claim, algorithms, offline_grace_hours, scopes, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, groups_claim = excluded.groups_claim, algorithms = excluded.algorithms, offline_grace_hours = excluded.offline_grace_hours, scopes = excluded.scopes, updated_at = excluded.updated_at',
    ).run(config.issuer, config.clientId, config.groupsClaim, JSON.stringify(config.algorithms), config.offlineGraceHours, JSON.stringify(config.scopes), now);
  }

  /** Back to local mode: the configuration and its cached keys go. Returns what was configured. */
  clearIdpConfig(): IdpConfig | null {
    const config = this.idpConfig();
    if (!config) return null;
    this.statement<[]>('DELETE FROM idp_config WHERE id = 1').run();
    this.statement<[string]>('DELETE FROM jwks_cache WHERE issuer = ?').run(config.issuer);
    return config;
  }

  // Sessions
  insertSession(session: Omit<SessionRecord, 'endedAt' | 'endReason' | 'lastSeenAt'>, sealAccountId: string): void {
    this.statement<[string, string, string | null, string, number, number, string, Buffer | null]>(
      'INSERT INTO auth_sessions (id_hash, user_id, account_id, kind, created_at, verified_at, seal_account_id, refresh_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(session.idHash, session.userId, session.accountId, session.kind, session.createdAt, session.verifiedAt, sealAccountId, session.refreshToken);
  }

  session(idHash: string): SessionRecord | undefined {
    const row = this.statement<[string], SessionRow>('SELECT id_hash, user_id, account_id, kind, created_at, verified_at, ended_at, end_reason, last_seen_at, refresh_token FROM auth_sessions WHERE id_hash = ?').get(idHash);
    return row ? toSession(row) : undefined;
  }

  updateSession(idHash: string, changes: { accountId?: string | null; verifiedAt?: number; refreshToken?: Sealed<string> | null }): void {
    const current = this.session(idHash);
    if (!current) return;
    this.statement<[string | null, number, Buffer | null, string]>('UPDATE auth_sessions SET account_id = ?, verified_at = ?, refresh_token = ? WHERE id_hash = ?').run(
      changes.accountId === undefined ? current.accountId : changes.accountId,
      changes.verifiedAt ?? current.verifiedAt,
      changes.refreshToken === undefined ? current.refreshToken : changes.refreshToken,
      idHash,
    );
  }

  /** Whether a session's row is still open (not ended here or by another process). */
  sessionOpen(idHash: string): boolean {
    const row = this.statement<[string], { ended_at: number | null }>('SELECT ended_at FROM auth_sessions WHERE id_hash = ?').get(idHash);
    return row !== undefined && row.ended_at === null;
  }

  /** Sessions not ended that started at `since` or later, oldest first, without their refresh tokens. */
  openSessions(since: number): SessionRecord[] {
    return this.statement<[number], SessionRow>('SELECT id_hash, user_id, account_id, kind, created_at, verified_at, ended_at, last_seen_at, NULL AS refresh_token FROM auth_sessions WHERE ended_at IS NULL AND created_at >= ? ORDER BY created_at, id_hash').all(since).map(toSession);
  }

  /** SQLite's data_version: changes whenever another connection (another process) commits to the database. */
  dataVersion(): number {
    return this.statement<[], { data_version: number }>('PRAGMA data_version').get()?.data_version ?? 0;
  }

  /** Records that an open session was used now (a call, or an open page's heartbeat). */
  touchSession(idHash: string, now: number): void {
    this.statement<[number, string]>('UPDATE auth_sessions SET last_seen_at = ? WHERE id_hash = ? AND ended_at IS NULL').run(now, idHash);
  }

  /** Ends a session, saying why; false if it had ended already (here or in another process). */
  endSession(idHash: string, now: number, reason: string): boolean {
    return this.statement<[number, string, string]>('UPDATE auth_sessions SET ended_at = ?, end_reason = ?, refresh_token = NULL WHERE id_hash = ? AND ended_at IS NULL').run(now, reason, idHash).changes === 1;
  }

  /** Ends every open session of one kind (local sign-in turned off, or the IdP removed); returns their id hashes. */
  endSessionsOfKind(kind: 'local' | 'oidc', now: number, reason: string): string[] {
    const open = this.statement<[string], { id_hash: string }>('SELECT id_hash FROM auth_sessions WHERE kind = ? AND ended_at IS NULL').all(kind).map((r) => r.id_hash);
    for (const idHash of open) this.endSession(idHash, now, reason);
    return open;
  }

  // JWKS cache (sealed; the scope is the administration account's)
  loadJwks(scope: AccountScope, issuer: string): { jwks: JSONWebKeySet; fetchedAt: number } | undefined {
    const row = this.statement<[string], { jwks: Buffer; fetched_at: number }>('SELECT jwks, fetched_at FROM jwks_cache WHERE issuer = ?').get(issuer);
    if (!row) return undefined;
    const jwks = scope.open({ table: 'jwks_cache', rowId: issuer, column: 'jwks' }, row.jwks as unknown as Sealed<JSONWebKeySet>);
    return { jwks, fetchedAt: row.fetched_at };
  }

  saveJwks(scope: AccountScope, issuer: string, jwks: JSONWebKeySet, fetchedAt: number): void {
    scope.prepareForWrite();
    const sealed = scope.sealJson({ table: 'jwks_cache', rowId: issuer, column: 'jwks' }, jwks as never);
    this.statement<[string, string, Buffer, number]>('INSERT INTO jwks_cache (issuer, seal_account_id, jwks, fetched_at) VALUES (?, ?, ?, ?) ON CONFLICT (issuer) DO UPDATE SET seal_account_id = excluded.seal_account_id, jwks = excluded.jwks, fetched_at = excluded.fetched_at').run(issuer, scope.accountId, sealed, fetchedAt);
  }
}
