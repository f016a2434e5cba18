import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { expectNoSeriousA11yViolations, watchCspViolations } from './support/a11y.ts';
import { signInLocally } from './support/auth.ts';
import { valueFromPage } from './support/api.ts';
import { startServeWithDemoModel, strongroom } from './support/serve.ts';
import type { ServeHandle } from './support/serve.ts';

// What an analyst and a builder do with workflows beyond starting them: import a definition in
// the UI, see the account's tools and allow an MCP server, pick a model and the sample input,
// answer `input` and `edit` steps in place, cancel after a confirmation, retry a failed run,
// replay a finished one. On `strongroom demo`'s test model, with the test MCP server configured.

let serve: ServeHandle;

test.beforeAll(async () => {
  serve = await startServeWithDemoModel(async (installation) => {
    await strongroom(['tools', 'mcp', 'add', 'sanctions', '--command', process.execPath, '--arg', join(process.cwd(), 'core/workflows/tools/testing/stdioTestServer.ts')], installation);
  });
});

test.afterAll(async () => {
  expect(await serve.stop()).toBe(0);
});

// An `edit` step (no shipped workflow has one): the analyst corrects a letter before it goes out.
const waiverLetter = (show: string, output: string) => `id: waiver-letter
name: Covenant waiver letter
inputs:
  type: object
  additionalProperties: false
  required: [borrower, draft]
  properties:
    borrower: { type: string, maxLength: 80 }
    draft: { type: string, maxLength: 4000 }
steps:
  - id: letter
    kind: human
    action: edit
    title: Edit the letter
    prompt: Correct the covenant waiver letter for {{ inputs.borrower }} before it is sent.
    show: ${show}
output: ${output}
`;

// Two calculator steps; the second divides by the input, so a divisor of 0 fails the run there.
const feeShare = {
  id: 'fee-share',
  name: 'Fee share',
  inputs: { type: 'object', additionalProperties: false, required: ['fee', 'parties'], properties: { fee: { type: 'string', maxLength: 20 }, parties: { type: 'string', maxLength: 20 } } },
  steps: [
    { id: 'fee_total', kind: 'tool', tool: 'calculator', args: { expression: { template: '{{ inputs.fee }} * 1' } } },
    { id: 'share', kind: 'tool', tool: 'calculator', args: { expression: { template: '{{ steps.fee_total.output.value }} / {{ inputs.parties }}' } } },
  ],
  output: 'share',
};

async function openWorkflows(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Workflows' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Workflows');
}

async function startFromJson(page: Page, workflowId: string, input: unknown): Promise<void> {
  await page.goto(`${serve.origin}/workflows/${workflowId}/run`);
  const launcher = page.getByTestId('run-launcher');
  await launcher.getByRole('button', { name: 'JSON' }).click();
  await launcher.getByLabel('Input as JSON (paste a sample here)').fill(JSON.stringify(input));
  await launcher.getByRole('button', { name: 'Start run' }).click();
  await expect(page).toHaveURL(/\/workflows\/runs\/[0-9a-f-]{36}$/);
}

