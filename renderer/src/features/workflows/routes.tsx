import { RunsList } from './RunsList.tsx';
import { RunView } from './RunView.tsx';
import { RunLauncher, WorkflowDetail } from './WorkflowDetail.tsx';
import { WorkflowList, WorkflowsPage } from './WorkflowsPage.tsx';

/** `/workflows` and its pages; mounted by App under the Workflows section. */
export const workflowsRoutes = {
  element: <WorkflowsPage />,
  children: [
    { index: true, element: <WorkflowList /> },
    { path: 'runs', element: <RunsList /> },
    { path: 'runs/:runId', element: <RunView /> },
    { path: ':workflowId', element: <WorkflowDetail /> },
    { path: ':workflowId/run', element: <RunLauncher /> },
  ],
};
