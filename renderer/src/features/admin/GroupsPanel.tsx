import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { Role } from '../../../../core/contracts/index.ts';
import { roleDescriptions, roles } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { AccountPicker, useManagedAccount } from './AccountPicker.tsx';
import type { AccountRow } from './AdminPage.tsx';
import { fieldErrorFor, formatDateTime, FormError, useApiAction } from './forms.tsx';

function MapGroupForm({ account, onMapped }: { account: AccountRow; onMapped: (group: string, role: Role) => void }) {
  const map = useApiAction('admin.groups.map');
  const [group, setGroup] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const id = useId();
  const groupError = fieldErrorFor(map.error, 'group', `${id}-group`);
  const roleError = fieldErrorFor(map.error, 'role', `${id}-role`, `${id}-role-hint`);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const result = await map.run({ accountId: account.id, group, role });
    if (result.ok) {
      setGroup('');
      onMapped(result.value.group, result.value.role);
    }
  }

  return (
    <form className="inline-form" onSubmit={(event) => { void submit(event); }} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Map a group</h3>
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${id}-group`}>Directory group</label>
          <input id={`${id}-group`} value={group} onChange={(event) => setGroup(event.target.value)} placeholder="e.g. credit-analysts" {...groupError.inputProps} />
          {groupError.message}
        </div>
        <div className="field">
          <label htmlFor={`${id}-role`}>Role in {account.name}</label>
          <select id={`${id}-role`} value={role} onChange={(event) => setRole(event.target.value as Role)} {...roleError.inputProps}>
            {roles.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
          <p id={`${id}-role-hint`} className="hint">{roleDescriptions[role]}</p>
          {roleError.message}
        </div>
      </div>
      <button type="submit" className="primary" disabled={map.pending}>Map group</button>
      <FormError error={map.error} fields={['group', 'role']} />
    </form>
  );
}

function Mappings({ account }: { account: AccountRow }) {
  const mappings = useApiQuery('admin.groups.list', { accountId: account.id });
  const unmap = useApiAction('admin.groups.unmap');
  const [announcement, setAnnouncement] = useState('');

  async function remove(mappingId: string, group: string): Promise<void> {
    const result = await unmap.run({ accountId: account.id, mappingId });
    if (result.ok) {
      setAnnouncement(`Group ${group} unmapped. Its members lose that role at their next sign-in.`);
      mappings.reload();
    }
  }

  return (
    <>
      <p role="status" className="announcement">{announcement}</p>
      {mappings.state.status === 'loading' && <p>Loading…</p>}
      {mappings.state.status === 'error' && <ApiErrorView error={mappings.state.error} onRetry={mappings.reload} />}
      {mappings.state.status === 'ok' && (mappings.state.value.length === 0 ? (
        <p className="notice">No groups are mapped to {account.name}: nobody signing in through the identity provider can use it yet.</p>
      ) : (
        <table className="table" data-testid="group-mappings">
          <caption className="visually-hidden">Group mappings of {account.name}</caption>
          <thead><tr><th scope="col">Group</th><th scope="col">Role</th><th scope="col">Mapped</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {mappings.state.value.map((mapping) => (
              <tr key={mapping.id}>
                <th scope="row"><code>{mapping.group}</code></th>
                <td>{mapping.role}</td>
                <td>{formatDateTime(mapping.createdAt)}</td>
                <td><button type="button" onClick={() => { void remove(mapping.id, mapping.group); }} aria-label={`Remove mapping ${mapping.group} → ${mapping.role}`}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      <FormError error={unmap.error} />
      <MapGroupForm
        account={account}
        onMapped={(group, role) => {
          setAnnouncement(`Group ${group} mapped to ${role} in ${account.name}. Its members get the role at their next sign-in.`);
          mappings.reload();
        }}
      />
    </>
  );
}

/** Which directory groups give which role in an account; applied when each member next signs in. */
export function GroupsPanel() {
  const account = useManagedAccount();
  return (
    <>
      <h2>Group mappings</h2>
      <p className="hint">Members of a directory group get the mapped role when they next sign in; removing a mapping takes the role away at their next sign-in.</p>
      {account && <AccountPicker account={account} />}
      {account && <Mappings key={account.id} account={account} />}
    </>
  );
}
