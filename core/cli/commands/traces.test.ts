import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spanIdFor } from '../../tracing/index.ts';
/* eslint-disable no-restricted-imports -- the engine's test harness and stand-in model are testing seams meant for other areas' tests, not internals */
import { harness } from '../../workflows/testing/harness.ts';
import type { Harness } from '../../workflows/testing/harness.ts';
import { instantModel } from '../../workflows/testing/instantModel.ts';
/* eslint-enable no-restricted-imports */
import type { CliIo } from '../output.ts';
import { feedbackListCommand, tracesExportCommand, tracesListCommand, tracesPurgeCommand, tracesPushCommand, tracesRetentionCommand } from './traces.ts';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

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
    expect(JSON.parse(io.stdout[0]!)).toEqual({ ok: true, value: { file: out, traces: 1, spans: 3, contentIncluded: true } });
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

  it('turns the collector push on and off', async () => {
    const { h } = await traced();
    const on = capture();
    expect(await tracesPushCommand(on, h.core, { json: true, endpoint: 'https://collector.example.internal:4318/v1/traces', off: false, includeContent: false })).toBe(0);
    expect(JSON.parse(on.stdout[0]!)).toEqual({ ok: true, value: { enabled: true, endpoint: 'https://collector.example.internal:4318/v1/traces', includeContent: false } });
    const off = capture();
    expect(await tracesPushCommand(off, h.core, { json: false, off: true, includeContent: false })).toBe(0);
    expect(off.stdout[0]).toBe('The OTLP push is off.');
    const bad = capture();
    expect(await tracesPushCommand(bad, h.core, { json: false, endpoint: 'ftp://collector.example.internal', off: false, includeContent: false })).toBe(1);
  });
});
