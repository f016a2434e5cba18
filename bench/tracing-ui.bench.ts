// Trace explorer in a real browser (issue 7): milliseconds to
//   (a) show the first rows of a 100,000-trace list, and
//   (b) open a 10,000-span trace until its span tree and waterfall are drawn,
// each against a small baseline measured in the same run (a 100-trace list, a 10-span trace).
//
//   node bench/tracing-ui.bench.ts [--traces 100000] [--spans 10000] [--repetitions 5]
//
// Seeds a fresh installation through core/tracing/testing.ts (the real recorder: spans sealed and
// aggregated as recorded ones are), starts `strongroom serve` as a user would, signs in as the
// local administrator in Chromium (Playwright, STRONGROOM_CHROMIUM or /usr/bin/chromium), and times
// in-app navigations (History API + popstate, as a link click does) from the moment of navigating
// until the rows are painted (the frame after they are in the DOM), on the page's own clock. Also
// a cold load (a fresh page load of the same address, from navigation start), which adds the
// bundle, the session check and the account's boundaries. Median of `repetitions`, alternating
// big and small; and the API calls alone, so the UI's own share shows.
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import type { Page } from '@playwright/test';
import { resolveSecretStore } from '../core/secrets/index.ts';
import { openStorage } from '../core/storage/index.ts';
import { seedTraces } from '../core/tracing/testing.ts';
import { startServe } from '../e2e/support/serve.ts';

const { values: args } = parseArgs({ options: { traces: { type: 'string', default: '100000' }, spans: { type: 'string', default: '10000' }, repetitions: { type: 'string', default: '5' } } });
const traceCount = Number(args.traces);
const spanCount = Number(args.spans);
const repetitions = Number(args.repetitions);
const smallTraces = 100;
const hourUs = 3_600_000_000;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const ms = (value: number) => `${value.toFixed(0).padStart(6)} ms`;

// 1. An installation: serve once (creates it and the local administrator), stop, seed, serve again.
const first = await startServe();
if ((await first.stop()) !== 0) throw new Error(`first serve failed:\n${first.stderr()}`);
const seedStart = performance.now();
const storage = await openStorage({ dataDir: first.dataDir, secrets: resolveSecretStore({ env: { STRONGROOM_MASTER_KEY: first.masterKey } }), create: false });
const accountId = storage.accounts.list()[0]!.id;
const nowUs = Date.now() * 1000;
// The bulk, spread over 30 days and ending an hour ago; the small baseline workflow; then the big
// trace and a small one, newest, so both are at the top of the list.
seedTraces(storage, { accountId, traces: traceCount, spansPerTrace: 3, endUs: nowUs - hourUs });
seedTraces(storage, { accountId, traces: smallTraces, spansPerTrace: 3, workflows: ['bench-small'], endUs: nowUs - 2 * hourUs, spreadDays: 1 });
const [bigTrace] = seedTraces(storage, { accountId, traces: 1, spansPerTrace: spanCount, workflows: ['bench-10k-spans'], endUs: nowUs - 60_000_000 });
const [smallTrace] = seedTraces(storage, { accountId, traces: 1, spansPerTrace: 10, workflows: ['bench-10-spans'], endUs: nowUs - 120_000_000 });
await storage.dispose();
const seedMs = performance.now() - seedStart;

