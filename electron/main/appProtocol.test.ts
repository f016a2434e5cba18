import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../core/api/index.ts';
import { createAppProtocolHandler, privilegedSchemes, resolveAppFile } from './appProtocol.ts';

// A built renderer next to files it must never serve: a secret one level up, and a sibling
// directory whose name starts with the root's name (the classic startsWith() escape).
const base = mkdtempSync(join(tmpdir(), 'strongroom-protocol-'));
const root = join(base, 'renderer');
mkdirSync(join(root, 'assets'), { recursive: true });
mkdirSync(join(base, 'renderer-evil'));
writeFileSync(join(root, 'index.html'), '<!doctype html><title>Strongroom</title>');
writeFileSync(join(root, 'assets', 'app.js'), 'console.log("app")');
writeFileSync(join(root, 'assets', 'app.css'), 'body{}');
writeFileSync(join(base, 'secret.txt'), 'TOP SECRET');
writeFileSync(join(base, 'renderer-evil', 'secret.txt'), 'TOP SECRET');
afterAll(() => rmSync(base, { recursive: true, force: true }));

const handler = createAppProtocolHandler(root);
const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

describe('app:// scheme registration', () => {
  it('is standard and secure, so it has a real origin and counts as a secure context', () => {
    expect(privilegedSchemes).toHaveLength(1);
    expect(privilegedSchemes).toMatchObject([{ scheme: 'app', privileges: { standard: true, secure: true } }]);
    expect(privilegedSchemes[0]?.privileges?.bypassCSP).not.toBe(true);
  });
});

describe('app:// protocol handler', () => {
  it('serves index.html for / with the strict CSP and nosniff', async () => {
    const response = await get('app://strongroom/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<title>Strongroom</title>');
  });

  it('serves assets with their MIME type and the CSP', async () => {
    const script = await get('app://strongroom/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(await script.text()).toBe('console.log("app")');
    expect((await get('app://strongroom/assets/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('falls back to index.html for client-side routes (SPA), with the CSP', async () => {
    for (const route of ['app://strongroom/reviews/42', 'app://strongroom/settings/', 'app://strongroom/assets']) {
      const response = await get(route);
      expect(response.status, route).toBe(200);
      expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
      expect(await response.text()).toContain('<title>Strongroom</title>');
    }
  });

  it('answers a missing asset with 404, not HTML', async () => {
    const response = await get('app://strongroom/assets/missing.js');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
  });

  it.each([
    'app://strongroom/../secret.txt',
    'app://strongroom/../../etc/passwd',
    'app://strongroom/%2e%2e/secret.txt',
    'app://strongroom/%2E%2E/%2e%2e/etc/passwd',
    'app://strongroom/..%2fsecret.txt',
    'app://strongroom/%2e%2e%2fsecret.txt',
    'app://strongroom/assets/..%2f..%2fsecret.txt',
    'app://strongroom/..%2frenderer-evil%2fsecret.txt',
    'app://strongroom/..%5csecret.txt',
    'app://strongroom/index.html%00.js',
    'app://strongroom/%E0%A4%A',
    'app://other-host/index.html',
  ])('never serves anything outside the root for %s', async (url) => {
    // The URL parser (like Chromium) folds `..` and `%2e%2e` segments first, so
    // /../../etc/passwd arrives as the client route /etc/passwd and gets the app's index.html.
    const response = await get(url);
    const body = await response.text();
    expect(body).not.toContain('TOP SECRET');
    if (response.status === 200) expect(body).toContain('<title>Strongroom</title>');
    else expect([403, 404]).toContain(response.status);
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
  });

  it('refuses encoded traversal with 403 rather than looking for the file', async () => {
    expect((await get('app://strongroom/..%2fsecret.txt')).status).toBe(403);
    expect((await get('app://strongroom/%2e%2e%2f%2e%2e%2fetc%2fpasswd')).status).toBe(403);
  });

  it('allows only GET and HEAD', async () => {
    expect((await get('app://strongroom/', 'POST')).status).toBe(405);
    const head = await get('app://strongroom/assets/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});

describe('resolveAppFile', () => {
  it('maps paths inside the root and refuses the rest', () => {
    expect(resolveAppFile(root, 'app://strongroom/assets/app.js')).toEqual({ kind: 'file', path: join(root, 'assets', 'app.js') });
    expect(resolveAppFile(root, 'app://strongroom/')).toEqual({ kind: 'file', path: join(root, 'index.html') });
    expect(resolveAppFile(root, 'app://strongroom/..%2f..%2fetc%2fpasswd')).toEqual({ kind: 'forbidden' });
    expect(resolveAppFile(root, 'https://strongroom/index.html')).toEqual({ kind: 'forbidden' });
    expect(resolveAppFile(root, 'not a url')).toEqual({ kind: 'forbidden' });
  });

  it('keeps every resolved path under root + separator', () => {
    for (const url of ['app://strongroom/a/b/../../c', 'app://strongroom/%2e%2e/x', 'app://strongroom/a%2f..%2f..%2fb']) {
      const file = resolveAppFile(root, url);
      if (file.kind === 'file') expect(file.path.startsWith(root + sep)).toBe(true);
    }
  });
});
