import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBridge } from '../api/index.ts';
import type { Principal } from '../api/index.ts';
import { silentLogger, systemClock } from '../base/index.ts';
import { exportTraces, installationPermissions, rolePermissions } from '../contracts/index.ts';
import type { MethodInput, MethodName, MethodOutput, TraceExport, TraceExportInput } from '../contracts/index.ts';
import { buildPrincipal, IdentityStore } from '../identity/index.ts';
/* eslint-disable no-restricted-imports -- the engine's test harness and stand-in model are testing seams meant for other areas' tests, not internals */
import { harness } from '../workflows/testing/harness.ts';
import type { Harness } from '../workflows/testing/harness.ts';
import { instantModel } from '../workflows/testing/instantModel.ts';
/* eslint-enable no-restricted-imports */
import { OtlpPusher, spanIdFor, TracingService } from './index.ts';
import { seedTraces } from './testing.ts';

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.core.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function make() {
  const h = await harness({ model: instantModel(), workflows: {} });
  open.push(h);
  return h;
}

function caller(h: Harness, principal: Principal) {
  const api = createInProcessBridge(h.core.router, h.core.events, h.core.sessions.create(principal).id);
  return async <M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> => {
    const result = await api.invoke(method, input);
    if (!result.ok) throw Object.assign(new Error(`${method}: ${result.error.code}`), { code: result.error.code });
    return result.value;
  };
}

const compliance = (h: Harness): Principal => ({ kind: 'user', userId: 'compliance-1', displayName: 'Compliance', accountId: h.accountId, roles: ['compliance'], permissions: new Set(rolePermissions.compliance.filter((p) => !installationPermissions.includes(p))), installationAdmin: false });

interface Document { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; spanId: string }> }> }> }

/** Every part of an export through the API, joined as the CLI and the page join them. */
async function exportAll(call: (input: TraceExportInput) => Promise<TraceExport>, input: TraceExportInput) {
  const parts: TraceExport[] = [];
  const pieces: string[] = [];
  const progress: Array<[number, number]> = [];
  const done = await exportTraces(async (part) => {
    const result = await call(part);
    parts.push(result);
    return result;
  }, input, (text) => void pieces.push(text), (written, total) => progress.push([written, total]));
  const text = pieces.join('');
  return { done, parts, progress, text, document: JSON.parse(text) as Document };
}

const hour = 3_600_000_000;
const exportEntries = (h: Harness) => h.core.storage!.db.prepare("SELECT resource, json_extract(details, '$.traces') AS traces, json_extract(details, '$.contentIncluded') AS contentIncluded, json_extract(details, '$.last') AS last FROM audit_log WHERE action = 'traces.export' AND details IS NOT NULL ORDER BY seq").all() as Array<{ resource: string; traces: number; contentIncluded: number; last: number | null }>;

