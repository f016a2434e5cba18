import { useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { Permission, Role } from '../../../../core/contracts/index.ts';
import { roleDescriptions, rolePermissions } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { AccountPicker, useManagedAccount } from './AccountPicker.tsx';
import type { AccountRow } from './AdminPage.tsx';
import { adminBoundaryFloor, boundarySavedMessage, boundaryToSave, keptByFloor } from './boundaryFloor.ts';
import { FormError, useApiAction } from './forms.tsx';

/**
 * One role's boundary: no cap (the role's full permissions), or only the ticked ones. Keyed by
 * role, not by what is saved: a save must not remount it, or its confirmation and focus go.
 */
function RoleBoundary({ account, role, current, canEdit, onSaved }: { account: AccountRow; role: Role; current: readonly Permission[] | null; canEdit: boolean; onSaved: () => void }) {
  const save = useApiAction('admin.boundaries.set');
  const id = useId();
  const all = rolePermissions[role];
  const [capped, setCapped] = useState(current !== null);
  const [allowed, setAllowed] = useState<Permission[]>(current ? [...current] : [...all]);
  const [saved, setSaved] = useState('');
  const status = useRef<HTMLParagraphElement>(null);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (save.pending) return;
    setSaved('');
    const result = await save.run({ accountId: account.id, role, permissions: boundaryToSave(role, capped, allowed) });
    if (!result.ok) return; // the button kept focus; the refusal is announced below it
    setSaved(boundarySavedMessage(role, result.value.permissions));
    setAllowed(result.value.permissions ? [...result.value.permissions] : [...all]);
    onSaved();
    // The button stays enabled (aria-disabled while saving), so focus never falls to the page;
    // it moves to the confirmation, which says what the role keeps now.
    setTimeout(() => status.current?.focus(), 0);
  }

  const summary = current === null ? 'No cap' : `Capped: ${current.length} of ${all.length} permissions`;
  return (
    <form className="boundary" onSubmit={(event) => { void submit(event); }} aria-labelledby={`${id}-title`} data-testid={`boundary-${role}`}>
      <h3 id={`${id}-title`}>{role} <span className="boundary-state">{summary}</span></h3>
      <p className="hint">{roleDescriptions[role]}</p>
      <fieldset disabled={!canEdit}>
        <legend className="visually-hidden">Boundary for {role}</legend>
        <label className="check">
          <input type="radio" name={`${id}-mode`} checked={!capped} onChange={() => setCapped(false)} /> No cap — the role’s full permissions
        </label>
        <label className="check">
          <input type="radio" name={`${id}-mode`} checked={capped} onChange={() => setCapped(true)} /> Capped — only the permissions ticked below
        </label>
        <fieldset className="permission-grid" disabled={!capped} aria-describedby={role === 'admin' ? `${id}-floor` : undefined}>
          <legend>Permissions {role} keeps in {account.name}</legend>
          {all.map((permission) => {
            const fixed = keptByFloor(role, permission);
            return (
              <label key={permission} className="check">
                <input
                  type="checkbox"
                  checked={fixed || allowed.includes(permission)}
                  disabled={fixed}
                  onChange={(event) => setAllowed((list) => (event.target.checked ? [...list, permission] : list.filter((p) => p !== permission)))}
                />{' '}
                <code>{permission}</code>
              </label>
            );
          })}
        </fieldset>
        {role === 'admin' && (
          <p id={`${id}-floor`} className="hint">
            A cap on admin always keeps {adminBoundaryFloor.map((p, index) => <span key={p}>{index > 0 && ' and '}<code>{p}</code></span>)}: without them no administrator could change or remove the cap again.
          </p>
        )}
        <button type="submit" aria-disabled={save.pending || undefined}>Save {role} boundary</button>
      </fieldset>
      <FormError error={save.error} />
      <p ref={status} tabIndex={-1} role="status" className="announcement">{saved}</p>
    </form>
  );
}

function Boundaries({ account }: { account: AccountRow }) {
  const auth = useAuth();
  const boundaries = useApiQuery('admin.boundaries.get', { accountId: account.id });
  if (boundaries.state.status === 'loading') return <p>Loading…</p>;
  if (boundaries.state.status === 'error') return <ApiErrorView error={boundaries.state.error} onRetry={boundaries.reload} />;
  // Installation administrators manage other accounts' boundaries; otherwise it is the own account's permission.
  const canEdit = account.id !== auth.account.id || auth.can('boundaries.manage');
  return (
    <>
      {boundaries.state.value.map((boundary) => (
        <RoleBoundary
          key={boundary.role}
          account={account}
          role={boundary.role}
          current={boundary.permissions}
          canEdit={canEdit}
          onSaved={() => {
            boundaries.reload();
            if (account.id === auth.account.id) void auth.refresh();
          }}
        />
      ))}
    </>
  );
}

/** Caps per role in an account: a boundary limits what a role may do there, whatever groups grant it. */
export function BoundariesPanel() {
  const account = useManagedAccount();
  return (
    <>
      <h2>Boundaries</h2>
      <p className="hint">A boundary caps what a role may do in this account. It applies immediately, to everyone holding the role.</p>
      {account && <AccountPicker account={account} />}
      {account && <Boundaries key={account.id} account={account} />}
    </>
  );
}
