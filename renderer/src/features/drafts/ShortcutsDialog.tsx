import { useImperativeHandle, useRef } from 'react';
import type { Ref } from 'react';
import { shortcutList } from './shortcuts.ts';

export interface ShortcutsDialogHandle {
  open(): void;
}

/** The keyboard shortcuts of the drafting view, in a native modal dialog (Esc closes it, focus returns). */
export function ShortcutsDialog({ ref }: { ref?: Ref<ShortcutsDialogHandle> }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useImperativeHandle(ref, () => ({ open: () => { if (!dialog.current?.open) dialog.current?.showModal(); } }), []);
  return (
    <dialog ref={dialog} className="dialog shortcuts-dialog" aria-labelledby="shortcuts-title" data-testid="shortcuts-dialog">
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <p className="hint">Single keys act on the current section (the one with focus; j and k move between sections). They do nothing while you type in a field or the editor.</p>
      <table className="table">
        <caption className="visually-hidden">Keyboard shortcuts</caption>
        <thead><tr><th scope="col">Keys</th><th scope="col">Action</th></tr></thead>
        <tbody>
          {shortcutList.map((shortcut) => (
            <tr key={shortcut.description}>
              <td>{shortcut.keys.map((key, index) => <span key={key}>{index > 0 && ' + '}<kbd>{key}</kbd></span>)}</td>
              <td>{shortcut.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={() => dialog.current?.close()}>Close</button>
      </div>
    </dialog>
  );
}
