import { CoreError } from '../base/index.ts';
import type { Clock } from '../base/index.ts';
import type { IdpConfig, Permission, Role } from '../contracts/index.ts';
import { identityMethods, roles as allRoles, rolePermissions } from '../contracts/index.ts';
import type { Principal } from '../api/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Storage } from '../storage/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { IdentityService } from './service.ts';
import { SessionAdministration } from './sessionAdmin.ts';
import type { GroupMappingRecord, IdentityStore } from './store.ts';

export interface AdminContext {
  principal: Principal;
  requestId?: string;
}

const actorOf = (principal: Principal) => ({ userId: principal.userId, accountId: principal.accountId, roles: principal.roles });

/**
 * What a cap on the admin role must keep: the permissions of the methods that read and set
 * boundaries, so whoever caps admin can still undo it. Taken from the contract, not restated.
 */
export const adminBoundaryFloor: readonly Permission[] = [identityMethods['admin.boundaries.get'].permission, identityMethods['admin.boundaries.set'].permission];

/** The CLI's operator (localOperator in core/api): named on pages, though not a user. */
const operatorName = { userId: 'local-operator', displayName: 'Local operator (CLI)' };

type MemberRow = { userId: string; displayName: string; email: string | null; role: Role; source: 'group' | 'local'; lastSignInAt: string | null };

/**
 * Account administration: accounts, the IdP, group mappings, members and boundaries. The router
 * has already authorized each call (including the target account); these methods make the change
 * and its audit entry in one transaction.
 */
export class IdentityAdmin {
  private readonly storage: Storage;
  private readonly store: IdentityStore;
  private readonly audit: AuditLog;
  private readonly secrets: SecretStore;
  private readonly clock: Clock;
  private readonly identity: IdentityService;
  /** Who is signed in, and ending their sessions (admin.sessions.*). */
  readonly sessions: SessionAdministration;

  constructor(options: { storage: Storage; store: IdentityStore; audit: AuditLog; secrets: SecretStore; clock: Clock; identity: IdentityService }) {
    this.storage = options.storage;
    this.store = options.store;
    this.audit = options.audit;
    this.secrets = options.secrets;
    this.clock = options.clock;
    this.identity = options.identity;
    this.sessions = new SessionAdministration({ storage: options.storage, store: options.store, identity: options.identity });
  }

  private requireLiveAccount(accountId: string): { id: string; name: string } {
    const account = this.storage.accounts.byId(accountId);
    if (!account || account.deletedAt !== null) throw new CoreError('ERR_AUTH_FORBIDDEN', 'You do not have permission to do this.');
    return account;
  }

  listAccounts(principal: Principal): Array<{ id: string; name: string; createdAt: string; members: number }> {
    const accounts = this.storage.accounts.list().filter((a) => principal.installationAdmin || a.id === principal.accountId);
    // The same people the Members page lists (the local administrator included), counted once each.
    return accounts.map((a) => ({ id: a.id, name: a.name, createdAt: new Date(a.createdAt).toISOString(), members: new Set(this.memberRows(a.id).map((m) => m.userId)).size }));
  }

  createAccount(name: string, context: AdminContext): { id: string; name: string } {
    const account = this.store.atomically(() => {
      const created = this.storage.accounts.create(name, this.clock.now());
      this.audit.append({ action: 'account.create', outcome: 'success', actor: actorOf(context.principal), resource: `account:${created.id}`, requestId: context.requestId ?? null, details: { name } });
      return created;
    });
    // Its data key is created outside the caller's transaction (key creation may rotate).
    this.storage.keys.activeKeyId(account.id);
    // The local administrator may act in it at once: its open pages list it without a reload.
    this.identity.refreshPrincipals();
    return { id: account.id, name: account.name };
  }

