import { useId } from 'react';
import { useSearchParams } from 'react-router';
import { useAuth } from '../auth/AuthContext.tsx';
import type { AccountRow } from './AdminPage.tsx';
import { useAdmin } from './AdminPage.tsx';

/**
 * Which account a per-account Admin page manages: `?account=<id>`, by default the one being
 * worked in. Only installation administrators see more than one.
 */
export function useManagedAccount(): AccountRow | null {
  const { accounts } = useAdmin();
  const auth = useAuth();
  const [params] = useSearchParams();
  const wanted = params.get('account') ?? auth.account.id;
  return accounts.find((a) => a.id === wanted) ?? accounts.find((a) => a.id === auth.account.id) ?? accounts[0] ?? null;
}

/** A select to choose the managed account (changing it only changes what this page shows). */
export function AccountPicker({ account }: { account: AccountRow }) {
  const { accounts } = useAdmin();
  const [params, setParams] = useSearchParams();
  const id = useId();
  if (accounts.length <= 1) return <p className="managed-account">Account: <strong>{account.name}</strong></p>;
  return (
    <p className="managed-account">
      <label htmlFor={id}>Account</label>{' '}
      <select
        id={id}
        value={account.id}
        onChange={(event) => {
          const next = new URLSearchParams(params);
          next.set('account', event.target.value);
          setParams(next, { replace: true });
        }}
      >
        {accounts.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
      </select>
    </p>
  );
}