test('imports definitions in a dialog: validation names each problem’s path and keeps the text; a file imports too', async ({ page }, testInfo) => {
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  await openWorkflows(page);
  await page.getByRole('button', { name: 'Import a workflow…' }).click();
  const dialog = page.getByTestId('import-workflow-dialog');
  await expect(dialog.getByRole('heading', { name: 'Import a workflow definition' })).toBeVisible();
  const text = dialog.getByLabel('Definition (YAML or JSON)');
  const invalid = waiverLetter('inputs.drafts', 'lettr');
  await text.fill(invalid);
  await dialog.getByRole('button', { name: 'Import' }).click();
  // Refused before anything is imported: every problem with its path, focus on the list.
  const issues = dialog.getByTestId('import-issues');
  await expect(issues).toBeFocused();
  await expect(issues).toContainText('steps[0].human.show');
  await expect(issues.locator('li').filter({ hasText: /^output:/ })).toHaveCount(1);
  await expect(text).toHaveValue(invalid);
  await page.screenshot({ path: testInfo.outputPath('import-issues.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the import dialog with validation issues');
  // The fix is typed over it (the issues stay, marked as older than the text); closing keeps it too.
  const fixed = waiverLetter('inputs.draft', 'letter');
  await text.fill(fixed);
  await expect(issues).toContainText('The last check, before your latest changes');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Import a workflow…' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(text).toHaveValue(fixed);
  await dialog.getByRole('button', { name: 'Validate' }).click();
  await expect(dialog.getByTestId('import-valid')).toContainText('Valid: workflow waiver-letter');
  await dialog.getByRole('button', { name: 'Import' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('import-result')).toContainText('Imported waiver-letter');
  await expect(page.getByTestId('workflow-waiver-letter')).toContainText('imported');

  // A JSON file, read in the browser into the same text box.
  await page.getByRole('button', { name: 'Import a workflow…' }).click();
  await expect(text).toHaveValue('');
  await dialog.getByLabel('Read a file (.yaml, .yml or .json)').setInputFiles({ name: 'fee-share.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(feeShare, null, 2)) });
  await expect(dialog.getByText('Read fee-share.json')).toBeVisible();
  await expect(text).toHaveValue(/"id": "fee-share"/);
  await dialog.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('import-result')).toContainText('Imported fee-share');
  await expect(page.getByTestId('workflow-fee-share')).toBeVisible();
  expect(csp()).toEqual([]);
});

test('the Tools page lists the account’s tools; an administrator allows an MCP server and its tools appear', async ({ page }, testInfo) => {
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Tools' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tools');
  const list = page.getByTestId('tool-list');
  for (const name of ['calculator', 'customer_lookup', 'date_math']) await expect(list.getByTestId(`tool-${name}`)).toContainText('Built-in');
  await expect(list.getByTestId('tool-calculator')).toContainText('No — reads or computes only');
  await expect(page.getByTestId('no-mcp-tools')).toBeVisible();

  const allowList = page.getByTestId('allow-list');
  const entry = allowList.getByLabel('Allow a tool');
  await entry.fill('Sanctions!');
  await entry.press('Enter');
  await expect(allowList.locator('.field-error')).toContainText('does not fit');
  await expect(entry).toHaveAttribute('aria-invalid', 'true');
  // A server that is not configured passes the browser's check; the API refuses it, by path.
  await entry.fill('crm.*');
  await allowList.getByRole('button', { name: 'Add', exact: true }).click();
  await allowList.getByRole('button', { name: 'Save the allow-list' }).click();
  await expect(allowList.getByRole('alert')).toContainText('not configured');
  await allowList.getByRole('button', { name: 'Remove crm.*' }).click();
  // The configured servers, listed for an installation administrator who asks.
  await allowList.getByText('MCP servers configured on this installation').click();
  await expect(allowList.getByTestId('mcp-servers')).toContainText('sanctions');
  await allowList.getByRole('button', { name: 'Allow every tool of sanctions' }).click();
  await expect(allowList.getByTestId('allow-list-unsaved')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('tools-allow-list.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the Tools page');
  await allowList.getByRole('button', { name: 'Save the allow-list' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'may now use, beyond the built-ins: sanctions.*' })).toBeVisible();
  await expect(list.getByTestId('tool-sanctions.transfer')).toContainText('MCP server sanctions', { timeout: 30_000 });
  await expect(list.getByTestId('tool-sanctions.transfer')).toContainText('Yes — changes something outside Strongroom');
  await expect(list.getByTestId('tool-sanctions.sanctions_screen')).toContainText('No — reads or computes only');
  await expect(page.getByTestId('no-mcp-tools')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('tools-mcp.png'), fullPage: true });
  expect(csp()).toEqual([]);
});

test('a SAR narrative on a picked test model from the sample input: the investigator answers the form in place, then the run is cancelled after a confirmation', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  await page.goto(`${serve.origin}/workflows/sar-narrative/run`);
  const launcher = page.getByTestId('run-launcher');
  const model = launcher.getByLabel('Model');
  await expect(model.locator('option[value="strongroom-test"]')).toHaveText(/test model, meaningless text/);
  await model.selectOption('strongroom-test');
  await expect(launcher.getByTestId('run-test-model')).toContainText('its text is meaningless');
  await launcher.getByRole('button', { name: 'Use sample input' }).click();
  await expect(launcher.getByRole('status').filter({ hasText: 'The form now holds the sample input' })).toBeVisible();
  await expect(launcher.getByLabel('Case id (required)')).toHaveValue('FIU-2025-00731');
  await page.screenshot({ path: testInfo.outputPath('sar-launcher.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the launcher with a model picked and the sample input');
  // A value the API refuses: the field itself says why, in plain words, and nothing typed is lost.
  const institution = launcher.getByRole('group', { name: /^Filing institution/ });
  const institutionName = institution.getByLabel('Name (required)');
  const sampleName = await institutionName.inputValue();
  await institutionName.fill('N'.repeat(201));
  await launcher.getByRole('button', { name: 'Start run' }).click();
  await expect(institution.getByText('Too long: at most 200 characters.')).toBeVisible();
  await expect(institutionName).toHaveAttribute('aria-invalid', 'true');
  await expect(launcher.getByRole('status').filter({ hasText: 'The form now holds the sample input' })).toHaveCount(0);
  await expect(launcher.getByLabel('Case id (required)')).toHaveValue('FIU-2025-00731');
  // Edited, the field no longer carries the refusal.
  await institutionName.fill(sampleName);
  await expect(institution.getByText('Too long: at most 200 characters.')).toHaveCount(0);
  await launcher.getByRole('button', { name: 'Start run' }).click();
  await expect(page).toHaveURL(/\/workflows\/runs\/[0-9a-f-]{36}$/);
  const runId = page.url().split('/').at(-1)!;

  const view = page.getByTestId('run-view');
  // The run says which model writes it, and that its text is meaningless.
  await expect(view.getByTestId('test-model-badge')).toHaveText('Test model — text is meaningless');
  // The model analyses first; then the investigator's form waits (a failure would say why at once).
  await expect(view).toHaveAttribute('data-status', /waiting|failed/, { timeout: 240_000 });
  await expect(view.getByRole('alert')).toHaveCount(0);
  const form = view.getByTestId('answer-investigator_facts');
  await form.getByLabel('Customer outreach').selectOption('declined_to_explain');
  await form.getByLabel('What the customer said').fill('On 2025-03-20 the relationship manager asked by telephone; the customer declined to explain the deposits.');
  await form.getByLabel('Law enforcement contact').selectOption('none_known');
  await form.getByLabel('Agency, contact name').fill('None');
  await form.getByLabel('Action taken on the account').selectOption('enhanced_monitoring');
  await form.getByLabel('Date of the account action').fill('2025-04-02');
  await form.getByLabel('Other persons or entities').fill('None');
  await form.getByLabel('Other facts the narrative must include').fill('The teller at branch 0217 recorded the depositor’s question about “the government form”.');
  await form.getByLabel('Where the supporting documentation is retained').fill('FIU case file FIU-2025-00731');
  // What was typed is kept on the server as it is typed: a reload before submitting loses none of it.
  await expect(form.getByTestId('autosave-status')).toContainText('Working copy kept at');
  await page.reload();
  const restored = view.getByTestId('answer-investigator_facts');
  await expect(restored.getByTestId('answer-restored')).toContainText('Filled in with what you typed at');
  await expect(restored.getByLabel('What the customer said')).toHaveValue('On 2025-03-20 the relationship manager asked by telephone; the customer declined to explain the deposits.');
  await expect(restored.getByLabel('Action taken on the account')).toHaveValue('enhanced_monitoring');
  await expect(restored.getByLabel('Date of the account action')).toHaveValue('2025-04-02');
  await page.screenshot({ path: testInfo.outputPath('sar-investigator-form.png'), fullPage: true });
  await form.getByRole('button', { name: 'Submit answer' }).click();
  await expect(view.getByTestId('run-step-investigator_facts')).toHaveAttribute('data-status', 'done');
  const answered = await valueFromPage<{ steps: Array<{ path: string; output: Record<string, unknown> }> }>(page, 'runs.get', { runId });
  expect(answered.steps.find((step) => step.path === 'investigator_facts')?.output).toMatchObject({ customerOutreach: 'declined_to_explain', accountAction: 'enhanced_monitoring', accountActionDate: '2025-04-02', lawEnforcementDetails: 'None' });
  // Answered: the working copy is gone with the wait.
  expect((await valueFromPage<{ workingAnswers: unknown[] }>(page, 'runs.get', { runId })).workingAnswers).toEqual([]);

  // Cancel asks first; keeping the run changes nothing, and focus returns to the button.
  await expect(view).toHaveAttribute('data-status', 'running');
  const cancel = view.getByRole('button', { name: 'Cancel run' });
  await cancel.click();
  const dialog = page.getByTestId('cancel-run-dialog');
  await expect(dialog).toContainText('A cancelled run cannot be resumed or retried.');
  await expect(dialog.getByRole('button', { name: 'Keep the run' })).toBeFocused();
  await page.screenshot({ path: testInfo.outputPath('sar-cancel-dialog.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the cancel confirmation');
  await dialog.getByRole('button', { name: 'Keep the run' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(cancel).toBeFocused();
  await expect(view).toHaveAttribute('data-status', 'running');
  await cancel.click();
  await dialog.getByRole('button', { name: 'Cancel run' }).click();
  await expect(view).toHaveAttribute('data-status', 'cancelled');
  await expect(view.getByRole('status').filter({ hasText: 'The run was cancelled.' })).toBeFocused();
  await expect(view.getByRole('button', { name: 'Cancel run' })).toHaveCount(0);
  expect(csp()).toEqual([]);
});

test('two tabs on one waiting step: the tab answered second keeps what it typed, read-only, until dismissed', async ({ page }, testInfo) => {
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  const draft = 'Dear Harbour Foods Ltd,\n\nWe agree to waive the leverage covenant.';
  await startFromJson(page, 'waiver-letter', { borrower: 'Harbour Foods Ltd', draft });
  // Tab B: the same person (the same browser), opened from the printed address.
  const tabB = await page.context().newPage();
  await tabB.goto(serve.url);
  await expect(tabB).toHaveURL(`${serve.origin}/system`);
  await tabB.goto(page.url());
  const formB = tabB.getByTestId('answer-letter');
  await formB.getByLabel('Text').fill('TAB-B answer text.');

  const formA = page.getByTestId('answer-letter');
  await formA.getByLabel('Text').fill(`${draft}\n\nAnswered in tab A.`);
  await formA.getByRole('button', { name: 'Save and continue' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-status', 'completed');
  await expect(page.getByTestId('answer-lost-letter')).toHaveCount(0);

  // Tab B's form goes (the step is done), and what was typed there stays, said plainly.
  const lost = tabB.getByTestId('answer-lost-letter');
  await expect(lost).toContainText('This step was answered elsewhere while you were typing');
  await expect(formB).toHaveCount(0);
  const copy = lost.getByLabel('What you typed (not sent)');
  await expect(copy).toHaveValue('TAB-B answer text.');
  await expect(copy).toHaveJSProperty('readOnly', true);
  await tabB.screenshot({ path: testInfo.outputPath('answer-lost.png'), fullPage: true });
  await expectNoSeriousA11yViolations(tabB, 'an answer typed in a tab that lost');
  await lost.getByRole('button', { name: 'Dismiss' }).click();
  await expect(lost).toHaveCount(0);
  await tabB.close();
  expect(csp()).toEqual([]);
});

test('an edit step answered in place, the run replayed with a link back to it, and a failed run retried from its failed step', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  const draft = 'Dear Harbour Foods Ltd,\n\nWe agree to waive the leverage covenant for the quarter ending 30 June 2025.';
  await startFromJson(page, 'waiver-letter', { borrower: 'Harbour Foods Ltd', draft });
  const view = page.getByTestId('run-view');
  const answer = view.getByTestId('answer-letter');
  await expect(answer).toContainText('Correct the covenant waiver letter for Harbour Foods Ltd');
  const letter = answer.getByLabel('Text');
  await expect(letter).toHaveValue(draft);
  const edited = `${draft}\n\nThe waiver does not extend to any later quarter.`;
  await letter.fill(edited);
  await expectNoSeriousA11yViolations(page, 'an edit step');
  await answer.getByRole('button', { name: 'Save and continue' }).click();
  await expect(view).toHaveAttribute('data-status', 'completed');
  // People by name: who started the run, who answered its step.
  await expect(view.getByTestId('run-started-by')).toHaveText('Local administrator');
  await expect(view.getByTestId('answered-by-letter')).toContainText('Answered by Local administrator at');
  await expect(view.getByTestId('run-output')).toContainText('The waiver does not extend to any later quarter.');
  const originalUrl = page.url();
  const originalId = originalUrl.split('/').at(-1)!;

  // A replay takes the recorded answer: it completes at once and links to its original.
  const replay = view.getByTestId('run-replay');
  await replay.getByRole('button', { name: /^Replay on this version/ }).click();
  await expect(page).not.toHaveURL(originalUrl);
  await expect(view.getByTestId('replay-of')).toContainText(originalId);
  await expect(view).toHaveAttribute('data-status', 'completed');
  await expect(view.getByTestId('run-output')).toContainText('The waiver does not extend to any later quarter.');
  await page.screenshot({ path: testInfo.outputPath('replay.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'a replay');
  await page.getByRole('link', { name: 'All runs' }).click();
  await expect(page.getByTestId('runs-list')).toContainText(`replay of ${originalId.slice(0, 8)}`);
  await page.goBack();
  await view.getByTestId('replay-of').getByRole('link').click();
  await expect(page).toHaveURL(originalUrl);

  // Dividing by zero fails the second step; a retry runs it again without redoing the first.
  await startFromJson(page, 'fee-share', { fee: '1200', parties: '0' });
  await expect(view).toHaveAttribute('data-status', 'failed');
  const failedId = page.url().split('/').at(-1)!;
  const before = await valueFromPage<{ steps: Array<{ path: string; finishedAt: string | null }> }>(page, 'runs.get', { runId: failedId });
  const retry = view.getByTestId('run-retry');
  await expectNoSeriousA11yViolations(page, 'a failed run');
  await retry.getByRole('button', { name: 'Retry from the failed step' }).click();
  await expect(view.getByRole('status').filter({ hasText: 'Retrying from the failed step.' })).toBeFocused();
  await expect(view).toHaveAttribute('data-status', 'failed');
  await expect(view.getByRole('alert')).toContainText('ERR_');
  const after = await valueFromPage<{ steps: Array<{ path: string; finishedAt: string | null }> }>(page, 'runs.get', { runId: failedId });
  expect(after.steps.find((step) => step.path === 'fee_total')?.finishedAt).toBe(before.steps.find((step) => step.path === 'fee_total')?.finishedAt);
  const audit = await valueFromPage<{ entries: Array<{ action: string; resource: string | null }> }>(page, 'audit.list', { action: 'runs.retry' });
  expect(audit.entries.map((entry) => entry.resource)).toContain(`run:${failedId}`);
  await page.screenshot({ path: testInfo.outputPath('retried.png'), fullPage: true });
  expect(csp()).toEqual([]);
});