  deleteAccount(accountId: string, confirmName: string, context: AdminContext): void {
    const account = this.requireLiveAccount(accountId);
    if (accountId === this.identity.administrationAccountId()) throw new CoreError('ERR_CONFLICT', 'The administration account cannot be deleted.');
    const held = this.storage.db.prepare<[string], { legal_hold: number }>('SELECT legal_hold FROM audit_retention WHERE account_id = ?').get(accountId);
    if (held?.legal_hold === 1) throw new CoreError('ERR_CONFLICT', 'This account is under legal hold: its records must be kept, and deleting it would destroy them. Release the hold on the Audit page first.', { details: { reason: 'legal-hold' } });
    if (confirmName !== account.name) throw new CoreError('ERR_INPUT_INVALID', 'Type the account’s name exactly to confirm its deletion.', { details: { issues: [{ path: 'confirmName', message: 'does not match the account name' }] } });
    this.storage.deleteAccount(accountId, {
      withinTransaction: () => this.audit.append({ action: 'account.delete', outcome: 'success', actor: actorOf(context.principal), resource: `account:${accountId}`, requestId: context.requestId ?? null, details: { name: account.name } }),
    });
    this.identity.refreshPrincipals();
  }

  async idpConfig(): Promise<(IdpConfig & { hasClientSecret: boolean }) | null> {
    const config = this.store.idpConfig();
    if (!config) return null;
    const secret = await this.secrets.get(this.clientSecretName()).catch(() => null);
    return { ...config, hasClientSecret: secret !== null };
  }

  private clientSecretName(): string {
    return `${this.storage.installationId}/idp/client-secret`;
  }

  /**
   * Configures the IdP, refusing what would lock everyone out: some directory group must be mapped
   * to admin in the administration account (mappings can be made in local mode), and the issuer
   * must answer with its discovery document (its own host only; https unless on this machine —
   * the input schema checks that). Local sign-in then turns off and local sessions end, in the
   * same audited transaction. A refusal is audited as a failure; nothing is stored.
   */
  async setIdpConfig(config: IdpConfig, clientSecret: string | undefined, context: AdminContext): Promise<{ localSessionsEnded: number }> {
    const refuse = (reason: string, error: CoreError): never => {
      this.store.atomically(() => this.audit.append({ action: 'idp.configure', outcome: 'failure', actor: actorOf(context.principal), resource: `idp:${config.issuer}`, requestId: context.requestId ?? null, details: { issuer: config.issuer, clientId: config.clientId, reason } }));
      throw error;
    };
    const administrationAccountId = this.identity.administrationAccountId();
    if (!this.store.groupMappings(administrationAccountId).some((m) => m.role === 'admin')) {
      const name = this.storage.accounts.byId(administrationAccountId)?.name ?? 'the administration account';
      refuse('no-admin-group', new CoreError('ERR_CONFLICT', `Nothing was saved. First map a directory group to the admin role in ${name} (Admin → Group mappings, or strongroom admin map-group GROUP --account "${name}" --role admin): once the identity provider is configured, local sign-in is off and only its members can administer Strongroom.`, { details: { reason: 'no-admin-group' } }));
    }
    if (clientSecret !== undefined && !this.secrets.writable) throw new CoreError('ERR_SECRETS_UNAVAILABLE', 'The client secret must be kept in the OS keychain, which is not writable here. Use a public client (PKCE) or run with the keychain.');
    const storedSecret = clientSecret ?? (await this.secrets.get(this.clientSecretName()).catch(() => null));
    try {
      await this.identity.probeIssuer(config, storedSecret);
    } catch (error) {
      const code = error instanceof CoreError ? error.code : 'unexpected';
      refuse('discovery-failed', new CoreError('ERR_AUTH_IDP_UNREACHABLE', 'Nothing was saved: the identity provider did not answer at this issuer URL. Check the URL (it must be the issuer exactly as the IdP names itself) and that this machine can reach it.', {
        cause: error,
        details: { reason: 'discovery-failed', failure: code, issues: [{ path: 'issuer', message: 'no OpenID discovery document for this issuer at /.well-known/openid-configuration' }] },
      }));
    }
    if (clientSecret !== undefined) await this.secrets.set(this.clientSecretName(), clientSecret);
    const ended = this.store.atomically(() => {
      const now = this.clock.now();
      this.store.setIdpConfig(config, now);
      const localSessions = this.store.endSessionsOfKind('local', now, 'local-sign-in-off');
      this.audit.append({ action: 'idp.configure', outcome: 'success', actor: actorOf(context.principal), resource: `idp:${config.issuer}`, requestId: context.requestId ?? null, details: { issuer: config.issuer, clientId: config.clientId, algorithms: config.algorithms, offlineGraceHours: config.offlineGraceHours, clientSecretChanged: clientSecret !== undefined, localSessionsEnded: localSessions.length } });
      return localSessions;
    });
    // Pages signed in locally hear it (auth.sessionEnded, each its own) and show the sign-in page saying why.
    this.identity.forgetSessions(ended, 'local-sign-in-off');
    return { localSessionsEnded: ended.length };
  }

