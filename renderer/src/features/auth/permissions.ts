import type { AuthStatus, Permission, Role } from '../../../../core/contracts/index.ts';
import { installationPermissions, rolePermissions } from '../../../../core/contracts/index.ts';

export interface AccountChoice {
  id: string;
  name: string;
  roles: Role[];
}

/** The accounts a user may act in, each once with every role held there (auth.status merges them). */
export function accountChoices(status: AuthStatus): AccountChoice[] {
  return status.accounts.map((account) => ({ id: account.id, name: account.name, roles: [...account.roles] }));
}

/** The roles held in the account the user is acting in. */
export function activeRoles(status: AuthStatus): Role[] {
  return status.activeAccount ? [...status.activeAccount.roles] : [];
}

/**
 * What the UI offers, mirroring the router's rule (core/identity/principals.ts): the union over
 * the user's roles of each role's permissions, capped by the account's boundary for that role.
 * Installation permissions are left out here; the Admin page decides those separately. The router
 * still enforces every call; this only hides what would be refused.
 */
export function effectivePermissions(roles: readonly Role[], boundaries: ReadonlyArray<{ role: Role; permissions: readonly Permission[] | null }> | null): Set<Permission> {
  const caps = new Map((boundaries ?? []).map((boundary) => [boundary.role, boundary.permissions]));
  const result = new Set<Permission>();
  for (const role of roles) {
    const cap = caps.get(role) ?? null;
    for (const permission of rolePermissions[role]) {
      if (cap && !cap.includes(permission)) continue;
      if (installationPermissions.includes(permission)) continue;
      result.add(permission);
    }
  }
  return result;
}

/** "admin", "analyst and reviewer": roles as people read them. */
export function describeRoles(roles: readonly Role[]): string {
  if (roles.length <= 1) return roles[0] ?? 'no role';
  return `${roles.slice(0, -1).join(', ')} and ${roles[roles.length - 1]}`;
}
