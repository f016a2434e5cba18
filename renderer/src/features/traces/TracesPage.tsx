import { NavLink, Outlet } from 'react-router';
import './traces.css';

/** `/traces`: the section's heading and its views: the trace list (and a trace) and the charts. */
export function TracesPage() {
  return (
    <section aria-labelledby="page-title" className="traces">
      <h1 id="page-title">Traces</h1>
      <nav aria-label="Traces" className="traces-tabs">
        <NavLink to="/traces" end>Traces</NavLink>
        <NavLink to="/traces/charts">Charts</NavLink>
      </nav>
      <Outlet />
    </section>
  );
}
