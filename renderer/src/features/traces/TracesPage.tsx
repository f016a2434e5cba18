import { NavLink, Outlet } from 'react-router';
import { useAuth } from '../auth/AuthContext.tsx';
import './traces.css';

/** `/traces`: the section's heading and its views: the trace list (and a trace), the charts, and retention for those who hold it. */
export function TracesPage() {
  const { can } = useAuth();
  return (
    <section aria-labelledby="page-title" className="traces">
      <h1 id="page-title">Traces</h1>
      <nav aria-label="Traces" className="traces-tabs">
        <NavLink to="/traces" end>Traces</NavLink>
        <NavLink to="/traces/charts">Charts</NavLink>
        {can('audit.retention') && <NavLink to="/traces/retention">Retention</NavLink>}
      </nav>
      <Outlet />
    </section>
  );
}
