import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { AccountRow } from './AdminPage.tsx';
import { fieldErrorFor, FormError, useApiAction } from './forms.tsx';

/**
 * Deleting an account destroys its data key (crypto-shredding), so a modal dialog asks for the
 * account's name typed out, and says plainly what is lost.
 */
export function DeleteAccountDialog({ account, onClose, onDeleted }: { account: AccountRow; onClose: () => void; onDeleted: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const remove = useApiAction('admin.accounts.delete');
  const [typed, setTyped] = useState('');
  const id = useId();
  const field = fieldErrorFor(remove.error, 'confirmName', `${id}-confirm`);

  // Modal: focus stays inside and Escape cancels. Unmounting removes it (no close call, which
  // would fire onClose again).
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const result = await remove.run({ accountId: account.id, confirmName: typed });
    if (result.ok) onDeleted();
  }

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-warning`} onClose={onClose}>
      <form onSubmit={(event) => { void submit(event); }} noValidate>
        <h2 id={`${id}-title`}>Delete the account “{account.name}”?</h2>
        <div id={`${id}-warning`} className="warning-panel">
          <p><strong>This cannot be undone.</strong> Deleting the account destroys its data key (crypto-shredding): every draft, trace, feedback item and memory in it becomes unreadable for good, and its {account.members} member{account.members === 1 ? '' : 's'} lose access at once.</p>
          <p>Backups made before now can still open it until the master key is rotated (<code>strongroom keys rotate --master</code>).</p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-confirm`}>Type the account’s name, <strong>{account.name}</strong>, to confirm</label>
          <input id={`${id}-confirm`} value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" autoFocus {...field.inputProps} />
          {field.message}
        </div>
        <FormError error={remove.error} fields={['confirmName']} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="danger-solid" disabled={remove.pending || typed !== account.name}>Delete account permanently</button>
        </div>
      </form>
    </dialog>
  );
}
