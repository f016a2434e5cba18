import { expect } from '@playwright/test';
import type { BrowserContext, Page } from '@playwright/test';
import { startTestIdp } from '../../core/identity/testing/testIdp.ts';
import type { TestIdp, TestUser } from '../../core/identity/testing/testIdp.ts';
import type { Role } from '../../core/contracts/index.ts';
import { startServe, strongroom } from './serve.ts';
import type { ServeHandle } from './serve.ts';

/**
 * Moves a running local-mode installation onto a fresh test IdP, as its operator would: stop
 * serve, map each group to a role on Default, `admin idp set`, start serve again (same data,
 * key and passphrase). Roles other than the local administrator come only from an IdP. The IdP
 * is refused until some group is mapped to admin on Default (the administration account), so
 * `strongroom-admins` is mapped to admin when `groups` maps none.
 */
export async function moveToTestIdp(serve: ServeHandle, options: { users: TestUser[]; groups: Record<string, Role> }): Promise<{ idp: TestIdp; serve: ServeHandle }> {
  const idp = await startTestIdp({ users: options.users });
  expect(await serve.stop()).toBe(0);
  const groups = Object.values(options.groups).includes('admin') ? options.groups : { ...options.groups, 'strongroom-admins': 'admin' as const };
  for (const [group, role] of Object.entries(groups)) await strongroom(['admin', 'map-group', group, '--account', 'Default', '--role', role], serve);
  await strongroom(['admin', 'idp', 'set', '--issuer', idp.issuer, '--client-id', idp.clientId, '--algs', 'RS256'], serve);
  return { idp, serve: await startServe({ dataDir: serve.dataDir, masterKey: serve.masterKey, adminPassphrase: serve.adminPassphrase }) };
}

/**
 * Keeps a browser context on loopback: the test IdP's pages import a web font from the internet,
 * which these machines cannot reach (and Strongroom never needs).
 */
export async function loopbackOnly(context: BrowserContext): Promise<void> {
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/]|localhost[:/]|\[::1\])/, (route) => route.abort());
}

/**
 * Signs in through the test IdP from Strongroom's sign-in page, as a person would: the button,
 * then the IdP's login form (any password) and consent form when it shows them — an IdP session
 * left from an earlier sign-in skips them. Resolves once the browser is back on Strongroom, in the
 * app (`/system`) or on the sign-in page with an error.
 */
export async function signInThroughIdp(page: Page, options: { serveOrigin: string; login: string }): Promise<void> {
  const callback = page.waitForResponse((response) => response.url().startsWith(`${options.serveOrigin}/auth/callback`));
  const login = page.locator('input[name="login"]');
  const consent = page.getByRole('button', { name: 'Continue' });
  await page.getByRole('link', { name: 'Sign in with your organisation' }).click();
  for (let step = 0; step < 4; step += 1) {
    const next = await Promise.race([
      callback.then(() => 'back' as const),
      login.waitFor({ state: 'visible' }).then(() => 'login' as const, () => 'gone' as const),
      consent.waitFor({ state: 'visible' }).then(() => 'consent' as const, () => 'gone' as const),
    ]);
    if (next === 'back') break;
    if (next === 'login') {
      await login.fill(options.login);
      await page.locator('input[name="password"]').fill('any password works here');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      // The consent form is served at the same address as the login form: wait for the form to go.
      await expect(login).toHaveCount(0);
    } else if (next === 'consent') {
      await consent.click();
      await expect(consent).toHaveCount(0);
    }
  }
  await callback;
  await page.waitForURL((url) => url.origin === options.serveOrigin && (url.pathname === '/system' || url.pathname === '/signin'));
}
