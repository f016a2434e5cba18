import type { Permission, Role } from '../contracts/index.ts';
import { installationPermissions, permissions } from '../contracts/index.ts';

/** Who is calling. Resolved by the router from the transport's session, never from a request body. */
export interface Principal {
  kind: 'user' | 'local-admin' | 'system';
  userId: string;
  displayName: string;
  /** The account the principal acts in; null for installation-level operators such as the CLI. */
  accountId: string | null;
  /** Roles held in that account (several group mappings can apply). */
  roles: readonly Role[];
  /** Effective permissions in that account: each role's permissions capped by the account's boundary for it. */
  permissions: ReadonlySet<Permission>;
  /** Administers the installation (accounts, IdP, group mappings of any account). */
  installationAdmin: boolean;
}

/** What an action is applied to: its account, and optionally a per-resource grant that narrows access. */
export interface ResourceRef {
  accountId?: string | null;
  /** Per-resource grant: when present, only these users or roles may act on the resource. */
  grant?: { userIds?: readonly string[]; roles?: readonly Role[] };
}

/**
 * Account-administration permissions an installation administrator holds in every account
 * (models.manage: they add models for every account, so they may choose an account's default too).
 */
const crossAccountAdministration: ReadonlySet<Permission> = new Set(['account.read', 'members.manage', 'groups.manage', 'boundaries.manage', 'models.manage']);
const installationOnly: ReadonlySet<Permission> = new Set(installationPermissions);

/**
 * The single authorization decision: role permissions (already capped by the boundary), the
 * account the resource lives in, and any per-resource grant. The router calls it for every
 * method; services call it for per-resource checks.
 */
export function can(principal: Principal, permission: Permission, resource?: ResourceRef): boolean {
  if (installationOnly.has(permission) && !principal.installationAdmin) return false;
  const targetAccount = resource?.accountId;
  if (targetAccount !== undefined && targetAccount !== null && targetAccount !== principal.accountId) {
    return principal.installationAdmin && crossAccountAdministration.has(permission);
  }
  if (!principal.permissions.has(permission)) return false;
  const grant = resource?.grant;
  if (grant) {
    const byUser = grant.userIds?.includes(principal.userId) ?? false;
    const byRole = principal.roles.some((role) => grant.roles?.includes(role) ?? false);
    if (!byUser && !byRole) return false;
  }
  return true;
}

/**
 * The installation operator: whoever runs the `strongroom` CLI on this machine with access to its
 * data directory and keychain. Holds every permission but acts in no account.
 */
export function localOperator(): Principal {
  return {
    kind: 'system',
    userId: 'local-operator',
    displayName: 'Local operator',
    accountId: null,
    roles: [],
    permissions: new Set(permissions),
    installationAdmin: true,
  };
}
