import { expect, test } from '@playwright/test';
import { expectNoSeriousA11yViolations } from './support/a11y.ts';
import { callFromPage, valueFromPage } from './support/api.ts';
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

test('serve stops: the header says so at once; serve restarts (a new token): the open tab says to open the new address, with nothing to retry', async ({ page }, testInfo) => {
  // Its own installation, restarted on the same port (the session cookie's name carries the port).
  const first = await startServe();
  const port = new URL(first.origin).port;
  let second: ServeHandle | undefined;
  try {
    await signInLocally(page, first);
    const status = page.getByTestId('connection-status');
    await expect(status).toHaveText('Connected');
    expect(await first.stop()).toBe(0);
    // The event stream closed: said at once, not after 45 s without a heartbeat.
    await expect(status).toHaveText('Connection lost', { timeout: 5_000 });
    await expect(status).toHaveAttribute('role', 'status');

    second = await startServe({ dataDir: first.dataDir, masterKey: first.masterKey, adminPassphrase: first.adminPassphrase, args: ['--port', port] });
    // The stream reconnects, and the new serve refuses the old token (HTTP 401): the page says why and what to do.
    const refused = page.getByTestId('token-refused');
    await expect(refused).toContainText('Strongroom was restarted', { timeout: 20_000 });
    await expect(refused).toContainText('Open the new address printed by strongroom serve');
    await expect(refused).toHaveAttribute('role', 'alert');
    await expect(status).toHaveText('Connection lost: open the new address');
    // What the page showed stays, to copy from; a call now is refused with the same words and no "Try again".
    await expect(page.getByTestId('system-info')).toBeVisible();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click();
    await expect(page.getByRole('main').getByRole('alert').first()).toContainText('Strongroom was restarted');
    await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath('token-refused.png'), fullPage: true });
    await expectNoSeriousA11yViolations(page, 'a page whose token a restarted serve refuses');

    // A reload with the old token says only that.
    await page.reload();
    await expect(page.getByRole('alert')).toContainText('Open the new address printed by strongroom serve');
    await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0);

    // The new address works, still signed in.
    await page.goto(second.url);
    await expect(page.getByTestId('connection-status')).toHaveText('Connected');
    await expect(page.getByTestId('token-refused')).toHaveCount(0);
  } finally {
    if (second) expect(await second.stop()).toBe(0);
    else await first.stop();
  }
});

test('a tab still showing one account does nothing after another tab switched the session to another account', async ({ page, context }) => {
  await signInLocally(page, serve);
  await valueFromPage(page, 'admin.accounts.create', { name: 'Second Desk' });
  await page.reload();
  await expect(page.getByTestId('account-switcher')).toContainText('Default');
  // A second tab of the same browser shares the session, and switches it to the other account.
  const other = await context.newPage();
  await other.goto(serve.url);
  await other.getByTestId('account-switcher').click();
  await other.getByRole('button', { name: /^Second Desk/ }).click();
  await expect(other.getByRole('status').filter({ hasText: 'Now working in Second Desk.' })).toBeAttached();
  // The first tab still shows Default: what it asks now is refused, not done in Second Desk.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Models' }).click();
  const refused = page.getByRole('main').getByRole('alert').first();
  await expect(refused).toContainText('Strongroom was switched to another account in another tab or window');
  await expect(refused).toContainText('ERR_AUTH_ACCOUNT_CHANGED');
  await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0);
  // Nor is a run started from it in the account the session switched to.
  const status = await valueFromPage<{ accounts: Array<{ id: string; name: string }> }>(page, 'auth.status', {});
  const defaultId = status.accounts.find((account) => account.name === 'Default')!.id;
  expect(await callFromPage(page, 'runs.start', { workflowId: 'sar-narrative', input: {} }, { account: defaultId })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_ACCOUNT_CHANGED' } });
  expect(await valueFromPage<unknown[]>(page, 'runs.list', {})).toEqual([]);
  // Continuing shows the account now chosen.
  await page.getByRole('button', { name: 'Continue in the account now chosen' }).click();
  await expect(page.getByTestId('account-switcher')).toContainText('Second Desk');
  await other.close();
});

