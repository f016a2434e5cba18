import { describe, expect, it } from 'vitest';
import { rolePermissions } from '../contracts/index.ts';
import { can, localOperator } from './principal.ts';
import type { Principal } from './principal.ts';

const analyst: Principal = { kind: 'user', userId: 'ana', displayName: 'Ana', accountId: 'acct-a', roles: ['analyst'], permissions: new Set(rolePermissions.analyst), installationAdmin: false };
const installationAdmin: Principal = { ...analyst, userId: 'root', roles: ['admin'], permissions: new Set(rolePermissions.admin), installationAdmin: true };

describe('can()', () => {
  it('allows a held permission in the principal’s own account only', () => {
    expect(can(analyst, 'drafts.write')).toBe(true);
    expect(can(analyst, 'drafts.write', { accountId: 'acct-a' })).toBe(true);
    expect(can(analyst, 'drafts.write', { accountId: 'acct-b' })).toBe(false);
    expect(can(analyst, 'drafts.approve')).toBe(false);
  });

  it('narrows further with per-resource grants, by user or by role', () => {
    expect(can(analyst, 'drafts.write', { accountId: 'acct-a', grant: { userIds: ['someone-else'] } })).toBe(false);
    expect(can(analyst, 'drafts.write', { accountId: 'acct-a', grant: { userIds: ['ana'] } })).toBe(true);
    expect(can(analyst, 'drafts.write', { accountId: 'acct-a', grant: { roles: ['reviewer'] } })).toBe(false);
    expect(can(analyst, 'drafts.write', { accountId: 'acct-a', grant: { roles: ['analyst'] } })).toBe(true);
    // A grant never adds a permission the role lacks.
    expect(can(analyst, 'drafts.approve', { accountId: 'acct-a', grant: { userIds: ['ana'] } })).toBe(false);
  });

  it('lets installation administrators administer other accounts, but not act on their content', () => {
    expect(can(installationAdmin, 'groups.manage', { accountId: 'acct-b' })).toBe(true);
    expect(can(installationAdmin, 'boundaries.manage', { accountId: 'acct-b' })).toBe(true);
    expect(can(installationAdmin, 'drafts.read', { accountId: 'acct-b' })).toBe(false);
    expect(can(installationAdmin, 'runs.start', { accountId: 'acct-b' })).toBe(false);
  });

  it('reserves installation permissions for installation administrators', () => {
    const accountAdmin: Principal = { ...installationAdmin, installationAdmin: false };
    expect(can(accountAdmin, 'installation.manage')).toBe(false);
    expect(can(accountAdmin, 'keys.rotate')).toBe(false);
    expect(can(installationAdmin, 'installation.manage')).toBe(true);
    expect(can(localOperator(), 'installation.manage')).toBe(true);
  });
});
