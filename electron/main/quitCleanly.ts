// Quitting waits for cleanup: Electron does not await async `will-quit` listeners, so the first
// quit is held back with preventDefault, the cleanup (dispose the core host, which closes SQLite
// and flushes the audit log) runs once, and then the app quits for real.

/** The part of Electron's `app` this module uses. */
export interface QuittableApp {
  on(event: 'will-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
}

export function quitCleanly(app: QuittableApp, cleanup: () => Promise<void>, onError: (error: unknown) => void): void {
  let done = false;
  let running: Promise<void> | null = null;
  app.on('will-quit', (event) => {
    if (done) return;
    event.preventDefault();
    running ??= cleanup()
      .catch(onError)
      .finally(() => {
        done = true;
        app.quit();
      });
  });
}
