import { useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { useAuth } from '../auth/AuthContext.tsx';
import type { AccountRow } from './AdminPage.tsx';
import { useAdmin } from './AdminPage.tsx';
import { DeleteAccountDialog } from './DeleteAccountDialog.tsx';
import { fieldErrorFor, formatDateTime, FormError, useApiAction } from './forms.tsx';

function CreateAccountForm({ onCreated }: { onCreated: (name: string) => void }) {
  const create = useApiAction('admin.accounts.create');
  const [name, setName] = useState('');
  const id = useId();
  const field = fieldErrorFor(create.error, 'name', id);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const result = await create.run({ name });
    if (result.ok) {
      setName('');
      onCreated(result.value.name);
    }
  }

  return (
    <form className="inline-form" onSubmit={(event) => { void submit(event); }} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Create an account</h3>
      <p className="hint">Each account is an isolated tenant with its own data key (for example “Credit Risk”, “HR”). Nobody can see it until you map a group to it.</p>
      <div className="field">
        <label htmlFor={id}>Account name</label>
        <input id={id} value={name} onChange={(event) => setName(event.target.value)} maxLength={80} {...field.inputProps} />
        {field.message}
      </div>
      <button type="submit" className="primary" disabled={create.pending}>Create account</button>
      <FormError error={create.error} fields={['name']} />
    </form>
  );
}

/** Accounts on this installation; installation administrators create and delete them. */
export function AccountsPanel() {
  const { accounts, installationAdmin, administrationAccountId, reloadAccounts } = useAdmin();
  const auth = useAuth();
  const [deleting, setDeleting] = useState<AccountRow | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const status = useRef<HTMLParagraphElement>(null);
  const deleteButtons = useRef(new Map<string, HTMLButtonElement>());

  function changed(message: string, moveFocus = false): void {
    setAnnouncement(message);
    reloadAccounts();
    // The account switcher lists accounts too (the local administrator is in every one).
    void auth.refresh();
    // A deleted account's row, and the button that opened the dialog, are gone: focus the announcement.
    if (moveFocus) setTimeout(() => status.current?.focus(), 0);
  }

  return (
    <>
      <h2>Accounts</h2>
      <p ref={status} tabIndex={-1} role="status" className="announcement">{announcement}</p>
      <table className="table" data-testid="accounts-table">
        <caption className="visually-hidden">Accounts</caption>
        <thead>
          <tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Members</th>{installationAdmin && <th scope="col"><span className="visually-hidden">Actions</span></th>}</tr>
        </thead>
        <tbody>
          {accounts.map((account) => (
            <tr key={account.id}>
              <th scope="row">{account.name}{account.id === administrationAccountId && <span className="tag">administration account</span>}</th>
              <td>{formatDateTime(account.createdAt)}</td>
              <td>{account.members}</td>
              {installationAdmin && (
                <td>
                  {account.id === administrationAccountId ? (
                    <span className="hint">Cannot be deleted</span>
                  ) : (
                    <button
                      type="button"
                      className="danger"
                      ref={(element) => { if (element) deleteButtons.current.set(account.id, element); else deleteButtons.current.delete(account.id); }}
                      onClick={() => setDeleting(account)}
                      aria-label={`Delete ${account.name}`}
                    >Delete…</button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {installationAdmin ? (
        <CreateAccountForm onCreated={(name) => changed(`Account ${name} created.`)} />
      ) : (
        <p className="hint">Only administrators of the administration account create or delete accounts.</p>
      )}
      {deleting && (
        <DeleteAccountDialog
          account={deleting}
          onClose={() => {
            const button = deleteButtons.current.get(deleting.id);
            setDeleting(null);
            setTimeout(() => button?.focus(), 0);
          }}
          onDeleted={() => {
            setDeleting(null);
            changed(`Account ${deleting.name} deleted; its data key is destroyed.`, true);
          }}
        />
      )}
    </>
  );
}
