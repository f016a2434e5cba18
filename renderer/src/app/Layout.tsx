import { useEffect, useRef } from 'react';
import { NavigationType, NavLink, Outlet, useLocation, useNavigationType } from 'react-router';
import { ConnectionStatus } from './ConnectionStatus.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { sections } from './navigation.ts';

/** The app shell: a skip link, the section navigation, and the current page. */
export function Layout() {
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const navigationType = useNavigationType();
  const previousPath = useRef(location.pathname);
  // After a user navigation (a link or the back button; not the first load or a redirect, where
  // the skip link should stay first) move focus to the page so keyboard and screen-reader users
  // land on the new content.
  useEffect(() => {
    if (previousPath.current === location.pathname) return;
    previousPath.current = location.pathname;
    if (navigationType !== NavigationType.Replace) main.current?.focus();
  }, [location.pathname, navigationType]);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Strongroom</span>
        <ConnectionStatus />
      </header>
      <nav className="sidebar" aria-label="Sections">
        <ul>
          {sections.map((section) => (
            <li key={section.path}>
              <NavLink to={section.path}>{section.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
    </div>
  );
}
