import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { traceExportPartDefault } from '../../contracts/index.ts';
import { spanIdFor } from '../../tracing/index.ts';
// eslint-disable-next-line no-restricted-imports -- tracing's test support: writes traces through the real recorder, never used by the app
import { seedTraces } from '../../tracing/testing.ts';
/* eslint-disable no-restricted-imports -- the engine's test harness and stand-in model are testing seams meant for other areas' tests, not internals */
import { harness } from '../../workflows/testing/harness.ts';
import type { Harness } from '../../workflows/testing/harness.ts';
import { instantModel } from '../../workflows/testing/instantModel.ts';
/* eslint-enable no-restricted-imports */
import { capture } from '../testing.ts';
import { CliApi } from './api.ts';
import { exportTracesToFile, feedbackListCommand, tracesExportCommand, tracesListCommand, tracesPurgeCommand, tracesPushCommand, tracesRetentionCommand } from './traces.ts';
import type { TracesListOptions } from './traces.ts';
import { accountApi } from './workflows.ts';

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.core.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function traced() {
  const h = await harness({ model: instantModel(), workflows: { two: 'id: two\nname: Two\ninputs: {type: object}\nsteps:\n  - {id: a, kind: llm, prompt: "First"}\n  - {id: b, kind: llm, prompt: "Second {{ steps.a.output }}"}\n' } });
  open.push(h);
  const started = await h.call('runs.start', { workflowId: 'two', input: {} });
  await h.settle(started.id);
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-cli-traces-'));
  dirs.push(dir);
  return { h, traceId: started.traceId, dir };
}

