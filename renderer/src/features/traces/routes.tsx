import { TraceCharts } from './TraceCharts.tsx';
import { TraceList } from './TraceList.tsx';
import { TraceRetention } from './TraceRetention.tsx';
import { TracesPage } from './TracesPage.tsx';
import { TraceView } from './TraceView.tsx';

/** `/traces` and its pages; mounted by App under the Traces section. */
export const tracesRoutes = {
  element: <TracesPage />,
  children: [
    { index: true, element: <TraceList /> },
    { path: 'charts', element: <TraceCharts /> },
    { path: 'retention', element: <TraceRetention /> },
    { path: ':traceId', element: <TraceView /> },
  ],
};