  /**
   * Back to local mode (`strongroom admin idp clear`, run on the server): the configuration, its
   * cached keys and client secret go, IdP sessions end, and the local administrator signs in again.
   */
  async clearIdpConfig(context: AdminContext): Promise<{ cleared: boolean; issuer: string | null; sessionsEnded: number }> {
    const result = this.store.atomically(() => {
      const removed = this.store.clearIdpConfig();
      if (!removed) return { issuer: null, ended: [] as string[] };
      const ended = this.store.endSessionsOfKind('oidc', this.clock.now(), 'idp-removed');
      this.audit.append({ action: 'idp.clear', outcome: 'success', actor: actorOf(context.principal), resource: `idp:${removed.issuer}`, requestId: context.requestId ?? null, details: { issuer: removed.issuer, clientId: removed.clientId, sessionsEnded: ended.length } });
      return { issuer: removed.issuer, ended };
    });
    if (result.issuer === null) return { cleared: false, issuer: null, sessionsEnded: 0 };
    this.identity.forgetSessions(result.ended, 'idp-removed');
    await this.secrets.delete(this.clientSecretName()).catch(() => undefined);
    return { cleared: true, issuer: result.issuer, sessionsEnded: result.ended.length };
  }

  groupMappings(accountId: string): GroupMappingRecord[] {
    this.requireLiveAccount(accountId);
    return this.store.groupMappings(accountId);
  }

  /** Maps a group to a role. Mapping it again changes nothing and writes no audit entry (`created: false`). */
  mapGroup(accountId: string, group: string, role: Role, context: AdminContext): GroupMappingRecord & { created: boolean } {
    this.requireLiveAccount(accountId);
    return this.store.atomically(() => {
      const { mapping, created } = this.store.addGroupMapping(accountId, group, role, context.principal.userId, this.clock.now());
      if (created) this.audit.append({ action: 'groups.map', outcome: 'success', actor: actorOf(context.principal), resource: `account:${accountId}`, requestId: context.requestId ?? null, details: { group, role } });
      return { ...mapping, created };
    });
  }

  unmapGroup(accountId: string, mappingId: string, context: AdminContext): void {
    this.requireLiveAccount(accountId);
    this.store.atomically(() => {
      const removed = this.store.removeGroupMapping(accountId, mappingId);
      if (!removed) throw new CoreError('ERR_NOT_FOUND', 'There is no such group mapping in this account.');
      // With an IdP, administrators come only from admin mappings of the administration account: keep one.
      if (removed.role === 'admin' && accountId === this.identity.administrationAccountId() && this.store.idpConfig() && !this.store.groupMappings(accountId).some((m) => m.role === 'admin')) {
        throw new CoreError('ERR_CONFLICT', 'This is the last group mapped to admin in the administration account: without it nobody signing in through the identity provider could administer Strongroom. Map another group to admin first.', { details: { reason: 'last-admin-group' } });
      }
      this.audit.append({ action: 'groups.unmap', outcome: 'success', actor: actorOf(context.principal), resource: `account:${accountId}`, requestId: context.requestId ?? null, details: { group: removed.group, role: removed.role } });
    });
  }

