import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { TestIdp } from '../core/identity/testing/testIdp.ts';
import { expectNoSeriousA11yViolations, watchCspViolations } from './support/a11y.ts';
import { signInLocally } from './support/auth.ts';
import { loopbackOnly, moveToTestIdp, signInThroughIdp } from './support/idp.ts';
import { startServeWithDemoModel, strongroom } from './support/serve.ts';
import type { ServeHandle } from './support/serve.ts';

let serve: ServeHandle;
let idp: TestIdp | undefined;

// A decision whose approval needs a second person (four-eyes), then a compliance countersignature
// (a step held to a role). No model step: it waits at once.
const decision = {
  id: 'four-eyes-decision',
  name: 'Four-eyes decision',
  inputs: { type: 'object', additionalProperties: false, required: ['borrower'], properties: { borrower: { type: 'string', maxLength: 60 } } },
  steps: [
    { id: 'approval', kind: 'human', action: 'approve', fourEyes: true, prompt: 'Approve the facility for {{ inputs.borrower }}?' },
    { id: 'countersign', kind: 'human', action: 'approve', role: 'compliance', prompt: 'Countersign the approval for {{ inputs.borrower }}.' },
  ],
};

// The installation gets `strongroom demo`'s generated test model, so a run can actually execute.
test.beforeAll(async () => {
  serve = await startServeWithDemoModel(async (installation) => {
    const file = join(installation.dataDir, `${decision.id}.json`);
    writeFileSync(file, JSON.stringify(decision));
    await strongroom(['workflows', 'import', file], installation);
  });
});

test.afterAll(async () => {
  expect(await serve.stop()).toBe(0);
  await idp?.stop();
});

