import { useEffect, useState } from 'react';
import { NavLink, Outlet, useOutletContext } from 'react-router';
import type { MethodOutput, Permission } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';

export type AccountRow = MethodOutput<'admin.accounts.list'>[number];

export interface AdminContext {
  /** Accounts this administrator may manage: every account for installation administrators, else their own. */
  accounts: AccountRow[];
  /** Administers the installation: creates and deletes accounts, configures the IdP. */
  installationAdmin: boolean;
  /** The first account; its administrators administer the installation. It cannot be deleted. */
  administrationAccountId: string | null;
  reloadAccounts: () => void;
}

/** The Admin sub-pages' shared state. */
export function useAdmin(): AdminContext {
  return useOutletContext<AdminContext>();
}

/**
 * Whether the caller administers the installation. auth.status does not say, so: the local
 * administrator does while acting in the first account; anyone who sees more than one account
 * does; an account admin who sees one account is asked through admin.idp.get (refused unless
 * they hold installation.manage).
 */
function useInstallationAdmin(accounts: AccountRow[] | null): boolean | null {
  const auth = useAuth();
  const bridge = useBridge();
  const [probed, setProbed] = useState<boolean | null>(null);
  const isAdmin = auth.roles.includes('admin');
  const known = !isAdmin
    ? false
    : auth.status.user?.kind === 'local-admin'
      ? auth.account.id === auth.status.accounts[0]?.id
      : accounts === null
        ? null
        : accounts.length > 1
          ? true
          : undefined;
  useEffect(() => {
    if (known !== undefined) return;
    let live = true;
    void bridge.invoke('admin.idp.get', {}).then((result) => { if (live) setProbed(result.ok); });
    return () => { live = false; };
  }, [known, bridge]);
  return known === undefined ? probed : known;
}

const tabs: ReadonlyArray<{ to: string; label: string; end: boolean; installationOnly: boolean; permission?: Permission }> = [
  { to: '/admin', label: 'Accounts', end: true, installationOnly: false },
  { to: '/admin/identity-provider', label: 'Identity provider', end: false, installationOnly: true },
  { to: '/admin/groups', label: 'Group mappings', end: false, installationOnly: false },
  { to: '/admin/members', label: 'Members and roles', end: false, installationOnly: false },
  { to: '/admin/sessions', label: 'Sessions', end: false, installationOnly: false, permission: 'members.manage' },
  { to: '/admin/boundaries', label: 'Boundaries', end: false, installationOnly: false },
  { to: '/admin/approvals', label: 'Approvals', end: false, installationOnly: false },
  { to: '/admin/trace-push', label: 'Trace push', end: false, installationOnly: true },
];

/** Admin: accounts, the identity provider, group mappings, members and roles, sessions, boundaries, approvals. */
export function AdminPage() {
  const auth = useAuth();
  const accounts = useApiQuery('admin.accounts.list', {});
  const installationAdmin = useInstallationAdmin(accounts.state.status === 'ok' ? accounts.state.value : null);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Admin</h1>
      {accounts.state.status === 'error' && <ApiErrorView error={accounts.state.error} onRetry={accounts.reload} />}
      {(accounts.state.status === 'loading' || (accounts.state.status === 'ok' && installationAdmin === null)) && <p role="status">Loading…</p>}
      {accounts.state.status === 'ok' && installationAdmin !== null && (
        <>
          <nav aria-label="Admin sections" className="subnav">
            <ul>
              {tabs.filter((tab) => (installationAdmin || !tab.installationOnly) && (tab.permission === undefined || auth.can(tab.permission))).map((tab) => (
                <li key={tab.to}><NavLink to={tab.to} end={tab.end}>{tab.label}</NavLink></li>
              ))}
            </ul>
          </nav>
          <Outlet
            context={{
              accounts: accounts.state.value,
              installationAdmin,
              administrationAccountId: installationAdmin ? (accounts.state.value[0]?.id ?? null) : null,
              reloadAccounts: accounts.reload,
            } satisfies AdminContext}
          />
        </>
      )}
    </section>
  );
}
