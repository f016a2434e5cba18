// Creates and tracks the app's own windows. The IPC relay trusts only webContents registered
// here (security checklist #17, "Validate the sender of all IPC messages"), and the single-instance
// lock focuses the first of them (#14, "Disable or limit creation of new windows": we create
// windows, pages never do).
import type { BrowserWindowConstructorOptions } from 'electron';

/** The part of a BrowserWindow this module uses. */
export interface WindowLike {
  readonly webContents: { readonly id: number };
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): unknown;
  once(event: 'closed', listener: () => void): unknown;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isDestroyed(): boolean;
}

export class WindowRegistry<W extends WindowLike = WindowLike> {
  private readonly windows = new Set<W>();

  /** Creates a window with the given (secure) options and loads the app into it. */
  async open(create: (options: BrowserWindowConstructorOptions) => W, options: BrowserWindowConstructorOptions, url: string): Promise<W> {
    const window = create(options);
    this.windows.add(window);
    window.once('closed', () => this.windows.delete(window));
    window.once('ready-to-show', () => window.show());
    await window.loadURL(url);
    return window;
  }

  /** Whether a webContents belongs to one of our windows (and not a devtools or foreign view). */
  owns(webContents: { readonly id: number }): boolean {
    for (const window of this.windows) {
      if (!window.isDestroyed() && window.webContents.id === webContents.id) return true;
    }
    return false;
  }

  /** Brings the first window forward; false when there is none (the caller opens one). */
  focusFirst(): boolean {
    const window = [...this.windows].find((candidate) => !candidate.isDestroyed());
    if (!window) return false;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    return true;
  }

  get size(): number {
    return this.windows.size;
  }
}
