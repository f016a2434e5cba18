import { describe, expect, it } from 'vitest';
import type { AuthStatus } from '../../../../core/contracts/index.ts';
import { rolePermissions } from '../../../../core/contracts/index.ts';
import { accountChoices, activeRoles, describeRoles, effectivePermissions } from './permissions.ts';
import { signInProblemFrom } from './signInErrors.ts';

const status = (accounts: AuthStatus['accounts'], active: AuthStatus['activeAccount']): AuthStatus => ({
  mode: 'oidc',
  signedIn: true,
  localSetupRequired: false,
  user: { id: 'u1', displayName: 'Bob', email: null, kind: 'user' },
  activeAccount: active,
  accounts,
  idp: { issuer: 'https://idp.example' },
  offlineUntil: null,
  sessionEndsAt: null,
  sessionEnded: null,
});

describe('what the UI offers', () => {
  it('offers each account once with every role held there, as auth.status lists them', () => {
    const s = status([{ id: 'a', name: 'Credit Risk', roles: ['analyst', 'reviewer'] }, { id: 'b', name: 'HR', roles: ['auditor'] }], { id: 'a', name: 'Credit Risk', roles: ['analyst', 'reviewer'] });
    expect(accountChoices(s)).toEqual([{ id: 'a', name: 'Credit Risk', roles: ['analyst', 'reviewer'] }, { id: 'b', name: 'HR', roles: ['auditor'] }]);
    expect(activeRoles(s)).toEqual(['analyst', 'reviewer']);
    expect(describeRoles(['analyst', 'reviewer', 'auditor'])).toBe('analyst, reviewer and auditor');
  });

  it('caps each role by its boundary, as the router does, and never offers installation permissions', () => {
    const capped = effectivePermissions(['analyst'], [{ role: 'analyst', permissions: ['drafts.read', 'system.read'] }]);
    expect([...capped].sort()).toEqual(['drafts.read', 'system.read']);
    // A cap on one role does not cap another the user also holds.
    const both = effectivePermissions(['analyst', 'reviewer'], [{ role: 'analyst', permissions: ['drafts.read'] }]);
    expect(both.has('drafts.approve')).toBe(true);
    expect(both.has('drafts.export')).toBe(false);
    const admin = effectivePermissions(['admin'], null);
    expect(admin.has('installation.manage')).toBe(false);
    expect(admin.size).toBe(rolePermissions.admin.length - 2);
  });
});

describe('sign-in problems from the address', () => {
  it('explains known codes and ignores anything that is not an error code', () => {
    expect(signInProblemFrom('?error=ERR_AUTH_NO_ACCESS')?.message).toContain('no account on this installation is open to you');
    expect(signInProblemFrom('?error=ERR_INTERNAL')).toEqual({ code: 'ERR_INTERNAL', message: expect.stringContaining('error code') as string });
    expect(signInProblemFrom('?error=<script>')).toBeNull();
    expect(signInProblemFrom('')).toBeNull();
  });
});
