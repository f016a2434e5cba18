import type { ErrorCode } from '../../../../core/contracts/index.ts';
import { ErrorCodeSchema } from '../../../../core/contracts/index.ts';

/** What went wrong with a browser sign-in, in words people act on; keyed by the stable error code. */
const explanations: Partial<Record<ErrorCode, string>> = {
  ERR_AUTH_NO_ACCESS: 'You signed in, but no account on this installation is open to you yet. Ask your Strongroom administrator to map one of your directory groups to an account, then sign in again.',
  ERR_AUTH_SIGNIN_FAILED: 'The sign-in did not complete: it may have taken too long or been started in another window. Start again.',
  ERR_AUTH_TOKEN_INVALID: 'Your organisation’s identity provider answered, but Strongroom could not verify that answer. Try again; if it keeps happening, tell your administrator.',
  ERR_AUTH_IDP_UNREACHABLE: 'Your organisation’s identity provider cannot be reached. Check your network connection and try again.',
  ERR_AUTH_NOT_CONFIGURED: 'This installation has no identity provider configured. Ask your administrator.',
  ERR_AUTH_SESSION_EXPIRED: 'Your session has ended. Sign in again.',
  ERR_SECRETS_UNAVAILABLE: 'Strongroom could not reach the system keychain to finish the sign-in. Ask your administrator.',
};

export interface SignInProblem {
  code: ErrorCode;
  message: string;
}

/** The `?error=ERR_…` a failed browser sign-in redirects with; anything else in the query is ignored. */
export function signInProblemFrom(search: string): SignInProblem | null {
  const parsed = ErrorCodeSchema.safeParse(new URLSearchParams(search).get('error'));
  if (!parsed.success) return null;
  return { code: parsed.data, message: explanations[parsed.data] ?? 'The sign-in failed. Try again; if it keeps happening, tell your administrator the error code.' };
}

/** Why someone was sent to the sign-in page by the app itself: `?notice=…` (known values only). */
const notices = {
  'idp-configured': 'The identity provider is saved. Local sign-in is now off and your local administrator session has ended: sign in through your organisation’s identity provider, as a member of a group mapped to admin.',
} as const;

export function signInNoticeFrom(search: string): string | null {
  const notice = new URLSearchParams(search).get('notice');
  return notice !== null && Object.hasOwn(notices, notice) ? notices[notice as keyof typeof notices] : null;
}

/** The sign-in page to send someone to with a notice. */
export function signInPageWith(notice: keyof typeof notices): string {
  return `/signin?notice=${notice}`;
}
