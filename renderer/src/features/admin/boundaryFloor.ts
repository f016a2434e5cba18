import type { Permission, Role } from '../../../../core/contracts/index.ts';
import { identityMethods, rolePermissions } from '../../../../core/contracts/index.ts';

/**
 * What a cap on admin keeps, as the server insists (IdentityAdmin.setBoundary): the permissions of
 * the methods that read and set boundaries, so an administrator can always undo a cap.
 */
export const adminBoundaryFloor: readonly Permission[] = [identityMethods['admin.boundaries.get'].permission, identityMethods['admin.boundaries.set'].permission];

/** Whether a role's cap must keep this permission (the panel shows it ticked and fixed). */
export function keptByFloor(role: Role, permission: Permission): boolean {
  return role === 'admin' && adminBoundaryFloor.includes(permission);
}

/** The permissions a boundary form saves: null for no cap; for admin, never without the floor; in the role's order. */
export function boundaryToSave(role: Role, capped: boolean, allowed: readonly Permission[]): Permission[] | null {
  if (!capped) return null;
  return rolePermissions[role].filter((permission) => allowed.includes(permission) || keptByFloor(role, permission));
}

/** What the form says once the API saved a boundary. */
export function boundarySavedMessage(role: Role, permissions: readonly Permission[] | null): string {
  return permissions === null ? `Saved: ${role} has no cap (its full permissions).` : `Saved: ${role} capped to ${permissions.length} of ${rolePermissions[role].length} permissions.`;
}