test('lists the shipped workflows, opens the credit memo tree and its generated launcher form', async ({ page }, testInfo) => {
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Workflows' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Workflows');
  const list = page.getByTestId('workflow-list');
  for (const id of ['credit-memo', 'kyc-periodic-review', 'sar-narrative']) await expect(list.getByTestId(`workflow-${id}`)).toBeVisible();
  await expect(list.getByTestId('workflow-credit-memo')).toContainText('shipped');
  await page.screenshot({ path: testInfo.outputPath('workflows-list.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the workflow list');

  await list.getByTestId('workflow-credit-memo').getByRole('link').click();
  await expect(page).toHaveURL(/\/workflows\/credit-memo$/);
  const tree = page.getByTestId('definition-tree');
  await expect(tree).toBeVisible();
  await expect(page.getByLabel('Version')).toBeVisible();
  // The map over risk factors opens to its sub-workflow step, which opens to credit-risk-section's steps.
  const mapStep = tree.getByTestId('def-step-risk_sections');
  await expect(mapStep.getByTestId('def-step-risk_section')).toBeHidden();
  // Keyboard: focus the map's summary and open it with Enter.
  await mapStep.locator('summary').first().focus();
  await page.keyboard.press('Enter');
  const subWorkflow = mapStep.getByTestId('def-step-risk_section');
  await expect(subWorkflow).toContainText('Sub-workflow');
  await expect(subWorkflow).toContainText('runs credit-risk-section');
  await subWorkflow.locator('summary').first().click();
  // credit-risk-section's own steps, fetched when the node opened: retrieve, model steps, guardrail.
  await expect(subWorkflow.locator('li').filter({ hasText: 'Retrieve' }).first()).toBeVisible();
  await expect(subWorkflow.locator('li').filter({ hasText: 'Guardrail' }).first()).toBeVisible();
  await expect(tree.getByTestId('def-step-approval')).toContainText('Person');
  await page.screenshot({ path: testInfo.outputPath('credit-memo-tree.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the credit memo definition');

  await page.getByRole('link', { name: 'Run this workflow' }).click();
  const launcher = page.getByTestId('run-launcher');
  await expect(launcher.getByRole('heading', { level: 2 })).toContainText('Run');
  // Fields generated from the input schema: nested objects as fieldsets, arrays with add/remove rows.
  await expect(launcher.locator('fieldset').first()).toBeVisible();
  const addButtons = launcher.getByRole('button', { name: /^Add / });
  expect(await addButtons.count()).toBeGreaterThan(0);
  await addButtons.first().click();
  await expect(launcher.getByRole('button', { name: /^Remove / }).first()).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('credit-memo-launcher.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the run launcher');
  // An empty submission is refused by the API with the fields it names, shown beside the form.
  await launcher.getByRole('button', { name: 'JSON' }).click();
  await launcher.getByLabel('Input as JSON (paste a sample here)').fill('{}');
  await launcher.getByRole('button', { name: 'Start run' }).click();
  await expect(launcher.getByRole('alert')).toContainText('ERR_INPUT_INVALID');
  // Focus is on the error, where a keyboard or screen-reader user hears what to fix; the JSON is kept.
  await expect(launcher.locator('.error-focus')).toBeFocused();
  await expect(launcher.getByLabel('Input as JSON (paste a sample here)')).toHaveValue('{}');
  expect(csp()).toEqual([]);
});

test('launches a KYC review from a pasted sample and watches its steps arrive', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  await page.goto(`${serve.origin}/workflows/kyc-periodic-review/run`);
  const launcher = page.getByTestId('run-launcher');
  await launcher.getByRole('button', { name: 'JSON' }).click();
  await launcher.getByLabel('Input as JSON (paste a sample here)').fill(readFileSync('resources/samples/kyc-periodic-review.input.json', 'utf8'));
  await launcher.getByRole('button', { name: 'Start run' }).click();

  await expect(page).toHaveURL(/\/workflows\/runs\/[0-9a-f-]{36}$/);
  const view = page.getByTestId('run-view');
  await expect(view.getByText('Trace id')).toBeVisible();
  // The tools run first (customer record, days since review, averages); steps appear as they finish.
  await expect(view.getByTestId('run-step-customer')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect.poll(async () => view.locator('[data-status="done"]').count(), { timeout: 120_000 }).toBeGreaterThan(3);
  await page.screenshot({ path: testInfo.outputPath('kyc-run.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the run view');

  await page.getByRole('link', { name: 'All runs' }).click();
  await expect(page.getByTestId('runs-list')).toContainText('kyc-periodic-review');
  await page.screenshot({ path: testInfo.outputPath('runs-list.png'), fullPage: true });
  expect(csp()).toEqual([]);
});

test('a four-eyes approval: whoever started the run is refused; a second person, signed in through the IdP, approves; a countersignature waits for compliance', async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  await page.goto(`${serve.origin}/workflows/four-eyes-decision/run`);
  const launcher = page.getByTestId('run-launcher');
  await launcher.getByRole('button', { name: 'JSON' }).click();
  await launcher.getByLabel('Input as JSON (paste a sample here)').fill(JSON.stringify({ borrower: 'Harbour Foods Ltd' }));
  await launcher.getByRole('button', { name: 'Start run' }).click();
  await expect(page).toHaveURL(/\/workflows\/runs\/[0-9a-f-]{36}$/);
  const view = page.getByTestId('run-view');
  const answer = view.getByTestId('answer-approval');
  await expect(answer.getByTestId('four-eyes')).toHaveText('Needs a second person (four-eyes): whoever started this run can neither approve nor reject it.');
  await answer.getByRole('button', { name: 'Approve' }).click();
  await expect(answer.getByRole('alert')).toContainText('needs a second person (four-eyes)');
  await expect(view.getByTestId('run-step-approval')).toHaveAttribute('data-status', 'waiting');
  await page.screenshot({ path: testInfo.outputPath('four-eyes-refused.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'a four-eyes approval step');
  expect(csp()).toEqual([]);
  const runUrl = page.url();

  // The second person is a reviewer from the bank's IdP: configured on the same installation.
  ({ idp, serve } = await moveToTestIdp(serve, { users: [{ login: 'rita', name: 'Rita Reviewer', email: 'rita@bank.example', groups: ['credit-committee'] }], groups: { 'credit-committee': 'reviewer' } }));
  const context = await browser.newContext();
  await loopbackOnly(context);
  const second = await context.newPage();
  await second.goto(serve.url);
  await signInThroughIdp(second, { serveOrigin: serve.origin, login: 'rita' });
  await second.goto(new URL(new URL(runUrl).pathname, serve.origin).href);
  const secondAnswer = second.getByTestId('run-view').getByTestId('answer-approval');
  await secondAnswer.getByLabel('Comment (optional)').fill('Checked against the credit policy.');
  await secondAnswer.getByRole('button', { name: 'Approve' }).click();
  await expect(second.getByTestId('run-step-approval')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  // The countersignature is held to the compliance role: a reviewer is told so and gets no form.
  const countersign = second.getByTestId('run-view').getByTestId('answer-countersign');
  await expect(countersign.getByTestId('answer-role')).toHaveText('Only someone with the compliance role in this account may answer this step.');
  await expect(countersign.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await expect(second.getByTestId('run-view')).toHaveAttribute('data-status', 'waiting');
  await second.screenshot({ path: testInfo.outputPath('four-eyes-approved.png'), fullPage: true });
  await context.close();
});
