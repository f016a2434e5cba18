import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { expectNoSeriousA11yViolations, watchCspViolations } from './support/a11y.ts';
import { valueFromPage } from './support/api.ts';
import { signInLocally } from './support/auth.ts';
import { startServe, strongroom } from './support/serve.ts';
import type { ServeHandle } from './support/serve.ts';

// Issue 9 (audit) in a real browser against `strongroom serve`: the local administrator sees the
// record of their own sign-in, filters, opens an entry, verifies the log, and exports JSONL that
// the standalone verifier accepts against the installation's pinned public key.

let serve: ServeHandle;

test.beforeAll(async () => {
  serve = await startServe();
});

test.afterAll(async () => {
  expect(await serve.stop()).toBe(0);
});

test('search, detail, verify and a JSONL export that verifies offline', async ({ page }, testInfo) => {
  const cspViolations = watchCspViolations(page);
  await signInLocally(page, serve);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Audit');
  await expect(page).toHaveURL(`${serve.origin}/audit`);

  // The sign-in that just happened is in the log.
  const table = page.getByTestId('audit-entries');
  await expect(table.getByRole('button', { name: /auth\.signIn/ }).first()).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('audit-1-list.png'), fullPage: true });

  // Filter by action: only sign-ins remain.
  await page.getByLabel('Action').fill('auth.signIn');
  await page.getByRole('button', { name: 'Search' }).click();
  const rows = table.locator('tbody tr');
  await expect(rows.first()).toContainText('auth.signIn');
  for (const text of await rows.allInnerTexts()) expect(text).toContain('auth.signIn');
  await expect(page).toHaveURL(`${serve.origin}/audit?action=auth.signIn`);
  await page.getByLabel('Outcome').selectOption('denied');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('audit-empty')).toHaveText('No entries match.');
  // The filters are in the address: a reload keeps them, Back returns to the search before.
  await expect(page).toHaveURL(`${serve.origin}/audit?action=auth.signIn&outcome=denied`);
  await page.reload();
  await expect(page.getByLabel('Action')).toHaveValue('auth.signIn');
  await expect(page.getByLabel('Outcome')).toHaveValue('denied');
  await expect(page.getByTestId('audit-empty')).toHaveText('No entries match.');
  await page.goBack();
  await expect(page.getByLabel('Outcome')).toHaveValue('');
  await expect(rows.first()).toContainText('auth.signIn');
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page).toHaveURL(`${serve.origin}/audit`);
  await expect(table.getByRole('button', { name: /auth\.signIn/ }).first()).toBeVisible();

  // A link with parts it cannot use names them and applies the rest.
  await page.goto(`${serve.origin}/audit?action=auth.signIn&outcome=maybe&entry=abc`);
  await expect(page.getByTestId('audit-filter-problems')).toContainText('outcome');
  await expect(page.getByTestId('audit-filter-problems')).toContainText('entry: must be an entry number');
  await expect(page.getByLabel('Action')).toHaveValue('auth.signIn');
  await page.getByRole('button', { name: 'Clear' }).click();

  // Entry detail: the open entry is in the address too, and survives a reload.
  await table.getByRole('button', { name: /auth\.signIn/ }).first().click();
  const detail = page.getByTestId('audit-detail');
  await expect(detail.getByRole('heading', { level: 2 })).toHaveText(/^Entry \d+$/);
  await expect(page).toHaveURL(/\/audit\?entry=\d+$/);
  await page.reload();
  await expect(detail.getByRole('heading', { level: 2 })).toHaveText(/^Entry \d+$/);
  await expect(detail.getByTestId('audit-detail-details')).toContainText('"method": "local"');
  await expect(detail).toContainText('Local administrator');
  await expect(detail).toContainText(/Hash\s*[0-9a-f]{64}/);
  await page.screenshot({ path: testInfo.outputPath('audit-2-detail.png'), fullPage: true });

  // Verify the whole log.
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page.getByTestId('audit-verify-result')).toContainText(/Verified\. \d+ entries .* signed checkpoints are intact/);
  await expectNoSeriousA11yViolations(page, 'the Audit page');

  // Export JSONL: the browser saves a Blob download, under serve mode's strict CSP.
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export the audit log' });
  await expect(dialog.getByRole('radio', { name: /JSONL/ })).toBeChecked();
  await expect(dialog.getByTestId('audit-export-scope')).toHaveText('Entries: every entry you can see. The export itself is recorded in the log.');
  const downloading = page.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Export' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^strongroom-audit-.+\.jsonl$/);
  const file = testInfo.outputPath('audit-export.jsonl');
  await download.saveAs(file);
  await expect(dialog.getByTestId('audit-export-result')).toContainText(/Saved strongroom-audit-.+\.jsonl: \d+ entries/);
  // The Export button was disabled while it ran: the result has the focus, not <body>.
  await expect(dialog.getByTestId('audit-export-result')).toBeFocused();
  await page.screenshot({ path: testInfo.outputPath('audit-3-export.png'), fullPage: true });

  // The page hands over what an auditor needs elsewhere: the standalone verifier and the public key.
  const kit = mkdtempSync(join(tmpdir(), 'strongroom-audit-kit-'));
  const kitFiles = new Map<string, string>();
  page.on('download', (saving) => { void saving.saveAs(join(kit, saving.suggestedFilename())).then(() => kitFiles.set(saving.suggestedFilename(), join(kit, saving.suggestedFilename()))); });
  await dialog.getByTestId('audit-save-kit').click();
  await expect(dialog.getByTestId('audit-kit-saved')).toContainText('Saved verify-audit.mjs, audit-key.pem');
  await expect.poll(() => [...kitFiles.keys()].sort()).toEqual(['audit-key.pem', 'verify-audit.mjs']);
  await dialog.getByRole('button', { name: 'Close' }).click();
  // The key the page gave is the one the operator's CLI exports.
  const key = kitFiles.get('audit-key.pem')!;
  expect(readFileSync(key, 'utf8').trim()).toBe((await strongroom(['audit', 'public-key'], serve)).split('\n').filter((line) => !line.startsWith('#')).join('\n').trim());

  // The file verifies offline with the saved verifier, run from a folder outside the repository.
  const verified = spawnSync(process.execPath, [kitFiles.get('verify-audit.mjs')!, file, '--public-key', key], { encoding: 'utf8', cwd: kit });
  expect(verified.stdout).toMatch(/^OK: \d+ entries and \d+ checkpoint\(s\) verify \(complete export/);
  expect(verified.status).toBe(0);
  expect(readFileSync(file, 'utf8')).toContain('"action":"auth.signIn"');
  // …and a one-byte change does not.
  const tampered = testInfo.outputPath('audit-export-tampered.jsonl');
  writeFileSync(tampered, readFileSync(file, 'utf8').replace('"outcome":"success"', '"outcome":"failure"'));
  expect(spawnSync(process.execPath, [kitFiles.get('verify-audit.mjs')!, tampered, '--public-key', key], { encoding: 'utf8', cwd: kit }).status).toBe(1);

  // The export was recorded: it appears at the top of the list.
  await expect(table.locator('tbody tr').first()).toContainText('audit.export');
  expect(cspViolations()).toEqual([]);
});

