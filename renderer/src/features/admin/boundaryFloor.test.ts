import { describe, expect, it } from 'vitest';
import { rolePermissions } from '../../../../core/contracts/index.ts';
import { adminBoundaryFloor, boundarySavedMessage, boundaryToSave, keptByFloor } from './boundaryFloor.ts';

describe('the boundaries panel never offers an admin cap that locks admins out', () => {
  it('keeps reading and setting boundaries in every cap on admin', () => {
    expect([...adminBoundaryFloor].sort()).toEqual(['account.read', 'boundaries.manage']);
    expect(boundaryToSave('admin', true, [])).toEqual(rolePermissions.admin.filter((p) => adminBoundaryFloor.includes(p)));
    expect(boundaryToSave('admin', true, ['drafts.read'])).toEqual(expect.arrayContaining(['account.read', 'boundaries.manage', 'drafts.read']));
    expect(keptByFloor('admin', 'boundaries.manage')).toBe(true);
    expect(keptByFloor('analyst', 'account.read')).toBe(false);
  });

  it('saves other roles exactly as ticked, and no cap as null', () => {
    expect(boundaryToSave('analyst', true, [])).toEqual([]);
    expect(boundaryToSave('analyst', true, ['drafts.export', 'drafts.read'])).toEqual(rolePermissions.analyst.filter((p) => p === 'drafts.read' || p === 'drafts.export'));
    expect(boundaryToSave('admin', false, [])).toBeNull();
  });

  it('says what was saved', () => {
    const all = rolePermissions.analyst.length;
    expect(boundarySavedMessage('analyst', rolePermissions.analyst.slice(1))).toBe(`Saved: analyst capped to ${all - 1} of ${all} permissions.`);
    expect(boundarySavedMessage('analyst', null)).toBe('Saved: analyst has no cap (its full permissions).');
  });
});
