import { useState } from 'react';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import type { StrongroomBridge } from '../../core/contracts/index.ts';
import { BridgeProvider } from './bridge/context.tsx';
import { Layout } from './app/Layout.tsx';
import { sections } from './app/navigation.ts';
import type { Section } from './app/navigation.ts';
import { adminRoutes } from './features/admin/routes.tsx';
import { AuditPage } from './features/audit/AuditPage.tsx';
import { draftsRoutes } from './features/drafts/routes.tsx';
import { AuthGate } from './features/auth/AuthContext.tsx';
import { RequireSection } from './features/auth/RequireSection.tsx';
import { ModelsPage } from './features/models/ModelsPage.tsx';
import { SectionPlaceholder } from './features/placeholder/SectionPlaceholder.tsx';
import { SystemPage } from './features/system/SystemPage.tsx';
import { ToolsPage } from './features/tools/ToolsPage.tsx';
import { ReviewPage } from './features/review/ReviewPage.tsx';
import { NotFound } from './app/NotFound.tsx';
import { tracesRoutes } from './features/traces/routes.tsx';
import { workflowsRoutes } from './features/workflows/routes.tsx';

const section = (path: Section['path']): Section => sections.find((s) => s.path === path)!;

/** Built once the user is signed in, so it starts from the address the bridge left (token removed). */
const createAppRouter = () => createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/system" replace /> },
      // A browser sign-in that failed lands on /signin; once signed in there is nothing to show there.
      { path: 'signin', element: <Navigate to="/system" replace /> },
      { path: 'system', element: <RequireSection section={section('/system')}><SystemPage /></RequireSection> },
      { path: 'admin', element: <RequireSection section={section('/admin')}>{adminRoutes.element}</RequireSection>, children: adminRoutes.children },
      { path: 'audit', element: <RequireSection section={section('/audit')}><AuditPage /></RequireSection> },
      { path: 'models', element: <RequireSection section={section('/models')}><ModelsPage /></RequireSection> },
      { path: 'workflows', element: <RequireSection section={section('/workflows')}>{workflowsRoutes.element}</RequireSection>, children: workflowsRoutes.children },
      { path: 'tools', element: <RequireSection section={section('/tools')}><ToolsPage /></RequireSection> },
      { path: 'drafts', element: <RequireSection section={section('/drafts')}>{draftsRoutes.element}</RequireSection>, children: draftsRoutes.children },
      { path: 'traces', element: <RequireSection section={section('/traces')}>{tracesRoutes.element}</RequireSection>, children: tracesRoutes.children },
      { path: 'review', element: <RequireSection section={section('/review')}><ReviewPage /></RequireSection> },
      ...sections
        .filter((s) => s.path !== '/system' && s.path !== '/admin' && s.path !== '/audit' && s.path !== '/workflows' && s.path !== '/models' && s.path !== '/traces' && s.path !== '/drafts' && s.path !== '/tools' && s.path !== '/review')
        .map((s) => ({ path: s.path.slice(1), element: <RequireSection section={s}><SectionPlaceholder path={s.path} /></RequireSection> })),
      { path: '*', element: <NotFound /> },
    ],
  },
]);

function AppRoutes() {
  const [router] = useState(createAppRouter);
  return <RouterProvider router={router} />;
}

export function App({ bridge }: { bridge: StrongroomBridge }) {
  return (
    <BridgeProvider bridge={bridge}>
      <AuthGate>
        <AppRoutes />
      </AuthGate>
    </BridgeProvider>
  );
}
