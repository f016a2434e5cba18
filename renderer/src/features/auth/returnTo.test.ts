import { describe, expect, it } from 'vitest';
import { afterSignIn, appPathOf, rememberReturnPath, takeReturnPath } from './returnTo.ts';

const origin = 'http://127.0.0.1:4100';
const place = (path: string) => {
  const url = new URL(path, origin);
  return { pathname: url.pathname, search: url.search, hash: url.hash, origin };
};

function memoryStorage() {
  const items = new Map<string, string>();
  return { items, getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => { items.set(k, v); }, removeItem: (k: string) => { items.delete(k); } };
}

describe('returning to the page asked for after sign-in', () => {
  it('keeps same-origin app pages with their query and hash', () => {
    expect(appPathOf('/traces/4bf92f3577b34da6a3ce929d0e0e4736?span=00f067aa0ba902b7', origin)).toBe('/traces/4bf92f3577b34da6a3ce929d0e0e4736?span=00f067aa0ba902b7');
    expect(appPathOf('/admin/boundaries#top', origin)).toBe('/admin/boundaries#top');
    expect(afterSignIn(place('/drafts/d-1'))).toBe('/drafts/d-1');
  });

  it('refuses other origins, protocol-relative and non-path references, the sign-in endpoints and the API', () => {
    for (const bad of ['https://evil.example/traces/1', '//evil.example/traces', '/\\evil.example', 'javascript:alert(1)', 'traces/1', '/', '/signin?error=ERR_AUTH_NO_ACCESS', '/auth/login', '/auth/callback?code=x', '/api/system.info', '']) {
      expect(appPathOf(bad, origin), bad).toBeNull();
    }
    expect(afterSignIn(place('/signin?error=ERR_AUTH_SIGNIN_FAILED'))).toBe('/');
    expect(afterSignIn(place('/'))).toBe('/');
  });

  it('remembers the page across the identity provider round trip, once', () => {
    const storage = memoryStorage();
    rememberReturnPath(place('/traces/abc'), storage);
    // A refused attempt lands on /signin; trying again there keeps the page first asked for.
    rememberReturnPath(place('/signin?error=ERR_AUTH_SIGNIN_FAILED'), storage);
    expect(takeReturnPath(origin, storage)).toBe('/traces/abc');
    expect(takeReturnPath(origin, storage)).toBeNull();
  });

  it('drops a remembered value that is not an app page', () => {
    const storage = memoryStorage();
    storage.setItem('strongroom.returnTo', 'https://evil.example/');
    expect(takeReturnPath(origin, storage)).toBeNull();
    expect(storage.items.size).toBe(0);
  });

  it('does not take the next person to the page someone was on when their session ended', () => {
    const storage = memoryStorage();
    rememberReturnPath(place('/audit?actor=xavier'), storage, 'xavier');
    expect(takeReturnPath(origin, storage, 'yvonne')).toBeNull();
    // Used up either way: nothing left for a later sign-in.
    expect(storage.items.size).toBe(0);
    rememberReturnPath(place('/audit?actor=xavier'), storage, 'xavier');
    expect(takeReturnPath(origin, storage, 'xavier')).toBe('/audit?actor=xavier');
    // A page asked for while signed out (a deep link) is anyone's.
    rememberReturnPath(place('/traces/t-1'), storage);
    expect(takeReturnPath(origin, storage, 'yvonne')).toBe('/traces/t-1');
  });
});
