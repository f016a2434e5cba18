import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { ApiError, AuthStatus, EventPayload, Permission, Role } from '../../../../core/contracts/index.ts';
import { BridgeProvider, useApiEvent, useBridge, useBridgeStatusOf } from '../../bridge/context.tsx';
import { watchSession } from '../../bridge/sessionWatch.ts';
import { accountAwareOf } from '../../bridge/status.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { SignInPage } from './SignInPage.tsx';
import type { AccountChoice } from './permissions.ts';
import { accountChoices, activeRoles, effectivePermissions } from './permissions.ts';
import { rememberReturnPath, takeReturnPath } from './returnTo.ts';
import { followsSessionChange } from './sessionChange.ts';
import { settled, showsApp } from './gateState.ts';
import type { GateState } from './gateState.ts';
import { signInPageAfterEnd } from './signInErrors.ts';
import type { SessionEndReason } from './signInErrors.ts';

/**
 * Signed in after the identity provider's round trip (serve mode comes back to `/`): continue at
 * the page asked for before it, so the app's router starts there.
 */
function continueWhereAsked(userId: string | undefined): void {
  const path = takeReturnPath(window.location.origin, window.sessionStorage, userId);
  if (path !== null && window.location.pathname === '/') window.history.replaceState(null, '', path);
}

/** The tabs of one browser share its session cookie: one tab's sign-out ends the others' too. */
const sessionChannelName = 'strongroom.session';
const signedOutMessage = 'signed-out';

/** Tells this browser's other tabs that its session was signed out here (they need not wait for the server's event). */
function tellOtherTabsSignedOut(): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(sessionChannelName);
  channel.postMessage(signedOutMessage);
  channel.close();
}

/**
 * A page whose session is over goes to the sign-in page, saying why, by a full load rather than a
 * re-render: everything it had loaded — content held in memory too — goes with it, and its event
 * stream reconnects without the dead session. The page it showed is remembered for after sign-in.
 */
function leaveForSignIn(reason: SessionEndReason | null, userId: string | undefined): void {
  rememberReturnPath(window.location, window.sessionStorage, userId);
  window.location.replace(signInPageAfterEnd(reason));
}

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const longestTimeoutMs = 2_147_483_647;

export interface Auth {
  status: AuthStatus;
  /** The account being acted in (always set while signed in). */
  account: AccountChoice;
  accounts: AccountChoice[];
  roles: Role[];
  /** Whether the UI should offer something; the router decides for real. */
  can: (permission: Permission) => boolean;
  /** Fetches auth.status again (after account changes, for example). */
  refresh: () => Promise<void>;
  switchAccount: (accountId: string) => Promise<ApiError | null>;
  signOut: () => Promise<ApiError | null>;
}

const AuthContext = createContext<Auth | null>(null);

/** The signed-in user, their account and what they may do. Only inside `AuthGate`. */
export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthGate');
  return auth;
}

/**
 * Signs people in before anything else: asks `auth.status`, shows the sign-in page while signed
 * out, and otherwise provides `useAuth()` to the app. Sign-in and sign-out reload the page (so the
 * event stream reconnects with the new session cookie); switching accounts does not.
 *
 * A signed-in page leaves for the sign-in page as soon as its session is over, wherever that is
 * learnt: the server's `auth.sessionEnded` for this session (signed out in another tab, refused by
 * the IdP, access removed), another tab's sign-out in this browser (BroadcastChannel), a call
 * refused for want of a session, the session's lifetime running out, or the event stream coming
 * back after it was lost. Each asks `auth.status` first (except another tab's sign-out: the cookie
 * they share is gone), so an event or refusal about something else never signs anyone out.
 *
 * What a signed-in page offers follows the server at once: `auth.sessionChanged` (a boundary set,
 * roles re-evaluated with the IdP, an account added or deleted) makes it ask `auth.status` and the
 * boundaries again, so buttons and sections appear and go without a reload.
 */
