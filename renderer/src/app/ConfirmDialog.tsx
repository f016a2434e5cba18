import { useId } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { ApiError } from '../../../core/contracts/index.ts';
import { FormError } from '../features/admin/forms.tsx';
import { useModalDialog } from '../features/workflows/useModalDialog.ts';

/**
 * A modal that asks before something that cannot be undone: a title, a warning panel saying what
 * happens, the keep button focused first (Escape keeps too), the danger button that confirms, and
 * the API's refusal, if any. Unmount it to close it.
 */
export function ConfirmDialog({ title, warning, note, keepLabel, confirmLabel, error, pending, onConfirm, onClose, testId }: {
  title: ReactNode;
  warning: ReactNode;
  /** Below the warning, outside it (e.g. that the action is audited). */
  note?: ReactNode;
  keepLabel: string;
  confirmLabel: string;
  error: ApiError | null;
  pending: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  testId: string;
}) {
  const dialog = useModalDialog();
  const id = useId();

  function submit(event: FormEvent): void {
    event.preventDefault();
    void onConfirm();
  }

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-warning`} onClose={onClose} data-testid={testId}>
      <form onSubmit={submit}>
        <h2 id={`${id}-title`}>{title}</h2>
        <div id={`${id}-warning`} className="warning-panel">{warning}</div>
        {note}
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose} autoFocus>{keepLabel}</button>
          <button type="submit" className="danger-solid" disabled={pending}>{confirmLabel}</button>
        </div>
      </form>
    </dialog>
  );
}
