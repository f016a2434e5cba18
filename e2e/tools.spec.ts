import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { expectNoSeriousA11yViolations, watchCspViolations } from './support/a11y.ts';
import { valueFromPage } from './support/api.ts';
import { signInLocally } from './support/auth.ts';
import { startServe } from './support/serve.ts';
import type { ServeHandle } from './support/serve.ts';

// The installation administrator configures MCP servers on the Tools page instead of the CLI:
// refusals named beside their fields with nothing typed lost, a stdio server whose tools appear
// once allowed, and a removal after a confirmation that takes the server's allow-list entries too.

let serve: ServeHandle;

test.beforeAll(async () => {
  serve = await startServe();
});

test.afterAll(async () => {
  expect(await serve.stop()).toBe(0);
});

/** A loopback port nothing listens on: a server that is down, as it may be on the day it is added. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

type AuditEntries = { entries: Array<{ action: string; resource: string | null; outcome: string; details: Record<string, unknown> }> };

test('an installation administrator adds MCP servers on the Tools page and removes one after a confirmation, with its allow-list entries', async ({ page }, testInfo) => {
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Tools' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tools');
  const manage = page.getByTestId('manage-mcp-servers');
  await manage.getByText('Add or remove MCP servers').click();
  await expect(manage.getByTestId('no-installation-mcp-servers')).toBeVisible();

  // An HTTP server: a URL without its scheme is refused beside the field, and nothing typed is lost.
  const form = manage.getByTestId('add-mcp-server-form');
  await form.getByLabel('Name', { exact: true }).fill('crm');
  await form.getByRole('radio', { name: 'HTTP: a server at a URL' }).check();
  const url = form.getByLabel('URL', { exact: true });
  await url.fill('crm.bank.internal/mcp');
  await form.getByRole('button', { name: 'Add MCP server' }).click();
  await expect(form.getByTestId('field-error-url')).toBeVisible();
  await expect(url).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByRole('alert')).toContainText('Some fields need attention');
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue('crm');
  await expect(url).toHaveValue('crm.bank.internal/mcp');
  await page.screenshot({ path: testInfo.outputPath('tools-mcp-add-refused.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the add-an-MCP-server form with a refusal');

  // This serve runs on STRONGROOM_MASTER_KEY (a read-only secret store): a token cannot be kept.
  const address = `http://127.0.0.1:${await closedPort()}/mcp`;
  await url.fill(address);
  const token = form.getByLabel('Bearer token (optional)');
  await expect(token).toHaveAttribute('type', 'password');
  await token.fill('mcp-token-never-shown-5e2a');
  await form.getByRole('button', { name: 'Add MCP server' }).click();
  await expect(form.getByRole('alert')).toContainText('ERR_SECRETS_UNAVAILABLE');
  await expect(url).toHaveValue(address);
  await expect(url).not.toHaveAttribute('aria-invalid', 'true');
  await expect(token).toHaveValue('mcp-token-never-shown-5e2a');
  await token.fill('');
  await form.getByRole('button', { name: 'Add MCP server' }).click();
  // Added although nothing answers there: it is tried once, and the page says why it is down.
  await expect(manage.getByRole('status')).toContainText('MCP server crm added, but it could not be reached when tried: Its host could not be reached');
  await expect(manage.getByTestId('mcp-server-crm')).toContainText(address);
  await expect(manage.getByTestId('mcp-server-crm-status')).toContainText('Not reachable: Its host could not be reached');
  // Test connection tries it again; the result takes the focus (the button was disabled meanwhile).
  await manage.getByRole('button', { name: 'Test connection to crm' }).click();
  await expect(manage.getByTestId('mcp-server-crm-status')).toBeFocused();
  await expect(manage.getByTestId('mcp-server-crm-status')).toContainText('Not reachable: Its host could not be reached');
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue('');

  // A stdio server (the test server): an argument per line, environment names by comma.
  const stdioServer = join(process.cwd(), 'core/workflows/tools/testing/stdioTestServer.ts');
  await form.getByLabel('Name', { exact: true }).fill('sanctions');
  await form.getByRole('radio', { name: 'stdio: a command started on this machine' }).check();
  await form.getByLabel('Command', { exact: true }).fill(process.execPath);
  await form.getByLabel('Arguments (optional)').fill(`${stdioServer}\n`);
  const inheritEnv = form.getByLabel('Environment variables to pass through (optional)');
  await inheritEnv.fill('HOME, CRM-KEY');
  await form.getByRole('button', { name: 'Add MCP server' }).click();
  await expect(form.getByTestId('field-error-inheritEnv')).toContainText('“CRM-KEY”');
  await expect(inheritEnv).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Command', { exact: true })).toHaveValue(process.execPath);
  await inheritEnv.fill('HOME');
  await form.getByRole('button', { name: 'Add MCP server' }).click();
  await expect(manage.getByRole('status')).toContainText('MCP server sanctions added and connected (8 tools).');
  await expect(manage.getByTestId('mcp-server-sanctions')).toContainText(stdioServer);
  await expect(manage.getByTestId('mcp-server-sanctions-status')).toHaveText('Connected: 8 tools.');
  const servers = await valueFromPage<Array<{ name: string; transport: string; args: string[]; inheritEnv: string[]; url: string | null; hasToken: boolean; status: { state: string; reason: string | null } }>>(page, 'tools.mcp.list', {});
  expect(servers.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
    expect.objectContaining({ name: 'crm', transport: 'http', url: address, hasToken: false, status: expect.objectContaining({ state: 'failed', reason: 'unreachable' }) }),
    expect.objectContaining({ name: 'sanctions', transport: 'stdio', args: [stdioServer], inheritEnv: ['HOME'], status: expect.objectContaining({ state: 'connected' }) }),
  ]);
  expect(JSON.stringify(servers)).not.toContain('mcp-token-never-shown');

  // Both allowed in this account from the allow-list, which lists the servers just added.
  const allowList = page.getByTestId('allow-list');
  await allowList.getByText('MCP servers configured on this installation').click();
  await allowList.getByRole('button', { name: 'Allow every tool of crm' }).click();
  await allowList.getByRole('button', { name: 'Allow every tool of sanctions' }).click();
  await allowList.getByRole('button', { name: 'Save the allow-list' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'may now use, beyond the built-ins: crm.*, sanctions.*' })).toContainText('But crm is not connected: see below.');
  const list = page.getByTestId('tool-list');
  await expect(list.getByTestId('tool-sanctions.transfer')).toContainText('MCP server sanctions', { timeout: 30_000 });
  // Allowed but down reads as such — never "no MCP server's tools are allowed" — with the state of each allowed server.
  await expect(page.getByTestId('no-mcp-tools')).toHaveCount(0);
  await expect(page.getByTestId('mcp-server-down')).toContainText('crm.* is allowed, but MCP server crm is not connected');
  await expect(page.getByTestId('allowed-server-sanctions-status')).toHaveText('Connected: 8 tools.');
  await page.getByTestId('allowed-servers').getByRole('button', { name: 'Test connection to crm' }).click();
  await expect(page.getByTestId('allowed-server-crm-status')).toBeFocused();
  await expect(page.getByTestId('allowed-server-crm-status')).toContainText('Not reachable');

  // Remove asks first and says the allow-list entries go too; keeping it returns focus to the button.
  const remove = manage.getByTestId('mcp-server-crm').getByRole('button', { name: 'Remove crm' });
  await remove.click();
  const dialog = page.getByTestId('remove-mcp-server-dialog');
  await expect(dialog).toContainText('removed from the allow-list of every account');
  await expect(dialog.getByRole('button', { name: 'Keep the server' })).toBeFocused();
  await page.screenshot({ path: testInfo.outputPath('tools-mcp-remove-confirm.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the remove-an-MCP-server dialog');
  await dialog.getByRole('button', { name: 'Keep the server' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(remove).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(remove).toBeFocused();
  await expect(manage.getByTestId('mcp-server-crm')).toBeVisible();

  await remove.click();
  await dialog.getByRole('button', { name: 'Remove the server' }).click();
  await expect(manage.getByRole('status')).toContainText('MCP server crm removed');
  await expect(manage.getByRole('status')).toBeFocused();
  await expect(manage.getByTestId('mcp-server-crm')).toHaveCount(0);
  await expect(manage.getByTestId('mcp-server-sanctions')).toBeVisible();
  // Its allow-list entry went with it, on the page and in the API; the other server's stayed.
  await expect(allowList.locator('.allow-entries')).toContainText('sanctions.*');
  await expect(allowList.locator('.allow-entries')).not.toContainText('crm.*');
  const { activeAccount } = await valueFromPage<{ activeAccount: { id: string } }>(page, 'auth.status', {});
  expect(await valueFromPage(page, 'tools.allow.get', { accountId: activeAccount.id })).toEqual({ accountId: activeAccount.id, entries: ['sanctions.*'] });
  await page.screenshot({ path: testInfo.outputPath('tools-mcp-removed.png'), fullPage: true });

  // Every change is in the audit log, the removal with the allow-list entries it took.
  const audit = await valueFromPage<AuditEntries>(page, 'audit.list', { action: 'tools.mcp.', outcome: 'success' });
  const changes = audit.entries.map((entry) => `${entry.action} ${entry.resource}`);
  expect(changes).toEqual(expect.arrayContaining(['tools.mcp.add mcp-server:crm', 'tools.mcp.add mcp-server:sanctions', 'tools.mcp.remove mcp-server:crm']));
  expect(audit.entries.find((entry) => entry.action === 'tools.mcp.remove')?.details).toMatchObject({ transport: 'http', allowEntriesRemoved: 1 });
  expect(audit.entries.find((entry) => entry.resource === 'mcp-server:crm' && entry.action === 'tools.mcp.add')?.details).toMatchObject({ token: false });
  expect(csp()).toEqual([]);
});
