// Keeps every webContents on the app's own origin. Security checklist #13 "Disable or limit
// navigation", #14 "Disable or limit creation of new windows", #12 "Verify WebView options before
// creation" (we never use <webview>, so every attach is refused) and #15 "Do not use
// shell.openExternal with untrusted content" (only http(s) links ever leave the app).
import { originOf } from './appOrigin.ts';

/** Whether a frame may navigate to `url`: only to one of the app's own origins. */
export function isAllowedNavigation(url: string, allowedOrigins: readonly string[]): boolean {
  const origin = originOf(url);
  return origin !== null && allowedOrigins.includes(origin);
}

/** Links the system browser may open: http and https only, never file:, smb:, ms-*: or custom handlers. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

interface PreventableNavigation {
  readonly url: string;
  preventDefault(): void;
}

/** The part of a WebContents the guard uses. */
export interface GuardedContents {
  on(event: 'will-navigate', listener: (details: PreventableNavigation) => void): unknown;
  on(event: 'will-redirect', listener: (details: PreventableNavigation) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface NavigationGuardOptions {
  allowedOrigins: readonly string[];
  /** Opens a safe link in the system browser (`shell.openExternal`); omit to drop links. */
  openExternal?: (url: string) => void;
  onBlocked?: (what: 'navigation' | 'redirect' | 'webview' | 'window', url: string) => void;
}

/** Installs the guard on one webContents; main applies it to every one via `web-contents-created`. */
export function guardNavigation(contents: GuardedContents, options: NavigationGuardOptions): void {
  const { allowedOrigins, openExternal, onBlocked } = options;
  contents.on('will-navigate', (details) => {
    if (isAllowedNavigation(details.url, allowedOrigins)) return;
    details.preventDefault();
    onBlocked?.('navigation', details.url);
  });
  contents.on('will-redirect', (details) => {
    if (isAllowedNavigation(details.url, allowedOrigins)) return;
    details.preventDefault();
    onBlocked?.('redirect', details.url);
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    onBlocked?.('webview', '');
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (openExternal && isSafeExternalUrl(url)) openExternal(url);
    else onBlocked?.('window', url);
    return { action: 'deny' };
  });
}
