import { describe, expect, it } from 'vitest';
import type { ApiResult, StrongroomBridge } from '../../../core/contracts/index.ts';
import { createStatusStore, staleTokenError, statusSourceOf, accountAwareOf } from './status.ts';
import { isSessionRefusal, watchSession } from './sessionWatch.ts';

/** A bridge that answers every call with `answer`, with serve mode's status and account extras. */
function bridgeAnswering(answer: ApiResult<unknown>) {
  const status = createStatusStore();
  const accounts: Array<string | null> = [];
  const bridge = {
    invoke: async () => answer,
    subscribe: () => () => undefined,
    status: status.status,
    onStatus: status.onStatus,
    setAccount: (accountId: string | null) => { accounts.push(accountId); },
  } as unknown as StrongroomBridge;
  return { bridge, accounts };
}

describe('calls refused for want of a session', () => {
  it('are told apart from serve refusing the launch token (serve restarted)', () => {
    expect(isSessionRefusal({ code: 'ERR_AUTH_UNAUTHENTICATED', message: 'Sign in to use Strongroom.' })).toBe(true);
    expect(isSessionRefusal({ code: 'ERR_AUTH_SESSION_EXPIRED', message: 'Your session has ended.' })).toBe(true);
    expect(isSessionRefusal({ code: 'ERR_AUTH_UNAUTHENTICATED', message: 'A valid bearer token is required.', details: { reason: 'launch-token' } })).toBe(false);
    expect(isSessionRefusal(staleTokenError())).toBe(false);
    expect(isSessionRefusal({ code: 'ERR_AUTH_FORBIDDEN', message: 'You do not have permission to do this.' })).toBe(false);
  });

  it('are reported by the watched bridge, which hands every answer back unchanged and keeps serve mode\'s extras', async () => {
    const refusal = { ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED', message: 'Sign in to use Strongroom.' } } as const;
    const { bridge, accounts } = bridgeAnswering(refusal);
    const watched = watchSession(bridge);
    let reported = 0;
    const stop = watched.onSessionRefused(() => { reported += 1; });
    expect(await watched.bridge.invoke('system.info', {})).toEqual(refusal);
    expect(reported).toBe(1);
    stop();
    await watched.bridge.invoke('system.info', {});
    expect(reported).toBe(1);
    expect(statusSourceOf(watched.bridge)?.status()).toEqual({ stream: 'connecting', token: 'unchecked', acceptedOnce: false });
    accountAwareOf(watched.bridge)?.setAccount('account-1');
    expect(accounts).toEqual(['account-1']);

    const stale = watchSession(bridgeAnswering({ ok: false, error: staleTokenError() }).bridge);
    let staleReported = 0;
    stale.onSessionRefused(() => { staleReported += 1; });
    await stale.bridge.invoke('system.info', {});
    expect(staleReported).toBe(0);
  });
});
