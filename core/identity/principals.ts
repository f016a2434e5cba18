import type { Permission, Role } from '../contracts/index.ts';
import { installationPermissions, rolePermissions, roles as allRoles } from '../contracts/index.ts';
import type { Principal } from '../api/index.ts';
import type { IdentityStore, MembershipRecord, UserRecord } from './store.ts';

/** The accounts a user may act in, with their roles there. The local administrator is admin everywhere. */
export function membershipsOf(store: IdentityStore, user: UserRecord, liveAccountIds: readonly string[]): MembershipRecord[] {
  if (user.kind === 'local-admin') return liveAccountIds.map((accountId) => ({ accountId, role: 'admin', source: 'local' }));
  return store.memberships(user.id).filter((m) => liveAccountIds.includes(m.accountId));
}

/**
 * The principal for a user acting in one account: the union over the user's roles there of each
 * role's permissions capped by the account's boundary for that role. Installation permissions
 * exist only for admins of the administration account.
 */
export function buildPrincipal(
  store: IdentityStore,
  user: UserRecord,
  accountId: string,
  memberships: readonly MembershipRecord[],
  administrationAccountId: string,
): Principal | null {
  const roles = [...new Set(memberships.filter((m) => m.accountId === accountId).map((m) => m.role))].sort((a, b) => allRoles.indexOf(a) - allRoles.indexOf(b));
  if (roles.length === 0) return null;
  const boundaries = store.boundaries(accountId);
  const installationAdmin = accountId === administrationAccountId && roles.includes('admin');
  const permissions = new Set<Permission>();
  for (const role of roles) {
    const cap = boundaries.get(role);
    for (const permission of rolePermissions[role]) {
      if (cap && !cap.includes(permission)) continue;
      if (!installationAdmin && installationPermissions.includes(permission)) continue;
      permissions.add(permission);
    }
  }
  return {
    kind: user.kind === 'local-admin' ? 'local-admin' : 'user',
    userId: user.id,
    displayName: user.displayName || (user.kind === 'local-admin' ? 'Local administrator' : user.subject ?? user.id),
    accountId,
    roles,
    permissions,
    installationAdmin,
  };
}

/** Roles from IdP groups: every mapping whose group the user is in. */
export function rolesFromGroups(mappings: readonly { accountId: string; group: string; role: Role }[], groups: readonly string[]): Array<{ accountId: string; role: Role }> {
  const inGroup = new Set(groups);
  const seen = new Set<string>();
  const result: Array<{ accountId: string; role: Role }> = [];
  for (const mapping of mappings) {
    const key = `${mapping.accountId}:${mapping.role}`;
    if (inGroup.has(mapping.group) && !seen.has(key)) {
      seen.add(key);
      result.push({ accountId: mapping.accountId, role: mapping.role });
    }
  }
  return result;
}
