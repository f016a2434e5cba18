import { describe, expect, it } from 'vitest';
import { sessionEndedMessage, sessionEndFrom, signInNoticeFrom, signInPageAfterEnd, signInPageWith, signInProblemFrom } from './signInErrors.ts';

describe('notices on the sign-in page', () => {
  it('explains why a saved identity provider ended the local session, and nothing else', () => {
    expect(signInNoticeFrom(new URL(signInPageWith('idp-configured'), 'http://127.0.0.1').search)).toContain('Local sign-in is now off');
    expect(signInNoticeFrom('?notice=toString')).toBeNull();
    expect(signInNoticeFrom('?notice=<b>hi</b>')).toBeNull();
    expect(signInNoticeFrom('')).toBeNull();
  });
});

describe('a sign-in the identity provider refused', () => {
  it('says the person cancelled (access_denied) instead of blaming time or another window', () => {
    const cancelled = signInProblemFrom('?error=ERR_AUTH_SIGNIN_FAILED&idp_error=access_denied');
    expect(cancelled).toMatchObject({ code: 'ERR_AUTH_SIGNIN_FAILED', idpError: 'access_denied' });
    expect(cancelled?.message).toContain('You cancelled the sign-in at your organisation’s sign-in page');
    expect(cancelled?.message).not.toContain('taken too long');
  });

  it('names any other IdP error by its code, and takes nothing but a bare code from the address', () => {
    expect(signInProblemFrom('?error=ERR_AUTH_SIGNIN_FAILED&idp_error=temporarily_unavailable')).toMatchObject({ idpError: 'temporarily_unavailable', message: expect.stringContaining('error code below') as string });
    for (const junk of ['<b>hi</b>', 'access denied', 'x'.repeat(65), '']) {
      expect(signInProblemFrom(`?error=ERR_AUTH_SIGNIN_FAILED&idp_error=${encodeURIComponent(junk)}`), junk).toEqual({ code: 'ERR_AUTH_SIGNIN_FAILED', message: expect.stringContaining('taken too long') as string });
    }
    // An unknown attempt (no idp_error) reads as before.
    expect(signInProblemFrom('?error=ERR_AUTH_SIGNIN_FAILED')?.message).toContain('may have taken too long or been started in another window');
  });
});

describe('why a session ended', () => {
  it('says each reason in words, with the account and the hours the server gives', () => {
    expect(sessionEndedMessage({ reason: 'signed-out', accountName: null, hours: null })).toContain('You signed out');
    expect(sessionEndedMessage({ reason: 'access-removed', accountName: 'Default', hours: null })).toContain('your access to Default was removed');
    expect(sessionEndedMessage({ reason: 'refresh-refused', accountName: null, hours: null })).toContain('identity provider no longer vouches for it');
    expect(sessionEndedMessage({ reason: 'lifetime', accountName: null, hours: 12 })).toContain('sessions last 12 hours');
    expect(sessionEndedMessage({ reason: 'offline-grace', accountName: null, hours: 8 })).toContain('for 8 hours');
    expect(sessionEndedMessage({ reason: 'ended-by-admin', accountName: null, hours: null })).toContain('An administrator ended your session');
  });

  it('reads a known reason from ?ended= on the sign-in page, and nothing else', () => {
    expect(sessionEndFrom(new URL(signInPageAfterEnd('signed-out'), 'http://127.0.0.1').search)).toEqual({ reason: 'signed-out', accountName: null, hours: null });
    expect(sessionEndFrom(new URL(signInPageAfterEnd(null), 'http://127.0.0.1').search)).toEqual({ reason: 'ended', accountName: null, hours: null });
    expect(sessionEndFrom(new URL(signInPageAfterEnd('ended-by-admin'), 'http://127.0.0.1').search)).toEqual({ reason: 'ended-by-admin', accountName: null, hours: null });
    expect(sessionEndFrom('?ended=<b>gone</b>')).toBeNull();
    expect(sessionEndFrom('?ended=toString')).toBeNull();
    expect(sessionEndFrom('')).toBeNull();
  });
});
