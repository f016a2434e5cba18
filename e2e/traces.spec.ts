import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import type { TestIdp } from '../core/identity/testing/testIdp.ts';
import { callFromPage } from './support/api.ts';
import { expectNoSeriousA11yViolations, watchCspViolations } from './support/a11y.ts';
import { signInLocally } from './support/auth.ts';
import { loopbackOnly, moveToTestIdp, signInThroughIdp } from './support/idp.ts';
import { startServeWithDemoModel, strongroom } from './support/serve.ts';
import type { ServeHandle } from './support/serve.ts';

// Issue 7 (tracing and feedback) in a real browser against `strongroom serve`. The local
// administrator runs a short workflow on `strongroom demo`'s test model, finds its trace, walks
// the span tree, reads a model call's content, gives feedback and revises it. Then the operator
// switches the installation to a real OpenID provider (local sign-in has no other roles) and an
// auditor signs in: metadata everywhere, content nowhere.
//
// The workflow is imported here rather than shipped: the shipped ones' prompts do not fit the
// test model's 2,048-token context, so their runs fail at the first model step. This one runs to
// completion in seconds and still nests: a map whose items each run a sub-workflow with a tool
// call and a model call (root → map → sub-workflow → steps).
const topicWorkflow = {
  id: 'trace-walkthrough-topic',
  name: 'Trace walkthrough: one topic',
  classification: 'internal',
  inputs: { type: 'object', additionalProperties: false, required: ['topic'], properties: { topic: { type: 'string', maxLength: 40 } } },
  steps: [
    { id: 'weight', kind: 'tool', tool: 'calculator', args: { expression: { value: '10 * 4' } } },
    { id: 'note', kind: 'llm', maxTokens: 12, prompt: 'One line about {{ inputs.topic }}.' },
  ],
};
const walkthrough = {
  id: 'trace-walkthrough',
  name: 'Trace walkthrough',
  description: 'A short run for the trace explorer journey.',
  classification: 'internal',
  inputs: { type: 'object', additionalProperties: false, required: ['topics'], properties: { topics: { type: 'array', minItems: 1, maxItems: 5, items: { type: 'string', maxLength: 40 } } } },
  steps: [
    { id: 'total', kind: 'tool', tool: 'calculator', args: { expression: { value: '2 + 3' } } },
    { id: 'topics', kind: 'map', over: 'inputs.topics', concurrency: 2, steps: [{ id: 'brief', kind: 'workflow', workflow: 'trace-walkthrough-topic', input: { topic: { ref: 'item' } } }] },
    { id: 'summary', kind: 'llm', maxTokens: 12, prompt: 'Summarise the topics in one line.' },
  ],
};

test.describe.configure({ mode: 'serial' });

let serve: ServeHandle;
let idp: TestIdp;
let traceId = '';

const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' });

// The generated test model, and the walkthrough workflows imported while nothing serves.
test.beforeAll(async () => {
  serve = await startServeWithDemoModel(async (installation) => {
    for (const definition of [topicWorkflow, walkthrough]) {
      const file = join(installation.dataDir, `${definition.id}.json`);
      writeFileSync(file, JSON.stringify(definition));
      await strongroom(['workflows', 'import', file], installation);
    }
  });
});

test.afterAll(async () => {
  expect(await serve.stop()).toBe(0);
  await idp?.stop();
});