  members(accountId: string): MemberRow[] {
    this.requireLiveAccount(accountId);
    return this.memberRows(accountId);
  }

  /** Who holds a role in an account: the local administrator (admin in every account), then members through groups. */
  private memberRows(accountId: string): MemberRow[] {
    const members: MemberRow[] = this.store.members(accountId).map((m) => ({ userId: m.user.id, displayName: m.user.displayName, email: m.user.email, role: m.role, source: m.source, lastSignInAt: m.user.lastSignInAt === null ? null : new Date(m.user.lastSignInAt).toISOString() }));
    const admin = this.store.localAdministrator();
    if (admin) members.unshift({ userId: admin.id, displayName: 'Local administrator', email: null, role: 'admin', source: 'local', lastSignInAt: admin.lastSignInAt === null ? null : new Date(admin.lastSignInAt).toISOString() });
    return members;
  }

  /**
   * Names for user ids an account's pages show (who last changed its approval policy): its members,
   * the installation's administrators (who act in every account), the local administrator and the
   * CLI operator — named as the audit log names them. Anyone else is left out, so a caller cannot
   * learn names from other accounts by asking for ids.
   */
  names(accountId: string, userIds: readonly string[]): Array<{ userId: string; displayName: string }> {
    this.requireLiveAccount(accountId);
    const known = new Map<string, string>();
    const administrationAccountId = this.identity.administrationAccountId();
    for (const member of this.memberRows(accountId)) known.set(member.userId, member.displayName);
    for (const member of this.store.members(administrationAccountId)) if (member.role === 'admin') known.set(member.user.id, member.user.displayName);
    known.set(operatorName.userId, operatorName.displayName);
    const wanted = [...new Set(userIds)];
    const names: Array<{ userId: string; displayName: string }> = [];
    for (const userId of wanted) {
      const displayName = known.get(userId);
      if (displayName !== undefined) names.push({ userId, displayName: displayName || (this.store.userById(userId)?.subject ?? userId) });
    }
    return names;
  }

  boundaries(accountId: string): Array<{ role: Role; permissions: Permission[] | null }> {
    this.requireLiveAccount(accountId);
    const caps = this.store.boundaries(accountId);
    return allRoles.map((role) => ({ role, permissions: caps.get(role) ?? null }));
  }

  setBoundary(accountId: string, role: Role, permissions: readonly Permission[] | null, context: AdminContext): { role: Role; permissions: Permission[] | null } {
    this.requireLiveAccount(accountId);
    const capped = permissions === null ? null : rolePermissions[role].filter((p) => permissions.includes(p));
    // A cap on admin that drops what undoing it needs would lock every admin out of boundaries for good.
    const missing = role === 'admin' && capped !== null ? adminBoundaryFloor.filter((p) => !capped.includes(p)) : [];
    if (missing.length > 0) {
      throw new CoreError('ERR_CONFLICT', `A cap on the admin role must keep ${missing.join(' and ')}: without it no administrator could change or remove this cap again.`, { details: { reason: 'admin-lockout', missing, issues: [{ path: 'permissions', message: `admin keeps ${adminBoundaryFloor.join(', ')}` }] } });
    }
    this.store.atomically(() => {
      this.store.setBoundary(accountId, role, capped, this.clock.now());
      this.audit.append({ action: 'boundaries.set', outcome: 'success', actor: actorOf(context.principal), resource: `account:${accountId}`, requestId: context.requestId ?? null, details: { role, permissions: capped } });
    });
    this.identity.refreshPrincipals();
    return { role, permissions: capped };
  }
}
