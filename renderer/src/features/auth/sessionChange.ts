import type { AuthStatus } from '../../../../core/contracts/index.ts';

/**
 * Whether a page told that what its session may do changed (`auth.sessionChanged`: a boundary, roles
 * re-evaluated with the IdP, an account added or gone) takes the status it then asked for: yes when
 * signed out (it leaves for the sign-in page) or still acting in the account the page shows. No
 * when another tab switched the session to another account meanwhile: this page keeps the account
 * it shows, and its calls are refused with ERR_AUTH_ACCOUNT_CHANGED, which offers to continue there.
 */
export function followsSessionChange(shownAccountId: string | null, status: AuthStatus): boolean {
  return !status.signedIn || status.activeAccount?.id === shownAccountId;
}
