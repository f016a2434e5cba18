import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import type { StrongroomBridge } from '../../core/contracts/index.ts';
import { BridgeProvider } from './bridge/context.tsx';
import { Layout } from './app/Layout.tsx';
import { sections } from './app/navigation.ts';
import { SectionPlaceholder } from './features/placeholder/SectionPlaceholder.tsx';
import { SystemPage } from './features/system/SystemPage.tsx';

const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/system" replace /> },
      { path: 'system', element: <SystemPage /> },
      ...sections.filter((s) => s.path !== '/system').map((s) => ({ path: s.path.slice(1), element: <SectionPlaceholder path={s.path} /> })),
      { path: '*', element: <Navigate to="/system" replace /> },
    ],
  },
]);

export function App({ bridge }: { bridge: StrongroomBridge }) {
  return (
    <BridgeProvider bridge={bridge}>
      <RouterProvider router={router} />
    </BridgeProvider>
  );
}
