import type { ReactNode } from 'react';
import { AccountsPanel } from './AccountsPanel.tsx';
import { AdminPage } from './AdminPage.tsx';
import { ApprovalsPanel } from './ApprovalsPanel.tsx';
import { BoundariesPanel } from './BoundariesPanel.tsx';
import { GroupsPanel } from './GroupsPanel.tsx';
import { IdpPanel } from './IdpPanel.tsx';
import { MembersPanel } from './MembersPanel.tsx';
import { SessionsPanel } from './SessionsPanel.tsx';
import { TracePushPanel } from './TracePushPanel.tsx';
import { useAdmin } from './AdminPage.tsx';

/** The identity provider is the installation's: only its administrators reach the page. */
function InstallationOnly({ children, what = 'the identity provider' }: { children: ReactNode; what?: string }) {
  const { installationAdmin } = useAdmin();
  if (installationAdmin) return children;
  return <p className="notice">Only administrators of the administration account configure {what}.</p>;
}

/** `/admin` and its pages; mounted by App under the Admin section. */
export const adminRoutes = {
  element: <AdminPage />,
  children: [
    { index: true, element: <AccountsPanel /> },
    { path: 'identity-provider', element: <InstallationOnly><IdpPanel /></InstallationOnly> },
    { path: 'groups', element: <GroupsPanel /> },
    { path: 'members', element: <MembersPanel /> },
    { path: 'sessions', element: <SessionsPanel /> },
    { path: 'boundaries', element: <BoundariesPanel /> },
    { path: 'approvals', element: <ApprovalsPanel /> },
    { path: 'trace-push', element: <InstallationOnly what="the trace push"><TracePushPanel /></InstallationOnly> },
  ],
};
