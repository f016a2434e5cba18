import { describe, expect, it } from 'vitest';
import type { AuthStatus } from '../../../../core/contracts/index.ts';
import { followsSessionChange } from './sessionChange.ts';

const status = (signedIn: boolean, accountId: string | null): AuthStatus => ({
  mode: 'oidc',
  signedIn,
  localSetupRequired: false,
  user: signedIn ? { id: 'u', displayName: 'Alice', email: null, kind: 'user' } : null,
  activeAccount: accountId === null ? null : { id: accountId, name: accountId, roles: ['analyst'] },
  accounts: [],
  idp: { issuer: 'https://idp.example' },
  offlineUntil: null,
  sessionEndsAt: null,
  sessionEnded: null,
});

describe('a page told that its session changed', () => {
  it('takes the new status in the account it shows, and when signed out', () => {
    expect(followsSessionChange('credit', status(true, 'credit'))).toBe(true);
    expect(followsSessionChange('credit', status(false, null))).toBe(true);
  });

  it('keeps its account when another tab switched the session elsewhere', () => {
    expect(followsSessionChange('credit', status(true, 'kyc'))).toBe(false);
  });
});
