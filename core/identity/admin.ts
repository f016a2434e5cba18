import { CoreError } from '../base/index.ts';
import type { Clock } from '../base/index.ts';
import type { IdpConfig, Permission, Role } from '../contracts/index.ts';
import { roles as allRoles, rolePermissions } from '../contracts/index.ts';
import type { Principal } from '../api/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Storage } from '../storage/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { IdentityService } from './service.ts';
import type { GroupMappingRecord, IdentityStore } from './store.ts';

export interface AdminContext {
  principal: Principal;
  requestId?: string;
}

const actorOf = (principal: Principal) => ({ userId: principal.userId, accountId: principal.accountId, roles: principal.roles });

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

  constructor(options: { storage: Storage; store: IdentityStore; audit: AuditLog; secrets: SecretStore; clock: Clock; identity: IdentityService }) {
    this.storage = options.storage;
    this.store = options.store;
    this.audit = options.audit;
    this.secrets = options.secrets;
    this.clock = options.clock;
    this.identity = options.identity;
  }

  private requireLiveAccount(accountId: string): { id: string; name: string } {
    const account = this.storage.accounts.byId(accountId);
    if (!account || account.deletedAt !== null) throw new CoreError('ERR_AUTH_FORBIDDEN', 'You do not have permission to do this.');
    return account;
  }

  listAccounts(principal: Principal): Array<{ id: string; name: string; createdAt: string; members: number }> {
    const accounts = this.storage.accounts.list().filter((a) => principal.installationAdmin || a.id === principal.accountId);
    return accounts.map((a) => ({ id: a.id, name: a.name, createdAt: new Date(a.createdAt).toISOString(), members: this.store.memberCount(a.id) }));
  }

  createAccount(name: string, context: AdminContext): { id: string; name: string } {
    const account = this.store.atomically(() => {
      const created = this.storage.accounts.create(name, this.clock.now());
      this.audit.append({ action: 'account.create', outcome: 'success', actor: actorOf(context.principal), resource: `account:${created.id}`, requestId: context.requestId ?? null, details: { name } });
      return created;
    });
    // Its data key is created outside the caller's transaction (key creation may rotate).
    this.storage.keys.activeKeyId(account.id);
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

  async setIdpConfig(config: IdpConfig, clientSecret: string | undefined, context: AdminContext): Promise<void> {
    if (clientSecret !== undefined) {
      if (!this.secrets.writable) throw new CoreError('ERR_SECRETS_UNAVAILABLE', 'The client secret must be kept in the OS keychain, which is not writable here. Use a public client (PKCE) or run with the keychain.');
      await this.secrets.set(this.clientSecretName(), clientSecret);
    }
    this.store.atomically(() => {
      this.store.setIdpConfig(config, this.clock.now());
      this.audit.append({ action: 'idp.configure', outcome: 'success', actor: actorOf(context.principal), resource: `idp:${config.issuer}`, requestId: context.requestId ?? null, details: { issuer: config.issuer, clientId: config.clientId, algorithms: config.algorithms, offlineGraceHours: config.offlineGraceHours, clientSecretChanged: clientSecret !== undefined } });
    });
  }

  groupMappings(accountId: string): GroupMappingRecord[] {
    this.requireLiveAccount(accountId);
    return this.store.groupMappings(accountId);
  }

  mapGroup(accountId: string, group: string, role: Role, context: AdminContext): GroupMappingRecord {
    this.requireLiveAccount(accountId);
    return this.store.atomically(() => {
      const mapping = this.store.addGroupMapping(accountId, group, role, context.principal.userId, this.clock.now());
      this.audit.append({ action: 'groups.map', outcome: 'success', actor: actorOf(context.principal), resource: `account:${accountId}`, requestId: context.requestId ?? null, details: { group, role } });
      return mapping;
    });
  }

  unmapGroup(accountId: string, mappingId: string, context: AdminContext): void {
    this.requireLiveAccount(accountId);
    this.store.atomically(() => {
      const removed = this.store.removeGroupMapping(accountId, mappingId);
      if (!removed) throw new CoreError('ERR_NOT_FOUND', 'There is no such group mapping in this account.');
      this.audit.append({ action: 'groups.unmap', outcome: 'success', actor: actorOf(context.principal), resource: `account:${accountId}`, requestId: context.requestId ?? null, details: { group: removed.group, role: removed.role } });
    });
  }

  members(accountId: string): Array<{ userId: string; displayName: string; email: string | null; role: Role; source: 'group' | 'local'; lastSignInAt: string | null }> {
    this.requireLiveAccount(accountId);
    const members = this.store.members(accountId).map((m) => ({ userId: m.user.id, displayName: m.user.displayName, email: m.user.email, role: m.role, source: m.source, lastSignInAt: m.user.lastSignInAt === null ? null : new Date(m.user.lastSignInAt).toISOString() }));
    const admin = this.store.localAdministrator();
    if (admin) members.unshift({ userId: admin.id, displayName: 'Local administrator', email: null, role: 'admin', source: 'local', lastSignInAt: admin.lastSignInAt === null ? null : new Date(admin.lastSignInAt).toISOString() });
    return members;
  }

  boundaries(accountId: string): Array<{ role: Role; permissions: Permission[] | null }> {
    this.requireLiveAccount(accountId);
    const caps = this.store.boundaries(accountId);
    return allRoles.map((role) => ({ role, permissions: caps.get(role) ?? null }));
  }

  setBoundary(accountId: string, role: Role, permissions: readonly Permission[] | null, context: AdminContext): { role: Role; permissions: Permission[] | null } {
    this.requireLiveAccount(accountId);
    const capped = permissions === null ? null : rolePermissions[role].filter((p) => permissions.includes(p));
    this.store.atomically(() => {
      this.store.setBoundary(accountId, role, capped, this.clock.now());
      this.audit.append({ action: 'boundaries.set', outcome: 'success', actor: actorOf(context.principal), resource: `account:${accountId}`, requestId: context.requestId ?? null, details: { role, permissions: capped } });
    });
    this.identity.refreshPrincipals();
    return { role, permissions: capped };
  }
}
