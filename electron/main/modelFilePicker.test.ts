import type { OpenDialogOptions, OpenDialogReturnValue } from 'electron';
import { describe, expect, it } from 'vitest';
import { modelFileDialogOptions, pickModelFile } from './modelFilePicker.ts';
import type { OpenDialogLike } from './modelFilePicker.ts';

// Electron cannot start on the build machines (TOOLCHAIN.md), so `dialog` is a stand-in that
// records how it was asked and answers as the native dialog would.
function fakeDialog(answer: OpenDialogReturnValue) {
  const calls: { owner: string | null; options: OpenDialogOptions }[] = [];
  const dialog = {
    showOpenDialog: (...args: unknown[]) => {
      const [owner, options] = args.length === 2 ? (args as [string, OpenDialogOptions]) : [null, args[0] as OpenDialogOptions];
      calls.push({ owner, options });
      return Promise.resolve(answer);
    },
  } as OpenDialogLike<string>;
  return { dialog, calls };
}

describe('model file picker', () => {
  it('opens one file, GGUF first, modal over the asking window, and returns its path', async () => {
    const { dialog, calls } = fakeDialog({ canceled: false, filePaths: ['/models/credit-8b-q4.gguf'] });
    expect(await pickModelFile(dialog, 'window-1')).toBe('/models/credit-8b-q4.gguf');
    expect(calls).toEqual([{ owner: 'window-1', options: modelFileDialogOptions }]);
    expect(modelFileDialogOptions.properties).toContain('openFile');
    expect(modelFileDialogOptions.properties).not.toContain('multiSelections');
    expect(modelFileDialogOptions.filters?.[0]).toEqual({ name: 'GGUF models', extensions: ['gguf'] });
  });

  it('returns null when the person cancels, and works without an owning window', async () => {
    const cancelled = fakeDialog({ canceled: true, filePaths: [] });
    expect(await pickModelFile(cancelled.dialog, null)).toBeNull();
    expect(cancelled.calls).toEqual([{ owner: null, options: modelFileDialogOptions }]);
  });
});
