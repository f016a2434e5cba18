import type { AuthStatus, ErrorCode } from '../../../../core/contracts/index.ts';
import { AuthStatusSchema, ErrorCodeSchema } from '../../../../core/contracts/index.ts';

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
  /** The OAuth error code the identity provider itself answered with (`access_denied`, …), if it did. */
  idpError?: string;
}

/** An OAuth error code as the server passes it on (`/auth/callback`): a bare token, never the IdP's description. */
const idpErrorPattern = /^[A-Za-z0-9_.-]{1,64}$/;

/** What the identity provider's own refusal means for the person who saw it. */
function idpRefusal(idpError: string): string {
  if (idpError === 'access_denied') return 'You cancelled the sign-in at your organisation’s sign-in page, or it refused to sign you in. Start again when you are ready.';
  return 'Your organisation’s identity provider did not sign you in and answered with the error code below. Start again; if it keeps happening, tell your administrator that code.';
}

/**
 * The `?error=ERR_…` a failed browser sign-in redirects with, and `&idp_error=` when the identity
 * provider itself refused; anything else in the query is ignored.
 */
export function signInProblemFrom(search: string): SignInProblem | null {
  const query = new URLSearchParams(search);
  const parsed = ErrorCodeSchema.safeParse(query.get('error'));
  if (!parsed.success) return null;
  const idpError = query.get('idp_error');
  if (parsed.data === 'ERR_AUTH_SIGNIN_FAILED' && idpError !== null && idpErrorPattern.test(idpError)) {
    return { code: parsed.data, message: idpRefusal(idpError), idpError };
  }
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

export type SessionEnded = NonNullable<AuthStatus['sessionEnded']>;
export type SessionEndReason = SessionEnded['reason'];

const SessionEndReasonSchema = AuthStatusSchema.shape.sessionEnded.unwrap().shape.reason;

/** Why a session ended, as the person whose session it was reads it on the sign-in page. */
export function sessionEndedMessage(ended: SessionEnded): string {
  switch (ended.reason) {
    case 'signed-out':
      return 'You signed out of Strongroom in this browser (in this tab or another). Sign in again to continue.';
    case 'access-removed':
      return `Your session ended: your access to ${ended.accountName ?? 'the account you were working in'} was removed. If you still need it, ask your administrator.`;
    case 'refresh-refused':
      return 'Your session ended: your organisation’s identity provider no longer vouches for it (you may have signed out there, or your account was changed). Sign in again.';
    case 'lifetime':
      return `Your session ended: sessions last ${ended.hours ?? 12} hours, whatever happens in them. Sign in again to continue.`;
    case 'offline-grace':
      return `Your session ended: Strongroom could not reach your organisation’s identity provider to confirm it${ended.hours === null ? '' : ` for ${ended.hours} hours`}. Sign in again once it can be reached.`;
    case 'local-sign-in-off':
      return 'Your session ended: an identity provider was configured, so local sign-in is off. Sign in through your organisation’s identity provider.';
    case 'idp-removed':
      return 'Your session ended: the identity provider was removed and this installation is back in local mode. Only the local administrator can sign in now.';
    case 'ended-by-admin':
      return 'An administrator ended your session. Sign in again to continue; if you cannot, ask your administrator.';
    case 'ended':
      return 'Your session has ended. Sign in again to continue.';
  }
}

/** `?ended=` on the sign-in page: why this tab was sent there, as far as it knew (known reasons only). */
export function sessionEndFrom(search: string): SessionEnded | null {
  const parsed = SessionEndReasonSchema.safeParse(new URLSearchParams(search).get('ended'));
  return parsed.success ? { reason: parsed.data, accountName: null, hours: null } : null;
}

/**
 * The sign-in page for a tab whose session ended: the reason it knows goes along (only the reason —
 * the server tells the rest, such as the account's name, to the session's holder alone).
 */
export function signInPageAfterEnd(reason: SessionEndReason | null): string {
  return `/signin?ended=${reason ?? 'ended'}`;
}
