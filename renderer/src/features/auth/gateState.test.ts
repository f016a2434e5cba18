import { describe, expect, it } from 'vitest';
import type { AuthStatus } from '../../../../core/contracts/index.ts';
import { settled } from './gateState.ts';
import type { GateState } from './gateState.ts';

const signedInAs = (id: string): GateState => ({
  kind: 'ready',
  loaded: { status: { signedIn: true, user: { id, displayName: id, email: null, kind: 'user' } } as unknown as AuthStatus, permissions: new Set() },
});
const signedOut = (reason: string | null): GateState => ({ kind: 'ready', loaded: { status: { signedIn: false, user: null, sessionEnded: reason === null ? null : { reason } } as unknown as AuthStatus, permissions: new Set() } });

describe('what a page does with a fresh auth.status', () => {
  it('keeps showing the app while the same person is signed in', () => {
    const next = signedInAs('xavier');
    expect(settled(signedInAs('xavier'), next, null)).toBe(next);
  });

  it('ends, naming whose page it was, when the session is over', () => {
    expect(settled(signedInAs('xavier'), signedOut('expired'), null)).toEqual({ kind: 'ended', reason: 'expired', userId: 'xavier' });
    expect(settled(signedInAs('xavier'), signedOut(null), 'signed-out')).toEqual({ kind: 'ended', reason: 'signed-out', userId: 'xavier' });
  });

  it('starts afresh, never showing this page to them, when the shared cookie now names another person', () => {
    // Xavier's session ended, Yvonne signed in in another tab; this background tab checks late.
    expect(settled(signedInAs('xavier'), signedInAs('yvonne'), null)).toEqual({ kind: 'otherPerson' });
  });

  it('keeps what it shows when the server could not be asked, and a page that ended stays ended', () => {
    const shown = signedInAs('xavier');
    expect(settled(shown, { kind: 'error', error: { code: 'ERR_TRANSPORT_FAILED', message: 'down' } }, null)).toBe(shown);
    const ended: GateState = { kind: 'ended', reason: 'signed-out' };
    expect(settled(ended, signedInAs('xavier'), null)).toBe(ended);
  });
});
