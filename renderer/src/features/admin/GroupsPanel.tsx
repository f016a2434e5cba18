import { useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { MethodOutput, Role } from '../../../../core/contracts/index.ts';
import { roleDescriptions, roles } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { ConfirmDialog } from '../../app/ConfirmDialog.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { AccountPicker, useManagedAccount } from './AccountPicker.tsx';
import type { AccountRow } from './AdminPage.tsx';
import { useAdmin } from './AdminPage.tsx';
import { fieldErrorFor, formatDateTime, FormError, useApiAction } from './forms.tsx';

type Mapping = MethodOutput<'admin.groups.list'>[number];

function MapGroupForm({ account, onMapped }: { account: AccountRow; onMapped: (mapping: MethodOutput<'admin.groups.map'>) => void }) {
  const map = useApiAction('admin.groups.map');
  const [group, setGroup] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const id = useId();
  const groupError = fieldErrorFor(map.error, 'group', `${id}-group`);
  const roleError = fieldErrorFor(map.error, 'role', `${id}-role`, `${id}-role-hint`);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (map.pending) return;
    const result = await map.run({ accountId: account.id, group, role });
    if (result.ok) {
      setGroup('');
      onMapped(result.value);
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
      {/* Not disabled while pending: a disabled button drops focus to the page. */}
      <button type="submit" className="primary" aria-disabled={map.pending || undefined}>Map group</button>
      <FormError error={map.error} fields={['group', 'role']} />
    </form>
  );
}

/** Removing a mapping takes the role from its members when their sessions are next checked with the IdP (within 15 minutes) or at their next sign-in: a modal asks first. */
function RemoveMappingDialog({ account, mapping, administrationAccount, onClose, onRemoved }: { account: AccountRow; mapping: Mapping; administrationAccount: boolean; onClose: () => void; onRemoved: () => void }) {
  const unmap = useApiAction('admin.groups.unmap');
  const auth = useAuth();
  const admin = mapping.role === 'admin';
  return (
    <ConfirmDialog
      title={<>Remove the mapping {mapping.group} → {mapping.role}?</>}
      warning={<>
        <p>Members of <code>{mapping.group}</code> lose the <strong>{mapping.role}</strong> role in {account.name} when Strongroom next checks their session with the identity provider (within 15 minutes) or at their next sign-in, whichever comes first.</p>
        {admin && <p><strong>They stop administering {account.name}{administrationAccount ? ' and this installation' : ''}.</strong>{administrationAccount && auth.status.mode === 'oidc' ? ' The last group mapped to admin here cannot be removed: without it nobody could administer Strongroom.' : ' Make sure another group still gives someone the admin role.'}</p>}
      </>}
      note={<p className="hint">The removal is recorded in the audit log.</p>}
      keepLabel="Keep the mapping"
      confirmLabel="Remove the mapping"
      error={unmap.error}
      pending={unmap.pending}
      onConfirm={async () => { if ((await unmap.run({ accountId: account.id, mappingId: mapping.id })).ok) onRemoved(); }}
      onClose={onClose}
      testId="remove-mapping-dialog"
    />
  );
}

function Mappings({ account }: { account: AccountRow }) {
  const { administrationAccountId } = useAdmin();
  const mappings = useApiQuery('admin.groups.list', { accountId: account.id });
  const [announcement, setAnnouncement] = useState('');
  const [removing, setRemoving] = useState<Mapping | null>(null);
  const status = useRef<HTMLParagraphElement>(null);
  const removeButtons = useRef(new Map<string, HTMLButtonElement>());

  /** Says what happened and moves focus there: the button that acted may be gone. */
  function announce(message: string): void {
    setAnnouncement(message);
    mappings.reload();
    setTimeout(() => status.current?.focus(), 0);
  }

  return (
    <>
      <p ref={status} tabIndex={-1} role="status" className="announcement" data-testid="mappings-status">{announcement}</p>
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
                <td>
                  <button
                    type="button"
                    ref={(element) => { if (element) removeButtons.current.set(mapping.id, element); else removeButtons.current.delete(mapping.id); }}
                    onClick={() => setRemoving(mapping)}
                    aria-label={`Remove mapping ${mapping.group} → ${mapping.role}`}
                  >Remove…</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      {removing && (
        <RemoveMappingDialog
          account={account}
          mapping={removing}
          administrationAccount={account.id === administrationAccountId}
          onClose={() => {
            const button = removeButtons.current.get(removing.id);
            setRemoving(null);
            setTimeout(() => button?.focus(), 0);
          }}
          onRemoved={() => {
            setRemoving(null);
            announce(`Group ${removing.group} unmapped from ${removing.role}. Its members lose that role within 15 minutes, or at their next sign-in.`);
          }}
        />
      )}
      <MapGroupForm
        account={account}
        onMapped={(mapping) => {
          announce(mapping.created
            ? `Group ${mapping.group} mapped to ${mapping.role} in ${account.name}. Its members get the role at their next sign-in.`
            : `Group ${mapping.group} was already mapped to ${mapping.role} in ${account.name}: nothing changed.`);
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
      <p className="hint">Members of a directory group get the mapped role when they next sign in; removing a mapping takes the role away when their session is next checked with the identity provider (within 15 minutes) or at their next sign-in. Groups can be mapped before an identity provider is configured — map one to <em>admin</em> first, so someone can administer Strongroom once it is.</p>
      {account && <AccountPicker account={account} />}
      {account && <Mappings key={account.id} account={account} />}
    </>
  );
}
