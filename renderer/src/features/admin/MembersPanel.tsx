import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { AccountPicker, useManagedAccount } from './AccountPicker.tsx';
import type { AccountRow } from './AdminPage.tsx';
import { formatDateTime } from './forms.tsx';

function Members({ account }: { account: AccountRow }) {
  const auth = useAuth();
  const members = useApiQuery('admin.members.list', { accountId: account.id });
  // The local administrator holds admin everywhere, but signs in only while no IdP is configured.
  const localOff = auth.status.mode === 'oidc';
  if (members.state.status === 'loading') return <p>Loading…</p>;
  if (members.state.status === 'error') return <ApiErrorView error={members.state.error} onRetry={members.reload} />;
  return (
    <table className="table" data-testid="members-table">
      <caption className="visually-hidden">Members of {account.name}</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Through</th><th scope="col">Last sign-in</th></tr></thead>
      <tbody>
        {members.state.value.map((member) => (
          <tr key={`${member.userId}:${member.role}`}>
            <th scope="row">{member.displayName}</th>
            <td>{member.email ?? '—'}</td>
            <td>{member.role}</td>
            <td>{member.source === 'local' ? (localOff ? 'local administrator (cannot sign in while an identity provider is configured)' : 'local administrator') : 'group mapping'}</td>
            <td>{formatDateTime(member.lastSignInAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Who can act in an account and as what. Members from groups appear once they have signed in. */
export function MembersPanel() {
  const account = useManagedAccount();
  return (
    <>
      <h2>Members and roles</h2>
      <p className="hint">People appear here after their first sign-in through a mapped group; roles follow the group mappings at each sign-in.</p>
      {account && <AccountPicker account={account} />}
      {account && <Members key={account.id} account={account} />}
    </>
  );
}
