import { useEffect, useRef } from 'react';
import { NavigationType, NavLink, Outlet, useLocation, useNavigationType } from 'react-router';
import { AccountSwitcher } from '../features/auth/AccountSwitcher.tsx';
import { useAuth } from '../features/auth/AuthContext.tsx';
import { UserMenu } from '../features/auth/UserMenu.tsx';
import { ConnectionStatus } from './ConnectionStatus.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { sections, sectionVisible } from './navigation.ts';

/** The app shell: a skip link, the top bar (mode, account, user), the section navigation, and the current page. */
export function Layout() {
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const navigationType = useNavigationType();
  const previousPath = useRef(location.pathname);
  const auth = useAuth();
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
        <div className="topbar-start">
          <span className="brand">Strongroom</span>
          {auth.status.mode === 'local' && (
            <p className="mode-badge" data-testid="mode-badge" title="No identity provider is configured: only the local administrator can sign in.">Local mode</p>
          )}
        </div>
        <div className="topbar-end">
          <ConnectionStatus />
          <AccountSwitcher />
          <UserMenu />
        </div>
      </header>
      <nav className="sidebar" aria-label="Sections">
        <ul>
          {sections.filter((section) => sectionVisible(section, auth.can)).map((section) => (
            <li key={section.path}>
              <NavLink to={section.path}>{section.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {/* Keyed by account: switching accounts remounts the page so it loads that account's data. */}
        <ErrorBoundary key={auth.account.id} resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
    </div>
  );
}