const serve = await startServe({ dataDir: first.dataDir, masterKey: first.masterKey, adminPassphrase: first.adminPassphrase });
const browser = await chromium.launch({
  executablePath: process.env.STRONGROOM_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

/**
 * Installed in every page before its scripts run: a MutationObserver notes when each view first
 * has what we wait for, and the frame after that (when it is painted), on the page's own clock
 * (performance.now(), 0 = navigation start). Playwright's waitFor polls with growing intervals
 * (20, 50, 100 ms…), which would quantize every figure. A string: this file is type-checked for
 * Node, without the DOM's types.
 */
const markReady = `(() => {
  window.__bench = {};
  const ready = {
    list: () => document.querySelector('[data-testid^="trace-row-"]'),
    tree: () => document.querySelector('[data-testid="span-tree"] [role="row"][data-kind]') && document.querySelector('[data-testid="span-tree"] .span-bar') && document.querySelector('[data-testid="waterfall-axis"] .span-tick'),
    system: () => document.querySelector('main h1')?.textContent === 'System',
  };
  const check = () => {
    const marks = window.__bench;
    for (const [name, done] of Object.entries(ready)) {
      if (marks[name] !== undefined || !done()) continue;
      marks[name] = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => { marks[name + 'Painted'] = performance.now(); }));
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();`;

type View = 'list' | 'tree' | 'system';
const timeout = 120_000;
// A function, not a string: Playwright evaluates string predicates with eval, which the CSP refuses.
const painted = (page: Page, view: View) => page.waitForFunction(
  (name) => (globalThis as unknown as { __bench?: Record<string, number> }).__bench?.[`${name}Painted`] !== undefined,
  view,
  { timeout, polling: 'raf' },
);

interface Timing {
  /** ms until what we wait for is in the DOM, and until the frame after (painted). */
  dom: number;
  paint: number;
}

/** Navigates inside the app (what a link does): ms from the navigation until `view` is there. */
async function navigate(page: Page, path: string, view: View): Promise<Timing> {
  const start = Number(await page.evaluate(`(() => {
    window.__bench = {};
    const start = performance.now();
    window.history.pushState(null, '', ${JSON.stringify(path)});
    window.dispatchEvent(new PopStateEvent('popstate'));
    return start;
  })()`));
  await painted(page, view);
  const marks = await page.evaluate<Record<string, number>>('window.__bench');
  return { dom: marks[view]! - start, paint: marks[`${view}Painted`]! - start };
}

/** A fresh page load of `path`: ms from navigation start until `view` is there. */
async function coldLoad(page: Page, path: string, view: View): Promise<Timing> {
  await page.goto(`${serve.origin}${path}`);
  await painted(page, view);
  const marks = await page.evaluate<Record<string, number>>('window.__bench');
  return { dom: marks[view]!, paint: marks[`${view}Painted`]! };
}

try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(markReady);
  await page.goto(serve.url);
  await page.getByLabel('Local administrator passphrase').fill(serve.adminPassphrase);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${serve.origin}/system`);
  await painted(page, 'system');

  // Sanity: the list says how many traces there are, and the big trace has its spans.
  await navigate(page, '/traces', 'list');
  const total = await page.getByTestId('trace-total').innerText();
  await navigate(page, `/traces/${bigTrace}`, 'tree');
  const shown = await page.locator('[data-testid="span-tree"] [role="row"][data-kind]').count();
  const rowCount = await page.getByTestId('span-tree').getAttribute('aria-rowcount');

  const figures = { list: [] as Timing[], listSmall: [] as Timing[], trace: [] as Timing[], traceSmall: [] as Timing[], listCold: [] as Timing[], traceCold: [] as Timing[] };
  for (let i = 0; i < repetitions; i += 1) {
    await navigate(page, '/system', 'system');
    figures.list.push(await navigate(page, '/traces', 'list'));
    await navigate(page, '/system', 'system');
    figures.listSmall.push(await navigate(page, '/traces?workflow=bench-small', 'list'));
    await navigate(page, '/system', 'system');
    figures.trace.push(await navigate(page, `/traces/${bigTrace}`, 'tree'));
    await navigate(page, '/system', 'system');
    figures.traceSmall.push(await navigate(page, `/traces/${smallTrace}`, 'tree'));
    figures.listCold.push(await coldLoad(page, '/traces', 'list'));
    figures.traceCold.push(await coldLoad(page, `/traces/${bigTrace}`, 'tree'));
  }

  // The API's share: the same calls the pages make, timed inside the page (fetch + JSON parse).
  const apiMs = async (method: string, input: unknown): Promise<number> => Number(await page.evaluate(`(async () => {
    const start = performance.now();
    const response = await fetch('/api/${method}', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + sessionStorage.getItem('strongroom.token') }, body: ${JSON.stringify(JSON.stringify(input))} });
    const body = await response.json();
    if (!body.ok) throw new Error(body.error.code);
    return performance.now() - start;
  })()`));
  const api = { list: [] as number[], listSmall: [] as number[], trace: [] as number[] };
  for (let i = 0; i < repetitions; i += 1) {
    api.list.push(await apiMs('traces.list', { limit: 200 }));
    api.listSmall.push(await apiMs('traces.list', { limit: 200, workflowId: 'bench-small' }));
    api.trace.push(await apiMs('traces.get', { traceId: bigTrace }));
  }

  // Paging through the cursor: the API alone, eleven pages deep.
  const pagesMs = Number(await page.evaluate(`(async () => {
    const start = performance.now();
    let cursor;
    for (let i = 0; i < 11; i += 1) {
      const response = await fetch('/api/traces.list', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + sessionStorage.getItem('strongroom.token') }, body: JSON.stringify(cursor ? { limit: 200, cursor } : { limit: 200 }) });
      const body = await response.json();
      if (!body.ok) throw new Error(body.error.code);
      cursor = body.value.nextCursor;
    }
    return performance.now() - start;
  })()`));

  // Scrolling deep into the list: End key presses page through the cursor; time to reach row 2,000.
  await navigate(page, '/traces', 'list');
  const scrollStart = performance.now();
  const grid = page.getByTestId('trace-list');
  await grid.locator('a').first().focus();
  while ((await page.locator('[data-row-index="2000"]').count()) === 0) {
    await page.keyboard.press('End');
    await page.waitForTimeout(50);
    if (performance.now() - scrollStart > timeout) {
      const loaded = await page.locator('.trace-list-summary .hint').innerText();
      const focused = await page.evaluate('document.activeElement && document.activeElement.outerHTML.slice(0, 120)');
      throw new Error(`the list did not page to row 2,000 (${loaded}; focus on ${String(focused)})`);
    }
  }
  const deepMs = performance.now() - scrollStart;

  const paint = (timings: Timing[]) => median(timings.map((t) => t.paint));
  const dom = (timings: Timing[]) => median(timings.map((t) => t.dom));
  const row = (label: string, big: Timing[], small: Timing[], baseline: string) =>
    `${label.padEnd(40)}${ms(paint(big))} (${ms(dom(big)).trim()} in DOM)${ms(paint(small))}   ${(paint(big) / paint(small)).toFixed(2)}×  baseline: ${baseline}`;
  console.log(`Trace explorer, Chromium against strongroom serve (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  console.log(`seeded ${traceCount.toLocaleString('en')} + ${smallTraces} traces and a ${spanCount.toLocaleString('en')}-span trace in ${(seedMs / 1000).toFixed(1)} s; list says "${total}"; big trace: ${rowCount === null ? '?' : (Number(rowCount) - 1).toLocaleString('en')} tree rows, ${shown} in the DOM`);
  console.log(`${`median of ${repetitions}, in-app navigation`.padEnd(40)}   painted                baseline   ratio`);
  console.log(row(`(a) first rows, ${traceCount.toLocaleString('en')}-trace list`, figures.list, figures.listSmall, `a ${smallTraces}-trace filtered list`));
  console.log(row(`(b) ${spanCount.toLocaleString('en')}-span trace, tree + waterfall`, figures.trace, figures.traceSmall, 'a 10-span trace'));
  console.log(`of which the API call (fetch + JSON): (a) traces.list, 200 rows ${ms(median(api.list)).trim()} (filtered to the ${smallTraces}: ${ms(median(api.listSmall)).trim()}); (b) traces.get, ${spanCount.toLocaleString('en')} spans ${ms(median(api.trace)).trim()}`);
  console.log(`cold page load, from navigation start: (a) ${ms(paint(figures.listCold)).trim()}; (b) ${ms(paint(figures.traceCold)).trim()}`);
  console.log(`paging by keyboard (End) to row 2,000 of the list, 11 cursor pages: ${ms(deepMs).trim()} (the 11 traces.list calls alone: ${ms(pagesMs).trim()})`);
  console.log('Target (issue 7): report the milliseconds.');
} finally {
  await browser.close();
  await serve.stop();
  rmSync(first.dataDir, { recursive: true, force: true });
}
