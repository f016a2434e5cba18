import { useState } from 'react';
import type { ApiError } from '../../../../core/contracts/index.ts';
import { useAuth } from './AuthContext.tsx';
import { describeRoles } from './permissions.ts';
import { TopbarMenu } from './TopbarMenu.tsx';

/**
 * The account being worked in, and — for people in several — a list to switch to another.
 * Accounts are isolated tenants: switching changes which data every page shows.
 */
export function AccountSwitcher() {
  const auth = useAuth();
  const [error, setError] = useState<ApiError | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const current = `${auth.account.name} · ${describeRoles(auth.account.roles)}`;

  if (auth.accounts.length <= 1) {
    return (
      <p className="account-current" data-testid="account-current">
        <span className="visually-hidden">Account: </span>{current}
      </p>
    );
  }
  return (
    <>
      <TopbarMenu testId="account-switcher" label={<><span className="visually-hidden">Account: </span>{current}</>}>
        <p className="topbar-panel-title">Switch account</p>
        <ul className="account-list">
          {auth.accounts.map((account) => (
            <li key={account.id}>
              <button
                type="button"
                aria-current={account.id === auth.account.id ? 'true' : undefined}
                data-closes-menu
                onClick={() => {
                  void auth.switchAccount(account.id).then((failure) => {
                    setError(failure);
                    setAnnouncement(failure ? '' : `Now working in ${account.name}.`);
                  });
                }}
              >
                {account.name} <span className="account-role">{describeRoles(account.roles)}</span>
              </button>
            </li>
          ))}
        </ul>
      </TopbarMenu>
      <p className="visually-hidden" role="status">{announcement}</p>
      {error && <p role="alert" className="topbar-error">Could not switch: {error.message} (<code>{error.code}</code>)</p>}
    </>
  );
}