export function AuthGate({ children }: { children: ReactNode }) {
  const bridge = useBridge();
  const [state, setState] = useState<GateState>({ kind: 'loading' });

  /** auth.status (or a status just returned by a call), with the permissions it gives here. */
  const load = useCallback(async (known?: AuthStatus): Promise<GateState> => {
    let status = known;
    if (!status) {
      const result = await bridge.invoke('auth.status', {});
      if (!result.ok) return { kind: 'error', error: result.error };
      status = result.value;
    }
    let permissions: ReadonlySet<Permission> = new Set();
    // From now on this page's calls say which account it shows: a switch in another tab is then
    // refused here (ERR_AUTH_ACCOUNT_CHANGED), not acted on in an account this page does not show.
    accountAwareOf(bridge)?.setAccount(status.signedIn && status.activeAccount ? status.activeAccount.id : null);
    if (status.signedIn && status.activeAccount) {
      continueWhereAsked(status.user?.id);
      // Boundaries cap roles per account; everyone may read them (account.read). If they cannot be
      // read, offer the roles' full permissions and let the router refuse what is capped.
      const boundaries = await bridge.invoke('admin.boundaries.get', { accountId: status.activeAccount.id });
      permissions = effectivePermissions(activeRoles(status), boundaries.ok ? boundaries.value : null);
    }
    return { kind: 'ready', loaded: { status, permissions } };
  }, [bridge]);
  const reload = useCallback(async (known?: AuthStatus) => {
    const next = await load(known);
    setState((previous) => settled(previous, next, null));
  }, [load]);

  /** Asks auth.status again because the session may be over; concurrent reasons share one question. */
  const checking = useRef<Promise<void> | null>(null);
  const recheck = useCallback((hint: SessionEndReason | null): Promise<void> => {
    checking.current ??= load().then((next) => setState((previous) => settled(previous, next, hint))).finally(() => { checking.current = null; });
    return checking.current;
  }, [load]);

  useEffect(() => {
    let live = true;
    void load().then((next) => { if (live) setState(next); });
    return () => { live = false; };
  }, [load]);
  // Leaving by a full load, not a re-render: everything the page loaded goes with it.
  useEffect(() => {
    if (state.kind === 'ended') leaveForSignIn(state.reason, state.userId);
    if (state.kind === 'otherPerson') window.location.replace('/');
  }, [state]);
  // The desktop sign-in finishes out of band: follow the core's word.
  useApiEvent('auth.changed', useCallback(() => { void reload(); }, [reload]));
  // This session ended (serve delivers it to this session's streams only; the check confirms it).
  useApiEvent('auth.sessionEnded', useCallback((payload: EventPayload<'auth.sessionEnded'>) => { void recheck(payload.reason); }, [recheck]));

  const shown = state.kind === 'ready' && state.loaded.status.signedIn ? state.loaded.status : null;
  // What this session may do changed (serve sends it to this session's streams only): follow it,
  // in the account this page shows (another tab's switch is not followed here; see sessionChange.ts).
  const shownAccountId = useRef<string | null>(null);
  useEffect(() => { shownAccountId.current = shown?.activeAccount?.id ?? null; }, [shown]);
  useApiEvent('auth.sessionChanged', useCallback(() => {
    void bridge.invoke('auth.status', {}).then((result) => {
      // Not answered: keep what is shown (the router still refuses what is no longer allowed).
      if (result.ok && followsSessionChange(shownAccountId.current, result.value)) return reload(result.value);
    });
  }, [bridge, reload]));
  // Another tab of this browser signed out: the cookie they share is gone, so this tab's session is too.
  useEffect(() => {
    if (!shown || typeof BroadcastChannel === 'undefined') return;
    const channel = new BroadcastChannel(sessionChannelName);
    channel.onmessage = (event: MessageEvent) => {
      if (event.data === signedOutMessage) setState((previous) => (showsApp(previous) ? { kind: 'ended', reason: 'signed-out' } : previous));
    };
    return () => channel.close();
  }, [shown]);
  // Nothing on the server ends a session when its lifetime (or offline grace) runs out: look then.
  useEffect(() => {
    if (!shown) return;
    const ends = [shown.sessionEndsAt, shown.offlineUntil].flatMap((at) => (at === null ? [] : [Date.parse(at)])).filter(Number.isFinite);
    if (ends.length === 0) return;
    const timer = setTimeout(() => { void recheck(null); }, Math.min(Math.max(0, Math.min(...ends) - Date.now()) + 1_000, longestTimeoutMs));
    return () => clearTimeout(timer);
  }, [shown, recheck]);
  // An event stream that was lost may have missed this session's end (a laptop asleep): look when it is back.
  const stream = useBridgeStatusOf(bridge)?.stream;
  const streamWasLost = useRef(false);
  useEffect(() => {
    if (stream === 'lost') streamWasLost.current = true;
    if (stream !== 'open' || !streamWasLost.current) return;
    streamWasLost.current = false;
    if (shown) void recheck(null);
  }, [stream, shown, recheck]);
  // Every call the app makes reports a refusal for want of a session (not a stale launch token).
  const watched = useMemo(() => watchSession(bridge), [bridge]);
  useEffect(() => watched.onSessionRefused(() => { void recheck(null); }), [watched, recheck]);

  const auth = useMemo<Auth | null>(() => {
    if (state.kind !== 'ready' || !state.loaded.status.signedIn || !state.loaded.status.activeAccount) return null;
    const { status, permissions } = state.loaded;
    const active = status.activeAccount!;
    const accounts = accountChoices(status);
    return {
      status,
      account: accounts.find((a) => a.id === active.id) ?? { id: active.id, name: active.name, roles: [...active.roles] },
      accounts,
      roles: activeRoles(status),
      can: (permission) => permissions.has(permission),
      refresh: () => reload(),
      switchAccount: async (accountId) => {
        const result = await bridge.invoke('auth.switchAccount', { accountId });
        if (!result.ok) return result.error;
        await reload(result.value);
        return null;
      },
      signOut: async () => {
        // auth.signOut is public: it ends and clears even a session the server no longer accepts.
        // An auth refusal still means "not signed in" — go to the sign-in page; other failures
        // (the server cannot be reached) are shown, since nothing was cleared.
        const result = await bridge.invoke('auth.signOut', {});
        if (!result.ok && !result.error.code.startsWith('ERR_AUTH_')) return result.error;
        tellOtherTabsSignedOut();
        // The same way out as the other tabs: the sign-in page saying so, the page shown remembered.
        setState({ kind: 'ended', reason: 'signed-out' });
        return null;
      },
    };
  }, [state, bridge, reload]);

  if (state.kind === 'loading') {
    return <main className="standalone" id="main"><p role="status">Loading…</p></main>;
  }
  if (state.kind === 'ended') {
    return <main className="standalone" id="main"><p role="status">Your session has ended. Going to the sign-in page…</p></main>;
  }
  if (state.kind === 'otherPerson') {
    return <main className="standalone" id="main"><p role="status">Someone else signed in on this browser. Starting afresh…</p></main>;
  }
  if (state.kind === 'error') {
    return (
      <main className="standalone" id="main">
        <h1>Strongroom</h1>
        <ApiErrorView error={state.error} onRetry={() => { void reload(); }} />
      </main>
    );
  }
  if (!auth) return <SignInPage status={state.loaded.status} />;
  return (
    <AuthContext.Provider value={auth}>
      <BridgeProvider bridge={watched.bridge}>{children}</BridgeProvider>
    </AuthContext.Provider>
  );
}
