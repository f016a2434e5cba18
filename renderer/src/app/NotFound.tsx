import { Link, useLocation } from 'react-router';
import { useAuth } from '../features/auth/AuthContext.tsx';
import { sections, sectionVisible } from './navigation.ts';

/** An address the app has no page for: says so, instead of quietly showing another page. */
export function NotFound() {
  const { pathname } = useLocation();
  const { can } = useAuth();
  return (
    <section aria-labelledby="page-title" data-testid="not-found">
      <h1 id="page-title">No such page</h1>
      <p>Strongroom has no page at <code>{pathname}</code>. The link may be mistyped or from another version.</p>
      <ul>
        {sections.filter((section) => sectionVisible(section, can)).map((section) => (
          <li key={section.path}><Link to={section.path}>{section.label}</Link></li>
        ))}
      </ul>
    </section>
  );
}
