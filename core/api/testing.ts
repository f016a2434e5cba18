import type { Permission, Role } from '../contracts/index.ts';
import { permissions } from '../contracts/index.ts';
import type { Principal } from './principal.ts';

/** A user principal for tests, holding the given permissions (all by default). */
export function testPrincipal(overrides: Partial<Omit<Principal, 'permissions'>> & { permissions?: readonly Permission[] } = {}): Principal {
  return {
    kind: 'user',
    role: overrides.role ?? ('admin' satisfies Role),
    installationAdmin: overrides.installationAdmin ?? false,
    userId: overrides.userId ?? 'user-test',
    displayName: overrides.displayName ?? 'Test User',
    accountId: overrides.accountId ?? 'account-test',
    permissions: new Set(overrides.permissions ?? permissions),
  };
}