test('a run becomes a trace: list, span tree and waterfall, content, feedback and its history', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);

  // Run the walkthrough from the launcher's JSON input; it finishes in seconds.
  await page.goto(`${serve.origin}/workflows/trace-walkthrough/run`);
  const launcher = page.getByTestId('run-launcher');
  await launcher.getByRole('button', { name: 'JSON' }).click();
  await launcher.getByLabel('Input as JSON (paste a sample here)').fill(JSON.stringify({ topics: ['liquidity', 'collateral', 'covenants'] }));
  await launcher.getByRole('button', { name: 'Start run' }).click();
  await expect(page).toHaveURL(/\/workflows\/runs\/[0-9a-f-]{36}$/);
  const run = page.getByTestId('run-view');
  await expect(run).toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
  traceId = (await run.locator('dt:text-is("Trace id") + dd').innerText()).trim();
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);

  // The list: the trace is there, with its workflow and status; the filters go into the URL.
  await sections(page).getByRole('link', { name: 'Traces' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Traces');
  const list = page.getByTestId('trace-list');
  const row = list.getByTestId(`trace-row-${traceId}`);
  await expect(row).toContainText('trace-walkthrough');
  // Written by the generated test model, and labelled so.
  await expect(row.getByTestId('test-model-badge')).toHaveText('test model');
  await expect(row).toContainText('Local administrator');
  await expect(page.getByTestId('trace-total')).toContainText(/^1 trace/);
  await page.getByLabel('Workflow').fill('trace-walkthrough');
  await page.getByLabel('Status').selectOption('completed');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/\/traces\?workflow=trace-walkthrough&status=completed$/);
  await expect(row).toBeVisible();
  await expect(page.getByTestId('trace-total')).toHaveText('1 trace matches the filters');
  // A link reopens the same view; one that matches nothing says so; a bad value is named.
  await page.reload();
  await expect(page.getByLabel('Status')).toHaveValue('completed');
  await expect(row).toBeVisible();
  await page.goto(`${serve.origin}/traces?workflow=trace-walkthrough&status=failed&flagged=maybe`);
  await expect(page.getByTestId('trace-list-empty')).toHaveText('No trace matches these filters.');
  await expect(page.getByTestId('trace-filter-problems')).toContainText('flagged must be yes or no');
  await page.screenshot({ path: testInfo.outputPath('traces-1-filtered-empty.png'), fullPage: true });
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page).toHaveURL(`${serve.origin}/traces`);
  await expect(row).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('traces-2-list.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the trace list');

  // Keyboard: the row's link takes focus, Enter opens the trace.
  await row.getByRole('link').focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(`${serve.origin}/traces/${traceId}`);
  const view = page.getByTestId('trace-view');
  await expect(view).toHaveAttribute('data-status', 'completed');
  await expect(view.getByTestId('test-model-badge')).toHaveText('Test model — text is meaningless');

  // The span tree, nested as the run was, and a waterfall bar on every row.
  const tree = page.getByTestId('span-tree');
  const rows = tree.locator('[role="row"][data-kind]');
  await expect(rows.first()).toHaveAttribute('aria-level', '1');
  await expect(rows.first()).toHaveAttribute('data-kind', 'workflow');
  await expect(rows.first()).toContainText('trace-walkthrough');
  await expect(tree.locator('[role="row"][aria-level="2"]').first()).toBeVisible();
  // root → topics (the map) → brief (each item's sub-workflow) → its tool and model calls.
  await expect(tree.locator('[role="row"][aria-level="2"][data-kind="step"]')).toContainText('topics');
  await expect(tree.locator('[role="row"][aria-level="3"][data-kind="workflow"]')).toHaveCount(3);
  await expect(tree.locator('[role="row"][aria-level="4"][data-kind="llm"]')).toHaveCount(3);
  await expect(tree.locator('[role="row"][aria-level="4"][data-kind="tool"]')).toHaveCount(3);
  expect(await tree.locator('.span-bar').count()).toBe(await rows.count());
  await expect(tree.locator('[data-kind="llm"]').first()).toBeVisible();
  // Close a step that has children from the keyboard (←) and open it again (→).
  const visibleRows = async () => Number(await tree.getAttribute('aria-rowcount')) - 1;
  const allRows = await visibleRows();
  const parent = tree.locator('[role="row"][aria-expanded]').nth(1);
  await parent.click();
  await parent.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(parent).toHaveAttribute('aria-expanded', 'false');
  expect(await visibleRows()).toBeLessThan(allRows);
  await page.keyboard.press('ArrowRight');
  await expect(parent).toHaveAttribute('aria-expanded', 'true');
  expect(await visibleRows()).toBe(allRows);
  await page.screenshot({ path: testInfo.outputPath('traces-3-tree.png'), fullPage: true });

  // A model call: its metadata, tokens and attributes, and — for the administrator — its content.
  const llm = tree.locator('[data-kind="llm"]').first();
  const llmSpanId = (await llm.getAttribute('data-testid'))!.replace('span-row-', '');
  await llm.click();
  await expect(page).toHaveURL(`${serve.origin}/traces/${traceId}?span=${llmSpanId}`);
  const detail = page.getByTestId('span-detail');
  await expect(detail.getByRole('heading', { level: 3 })).toContainText('Model');
  await expect(detail.getByTestId('span-attributes')).toContainText('gen_ai.request.model');
  await expect(detail.getByTestId('span-attributes')).toContainText('strongroom.step.path');
  const content = detail.getByTestId('span-content');
  await expect(content.getByRole('heading', { name: 'Input' })).toBeVisible();
  await expect(content.getByRole('heading', { name: 'Output' })).toBeVisible();
  await expect(content.locator('pre').first()).not.toBeEmpty();
  await expect(detail.getByTestId('metadata-only')).toHaveCount(0);
  await expectNoSeriousA11yViolations(page, 'the trace view with a span open');

  // Feedback: an empty form is refused here, with nothing lost; a bad score is named beside it.
  const form = detail.getByTestId('feedback-form');
  await form.getByRole('button', { name: 'Submit feedback' }).click();
  await expect(form.getByRole('alert')).toContainText('Give at least one of');
  await form.getByLabel('Criterion 1', { exact: true }).fill('accuracy');
  await form.getByLabel('Score 1', { exact: true }).fill('12');
  await form.getByRole('button', { name: 'Submit feedback' }).click();
  await expect(form.getByTestId('feedback-error-scores')).toContainText('from 0 to 10');
  await expect(form.getByLabel('Criterion 1', { exact: true })).toHaveValue('accuracy');
  await form.getByLabel('Score 1', { exact: true }).fill('8');
  await form.getByRole('radio', { name: '4' }).check();
  await form.getByLabel('Comment').fill('Clear activity analysis; cites the averages.');
  await form.getByLabel('Labels').fill('activity, well-sourced');
  await form.getByRole('button', { name: 'Submit feedback' }).click();
  await expect(detail.getByTestId('feedback-saved')).toHaveText('Feedback saved (version 1).');
  const feedback = detail.getByTestId('feedback-list').locator(':scope > li');
  await expect(feedback).toHaveCount(1);
  await expect(feedback.getByTestId('feedback-rating')).toHaveText('Rating 4 / 5');
  await expect(feedback.getByTestId('feedback-comment')).toHaveText('Clear activity analysis; cites the averages.');
  await expect(form.getByLabel('Comment')).toHaveValue('');
  await expect(view.getByTestId('trace-feedback-count')).toHaveText('1');

  // Revise it: a new version; the history shows both, oldest first.
  await feedback.getByRole('button', { name: 'Revise' }).click();
  const revise = detail.getByTestId('feedback-revise-form');
  await expect(revise.getByLabel('Comment')).toHaveValue('Clear activity analysis; cites the averages.');
  await revise.getByRole('radio', { name: '2' }).check();
  await revise.getByRole('radio', { name: 'Reject' }).check();
  await revise.getByLabel('Comment').fill('On a second read it misses the cash spike in March.');
  await revise.getByRole('button', { name: 'Save new version' }).click();
  await expect(detail.getByTestId('feedback-saved')).toHaveText('Feedback saved (version 2).');
  await expect(feedback).toHaveCount(1);
  await expect(feedback.getByTestId('feedback-rating')).toHaveText('Rating 2 / 5');
  await feedback.getByTestId('feedback-history').locator('summary').click();
  const versions = feedback.getByTestId('feedback-versions');
  await expect(versions.locator(':scope > li')).toHaveCount(2);
  await expect(versions.getByTestId('feedback-version-1')).toContainText('Clear activity analysis');
  await expect(versions.getByTestId('feedback-version-1')).toContainText('Rating 4 / 5');
  await expect(versions.getByTestId('feedback-version-2')).toContainText('misses the cash spike');
  // People by name, not by user id.
  await expect(versions.getByTestId('feedback-version-2')).toContainText('Version 2 by Local administrator on');
  await page.screenshot({ path: testInfo.outputPath('traces-4-feedback.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the feedback panel with its history');

  // Flag the trace; the list's "flagged" filter finds it and "has feedback" does too.
  await view.getByRole('button', { name: 'Flag trace' }).click();
  await expect(view.getByTestId('trace-flagged')).toBeVisible();
  await expect(view.getByRole('button', { name: 'Unflag trace' })).toBeVisible();
  await page.goto(`${serve.origin}/traces?feedback=yes&flagged=yes`);
  await expect(page.getByTestId(`trace-row-${traceId}`).locator('.trace-flag')).toBeVisible();
  // The Review page gathers it as flagged; it has feedback, so it is not among the unjudged runs.
  await sections(page).getByRole('link', { name: 'Review' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Review');
  await expect(page.getByTestId('review-flagged').getByRole('link', { name: 'trace-walkthrough' })).toHaveAttribute('href', `/traces/${traceId}`);
  await expect(page.getByTestId('review-unjudged')).not.toContainText('trace-walkthrough');
  await expect(page.getByTestId('review-drafts')).toContainText('No draft is waiting for review.');
  await expectNoSeriousA11yViolations(page, 'the review queue');
  await page.goto(`${serve.origin}/traces?feedback=yes&flagged=yes`);

  // Export the trace as OTLP/JSON: a Blob download under the strict CSP.
  await page.getByTestId(`trace-row-${traceId}`).getByRole('link').click();
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export OTLP/JSON' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`trace-${traceId}.otlp.json`);
  const file = testInfo.outputPath('trace.otlp.json');
  await download.saveAs(file);
  const otlp = JSON.parse(readFileSync(file, 'utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }> };
  expect(otlp.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId).toBe(traceId);
  await expect(page.getByTestId('trace-action-result')).toContainText(/Saved trace-[0-9a-f]{32}\.otlp\.json: \d+ spans, content included/);

  // Export every trace of the last day from the list: the parts joined into one OTLP/JSON file.
  await page.goto(`${serve.origin}/traces`);
  const byTime = page.getByTestId('trace-export-by-time');
  await byTime.getByText('Export traces by time (OTLP/JSON)').click();
  const dayAgo = new Date(Date.now() - 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  await byTime.getByLabel('Started from').fill(`${dayAgo.getFullYear()}-${pad(dayAgo.getMonth() + 1)}-${pad(dayAgo.getDate())}T${pad(dayAgo.getHours())}:${pad(dayAgo.getMinutes())}`);
  const downloadingAll = page.waitForEvent('download');
  await byTime.getByRole('button', { name: 'Export traces' }).click();
  const all = await downloadingAll;
  expect(all.suggestedFilename()).toMatch(/^traces-\d{8}T\d{4}Z-now\.otlp\.json$/);
  const allFile = testInfo.outputPath('traces-by-time.otlp.json');
  await all.saveAs(allFile);
  const listed = await callFromPage(page, 'traces.list', { from: dayAgo.toISOString(), limit: 1000 });
  const everyTrace = JSON.parse(readFileSync(allFile, 'utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }> };
  const exportedIds = new Set(everyTrace.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.traceId));
  expect(exportedIds.has(traceId)).toBe(true);
  expect(exportedIds.size).toBe((listed.value as { total: number }).total);
  await expect(byTime.getByTestId('trace-export-progress')).toContainText(/Saved traces-.*\.otlp\.json: \d+ traces, \d+ spans, content included/);
  await expectNoSeriousA11yViolations(page, 'the trace list with its export by time');

  // Charts: latency percentiles and tokens, each with its numbers as a table.
  await page.getByRole('navigation', { name: 'Traces' }).getByRole('link', { name: 'Charts' }).click();
  await expect(page).toHaveURL(`${serve.origin}/traces/charts`);
  const charts = page.locator('.trace-charts');
  await expect(charts.getByTestId('latency-chart').or(charts.getByTestId('charts-empty'))).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('traces-5-charts.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the trace charts');
  expect(csp()).toEqual([]);
});

test('an administrator sets how long traces are kept, and deletes old ones: counted first, then deleted and audited; the trace with feedback stays', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  expect(traceId, 'the first journey recorded a trace').not.toBe('');
  const csp = watchCspViolations(page);
  await signInLocally(page, serve);
  // A second walkthrough run, with no feedback: the one a purge may delete.
  const started = await callFromPage(page, 'runs.start', { workflowId: 'trace-walkthrough', input: { topics: ['liquidity'] } });
  expect(started.ok).toBe(true);
  const runId = started.value!.id as string;
  await expect.poll(async () => (await callFromPage(page, 'runs.get', { runId })).value?.status, { timeout: 120_000 }).toBe('completed');
  const secondTrace = (await callFromPage(page, 'runs.get', { runId })).value!.traceId as string;

  await sections(page).getByRole('link', { name: 'Traces' }).click();
  await page.getByRole('navigation', { name: 'Traces' }).getByRole('link', { name: 'Retention' }).click();
  await expect(page).toHaveURL(`${serve.origin}/traces/retention`);
  const retention = page.locator('.trace-retention');
  // Automatic deletion: off until someone sets it; set here, it says so.
  await expect(retention.getByTestId('trace-retention-policy')).toHaveText('Off: traces are kept until someone deletes them here.');
  await retention.getByLabel('Keep traces for (days)').fill('365');
  await retention.getByRole('button', { name: 'Save' }).click();
  await expect(retention.getByTestId('trace-retention-policy')).toContainText('Traces are deleted 365 days after they started');
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  await retention.getByLabel('Started before').fill(tomorrow);
  await retention.getByRole('button', { name: 'Count' }).click();
  const counted = retention.getByTestId('purge-count');
  // The first journey's trace has feedback and a flag: it stays, and the count says why.
  await expect(counted.locator('p')).toHaveText(/^1 trace \(\d+ spans\) started before \d{4}-\d{2}-\d{2} 00:00 UTC would be deleted\. Older traces that stay: 1 with feedback, 1 flagged\.$/);
  await page.screenshot({ path: testInfo.outputPath('traces-retention-1-counted.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the trace retention page');
  await counted.getByRole('button', { name: 'Delete 1 trace' }).click();
  await expect(retention.getByRole('status')).toHaveText(/^Deleted 1 trace \(\d+ spans\)\. Older traces that stay: 1 with feedback, 1 flagged\.$/);
  await page.screenshot({ path: testInfo.outputPath('traces-retention-2-deleted.png'), fullPage: true });

  // The API agrees: the commented trace stays, the other is gone, and the purge is in the audit log.
  expect((await callFromPage(page, 'traces.get', { traceId })).ok).toBe(true);
  expect((await callFromPage(page, 'traces.get', { traceId: secondTrace })).error?.code).toBe('ERR_TRACE_NOT_FOUND');
  const audit = await callFromPage(page, 'audit.list', { action: 'traces.purge', limit: 10 });
  expect(audit.value).toMatchObject({ entries: expect.arrayContaining([expect.objectContaining({ action: 'traces.purge', outcome: 'success' })]) as unknown });
  // A deleted trace is refused like any id not in the account (another account's, or none): said
  // plainly, with no "Try again" that could only fail the same way, and the lookup is audited by id.
  await page.goto(`${serve.origin}/traces/${secondTrace}`);
  const refusal = page.locator('.trace-view').getByRole('alert');
  await expect(refusal).toContainText('There is no such trace in your account.');
  await expect(refusal).toContainText('ERR_TRACE_NOT_FOUND');
  await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0);
  const probes = await callFromPage(page, 'audit.list', { action: 'traces.get', outcome: 'denied', limit: 10 });
  expect(probes.value).toMatchObject({ entries: expect.arrayContaining([expect.objectContaining({ resource: `trace:${secondTrace}`, details: expect.objectContaining({ code: 'ERR_TRACE_NOT_FOUND' }) })]) as unknown });
  expect(csp()).toEqual([]);
});

test('an auditor sees the trace and its feedback as metadata, never content', async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  expect(traceId, 'the first journey recorded a trace').not.toBe('');
  // Roles other than the local administrator come from an identity provider: the operator
  // configures one on the same installation and maps the auditors' group to Default.
  ({ idp, serve } = await moveToTestIdp(serve, { users: [{ login: 'dana', name: 'Dana Auditor', email: 'dana@bank.example', groups: ['internal-audit'] }], groups: { 'internal-audit': 'auditor' } }));

  const context = await browser.newContext();
  await loopbackOnly(context);
  const page = await context.newPage();
  const csp = watchCspViolations(page);
  await page.goto(serve.url);
  await signInThroughIdp(page, { serveOrigin: serve.origin, login: 'dana' });
  await expect(page.getByTestId('account-current')).toHaveText('Account: Default · auditor');

  await sections(page).getByRole('link', { name: 'Traces' }).click();
  const row = page.getByTestId(`trace-row-${traceId}`);
  await expect(row).toContainText('trace-walkthrough');
  await expect(page.getByTestId('trace-export-by-time')).toHaveCount(0);
  await row.getByRole('link').click();
  const view = page.getByTestId('trace-view');
  await expect(view).toBeVisible();
  // Read-only: no flag, no export (the auditor holds neither feedback.write nor traces.export).
  await expect(view.getByRole('button', { name: /Flag trace|Unflag trace/ })).toHaveCount(0);
  await expect(view.getByRole('button', { name: 'Export OTLP/JSON' })).toHaveCount(0);

  const llm = page.getByTestId('span-tree').locator('[data-kind="llm"]').first();
  const llmSpanId = (await llm.getAttribute('data-testid'))!.replace('span-row-', '');
  await llm.click();
  const detail = page.getByTestId('span-detail');
  await expect(detail.getByTestId('metadata-only')).toHaveText('Your role sees metadata only: inputs and outputs are not shown.');
  await expect(detail.getByTestId('span-content')).toHaveCount(0);
  await expect(detail.getByTestId('span-attributes')).toContainText('gen_ai.request.model');
  // The feedback is listed (feedback.read) without its comment; there is no form to add more.
  const feedback = detail.getByTestId('feedback-list').locator(':scope > li').first();
  await expect(feedback.getByTestId('feedback-rating')).toHaveText('Rating 2 / 5');
  await expect(feedback).toContainText('Your role sees metadata only: comments and edits are not shown.');
  await expect(feedback.getByTestId('feedback-comment')).toHaveCount(0);
  await expect(detail.getByTestId('feedback-form')).toHaveCount(0);
  await expect(feedback.getByRole('button', { name: 'Revise' })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('traces-6-auditor.png'), fullPage: true });
  await expectNoSeriousA11yViolations(page, 'the trace view as an auditor');

  // The API agrees, whatever the page shows.
  const span = await callFromPage(page, 'traces.span', { traceId, spanId: llmSpanId });
  expect(span.ok).toBe(true);
  expect(span.value).toMatchObject({ contentVisible: false, content: null });
  const submit = await callFromPage(page, 'feedback.submit', { traceId, spanId: llmSpanId, feedback: { rating: 5 } });
  expect(submit.error?.code).toBe('ERR_AUTH_FORBIDDEN');
  const exported = await callFromPage(page, 'traces.export', { traceId });
  expect(exported.error?.code).toBe('ERR_AUTH_FORBIDDEN');
  expect(csp()).toEqual([]);
  await context.close();
});
