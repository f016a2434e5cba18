import { Outlet } from 'react-router';
import './drafts.css';

/** `/drafts`: the section's heading; the list, the New draft form and a draft render below it. */
export function DraftsPage() {
  return (
    <section aria-labelledby="page-title" className="drafts">
      <h1 id="page-title">Drafts</h1>
      <Outlet />
    </section>
  );
}