test('retention and legal hold from the page: a shorter retention and a release are confirmed, a hold is placed and released with reasons', async ({ page }) => {
  await signInLocally(page, serve);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click();
  const retention = page.getByTestId('audit-retention');
  await expect(retention).toContainText(/kept at least \d+ days/);

  // A shorter minimum retention asks first, saying how many entries it makes purgeable; nothing is old enough yet.
  await page.getByLabel('Minimum retention (days)').fill('400');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  const shorten = page.getByTestId('audit-shorten-retention-dialog');
  await expect(shorten).toContainText('from now on at least 400 days (about 1.1 years)');
  await expect(shorten.getByTestId('audit-retention-purgeable')).toContainText('0 entries');
  await expect(shorten.getByRole('button', { name: 'Keep 2557 days' })).toBeFocused();
  await shorten.getByRole('button', { name: 'Shorten to 400 days' }).click();
  await expect(shorten).toHaveCount(0);
  await expect(retention).toContainText('kept at least 400 days (about 1.1 years)');
  await expect(page.getByTestId('audit-retention-result')).toBeFocused();
  // A longer one needs no confirmation; one day reads as one day.
  await page.getByLabel('Minimum retention (days)').fill('500');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await expect(retention).toContainText('kept at least 500 days');
  await page.getByLabel('Minimum retention (days)').fill('1');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await expect(shorten).toContainText('from now on at least 1 day.');
  await shorten.getByRole('button', { name: 'Keep 500 days' }).click();
  await expect(retention).toContainText('kept at least 500 days');
  await page.getByRole('button', { name: 'Count entries past retention' }).click();
  await expect(page.getByTestId('audit-purge-count')).toHaveText('No entry is past its retention.');

  // A legal hold needs a reason; the one a person typed is shown to this role, and it stops any purge.
  await page.getByRole('button', { name: 'Place legal hold' }).click();
  await expect(page.getByTestId('audit-hold-reason-error')).toContainText('Give the reason for the hold');
  await expect(retention).toContainText('Legal hold: off');
  await page.getByLabel('Reason', { exact: true }).fill('Case 2026-042');
  await page.getByRole('button', { name: 'Place legal hold' }).click();
  await expect(retention).toContainText('Legal hold: on — Case 2026-042');
  await page.getByRole('button', { name: 'Count entries past retention' }).click();
  await expect(page.getByTestId('audit-purge-count')).toHaveText('The account is on legal hold: nothing would be purged.');
  // Releasing needs its own reason and a confirmation; the outcome then has the focus.
  await page.getByRole('button', { name: 'Release legal hold…' }).click();
  await expect(page.getByTestId('audit-hold-reason-error')).toContainText('Give the reason the hold ends');
  await page.getByLabel('Reason for releasing').fill('Case 2026-042 closed');
  await page.getByRole('button', { name: 'Release legal hold…' }).click();
  const release = page.getByTestId('audit-release-hold-dialog');
  await expect(release).toContainText('Case 2026-042 closed');
  await expect(release.getByRole('button', { name: 'Keep the hold' })).toBeFocused();
  await release.getByRole('button', { name: 'Release the hold' }).click();
  await expect(release).toHaveCount(0);
  await expect(retention).toContainText('Legal hold: off');
  await expect(page.getByTestId('audit-retention-result')).toHaveText(/Legal hold released/);
  await expect(page.getByTestId('audit-retention-result')).toBeFocused();
  await expectNoSeriousA11yViolations(page, 'the Audit page with its retention panel');

  // Each change is on record.
  await page.getByLabel('Action').fill('audit.');
  await page.getByRole('button', { name: 'Search' }).click();
  // The new search has listed (newest first) before its rows are read.
  await expect(page.getByTestId('audit-entries').locator('tbody tr').first()).toContainText('audit.legalHold.release');
  const actions = await page.getByTestId('audit-entries').locator('tbody tr').allInnerTexts();
  for (const action of ['audit.retention.set', 'audit.legalHold.set', 'audit.legalHold.release']) expect(actions.some((row) => row.includes(action)), action).toBe(true);
});

