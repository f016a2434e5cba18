// The native "choose a GGUF file" dialog behind the Models page's "Choose file…" button (issue 5: "add a
// GGUF by file picker or path"). Only the path goes back to the page; models.add then checks the
// file, its checksum and its architecture like a typed path.
import type { OpenDialogOptions, OpenDialogReturnValue } from 'electron';

export const modelFileDialogOptions: OpenDialogOptions = {
  title: 'Choose a GGUF model',
  buttonLabel: 'Choose model',
  properties: ['openFile', 'dontAddToRecent'],
  filters: [
    { name: 'GGUF models', extensions: ['gguf'] },
    { name: 'All files', extensions: ['*'] },
  ],
};

/** The part of Electron's `dialog` used here; `owner` is the asking window (modal over it), if any. */
export interface OpenDialogLike<W> {
  showOpenDialog(window: W, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
}

/** The chosen file's absolute path, or null when the person cancelled. */
export async function pickModelFile<W>(dialog: OpenDialogLike<W>, owner: W | null): Promise<string | null> {
  const result = owner === null ? await dialog.showOpenDialog(modelFileDialogOptions) : await dialog.showOpenDialog(owner, modelFileDialogOptions);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
