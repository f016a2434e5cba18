import type { Permission, Role } from '../contracts/index.ts';
import { methodNames, permissions } from '../contracts/index.ts';
import type { MethodHandlers } from './router.ts';
import type { Principal } from './principal.ts';

/** A user principal for tests, holding the given permissions (all by default). */
export function testPrincipal(overrides: Partial<Omit<Principal, 'permissions'>> & { permissions?: readonly Permission[] } = {}): Principal {
  return {
    kind: 'user',
    roles: overrides.roles ?? (['admin'] satisfies Role[]),
    installationAdmin: overrides.installationAdmin ?? false,
    userId: overrides.userId ?? 'user-test',
    displayName: overrides.displayName ?? 'Test User',
    accountId: overrides.accountId ?? 'account-test',
    permissions: new Set(overrides.permissions ?? permissions),
  };
}

/** A complete handler table for router tests: the given handlers, and a failing stub for every other method. */
export function handlersWith(partial: Partial<MethodHandlers>): MethodHandlers {
  const stub = () => {
    throw new Error('not part of this test');
  };
  return Object.fromEntries(methodNames.map((method) => [method, partial[method] ?? stub])) as unknown as MethodHandlers;
}
