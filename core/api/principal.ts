import type { Permission } from '../contracts/index.ts';
import { permissions } from '../contracts/index.ts';

/** Who is calling. Resolved by the router from the transport's session, never from a request body. */
export interface Principal {
  kind: 'user' | 'system';
  userId: string;
  displayName: string;
  /** The account the principal acts in; null for installation-wide operators. */
  accountId: string | null;
  permissions: ReadonlySet<Permission>;
}

/**
 * The single decision point for authorization. The identity issue extends the resource argument
 * with accounts, boundaries and per-resource grants; callers do not change.
 */
export function can(principal: Principal, permission: Permission, _resource?: { accountId?: string | null }): boolean {
  return principal.permissions.has(permission);
}

/**
 * The operator of a local-mode installation (no IdP configured), who holds every permission.
 * Identity replaces this with real users; it stays for `strongroom` CLI administration.
 */
export function localOperator(): Principal {
  return {
    kind: 'system',
    userId: 'local-operator',
    displayName: 'Local operator',
    accountId: null,
    permissions: new Set(permissions),
  };
}
