import { describe, expect, it } from 'vitest';
import { signInNoticeFrom, signInPageWith } from './signInErrors.ts';

describe('notices on the sign-in page', () => {
  it('explains why a saved identity provider ended the local session, and nothing else', () => {
    expect(signInNoticeFrom(new URL(signInPageWith('idp-configured'), 'http://127.0.0.1').search)).toContain('Local sign-in is now off');
    expect(signInNoticeFrom('?notice=toString')).toBeNull();
    expect(signInNoticeFrom('?notice=<b>hi</b>')).toBeNull();
    expect(signInNoticeFrom('')).toBeNull();
  });
});
