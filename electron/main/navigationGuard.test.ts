import { describe, expect, it } from 'vitest';
import { appOrigin } from './appOrigin.ts';
import { guardNavigation, isAllowedNavigation, isSafeExternalUrl } from './navigationGuard.ts';
import type { GuardedContents } from './navigationGuard.ts';

type Listener = (event: { url: string; preventDefault(): void }) => void;

/** A stand-in WebContents that records its listeners and window-open handler. */
function fakeContents() {
  const listeners = new Map<string, Listener>();
  let openHandler: ((details: { url: string }) => { action: 'deny' }) | undefined;
  const contents: GuardedContents = {
    on: (event: string, listener: Listener) => listeners.set(event, listener),
    setWindowOpenHandler: (handler) => (openHandler = handler),
  };
  return {
    contents,
    /** Fires an event and reports whether the guard prevented it. */
    fire(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview', url = ''): boolean {
      let prevented = false;
      const listener = listeners.get(event);
      if (!listener) throw new Error(`no ${event} listener`);
      listener({ url, preventDefault: () => (prevented = true) });
      return prevented;
    },
    open: (url: string) => {
      if (!openHandler) throw new Error('no window open handler');
      return openHandler({ url });
    },
  };
}

describe('isAllowedNavigation', () => {
  const allowed = [appOrigin];
  it('allows the app origin, any path', () => {
    expect(isAllowedNavigation('app://strongroom/', allowed)).toBe(true);
    expect(isAllowedNavigation('app://strongroom/reviews/7?x=1#y', allowed)).toBe(true);
  });

  it.each([
    'https://example.com/',
    'http://127.0.0.1:5173/',
    'file:///etc/passwd',
    'javascript:alert(document.domain)',
    'data:text/html,<script>alert(1)</script>',
    'app://other-app/',
    'app://strongroom.evil.example/',
    'about:blank',
    'chrome://settings',
    'not a url',
  ])('denies %s', (url) => {
    expect(isAllowedNavigation(url, allowed)).toBe(false);
  });

  it('allows the dev server only when it is in the list', () => {
    expect(isAllowedNavigation('http://127.0.0.1:5173/x', allowed)).toBe(false);
    expect(isAllowedNavigation('http://127.0.0.1:5173/x', [...allowed, 'http://127.0.0.1:5173'])).toBe(true);
  });
});

describe('guardNavigation', () => {
  it('lets same-origin navigations and redirects through and prevents the rest', () => {
    const fake = fakeContents();
    const blocked: string[] = [];
    guardNavigation(fake.contents, { allowedOrigins: [appOrigin], onBlocked: (what, url) => blocked.push(`${what} ${url}`) });
    expect(fake.fire('will-navigate', 'app://strongroom/settings')).toBe(false);
    expect(fake.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(fake.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fake.fire('will-redirect', 'app://strongroom/index.html')).toBe(false);
    expect(fake.fire('will-redirect', 'http://evil.example/')).toBe(true);
    expect(blocked).toEqual(['navigation https://evil.example/', 'navigation file:///etc/passwd', 'redirect http://evil.example/']);
  });

  it('refuses every <webview>, even one on the app origin', () => {
    const fake = fakeContents();
    guardNavigation(fake.contents, { allowedOrigins: [appOrigin] });
    expect(fake.fire('will-attach-webview', 'app://strongroom/')).toBe(true);
  });

  it('denies window.open and hands only http(s) links to the system browser', () => {
    const fake = fakeContents();
    const opened: string[] = [];
    guardNavigation(fake.contents, { allowedOrigins: [appOrigin], openExternal: (url) => opened.push(url) });
    for (const url of ['https://intranet.bank/policy', 'http://wiki.bank/x', 'app://strongroom/', 'file:///c:/windows/system32/calc.exe', 'smb://share/x', 'javascript:alert(1)']) {
      expect(fake.open(url)).toEqual({ action: 'deny' });
    }
    expect(opened).toEqual(['https://intranet.bank/policy', 'http://wiki.bank/x']);
  });

  it('opens nothing when no openExternal is given', () => {
    const fake = fakeContents();
    guardNavigation(fake.contents, { allowedOrigins: [appOrigin] });
    expect(fake.open('https://example.com')).toEqual({ action: 'deny' });
  });
});

describe('isSafeExternalUrl', () => {
  it.each([['https://a.example', true], ['http://a.example', true], ['file:///etc/passwd', false], ['ms-msdt:/id', false], ['mailto:a@b.c', false], ['garbage', false]] as const)('%s → %s', (url, safe) => {
    expect(isSafeExternalUrl(url)).toBe(safe);
  });
});
