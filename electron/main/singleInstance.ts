// One Strongroom per user session: two instances would open the same SQLite database and fight
// over its WAL and the keychain. A second launch focuses the first window and exits. This is also
// how checklist #14, "Disable or limit creation of new windows", holds across launches.

/** The part of Electron's `app` this module uses. */
export interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  on(event: 'second-instance', listener: () => void): unknown;
}

/**
 * Takes the lock. Returns false (and quits) when another instance holds it; otherwise calls
 * `focusExisting` whenever a second launch is attempted.
 */
export function enforceSingleInstance(app: SingleInstanceApp, focusExisting: () => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', focusExisting);
  return true;
}