describe('strongroom traces and feedback', () => {
  it('exports one trace as OTLP/JSON to a new private file, and refuses to overwrite it', async () => {
    const { h, traceId, dir } = await traced();
    const out = join(dir, 'trace.json');
    const io = capture();
    expect(await tracesExportCommand(io, h.core, { json: true, trace: traceId, out })).toBe(0);
    expect(JSON.parse(io.stdout[0]!)).toEqual({ ok: true, value: { file: out, traces: 1, spans: 3, contentIncluded: true, unreadableSpans: 0 } });
    const document = JSON.parse(readFileSync(out, 'utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; name: string }> }> }> };
    expect(document.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.name).sort()).toEqual(['a', 'b', 'two']);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const again = capture();
    expect(await tracesExportCommand(again, h.core, { json: false, trace: traceId, out })).toBe(1);
    expect(again.stderr.join('\n')).toMatch(/exists/i);
  });

  it('exports every trace since a time, and names the mistake when given both or neither selector', async () => {
    const { h, traceId, dir } = await traced();
    const io = capture();
    expect(await tracesExportCommand(io, h.core, { json: false, since: '2000-01-01', out: join(dir, 'since.json') })).toBe(0);
    expect(io.stdout[0]).toMatch(/Wrote 3 spans of 1 trace/);
    const both = capture();
    expect(await tracesExportCommand(both, h.core, { json: false, trace: traceId, since: '2000-01-01', out: join(dir, 'x.json') })).toBe(1);
    expect(both.stderr.join('\n')).toContain('either --trace');
    const badTime = capture();
    expect(await tracesExportCommand(badTime, h.core, { json: false, since: 'last tuesday', out: join(dir, 'y.json') })).toBe(1);
    expect(badTime.stderr.join('\n')).toContain('is not a date');
  });

  it('lists traces and the feedback on one, as JSON', async () => {
    const { h, traceId } = await traced();
    await h.call('feedback.submit', { traceId, spanId: spanIdFor(traceId, 'a'), feedback: { rating: 4, comment: 'clear', labels: ['tone'] } });
    const list = capture();
    expect(await tracesListCommand(list, h.core, { json: false, limit: 10 })).toBe(0);
    expect(list.stdout[0]).toContain(traceId);
    expect(list.stdout[0]).toContain('1 feedback');
    const io = capture();
    expect(await feedbackListCommand(io, h.core, { json: true, trace: traceId })).toBe(0);
    const parsed = JSON.parse(io.stdout[0]!) as { ok: boolean; value: Array<{ rating: number; comment: string; labels: string[]; version: number }> };
    expect(parsed.value).toMatchObject([{ rating: 4, comment: 'clear', labels: ['tone'], version: 1 }]);
    // A revision is a new version: the list shows it, --history shows both, oldest first.
    const feedbackId = (parsed.value[0] as unknown as { id: string }).id;
    await h.call('feedback.revise', { feedbackId, feedback: { rating: 2, comment: 'on reflection, vague', labels: ['tone'] } });
    const latest = capture();
    await feedbackListCommand(latest, h.core, { json: false, trace: traceId });
    expect(latest.stdout.join('\n')).toMatch(/ v2 .*rating 2/);
    expect(latest.stdout.join('\n')).not.toMatch(/ v1 /);
    const history = capture();
    expect(await feedbackListCommand(history, h.core, { json: true, trace: traceId, history: true })).toBe(0);
    expect((JSON.parse(history.stdout[0]!) as { value: unknown[] }).value).toMatchObject([{ version: 1, rating: 4, comment: 'clear' }, { version: 2, rating: 2, comment: 'on reflection, vague' }]);
  });

  it('purges traces started before a time: a dry run counts, the purge deletes, a bad time is named', async () => {
    const { h, traceId } = await traced();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const dry = capture();
    expect(await tracesPurgeCommand(dry, h.core, { json: false, before: tomorrow, dryRun: true })).toBe(0);
    expect(dry.stdout[0]).toMatch(/^Would delete 1 trace started before .* \(3 spans\)\.$/);
    expect((await h.call('traces.list', {})).total).toBe(1);
    const io = capture();
    expect(await tracesPurgeCommand(io, h.core, { json: true, before: tomorrow, dryRun: false })).toBe(0);
    expect(JSON.parse(io.stdout[0]!)).toMatchObject({ ok: true, value: { dryRun: false, purged: { traceCount: 1, spanCount: 3 } } });
    await expect(h.call('traces.get', { traceId })).rejects.toMatchObject({ code: 'ERR_TRACE_NOT_FOUND' });
    const bad = capture();
    expect(await tracesPurgeCommand(bad, h.core, { json: false, before: 'last spring', dryRun: false })).toBe(1);
    expect(bad.stderr.join('\n')).toContain('is not a date');
  });

  it('shows, sets and turns off the automatic trace retention', async () => {
    const { h } = await traced();
    const show = capture();
    expect(await tracesRetentionCommand(show, h.core, { json: false, off: false })).toBe(0);
    expect(show.stdout[0]).toBe('Traces are kept until someone purges them (strongroom traces purge).');
    const set = capture();
    expect(await tracesRetentionCommand(set, h.core, { json: true, days: 90, off: false })).toBe(0);
    expect(JSON.parse(set.stdout[0]!)).toMatchObject({ ok: true, value: { retentionDays: 90 } });
    expect((await h.call('traces.retention.get', {})).retentionDays).toBe(90);
    const off = capture();
    expect(await tracesRetentionCommand(off, h.core, { json: false, off: true })).toBe(0);
    expect((await h.call('traces.retention.get', {})).retentionDays).toBeNull();
    const both = capture();
    expect(await tracesRetentionCommand(both, h.core, { json: false, days: 5, off: true })).toBe(1);
    expect(both.stderr.join('\n')).toContain('either --days');
  });

  it('turns the collector push on and off, with a CA file and a token it never prints', async () => {
    const { h, dir } = await traced();
    const on = capture();
    expect(await tracesPushCommand(on, h.core, { json: true, endpoint: 'https://collector.example.internal:4318/v1/traces', off: false, includeContent: false })).toBe(0);
    expect(JSON.parse(on.stdout[0]!)).toMatchObject({ ok: true, value: { enabled: true, endpoint: 'https://collector.example.internal:4318/v1/traces', includeContent: false, caFile: null, tokenSet: false, status: { pushedSpans: 0, failedSpans: 0 } } });
    const ca = join(dir, 'bank-ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const secured = capture();
    expect(await tracesPushCommand(secured, h.core, { json: false, off: false, includeContent: false, caFile: ca, token: 'collector-secret-1', tokenHeader: 'X-Api-Key' })).toBe(0);
    expect(secured.stdout[0]).toContain(`Spans are pushed to https://collector.example.internal:4318/v1/traces (metadata only; trusting the CA in ${ca}; a token in the x-api-key header).`);
    expect(secured.stdout.join('\n')).not.toContain('collector-secret-1');
    const off = capture();
    expect(await tracesPushCommand(off, h.core, { json: false, off: true, includeContent: false, clearToken: true, clearCaFile: true })).toBe(0);
    expect(off.stdout[0]).toMatch(/^The OTLP push is off \(trusting the public CAs; no token kept for it\)\.\n/);
    const bad = capture();
    expect(await tracesPushCommand(bad, h.core, { json: false, endpoint: 'ftp://collector.example.internal', off: false, includeContent: false })).toBe(1);
    const notPem = capture();
    writeFileSync(join(dir, 'not.pem'), 'hello');
    expect(await tracesPushCommand(notPem, h.core, { json: false, off: false, includeContent: false, caFile: join(dir, 'not.pem') })).toBe(1);
    expect(notPem.stderr.join('\n')).toContain('holds no PEM certificate');
  });
});

describe('strongroom traces export of many traces', () => {
  it('writes every trace since a time in one OTLP/JSON document, telling its progress on stderr', async () => {
    const { h, traceId, dir } = await traced();
    const seeded = seedTraces(h.core.storage!, { accountId: h.accountId, traces: traceExportPartDefault + 10, endUs: Date.now() * 1000 - 3_600_000_000, spreadDays: 1 });
    const out = join(dir, 'all.json');
    const io = capture();
    expect(await tracesExportCommand(io, h.core, { json: false, since: new Date(Date.now() - 3 * 86_400_000).toISOString(), out })).toBe(0);
    const total = seeded.length + 1;
    expect(io.stderr).toEqual([`Exported ${traceExportPartDefault} of ${total} traces…`]);
    expect(io.stdout[0]).toMatch(new RegExp(`^Wrote \\d+ spans of ${total} traces to .* \\(OTLP/JSON, with content\\)\\.$`));
    const document = JSON.parse(readFileSync(out, 'utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }> };
    expect(document.resourceSpans).toHaveLength(1);
    expect(new Set(document.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.traceId))).toEqual(new Set([...seeded, traceId]));
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('deletes the file when a part fails, so a partial export never passes for a complete one', async () => {
    const { h, dir } = await traced();
    seedTraces(h.core.storage!, { accountId: h.accountId, traces: 5, endUs: Date.now() * 1000 - 3_600_000_000, spreadDays: 1 });
    const api = accountApi(h.core, undefined);
    const failing = new CliApi({ ...api.bridge, invoke: async (method, input) => ((input as { cursor?: string }).cursor ? { ok: false, error: { code: 'ERR_INTERNAL', message: 'the database went away' } } : api.bridge.invoke(method, { ...(input as object), limit: 2 } as never)) as never });
    const out = join(dir, 'partial.json');
    await expect(exportTracesToFile(failing, { since: new Date(Date.now() - 3 * 86_400_000).toISOString() }, out)).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    expect(existsSync(out)).toBe(false);
  });

  it('lists traces with the Traces page\'s filters: status, model, user, since and until', async () => {
    const { h } = await traced();
    const nowUs = Date.now() * 1000;
    seedTraces(h.core.storage!, { accountId: h.accountId, traces: 30, endUs: nowUs - 3_600_000_000, spreadDays: 3, models: ['model-a', 'model-b'], users: ['ana', 'ben', 'cy'] });
    const listed = async (options: Partial<TracesListOptions>) => {
      const io = capture();
      expect(await tracesListCommand(io, h.core, { json: true, limit: 100, ...options })).toBe(0);
      return (JSON.parse(io.stdout[0]!) as { value: { traces: Array<{ status: string; modelId: string | null; userId: string | null; startedAt: string }>; total: number } }).value;
    };
    const failed = await listed({ status: 'failed' });
    expect(failed.total).toBe(3);
    expect(failed.traces.every((t) => t.status === 'failed')).toBe(true);
    const ofModel = await listed({ model: 'model-b', user: 'ben' });
    expect(ofModel.total).toBeGreaterThan(0);
    expect(ofModel.traces.every((t) => t.modelId === 'model-b' && t.userId === 'ben')).toBe(true);
    const since = new Date((nowUs - 2 * 86_400_000_000) / 1000).toISOString();
    const until = new Date((nowUs - 86_400_000_000) / 1000).toISOString();
    const window = await listed({ since, until });
    expect(window.total).toBeGreaterThan(0);
    expect(window.total).toBeLessThan(30);
    expect(window.traces.every((t) => t.startedAt >= since && t.startedAt < until)).toBe(true);
    const text = capture();
    expect(await tracesListCommand(text, h.core, { json: false, limit: 5, status: 'cancelled' })).toBe(0);
    expect(text.stdout[0]).toBe('No trace matches these filters.');
    const bad = capture();
    expect(await tracesListCommand(bad, h.core, { json: false, limit: 5, status: 'sleeping' })).toBe(1);
    expect(await tracesListCommand(bad, h.core, { json: false, limit: 5, since: 'yesterday-ish' })).toBe(1);
    expect(bad.stderr.join('\n')).toContain('--since yesterday-ish is not a date');
  });
});
