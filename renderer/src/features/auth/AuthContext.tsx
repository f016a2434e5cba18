import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import type { ApiError, AuthStatus, Permission, Role } from '../../../../core/contracts/index.ts';
import { useApiEvent, useBridge } from '../../bridge/context.tsx';
import { accountAwareOf } from '../../bridge/status.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { SignInPage } from './SignInPage.tsx';
import type { AccountChoice } from './permissions.ts';
import { accountChoices, activeRoles, effectivePermissions } from './permissions.ts';
import { takeReturnPath } from './returnTo.ts';

/**
 * Signed in after the identity provider's round trip (serve mode comes back to `/`): continue at
 * the page asked for before it, so the app's router starts there.
 */
function continueWhereAsked(): void {
  const path = takeReturnPath(window.location.origin, window.sessionStorage);
  if (path !== null && window.location.pathname === '/') window.history.replaceState(null, '', path);
}

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

type Loaded = { status: AuthStatus; permissions: ReadonlySet<Permission> };
type GateState = { kind: 'loading' } | { kind: 'error'; error: ApiError } | { kind: 'ready'; loaded: Loaded };

/**
 * Signs people in before anything else: asks `auth.status`, shows the sign-in page while signed
 * out, and otherwise provides `useAuth()` to the app. Sign-in and sign-out reload the page (so the
 * event stream reconnects with the new session cookie); switching accounts does not.
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
      continueWhereAsked();
      // Boundaries cap roles per account; everyone may read them (account.read). If they cannot be
      // read, offer the roles' full permissions and let the router refuse what is capped.
      const boundaries = await bridge.invoke('admin.boundaries.get', { accountId: status.activeAccount.id });
      permissions = effectivePermissions(activeRoles(status), boundaries.ok ? boundaries.value : null);
    }
    return { kind: 'ready', loaded: { status, permissions } };
  }, [bridge]);
  const reload = useCallback(async (known?: AuthStatus) => setState(await load(known)), [load]);

  useEffect(() => {
    let live = true;
    void load().then((next) => { if (live) setState(next); });
    return () => { live = false; };
  }, [load]);
  // The desktop sign-in finishes out of band, and sessions can expire: follow the core's word.
  useApiEvent('auth.changed', useCallback(() => { void reload(); }, [reload]));

  const auth = useMemo<Auth | null>(() => {
    if (state.kind !== 'ready' || !state.loaded.status.signedIn || !state.loaded.status.activeAccount) return null;
    const { status, permissions } = state.loaded;
    const active = status.activeAccount!;
    const accounts = accountChoices(status);
    return {
      status,
      account: accounts.find((a) => a.id === active.id) ?? { id: active.id, name: active.name, roles: [active.role] },
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
        window.location.assign('/');
        return null;
      },
    };
  }, [state, bridge, reload]);

  if (state.kind === 'loading') {
    return <main className="standalone" id="main"><p role="status">Loading…</p></main>;
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
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}
