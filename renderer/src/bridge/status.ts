import type { ApiError, StrongroomBridge } from '../../../core/contracts/index.ts';

/**
 * Serve mode's shared event stream: not opened yet, open, or lost (it errored or closed, or the
 * server cannot be reached; the bridge keeps trying to reconnect).
 */
export type StreamState = 'connecting' | 'open' | 'lost';

/**
 * Whether the server took this page's launch token. Each start of `strongroom serve` issues a new
 * one, so once refused it never works again: only the newly printed address does.
 */
export type TokenState = 'unchecked' | 'accepted' | 'refused';

export interface BridgeStatus {
  readonly stream: StreamState;
  readonly token: TokenState;
  /** The token worked earlier on this page: a refusal now means serve was restarted under it. */
  readonly acceptedOnce: boolean;
}

/** What serve mode's bridge tells about its connection, beyond the contract's `StrongroomBridge`. */
export interface BridgeStatusSource {
  readonly status: () => BridgeStatus;
  /** Calls `listener` after every change of `status()`; returns the unsubscribe function. */
  readonly onStatus: (listener: () => void) => () => void;
}

/** The bridge's status source, or null for a bridge without one (the desktop preload's). */
export function statusSourceOf(bridge: StrongroomBridge): BridgeStatusSource | null {
  const candidate = bridge as Partial<BridgeStatusSource>;
  return typeof candidate.status === 'function' && typeof candidate.onStatus === 'function' ? (candidate as BridgeStatusSource) : null;
}

/** A tiny store for the status: `useSyncExternalStore` needs the same snapshot until it changes. */
export function createStatusStore(): BridgeStatusSource & { readonly update: (change: Partial<BridgeStatus>) => void } {
  let current: BridgeStatus = { stream: 'connecting', token: 'unchecked', acceptedOnce: false };
  const listeners = new Set<() => void>();
  return {
    status: () => current,
    onStatus: (listener) => {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    update: (change) => {
      // A refused token is final: nothing the stream or a call does afterwards makes it work again.
      const token = current.token === 'refused' ? 'refused' : (change.token ?? current.token);
      const next: BridgeStatus = { stream: change.stream ?? current.stream, token, acceptedOnce: current.acceptedOnce || token === 'accepted' };
      if (next.stream === current.stream && next.token === current.token && next.acceptedOnce === current.acceptedOnce) return;
      current = next;
      for (const listener of [...listeners]) listener();
    },
  };
}

/**
 * The body serve mode answers, with HTTP 401, to an API request without the launch token it holds
 * (`core/api/http/server.ts`): `ERR_AUTH_UNAUTHENTICATED` with `details.reason: 'launch-token'`. A
 * signed-out session also gets 401 `ERR_AUTH_UNAUTHENTICATED`, without that reason.
 */
export function isLaunchTokenRefusal(httpStatus: number, body: unknown): boolean {
  if (httpStatus !== 401 || typeof body !== 'object' || body === null) return false;
  const error = (body as { ok?: unknown; error?: { code?: unknown; details?: { reason?: unknown } } }).error;
  return (body as { ok?: unknown }).ok === false && error?.code === 'ERR_AUTH_UNAUTHENTICATED' && error.details?.reason === 'launch-token';
}

/** What a page whose launch token was refused says, in the error views and its banner. */
export const staleAddressMessage = 'Strongroom was restarted, so the address this page was opened with is out of date and its access token no longer works. Open the new address printed by `strongroom serve` (or restart the desktop app).';

const staleTokenReason = 'launch-token-refused';

/** The error every call returns once the token is refused: asking again cannot help. */
export function staleTokenError(): ApiError {
  return { code: 'ERR_AUTH_UNAUTHENTICATED', message: staleAddressMessage, details: { reason: staleTokenReason } };
}

export function isStaleTokenError(error: ApiError): boolean {
  return error.details?.reason === staleTokenReason;
}

/**
 * A bridge that tells the server which account its page shows (serve mode: the
 * `x-strongroom-account` header). Tabs share one session; when another tab switches it, the server
 * refuses this page's account-scoped calls with ERR_AUTH_ACCOUNT_CHANGED instead of acting in an
 * account the page does not show.
 */
export interface AccountAware {
  readonly setAccount: (accountId: string | null) => void;
}

/** The bridge's account setter, or null for a bridge without one (the desktop preload's: one window, one session). */
export function accountAwareOf(bridge: StrongroomBridge): AccountAware | null {
  const candidate = bridge as Partial<AccountAware>;
  return typeof candidate.setAccount === 'function' ? (candidate as AccountAware) : null;
}
