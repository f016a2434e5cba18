import { useEffect, useRef } from 'react';

/**
 * A native `<dialog>` opened as a modal when it mounts: focus stays inside and Escape fires its
 * `close` event. Unmounting removes it, so a dialog is closed by unmounting it (calling `close()`
 * would fire `onClose` again).
 */
export function useModalDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  return dialog;
}