test('people and things by name: the actor filter takes part of a name, resources are named, and a run opens from its entry', async ({ page }, testInfo) => {
  const cspViolations = watchCspViolations(page);
  await signInLocally(page, serve);
  // A run of a workflow that needs no model: its runs.start entry names it.
  await valueFromPage(page, 'workflows.import', { text: 'id: audit-named\nname: Audit named\ninputs: {type: object}\nsteps:\n  - {id: check, kind: guardrail, policy: none}\n' });
  const run = await valueFromPage<{ id: string }>(page, 'runs.start', { workflowId: 'audit-named', input: {} });
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click();
  const table = page.getByTestId('audit-entries');
  const rows = table.locator('tbody tr');

  // Part of a name, in any case: the page says whom it matched, and offers to narrow to one.
  await page.getByLabel('Actor').fill('LOCAL');
  await page.getByRole('button', { name: 'Search' }).click();
  const matches = page.getByTestId('audit-actor-matches');
  await expect(matches).toHaveText(/^2 people match “LOCAL”: Local administrator, Local operator \(CLI\)\./);
  await expect(page).toHaveURL(`${serve.origin}/audit?actor=LOCAL`);
  await expect(rows.first()).toContainText('Local administrator');
  await expectNoSeriousA11yViolations(page, 'the Audit page with an actor matched by name');
  await page.screenshot({ path: testInfo.outputPath('audit-4-actor-by-name.png'), fullPage: true });
  // An export is of one person's entries: the dialog says so rather than exporting two.
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export the audit log' });
  await expect(dialog.getByTestId('audit-export-actor-blocked')).toContainText('matches 2 people');
  await expect(dialog.getByRole('button', { name: 'Export' })).toBeDisabled();
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await matches.getByRole('button', { name: 'Only Local administrator' }).click();
  await expect(matches).toHaveText('User id of Local administrator.');
  await expect(page).toHaveURL(/\/audit\?actor=[0-9a-f-]{36}$/);
  await expect(page.getByLabel('Actor')).toHaveValue(/^[0-9a-f-]{36}$/);
  for (const text of await rows.allInnerTexts()) expect(text).toContain('Local administrator');

  // The run this person started is named by its id and opens from the list.
  await page.getByLabel('Action').fill('runs.start');
  await page.getByRole('button', { name: 'Search' }).click();
  const runLink = table.getByRole('link', { name: `run ${run.id}` });
  await expect(runLink).toBeVisible();
  await runLink.click();
  await expect(page).toHaveURL(`${serve.origin}/workflows/runs/${run.id}`);
  await expect(page.getByTestId('run-view')).toBeVisible();
  await expect(page.getByTestId('run-started-by')).toHaveText('Local administrator');
  await page.goBack();
  await expect(runLink).toBeVisible();

  // Accounts and people are named; the entry keeps its exact resource, shown beside the name.
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByLabel('Action').fill('account.create');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(rows.first()).toContainText('account Default');
  await rows.first().getByRole('button', { name: /account\.create/ }).click();
  const detail = page.getByTestId('audit-detail');
  await expect(detail.getByTestId('audit-detail-resource')).toHaveText(/^account Default account:[0-9a-f-]{36}$/);
  await page.getByLabel('Action').fill('identity.localAdministrator.create');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(rows.first()).toContainText('person Local administrator');
  for (const text of await table.locator('tbody').allInnerTexts()) expect(text).not.toMatch(/(account|user):[0-9a-f-]{36}/);

  // From an entry, everything its actor did.
  await page.getByRole('button', { name: 'Clear' }).click();
  await table.getByRole('button', { name: /auth\.signIn/ }).first().click();
  await detail.getByRole('button', { name: 'Entries by Local administrator' }).click();
  await expect(matches).toHaveText('User id of Local administrator.');
  await expect(page.getByLabel('Actor')).toHaveValue(/^[0-9a-f-]{36}$/);
  expect(cspViolations()).toEqual([]);
});
