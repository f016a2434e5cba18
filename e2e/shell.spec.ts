import { expect, test } from '@playwright/test';
import { signInLocally } from './support/auth.ts';
import { startServe } from './support/serve.ts';
import type { ServeHandle } from './support/serve.ts';

let serve: ServeHandle;

test.beforeAll(async () => {
  serve = await startServe();
});

test.afterAll(async () => {
  expect(await serve.stop()).toBe(0);
});

test('opens from the printed URL, signs in, shows system.info, and navigates every section', async ({ page }, testInfo) => {
  // The token is taken from the fragment and removed from the address bar; then the local
  // administrator signs in (local mode) and lands on the System page.
  await signInLocally(page, serve);
  await expect(page).toHaveURL(`${serve.origin}/system`);
  const info = page.getByTestId('system-info');
  await expect(info).toContainText('serve');
  await expect(info).toContainText(serve.dataDir);
  await expect(info).toContainText(/\d+\.\d+\.\d+/);
  await expect(page.getByTestId('system-health-status')).toContainText('ok');
  await expect(page.getByTestId('connection-status')).toHaveText('Connected');
  await page.screenshot({ path: testInfo.outputPath('system-page.png'), fullPage: true });

  const nav = page.getByRole('navigation', { name: 'Sections' });
  for (const label of ['Drafts', 'Review', 'Traces', 'Evaluations', 'Workflows', 'Models', 'Audit', 'Admin']) {
    await nav.getByRole('link', { name: label }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(label);
    await expect(page).toHaveURL(new RegExp(`/${label.toLowerCase()}$`));
  }
  // A reload keeps the session (token kept for this tab, session in its cookie) and deep links load the app shell.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Admin');
  await nav.getByRole('link', { name: 'System' }).click();
  await expect(page.getByTestId('system-info')).toContainText('serve');

  // An address with no page says so (it used to show System without a word); it links the sections.
  await page.goto(`${serve.origin}/reveiw`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('No such page');
  await expect(page.getByTestId('not-found')).toContainText('Strongroom has no page at /reveiw');
  await page.getByTestId('not-found').getByRole('link', { name: 'Review' }).click();
  await expect(page).toHaveURL(`${serve.origin}/review`);
  // A run id that cannot exist is named as wrong input, with no "Try again" that cannot help.
  await page.goto(`${serve.origin}/workflows/runs/not-a-run`);
  await expect(page.getByRole('alert')).toContainText('ERR_INPUT_INVALID');
  await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0);
});

test('the keyboard reaches the navigation through the skip link and the links', async ({ page }) => {
  await signInLocally(page, serve);
  await expect(page.getByTestId('system-info')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  // The top bar's user menu comes before the section navigation.
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('user-menu')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Drafts' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Drafts');
});

test('without the token the page explains how to open it and the API refuses', async ({ page, request }) => {
  await page.goto(serve.origin);
  await expect(page.getByRole('alert')).toContainText('strongroom serve');
  const noToken = await request.post(`${serve.origin}/api/system.info`, { data: {} });
  expect(noToken.status()).toBe(401);
  const foreign = await request.post(`${serve.origin}/api/system.info`, { data: {}, headers: { authorization: `Bearer ${serve.token}`, origin: 'http://attacker.example' } });
  expect(foreign.status()).toBe(403);
});