describe('exports by time', () => {
  it('holds every trace since the time however many there are: parts of whole traces, none missing, none twice, each part audited', async () => {
    const h = await make();
    const ids = seedTraces(h.core.storage!, { accountId: h.accountId, traces: 23, endUs: Date.now() * 1000 - hour, spreadDays: 1 });
    const call = caller(h, compliance(h));
    const since = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const { done, parts, progress, document } = await exportAll((input) => call('traces.export', input), { since, limit: 5 });

    expect(parts.map((p) => p.traces)).toEqual([5, 5, 5, 5, 3]);
    expect(parts.map((p) => p.total)).toEqual([23, 23, 23, 23, 23]);
    expect(parts.map((p) => p.nextCursor === null)).toEqual([false, false, false, false, true]);
    expect(progress.at(-1)).toEqual([23, 23]);
    expect(done).toMatchObject({ traces: 23, parts: 5, contentIncluded: true });
    // One document, one resource and scope, every span of every trace exactly once.
    expect(document.resourceSpans).toHaveLength(1);
    const spans = document.resourceSpans[0]!.scopeSpans[0]!.spans;
    const expectedSpans = (await call('traces.list', { limit: 100 })).traces.reduce((sum, t) => sum + t.spanCount, 0);
    expect(spans).toHaveLength(expectedSpans);
    expect(done.spans).toBe(expectedSpans);
    expect(new Set(spans.map((s) => `${s.traceId}:${s.spanId}`)).size).toBe(spans.length);
    expect([...new Set(spans.map((s) => s.traceId))].sort()).toEqual([...ids].sort());
    // Whole traces: no trace is split across parts.
    const partOf = new Map<string, number>();
    parts.forEach((part, index) => {
      for (const span of (part.document as unknown as Document).resourceSpans[0]!.scopeSpans[0]!.spans) {
        expect(partOf.get(span.traceId) ?? index, span.traceId).toBe(index);
        partOf.set(span.traceId, index);
      }
    });
    const audit = exportEntries(h);
    expect(audit.map((e) => e.traces)).toEqual([5, 5, 5, 5, 3]);
    expect(audit.map((e) => e.last)).toEqual([0, 0, 0, 0, 1]);
    expect(new Set(audit.map((e) => e.resource))).toEqual(new Set([`traces:since:${since}`]));
  });

  it('fixes its window at the first part: later traces stay out, until bounds it, and a cursor is good only for its own export', async () => {
    const h = await make();
    const nowUs = Date.now() * 1000;
    seedTraces(h.core.storage!, { accountId: h.accountId, traces: 10, endUs: nowUs - hour, spreadDays: 0.25 });
    const call = caller(h, compliance(h));
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const first = await call('traces.export', { since, limit: 4 });
    expect(first).toMatchObject({ traces: 4, total: 10 });
    // Traces that start after the export began are not pulled into it.
    seedTraces(h.core.storage!, { accountId: h.accountId, traces: 3, endUs: nowUs + 60_000_000, spreadDays: 0.00001 });
    const rest = await exportAll((input) => call('traces.export', input), { since, limit: 4, cursor: first.nextCursor! });
    expect(rest.parts.map((p) => [p.traces, p.total])).toEqual([[4, 10], [2, 10]]);
    // A window with an end: the 10 seeded traces spread back from an hour ago over six hours.
    const until = new Date((nowUs - 4 * hour) / 1000).toISOString();
    const bounded = await exportAll((input) => call('traces.export', input), { since, until });
    const startedBefore = (await call('traces.list', { to: until, limit: 100 })).total;
    expect(startedBefore).toBeGreaterThan(0);
    expect(startedBefore).toBeLessThan(10);
    expect(bounded.done.traces).toBe(startedBefore);
    await expect(call('traces.export', { since: new Date(Date.now() - 7_200_000).toISOString(), cursor: first.nextCursor! })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(call('traces.export', { since, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(call('traces.export', { traceId: 'a'.repeat(32), limit: 5 })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(call('traces.export', { since, until: since })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('bounds a part by spans too: large traces come a few at a time, a trace larger than the budget alone', async () => {
    const h = await make();
    const storage = h.core.storage!;
    const endUs = Date.now() * 1000 - hour;
    seedTraces(storage, { accountId: h.accountId, traces: 12, spansPerTrace: 3, endUs, spreadDays: 0.5 });
    seedTraces(storage, { accountId: h.accountId, traces: 1, spansPerTrace: 40, endUs: endUs - 13 * hour, spreadDays: 0 });
    const budget = 10;
    const service = new TracingService({ storage, recorder: h.core.traceRecorder!, pusher: new OtlpPusher({ db: storage.db, logger: silentLogger(), installationId: storage.installationId }), audit: h.core.audit!, clock: systemClock, legalHold: () => false, exportSpanBudget: budget });
    const { done, parts } = await exportAll(async (input) => service.export(compliance(h), input, 'test'), { since: new Date(Date.now() - 86_400_000).toISOString() });
    expect(done.traces).toBe(13);
    expect(parts.length).toBeGreaterThan(4);
    for (const part of parts) expect(part.spans <= budget || part.traces === 1, `${part.traces} traces, ${part.spans} spans`).toBe(true);
    expect(parts[0]).toMatchObject({ traces: 1 });
    expect(parts[0]!.spans).toBeGreaterThan(budget);
  });
});

describe('exports for a role that may not read content', () => {
  it('holds metadata only — no plaintext of any input or output in the file — when the account caps the role below traces.content', async () => {
    const h = await make();
    const storage = h.core.storage!;
    const canary = `CANARY-${randomBytes(6).toString('hex')}`;
    // A trace whose model call saw and wrote the canary (content: sealed at rest).
    const traceId = randomBytes(16).toString('hex');
    const recorder = h.core.traceRecorder!;
    const startUs = Date.now() * 1000 - hour;
    recorder.openTrace({ accountId: h.accountId, traceId, runId: null, workflowId: 'memo', version: 'f'.repeat(64), modelId: 'instant', userId: 'analyst-1', startUs });
    recorder.record({ accountId: h.accountId, traceId, spanId: spanIdFor(traceId, ''), parentSpanId: null, kind: 'workflow', name: 'memo', path: '', startUs, endUs: startUs + 3000, durationMs: 3, status: 'ok', errorCode: null, errorMessage: null, attributes: { 'strongroom.workflow.id': 'memo' }, input: { borrower: canary }, output: { memo: canary } });
    recorder.record({ accountId: h.accountId, traceId, spanId: spanIdFor(traceId, 'draft'), parentSpanId: spanIdFor(traceId, ''), kind: 'llm', name: 'draft', path: 'draft', startUs: startUs + 1000, endUs: startUs + 2000, durationMs: 1, status: 'ok', errorCode: null, errorMessage: null, attributes: { 'gen_ai.request.model': 'instant' }, input: { messages: [{ role: 'user', content: `Write about ${canary}` }] }, output: `${canary} is a borrower.` });
    recorder.closeTrace({ accountId: h.accountId, traceId, status: 'completed', endUs: startUs + 3000 });
    seedTraces(storage, { accountId: h.accountId, traces: 4, endUs: startUs - hour, spreadDays: 0.1 });

    // The installation administrator caps compliance in this account below traces.content …
    const operator = caller(h, { kind: 'local-admin', userId: 'local-admin', displayName: 'Local administrator', accountId: h.accountId, roles: ['admin'], permissions: new Set(rolePermissions.admin), installationAdmin: true });
    await operator('admin.boundaries.set', { accountId: h.accountId, role: 'compliance', permissions: rolePermissions.compliance.filter((p) => p !== 'traces.content') });
    // … so a compliance officer signing in holds traces.export but not traces.content.
    const capped = buildPrincipal(new IdentityStore(storage.db), { id: 'compliance-2', kind: 'user', issuer: 'https://idp.bank.internal', subject: 'c2', displayName: 'Capped compliance', email: null, passphraseHash: null, lastSignInAt: null }, h.accountId, [{ accountId: h.accountId, role: 'compliance', source: 'group' }], h.accountId)!;
    expect(capped.permissions.has('traces.export')).toBe(true);
    expect(capped.permissions.has('traces.content')).toBe(false);

    const dir = mkdtempSync(join(tmpdir(), 'strongroom-trace-export-'));
    dirs.push(dir);
    const toFile = async (principal: Principal, input: TraceExportInput, name: string) => {
      const file = join(dir, name);
      const call = caller(h, principal);
      const done = await exportTraces((part) => call('traces.export', part.since === undefined ? part : { ...part, limit: 2 }), input, (text) => appendFileSync(file, text));
      return { done, bytes: readFileSync(file), document: JSON.parse(readFileSync(file, 'utf8')) as Document };
    };
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const metadataOnly = await toFile(capped, { since }, 'capped.otlp.json');
    const oneTrace = await toFile(capped, { traceId }, 'capped-one.otlp.json');
    const withContent = await toFile(compliance(h), { since }, 'full.otlp.json');

    // The control: the same export by a role that may read content holds the canary.
    expect(withContent.done.contentIncluded).toBe(true);
    expect(withContent.bytes.includes(Buffer.from(canary))).toBe(true);
    for (const exported of [metadataOnly, oneTrace]) {
      expect(exported.done.contentIncluded).toBe(false);
      expect(exported.bytes.includes(Buffer.from(canary))).toBe(false);
      const text = exported.bytes.toString('utf8');
      for (const key of ['gen_ai.input.messages', 'gen_ai.output.messages', 'strongroom.input', 'strongroom.output']) expect(text).not.toContain(key);
      // … while the metadata is all there.
      expect(exported.document.resourceSpans[0]!.scopeSpans[0]!.spans.filter((s) => s.traceId === traceId)).toHaveLength(2);
      expect(text).toContain('gen_ai.request.model');
    }
    expect(metadataOnly.done.traces).toBe(5);
    expect(metadataOnly.done.parts).toBe(3);
    // The audit log records each part as metadata only.
    const entries = exportEntries(h);
    expect(entries.filter((e) => e.contentIncluded === 0)).toHaveLength(metadataOnly.done.parts + 1);
  });
});

describe('an export over content that was altered at rest', () => {
  it('goes through: the altered span goes out marked and without content, the rest intact; the tampering is counted and audited', async () => {
    const h = await make();
    seedTraces(h.core.storage!, { accountId: h.accountId, traces: 3, endUs: Date.now() * 1000 - hour, spreadDays: 0.01 });
    const db = h.core.storage!.db;
    const rows = db.prepare('SELECT key, trace_id, span_id, content FROM spans WHERE account_id = ? AND content IS NOT NULL ORDER BY key').all(h.accountId) as Array<{ key: string; trace_id: string; span_id: string; content: Buffer }>;
    // Ciphertext copied over another row's: a valid value, in the wrong place.
    const [victim, donor] = [rows[0]!, rows[1]!];
    db.prepare('UPDATE spans SET content = ? WHERE key = ?').run(donor.content, victim.key);

    const call = caller(h, compliance(h));
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const { done, document } = await exportAll((input) => call('traces.export', input), { since });
    const spanCount = db.prepare('SELECT count(*) FROM spans WHERE account_id = ?').pluck().get(h.accountId) as number;
    expect(done).toMatchObject({ traces: 3, spans: spanCount, contentIncluded: true, unreadableSpans: 1 });
    const spans = document.resourceSpans[0]!.scopeSpans[0]!.spans as Array<{ spanId: string; traceId: string; attributes: Array<{ key: string; value: { stringValue?: string } }> }>;
    const keys = (spanId: string) => spans.find((span) => span.spanId === spanId)!.attributes.map((a) => a.key);
    // Content attributes only (token counts are metadata and stay).
    const content = /^(gen_ai\.(input|output)\.messages|gen_ai\.tool\.call\.(arguments|result)|strongroom\.(input|output))$/;
    expect(keys(victim.span_id)).toContain('strongroom.content.unreadable');
    expect(keys(victim.span_id).filter((key) => content.test(key))).toEqual([]);
    expect(spans.filter((span) => span.spanId !== victim.span_id && span.attributes.some((a) => a.key === 'strongroom.content.unreadable'))).toEqual([]);
    expect(keys(donor.span_id).some((key) => content.test(key))).toBe(true);
    const audited = db.prepare("SELECT details FROM audit_log WHERE action = 'traces.export' ORDER BY seq DESC LIMIT 1").pluck().get() as string;
    expect(JSON.parse(audited)).toMatchObject({ unreadableSpans: 1, contentIncluded: true });

    // Reading the span itself is refused with the code, and that is audited with where it happened.
    await expect(call('traces.span', { traceId: victim.trace_id, spanId: victim.span_id })).rejects.toMatchObject({ code: 'ERR_STORAGE_TAMPERED' });
    const entry = db.prepare("SELECT outcome, details FROM audit_log WHERE action = 'traces.span' ORDER BY seq DESC LIMIT 1").get() as { outcome: string; details: string };
    expect(entry.outcome).toBe('failure');
    expect(JSON.parse(entry.details)).toMatchObject({ code: 'ERR_STORAGE_TAMPERED', table: 'spans', rowId: victim.key, column: 'content' });
    // The other spans still read.
    await expect(call('traces.span', { traceId: donor.trace_id, spanId: donor.span_id })).resolves.toMatchObject({ contentVisible: true });
  });
});
