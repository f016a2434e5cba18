import { expect, test } from '@playwright/test';
import type { Browser, Page } from '@playwright/test';
import { rolePermissions } from '../core/contracts/index.ts';
import { startTestIdp } from '../core/identity/testing/testIdp.ts';
import type { TestIdp } from '../core/identity/testing/testIdp.ts';
import { callFromPage, valueFromPage } from './support/api.ts';
import { expectNoSeriousA11yViolations, watchCspViolations } from './support/a11y.ts';
import { signInLocally } from './support/auth.ts';
import { loopbackOnly, signInThroughIdp } from './support/idp.ts';
import { newDataDir, newMasterKey, startServe, strongroom } from './support/serve.ts';
import type { ServeHandle } from './support/serve.ts';

// Issue 4 (identity) in a real browser against `strongroom serve`: local mode first, then an
// installation switched to a real OpenID provider, with three people in three separate browsers.

const heading = (page: Page) => page.getByRole('heading', { level: 1 });
const adminNav = (page: Page) => page.getByRole('navigation', { name: 'Admin sections' });

test.describe('local mode', () => {
  let serve: ServeHandle;

  test.beforeAll(async () => {
    serve = await startServe();
  });

  test.afterAll(async () => {
    expect(await serve.stop()).toBe(0);
  });

  test('the local administrator signs in with the passphrase, sees Local mode, and signs out', async ({ page }, testInfo) => {
    const cspViolations = watchCspViolations(page);
    await page.goto(serve.url);
    await expect(heading(page)).toHaveText('Sign in to Strongroom');
    await expect(page.getByTestId('mode-badge')).toHaveText('Local mode');
    await expectNoSeriousA11yViolations(page, 'the local sign-in page');
    await page.screenshot({ path: testInfo.outputPath('local-1-signin.png'), fullPage: true });

    const passphrase = page.getByLabel('Local administrator passphrase');
    await passphrase.fill('not-the-passphrase');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.getByTestId('signin-error');
    await expect(error).toHaveAttribute('role', 'alert');
    await expect(error).toContainText('That passphrase is not correct.');
    await expect(error).toContainText('ERR_AUTH_SIGNIN_FAILED');
    await expect(passphrase).toHaveAttribute('aria-invalid', 'true');
    await expect(passphrase).toBeFocused();
    await expectNoSeriousA11yViolations(page, 'the sign-in page with an error');
    await page.screenshot({ path: testInfo.outputPath('local-2-wrong-passphrase.png'), fullPage: true });

    await passphrase.fill(serve.adminPassphrase);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(`${serve.origin}/system`);
    await expect(page.getByTestId('system-info')).toContainText('serve');
    await expect(page.getByRole('banner').getByTestId('mode-badge')).toHaveText('Local mode');
    await expect(page.getByTestId('account-current')).toHaveText('Account: Default · admin');
    await expect(page.getByTestId('connection-status')).toHaveText('Connected');
    await page.screenshot({ path: testInfo.outputPath('local-3-signed-in.png'), fullPage: true });

    // The session survives a reload (HttpOnly cookie) ...
    await page.reload();
    await expect(page.getByTestId('system-info')).toBeVisible();
    // ... and the user menu, reached by keyboard, signs out back to the sign-in page.
    const menu = page.getByTestId('user-menu');
    await menu.focus();
    await page.keyboard.press('Enter');
    await expect(menu).toHaveAttribute('aria-expanded', 'true');
    await expect(page.getByText('Local administrator passphrase (local mode)')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(menu).toHaveAttribute('aria-expanded', 'false');
    await expect(menu).toBeFocused();
    await menu.click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(heading(page)).toHaveText('Sign in to Strongroom');
    await page.reload();
    await expect(heading(page)).toHaveText('Sign in to Strongroom');
    expect((await callFromPage(page, 'system.info', {})).error?.code).toBe('ERR_AUTH_UNAUTHENTICATED');
    await page.screenshot({ path: testInfo.outputPath('local-4-signed-out.png'), fullPage: true });
    expect(cspViolations()).toEqual([]);
  });

  test('Admin: create an account, switch to it, map and unmap groups, cap a role, require four-eyes, reject a bad IdP, delete the account', async ({ page }, testInfo) => {
    const cspViolations = watchCspViolations(page);
    await signInLocally(page, serve);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).click();
    await expect(heading(page)).toHaveText('Admin');
    const accounts = page.getByTestId('accounts-table');
    await expect(accounts.getByRole('row', { name: /Default/ })).toContainText('administration account');
    await expectNoSeriousA11yViolations(page, 'Admin: accounts');

    // Validation errors from the API appear beside the field.
    const name = page.getByLabel('Account name');
    await name.fill('Risk/Ops');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByTestId('field-error-name')).toContainText('letters, digits, spaces');
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await name.fill('Credit Risk');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Account Credit Risk created.' })).toBeVisible();
    await expect(accounts.getByRole('row', { name: /Credit Risk/ })).toBeVisible();
    // Members counts whom the Members page lists: the local administrator is in every account.
    await expect(accounts.getByRole('row', { name: /Credit Risk/ }).getByRole('cell').nth(1)).toHaveText('1');
    await page.screenshot({ path: testInfo.outputPath('admin-1-accounts.png'), fullPage: true });

    // The local administrator is in every account, so the account switcher appears.
    const switcher = page.getByTestId('account-switcher');
    await expect(switcher).toContainText('Default · admin');
    await switcher.click();
    await page.getByRole('button', { name: /^Credit Risk/ }).click();
    await expect(switcher).toContainText('Credit Risk · admin');
    // Acting in Credit Risk, the local administrator manages that account only: no IdP, no new accounts.
    await expect(adminNav(page).getByRole('link', { name: 'Identity provider' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Create account' })).toHaveCount(0);
    await switcher.click();
    await page.getByRole('button', { name: /^Default/ }).click();
    await expect(switcher).toContainText('Default · admin');
    await expect(adminNav(page).getByRole('link', { name: 'Identity provider' })).toBeVisible();

    // Group mappings, for the chosen account.
    await adminNav(page).getByRole('link', { name: 'Group mappings' }).click();
    await expect(page.getByRole('heading', { level: 2 })).toHaveText('Group mappings');
    await page.getByLabel('Account', { exact: true }).selectOption({ label: 'Credit Risk' });
    await expect(page.getByText('No groups are mapped to Credit Risk')).toBeVisible();
    await page.getByLabel('Directory group').fill('credit-analysts');
    await page.getByLabel('Role in Credit Risk').selectOption('analyst');
    await page.getByRole('button', { name: 'Map group' }).click();
    const mappings = page.getByTestId('group-mappings');
    await expect(mappings.getByRole('row', { name: /credit-analysts/ })).toContainText('analyst');
    // Focus moves to what happened, not to the page; mapping it again changes nothing and says so.
    const mappingsStatus = page.getByTestId('mappings-status');
    await expect(mappingsStatus).toBeFocused();
    await page.getByLabel('Directory group').fill('credit-analysts');
    await page.getByLabel('Role in Credit Risk').selectOption('analyst');
    await page.getByRole('button', { name: 'Map group' }).click();
    await expect(mappingsStatus).toContainText('was already mapped to analyst');
    await expect(mappings.getByRole('row', { name: /credit-analysts/ })).toHaveCount(1);
    // A second mapping, then removed again.
    await page.getByLabel('Directory group').fill('contractors');
    await page.getByLabel('Role in Credit Risk').selectOption('auditor');
    await page.getByRole('button', { name: 'Map group' }).click();
    await expect(mappings.getByRole('row', { name: /contractors/ })).toContainText('auditor');
    // Removing asks first (Escape keeps it, focus back on its button), then focus goes to the announcement.
    const removeContractors = page.getByRole('button', { name: 'Remove mapping contractors → auditor' });
    await removeContractors.click();
    const removeDialog = page.getByTestId('remove-mapping-dialog');
    await expect(removeDialog).toContainText('lose the auditor role');
    await page.keyboard.press('Escape');
    await expect(removeDialog).toHaveCount(0);
    await expect(removeContractors).toBeFocused();
    await removeContractors.click();
    await removeDialog.getByRole('button', { name: 'Remove the mapping' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Group contractors unmapped' })).toBeVisible();
    await expect(mappingsStatus).toBeFocused();
    await expect(mappings.getByRole('row', { name: /contractors/ })).toHaveCount(0);
    await expect(mappings.getByRole('row', { name: /credit-analysts/ })).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'Admin: group mappings');
    await page.screenshot({ path: testInfo.outputPath('admin-2-group-mapped.png'), fullPage: true });

    await adminNav(page).getByRole('link', { name: 'Members and roles' }).click();
    await expect(page.getByTestId('members-table').getByRole('row', { name: /Local administrator/ })).toContainText('admin');
    await expectNoSeriousA11yViolations(page, 'Admin: members and roles');

    // A boundary caps the analyst role in Credit Risk: drafts can no longer be exported there.
    await adminNav(page).getByRole('link', { name: 'Boundaries' }).click();
    await page.getByLabel('Account', { exact: true }).selectOption({ label: 'Credit Risk' });
    const analyst = page.getByTestId('boundary-analyst');
    await expect(analyst.getByRole('heading')).toContainText('No cap');
    await expect(analyst.getByRole('checkbox', { name: 'drafts.export' })).toBeDisabled();
    await analyst.getByRole('radio', { name: /Capped/ }).check();
    await analyst.getByRole('checkbox', { name: 'drafts.export' }).uncheck();
    await analyst.getByRole('button', { name: 'Save analyst boundary' }).click();
    const analystPermissions = rolePermissions.analyst.length;
    await expect(page.getByTestId('boundary-analyst').getByRole('heading')).toContainText(`Capped: ${analystPermissions - 1} of ${analystPermissions} permissions`);
    // The form is not rebuilt by its own save: the confirmation stays, and has the focus.
    const analystSaved = analyst.getByRole('status');
    await expect(analystSaved).toHaveText(`Saved: analyst capped to ${analystPermissions - 1} of ${analystPermissions} permissions.`);
    await expect(analystSaved).toBeFocused();
    // A cap on admin cannot drop what undoing it needs: those two stay ticked and fixed.
    await page.getByTestId('boundary-admin').getByRole('radio', { name: /Capped/ }).check();
    await expect(page.getByTestId('boundary-admin').getByRole('checkbox', { name: 'boundaries.manage' })).toBeDisabled();
    await expect(page.getByTestId('boundary-admin').getByRole('checkbox', { name: 'boundaries.manage' })).toBeChecked();
    await expectNoSeriousA11yViolations(page, 'Admin: boundaries');
    await page.screenshot({ path: testInfo.outputPath('admin-3-boundary.png'), fullPage: true });
    await page.reload();
    await page.getByLabel('Account', { exact: true }).selectOption({ label: 'Credit Risk' });
    await expect(page.getByTestId('boundary-analyst').getByRole('checkbox', { name: 'drafts.export' })).not.toBeChecked();
    await expect(page.getByTestId('boundary-analyst').getByRole('checkbox', { name: 'drafts.read' })).toBeChecked();

    // Maker–checker for Credit Risk: four-eyes on every approval there, on record.
    await adminNav(page).getByRole('link', { name: 'Approvals' }).click();
    await page.getByLabel('Account', { exact: true }).selectOption({ label: 'Credit Risk' });
    const policy = page.getByTestId('approval-policy');
    await expect(policy.getByRole('heading')).toHaveText('Four-eyes on every approval: off');
    // Local mode has one person: the panel warns that four-eyes would leave nobody to approve.
    await expect(page.getByTestId('four-eyes-local-mode')).toContainText('Local mode has one person');
    await policy.getByRole('button', { name: 'Require a second person on every approval' }).click();
    await expect(policy.getByRole('heading')).toHaveText('Four-eyes on every approval: on');
    await expect(policy).toContainText('a second person must');
    await expect(policy.getByRole('status')).toBeFocused();
    await expect(policy).toContainText('Last changed by Local administrator');
    await expect(page.getByTestId('four-eyes-local-mode')).toContainText('Nobody can approve here in local mode');
    await expectNoSeriousA11yViolations(page, 'Admin: approvals');
    const creditRisk = (await valueFromPage<Array<{ id: string; name: string }>>(page, 'admin.accounts.list', {})).find((a) => a.name === 'Credit Risk')!;
    expect(await valueFromPage(page, 'workflows.approvalPolicy.get', { accountId: creditRisk.id })).toMatchObject({ fourEyes: true, updatedBy: expect.any(String) });

    // The identity provider form: the API's validation errors appear beside their fields, and
    // nothing is saved (this installation stays in local mode).
    await adminNav(page).getByRole('link', { name: 'Identity provider' }).click();
    await expect(page.getByTestId('idp-summary')).toContainText('local mode');
    // Before saving, the page says the local session ends, and that no group administers afterwards yet.
    await expect(page.getByTestId('leave-local-mode')).toContainText('Your session as local administrator ends');
    await expect(page.getByTestId('admin-groups')).toContainText('No directory group is mapped to admin in Default yet');
    const save = page.getByRole('button', { name: 'Save identity provider' });
    await expect(save).toBeDisabled();
    await page.getByLabel('Issuer URL').fill('not a url');
    await page.getByLabel('Offline grace period (hours)').fill('9999');
    await page.getByRole('checkbox', { name: /I understand/ }).check();
    await save.click();
    await expect(page.getByRole('alert').filter({ hasText: 'ERR_INPUT_INVALID' })).toBeVisible();
    await expect(page.getByTestId('field-error-issuer')).toBeVisible();
    await expect(page.getByLabel('Issuer URL')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('field-error-clientId')).toBeVisible();
    await expect(page.getByTestId('field-error-offlineGraceHours')).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'Admin: identity provider with errors');
    await page.screenshot({ path: testInfo.outputPath('admin-4-idp-invalid.png'), fullPage: true });
    await expect(page.getByRole('banner').getByTestId('mode-badge')).toHaveText('Local mode');

    // Deleting an account asks for its name typed out and warns about crypto-shredding.
    await adminNav(page).getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('button', { name: 'Delete Credit Risk' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the account “Credit Risk”?' });
    await expect(dialog).toContainText('crypto-shredding');
    await expect(dialog).toContainText('cannot be undone');
    const confirm = dialog.getByRole('button', { name: 'Delete account permanently' });
    const typed = dialog.getByLabel(/Type the account’s name/);
    await expect(confirm).toBeDisabled();
    await typed.fill('credit risk');
    await expect(confirm).toBeDisabled();
    await typed.fill('Credit Risk');
    await expect(confirm).toBeEnabled();
    await expectNoSeriousA11yViolations(page, 'Admin: delete account dialog');
    await page.screenshot({ path: testInfo.outputPath('admin-5-delete-dialog.png'), fullPage: true });
    await confirm.click();
    await expect(dialog).toHaveCount(0);
    await expect(page.getByRole('status').filter({ hasText: 'Account Credit Risk deleted' })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'Account Credit Risk deleted' })).toBeFocused();
    await expect(accounts.getByRole('row', { name: /Credit Risk/ })).toHaveCount(0);
    // Only Default is left, so the switcher gives way to the account's name.
    await expect(page.getByTestId('account-current')).toHaveText('Account: Default · admin');
    expect(cspViolations()).toEqual([]);
  });

  test('Admin: the trace push is off by default; an endpoint is required to turn it on', async ({ page }, testInfo) => {
    await signInLocally(page, serve);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Trace push' }).click();
    await expect(page.getByTestId('trace-push-summary')).toContainText('Off');
    await page.getByLabel('Push spans to a collector').check();
    await page.getByRole('button', { name: 'Save trace push' }).click();
    await expect(page.getByTestId('field-error-endpoint')).toContainText('endpoint is required');
    await page.getByLabel(/Collector traces endpoint/).fill('https://collector.bank.internal:4318/v1/traces');
    await page.getByRole('button', { name: 'Save trace push' }).click();
    await expect(page.getByTestId('trace-push-summary')).toContainText('https://collector.bank.internal:4318/v1/traces, metadata only');
    await expectNoSeriousA11yViolations(page, 'Admin: trace push');
    await page.screenshot({ path: testInfo.outputPath('admin-trace-push.png'), fullPage: true });
    await page.getByLabel('Push spans to a collector').uncheck();
    await page.getByRole('button', { name: 'Save trace push' }).click();
    await expect(page.getByTestId('trace-push-summary')).toContainText('Off');
  });
});

test.describe('sessions that end', () => {
  let serve: ServeHandle;
  test.beforeAll(async () => { serve = await startServe(); });
  test.afterAll(async () => { expect(await serve.stop()).toBe(0); });

  test('signing out in one tab takes the other tabs of that browser to the sign-in page at once, saying why, with what they showed gone', async ({ browser }, testInfo) => {
    const context = await browser.newContext();
    const first = await context.newPage();
    await signInLocally(first, serve);
    // A second tab of the same browser: the launch address, and the session cookie they share.
    const second = await context.newPage();
    await second.goto(serve.url);
    await expect(second.getByTestId('user-menu')).toContainText('Local administrator');

    // Addresses with no page, opened by a full page load while signed in, say so (not /system).
    for (const path of ['/nonexistent', '/admin/accounts']) {
      await second.goto(`${serve.origin}${path}`);
      await expect(heading(second)).toHaveText('No such page');
      await expect(second.getByTestId('not-found')).toContainText(`Strongroom has no page at ${path}`);
      await expect(second).toHaveURL(`${serve.origin}${path}`);
    }

    await second.goto(`${serve.origin}/audit`);
    await expect(second.getByTestId('audit-entries')).toBeVisible();
    await first.getByTestId('user-menu').click();
    await first.getByRole('button', { name: 'Sign out' }).click();
    await expect(heading(first)).toHaveText('Sign in to Strongroom');

    // The other tab did nothing, yet it is on the sign-in page, says why, and shows none of the log.
    await expect(second).toHaveURL(`${serve.origin}/signin?ended=signed-out`);
    await expect(heading(second)).toHaveText('Sign in to Strongroom');
    await expect(second.getByTestId('signin-ended')).toContainText('You signed out of Strongroom in this browser');
    await expect(second.getByTestId('audit-entries')).toHaveCount(0);
    await expect(second.getByTestId('user-menu')).toHaveCount(0);
    await expect(second.getByRole('navigation', { name: 'Sections' })).toHaveCount(0);
    await expectNoSeriousA11yViolations(second, 'the sign-in page after a sign-out in another tab');
    await second.screenshot({ path: testInfo.outputPath('ended-1-signed-out-elsewhere.png'), fullPage: true });

    // Signing in again there continues at the page it showed.
    await second.getByLabel('Local administrator passphrase').fill(serve.adminPassphrase);
    await second.getByRole('button', { name: 'Sign in' }).click();
    await expect(second).toHaveURL(`${serve.origin}/audit`);
    await expect(second.getByTestId('audit-entries')).toBeVisible();
    await context.close();
  });

  test('a session the server ends goes to the sign-in page with its reason; another person\'s session hears nothing', async ({ browser }, testInfo) => {
    // Dana works in an account of her own; someone else, in another browser, deletes that account.
    const dana = await (await browser.newContext()).newPage();
    await signInLocally(dana, serve);
    const scratch = await valueFromPage<{ id: string }>(dana, 'admin.accounts.create', { name: 'Scratch' });
    await valueFromPage(dana, 'auth.switchAccount', { accountId: scratch.id });
    await dana.reload();
    await expect(dana.getByTestId('account-switcher')).toContainText('Scratch · admin');

    const other = await (await browser.newContext()).newPage();
    await signInLocally(other, serve);
    await valueFromPage(other, 'admin.accounts.delete', { accountId: scratch.id, confirmName: 'Scratch' });

    await expect(dana).toHaveURL(`${serve.origin}/signin?ended=access-removed`);
    await expect(dana.getByTestId('signin-ended')).toContainText('Your session ended: your access to Scratch was removed.');
    await expect(dana.getByTestId('user-menu')).toHaveCount(0);
    await dana.screenshot({ path: testInfo.outputPath('ended-2-access-removed.png'), fullPage: true });
    // The reason is the session holder's: the other browser is still signed in, in Default, told nothing.
    await expect(other).toHaveURL(`${serve.origin}/system`);
    await expect(other.getByTestId('user-menu')).toContainText('Local administrator');
    expect(await valueFromPage(other, 'auth.status', {})).toMatchObject({ signedIn: true, sessionEnded: null, activeAccount: { name: 'Default', roles: ['admin'] } });
    await dana.context().close();
    await other.context().close();
  });
});

test.describe('local mode lockout', () => {
  let serve: ServeHandle;
  test.beforeAll(async () => { serve = await startServe(); });
  test.afterAll(async () => { expect(await serve.stop()).toBe(0); });

  test('five wrong passphrases lock local sign-in and the page says for how long', async ({ page }, testInfo) => {
    await page.goto(serve.url);
    const passphrase = page.getByLabel('Local administrator passphrase');
    const error = page.getByTestId('signin-error');
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await passphrase.fill(`wrong passphrase ${attempt}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(error).toContainText('That passphrase is not correct.');
      // Each attempt answers afresh: wait for the button to come back before the next one.
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    }
    await passphrase.fill(serve.adminPassphrase);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(error).toContainText(/Too many wrong passphrases: sign-in is locked for \d+ more seconds?/);
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
    await page.screenshot({ path: testInfo.outputPath('local-5-locked.png'), fullPage: true });
  });
});

test.describe('enterprise mode: signing in through the IdP', () => {
  test.describe.configure({ mode: 'serial' });
  let idp: TestIdp;
  let serve: ServeHandle;

  async function personalBrowser(browser: Browser): Promise<Page> {
    const context = await browser.newContext();
    await loopbackOnly(context);
    const page = await context.newPage();
    await page.goto(serve.url);
    await expect(page.getByRole('link', { name: 'Sign in with your organisation' })).toBeVisible();
    return page;
  }

  test.beforeAll(async () => {
    idp = await startTestIdp({
      users: [
        { login: 'alice', name: 'Alice Analyst', email: 'alice@bank.example', groups: ['credit-analysts'] },
        { login: 'bob', name: 'Bob Reviewer', email: 'bob@bank.example', groups: ['kyc-reviewers'] },
        { login: 'carol', name: 'Carol Admin', email: 'carol@bank.example', groups: ['strongroom-admins'] },
      ],
    });
    // The operator sets the installation up from a terminal, before anyone opens it.
    const installation = { dataDir: newDataDir(), masterKey: newMasterKey() };
    await strongroom(['init'], installation);
    await strongroom(['admin', 'accounts', 'create', 'Credit Risk'], installation);
    // An admin group first: the IdP is refused while nobody signing in through it could administer.
    await strongroom(['admin', 'map-group', 'strongroom-admins', '--account', 'Default', '--role', 'admin'], installation);
    await strongroom(['admin', 'map-group', 'credit-analysts', '--account', 'Credit Risk', '--role', 'analyst'], installation);
    await strongroom(['admin', 'idp', 'set', '--issuer', idp.issuer, '--client-id', idp.clientId, '--algs', 'RS256'], installation);
    serve = await startServe(installation);
  });

  test.afterAll(async () => {
    expect(await serve.stop()).toBe(0);
    await idp.stop();
  });

  test('sign-in page offers the IdP only, and is accessible', async ({ browser }, testInfo) => {
    const page = await personalBrowser(browser);
    await expect(heading(page)).toHaveText('Sign in to Strongroom');
    await expect(page.getByText(idp.issuer)).toBeVisible();
    await expect(page.getByTestId('mode-badge')).toHaveCount(0);
    await expect(page.getByLabel('Local administrator passphrase')).toHaveCount(0);
    // Local sign-in is off for the API too, not just hidden.
    expect((await callFromPage(page, 'auth.signInLocal', { passphrase: serve.adminPassphrase })).error?.code).toBe('ERR_AUTH_NOT_CONFIGURED');
    await expectNoSeriousA11yViolations(page, 'the IdP sign-in page');
    await page.screenshot({ path: testInfo.outputPath('oidc-1-signin.png'), fullPage: true });
    await page.context().close();
  });

  let bobPage: Page;

  test('alice signs in through the IdP and sees only Credit Risk', async ({ browser }, testInfo) => {
    const page = await personalBrowser(browser);
    await signInThroughIdp(page, { serveOrigin: serve.origin, login: 'alice' });
    await expect(page).toHaveURL(`${serve.origin}/system`);
    await expect(page.getByTestId('user-menu')).toContainText('Alice Analyst');
    await expect(page.getByTestId('account-current')).toHaveText('Account: Credit Risk · analyst');
    await expect(page.getByTestId('account-switcher')).toHaveCount(0);
    await expect(page.getByTestId('mode-badge')).toHaveCount(0);
    // An analyst has no Admin section, and a deep link says so instead of failing.
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await expect(nav.getByRole('link', { name: 'Drafts' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Admin' })).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath('oidc-2-alice-credit-risk.png'), fullPage: true });
    await page.goto(`${serve.origin}/admin`);
    await expect(page.getByTestId('no-permission')).toContainText('Credit Risk');
    // The server agrees: alice's session lists one account, and Default's data is refused.
    const listed = await callFromPage<Array<{ name: string }>>(page, 'admin.accounts.list', {});
    expect(listed.value!.map((a) => a.name)).toEqual(['Credit Risk']);
    const status = await callFromPage(page, 'auth.status', {});
    expect((status.value as { accounts: Array<{ name: string }> }).accounts.map((a) => a.name)).toEqual(['Credit Risk']);
    await page.context().close();
  });

  test('bob signs in, and is told plainly that no account is open to him', async ({ browser }, testInfo) => {
    bobPage = await personalBrowser(browser);
    await signInThroughIdp(bobPage, { serveOrigin: serve.origin, login: 'bob' });
    await expect(bobPage).toHaveURL(`${serve.origin}/signin?error=ERR_AUTH_NO_ACCESS`);
    const problem = bobPage.getByTestId('signin-problem');
    await expect(problem).toHaveAttribute('role', 'alert');
    await expect(problem).toContainText('no account on this installation is open to you yet');
    await expect(problem).toContainText('ERR_AUTH_NO_ACCESS');
    await expect(bobPage.getByRole('link', { name: 'Sign in with your organisation' })).toBeVisible();
    await expectNoSeriousA11yViolations(bobPage, 'the sign-in page after a refused sign-in');
    await bobPage.screenshot({ path: testInfo.outputPath('oidc-3-bob-no-access.png'), fullPage: true });
  });

  test('carol, an administrator, maps kyc-reviewers to reviewer on Credit Risk', async ({ browser }, testInfo) => {
    const page = await personalBrowser(browser);
    await signInThroughIdp(page, { serveOrigin: serve.origin, login: 'carol' });
    await expect(page.getByTestId('user-menu')).toContainText('Carol Admin');
    await expect(page.getByTestId('account-current')).toHaveText('Account: Default · admin');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).click();
    // Carol administers the installation: every account, and the IdP the CLI configured.
    await expect(page.getByTestId('accounts-table').getByRole('row', { name: /Credit Risk/ })).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'Admin: accounts (enterprise mode)');
    await adminNav(page).getByRole('link', { name: 'Identity provider' }).click();
    await expect(page.getByTestId('idp-summary')).toContainText(idp.issuer);
    await expect(page.getByLabel('Issuer URL')).toHaveValue(idp.issuer);
    await expect(page.getByLabel('Client ID')).toHaveValue(idp.clientId);
    await expectNoSeriousA11yViolations(page, 'Admin: identity provider (enterprise mode)');

    await adminNav(page).getByRole('link', { name: 'Group mappings' }).click();
    await page.getByLabel('Account', { exact: true }).selectOption({ label: 'Credit Risk' });
    const mappings = page.getByTestId('group-mappings');
    await expect(mappings.getByRole('row', { name: /credit-analysts/ })).toContainText('analyst');
    await page.getByLabel('Directory group').fill('kyc-reviewers');
    await page.getByLabel('Role in Credit Risk').selectOption('reviewer');
    await page.getByRole('button', { name: 'Map group' }).click();
    await expect(mappings.getByRole('row', { name: /kyc-reviewers/ })).toContainText('reviewer');
    await expect(page.getByRole('status').filter({ hasText: 'next sign-in' })).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'Admin: group mappings (enterprise mode)');
    await page.screenshot({ path: testInfo.outputPath('oidc-4-carol-maps-group.png'), fullPage: true });

    // Alice, who signed in earlier, is a member of Credit Risk through her group.
    await adminNav(page).getByRole('link', { name: 'Members and roles' }).click();
    await page.getByLabel('Account', { exact: true }).selectOption({ label: 'Credit Risk' });
    await expect(page.getByTestId('members-table').getByRole('row', { name: /Alice Analyst/ })).toContainText('analyst');
    await expectNoSeriousA11yViolations(page, 'Admin: members (enterprise mode)');
    await page.context().close();
  });

  // eslint-disable-next-line no-empty-pattern -- Playwright requires the fixtures pattern; bob's browser is kept from before.
  test('bob signs in again and now gets into Credit Risk as a reviewer', async ({}, testInfo) => {
    // Same browser as his refused attempt: the IdP still knows him, the mapping applies at this sign-in.
    await bobPage.goto(`${serve.origin}/`);
    await signInThroughIdp(bobPage, { serveOrigin: serve.origin, login: 'bob' });
    await expect(bobPage).toHaveURL(`${serve.origin}/system`);
    await expect(bobPage.getByTestId('user-menu')).toContainText('Bob Reviewer');
    await expect(bobPage.getByTestId('account-current')).toHaveText('Account: Credit Risk · reviewer');
    const nav = bobPage.getByRole('navigation', { name: 'Sections' });
    await expect(nav.getByRole('link', { name: 'Review' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Admin' })).toHaveCount(0);
    await bobPage.screenshot({ path: testInfo.outputPath('oidc-5-bob-reviewer.png'), fullPage: true });

    // Signing out returns to the IdP button.
    await bobPage.getByTestId('user-menu').click();
    await bobPage.getByRole('button', { name: 'Sign out' }).click();
    await expect(bobPage.getByRole('link', { name: 'Sign in with your organisation' })).toBeVisible();
    await bobPage.context().close();
  });

  test('alice\'s open page drops what a new boundary takes, without a reload; carol ends her session from Admin → Sessions and alice\'s page says an administrator ended it', async ({ browser }, testInfo) => {
    const alice = await personalBrowser(browser);
    await signInThroughIdp(alice, { serveOrigin: serve.origin, login: 'alice' });
    await alice.goto(`${serve.origin}/workflows/credit-memo`);
    const runLink = alice.getByRole('link', { name: 'Run this workflow' });
    await expect(runLink).toBeVisible();
    // Anything the page keeps in memory survives only if it is not reloaded.
    await alice.evaluate(() => { (globalThis as unknown as { notReloaded: boolean }).notReloaded = true; });

    const carol = await personalBrowser(browser);
    await signInThroughIdp(carol, { serveOrigin: serve.origin, login: 'carol' });
    const creditRisk = (await valueFromPage<Array<{ id: string; name: string }>>(carol, 'admin.accounts.list', {})).find((account) => account.name === 'Credit Risk');
    await valueFromPage(carol, 'admin.boundaries.set', { accountId: creditRisk!.id, role: 'analyst', permissions: rolePermissions.analyst.filter((p) => p !== 'runs.start') });
    // Alice's page follows at once: the button is gone, the page was not reloaded, and the server agrees.
    await expect(runLink).toHaveCount(0);
    await expect(alice.getByRole('heading', { level: 1 })).toBeVisible();
    expect(await alice.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect((await callFromPage(alice, 'runs.start', { workflowId: 'credit-memo', input: {} })).error?.code).toBe('ERR_AUTH_FORBIDDEN');
    await alice.screenshot({ path: testInfo.outputPath('oidc-6-alice-boundary-followed.png'), fullPage: true });

    await carol.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).click();
    await adminNav(carol).getByRole('link', { name: 'Sessions' }).click();
    const sessions = carol.getByTestId('sessions-table');
    // Alice may still have a session from her earlier sign-in (that browser was closed, not signed out).
    await expect(sessions.getByRole('row', { name: /Alice Analyst/ }).first()).toContainText('Credit Risk');
    // Carol's own session is marked (she may have an older one too, from an earlier sign-in).
    await expect(sessions.getByRole('row', { name: /Carol Admin/ }).filter({ hasText: 'your session' })).toHaveCount(1);
    await expectNoSeriousA11yViolations(carol, 'Admin: sessions');
    // By keyboard: "End all sessions of Alice Analyst…" opens its confirmation, the keep button first;
    // Escape keeps them, and focus comes back.
    const endAll = carol.getByRole('button', { name: 'End all sessions of Alice Analyst…' });
    await endAll.focus();
    await carol.keyboard.press('Enter');
    const dialog = carol.getByTestId('end-session-dialog');
    await expect(dialog).toContainText('Every session of Alice Analyst that you administer ends at once');
    await expect(dialog.getByRole('button', { name: 'Keep the sessions' })).toBeFocused();
    await carol.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(endAll).toBeFocused();
    expect((await callFromPage(alice, 'auth.status', {})).value).toMatchObject({ signedIn: true });

    // Her newest session (rows go oldest first) is the one her open page uses: end it.
    await carol.getByRole('button', { name: /^End session… \(Alice Analyst, started / }).last().click();
    await expect(dialog).toContainText('ends at once: their open pages go to the sign-in page');
    await carol.screenshot({ path: testInfo.outputPath('oidc-7-carol-ends-session.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'End the session' }).click();
    await expect(carol.getByTestId('sessions-status')).toHaveText('Alice Analyst’s session ended. Their open pages now show the sign-in page, saying an administrator ended the session.');
    await expect(carol.getByTestId('sessions-status')).toBeFocused();

    // Alice did nothing, yet her page is on the sign-in page saying why, with nothing of the app left.
    await expect(alice).toHaveURL(`${serve.origin}/signin?ended=ended-by-admin`);
    await expect(alice.getByTestId('signin-ended')).toContainText('An administrator ended your session');
    await expect(alice.getByTestId('user-menu')).toHaveCount(0);
    await alice.screenshot({ path: testInfo.outputPath('oidc-8-alice-ended-by-admin.png'), fullPage: true });
    // Carol's session goes on (the end is audited in Credit Risk: core/identity/sessionAdmin.test.ts).
    expect((await callFromPage(carol, 'auth.status', {})).value).toMatchObject({ signedIn: true, user: { displayName: 'Carol Admin' } });
    await alice.context().close();
    await carol.context().close();
  });
});
