import type { ApiError, ApiResult, MethodInput, MethodName, MethodOutput, StrongroomBridge } from '../../../core/contracts/index.ts';
import { accountAwareOf, isStaleTokenError, statusSourceOf } from './status.ts';

/**
 * Whether a call was refused because the caller's session is gone — signed out in another tab,
 * ended by the server, past its lifetime. Not serve's refusal of this page's launch token
 * (`details.reason: 'launch-token'`, or the bridge's `staleTokenError()` once it knows): that means
 * serve restarted, and the stale-address banner speaks for it.
 */
export function isSessionRefusal(error: ApiError): boolean {
  if (error.code !== 'ERR_AUTH_UNAUTHENTICATED' && error.code !== 'ERR_AUTH_SESSION_EXPIRED') return false;
  return !isStaleTokenError(error) && error.details?.reason !== 'launch-token';
}

/** A bridge that reports calls refused for want of a session, and how to hear of them. */
export interface WatchedBridge {
  readonly bridge: StrongroomBridge;
  /** Calls `listener` after each call refused for want of a session; returns the unsubscribe function. */
  readonly onSessionRefused: (listener: () => void) => () => void;
}

/**
 * The same bridge, telling `onSessionRefused` listeners of every call refused for want of a
 * session before handing the refusal back to its caller. Serve mode's extras (connection status,
 * the account the page shows) pass through unchanged, so `statusSourceOf` and `accountAwareOf`
 * still find them.
 */
export function watchSession(bridge: StrongroomBridge): WatchedBridge {
  const source = statusSourceOf(bridge);
  const aware = accountAwareOf(bridge);
  const listeners = new Set<() => void>();
  const invoke = async <M extends MethodName>(method: M, input: MethodInput<M>): Promise<ApiResult<MethodOutput<M>>> => {
    const result = await bridge.invoke(method, input);
    if (!result.ok && isSessionRefusal(result.error)) for (const listener of [...listeners]) listener();
    return result;
  };
  return {
    bridge: {
      invoke,
      subscribe: (event, listener) => bridge.subscribe(event, listener),
      ...(source ? { status: source.status, onStatus: source.onStatus } : {}),
      ...(aware ? { setAccount: aware.setAccount } : {}),
    },
    onSessionRefused(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
  };
}
