import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBridge } from '../api/index.ts';
import type { Principal } from '../api/index.ts';
import type { MethodInput, MethodName, MethodOutput, Role, Span, StrongroomBridge } from '../contracts/index.ts';
import { installationPermissions, rolePermissions } from '../contracts/index.ts';
/* eslint-disable no-restricted-imports -- the engine's test harness and stand-in model are testing seams meant for other areas' tests, not internals */
import { harness } from '../workflows/testing/harness.ts';
import type { Harness } from '../workflows/testing/harness.ts';
import { instantModel } from '../workflows/testing/instantModel.ts';
/* eslint-enable no-restricted-imports */
import { editDistance, parentPath, spanIdFor } from './index.ts';
import { seedTraces } from './testing.ts';

const open: Harness[] = [];
afterEach(async () => { for (const h of open.splice(0)) await h.core.dispose(); });
async function make(options: Partial<Parameters<typeof harness>[0]> = {}) {
  const h = await harness({ model: instantModel({ delayMs: 5 }), workflows, ...options });
  open.push(h);
  return h;
}

const canary = 'ZEBRA-CANARY-7731';

const workflows = {
  memo: `id: memo
name: Memo
inputs: {type: object, properties: {borrower: {type: string}, sections: {type: array, items: {type: string}}}, required: [borrower, sections]}
steps:
  - {id: intro, kind: llm, prompt: "Introduce {{ inputs.borrower }}"}
  - id: each
    kind: map
    over: inputs.sections
    concurrency: 3
    steps:
      - {id: draft, kind: llm, prompt: "Draft {{ item }} for {{ inputs.borrower }}"}
      - id: detail
        kind: workflow
        workflow: memo-part
        input: {name: {ref: item}}
  - {id: total, kind: tool, tool: counter, args: {label: {template: "memo-{{ inputs.borrower }}"}}}
`,
  review: `id: review
name: Review
inputs: {type: object}
steps:
  - {id: draft, kind: llm, prompt: "Draft"}
  - {id: approve, kind: human, action: approve, prompt: "Approve?"}
  - {id: final, kind: llm, prompt: "Final {{ steps.approve.output.approved }}"}
`,
  'memo-part': `id: memo-part
name: Memo part
inputs: {type: object, properties: {name: {type: string}}, required: [name]}
steps:
  - {id: facts, kind: llm, prompt: "Facts for {{ inputs.name }}"}
`,
};

function as(h: Harness, role: Role) {
  const principal: Principal = { kind: 'user', userId: `user-${role}`, displayName: role, accountId: h.accountId, roles: [role], permissions: new Set(rolePermissions[role].filter((p) => !installationPermissions.includes(p))), installationAdmin: false };
  return calling(createInProcessBridge(h.core.router, h.core.events, h.core.sessions.create(principal).id));
}

/** A bridge as a function returning the method's value; a refusal throws with its code. */
function calling(api: StrongroomBridge) {
  return async <M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> => {
    const result = await api.invoke(method, input);
    if (!result.ok) throw Object.assign(new Error(`${method}: ${result.error.code}`), { code: result.error.code });
    return result.value;
  };
}

async function memoRun(h: Harness, borrower = 'Acme Shipping', sections = ['liquidity', 'covenants', 'collateral']) {
  const started = await h.call('runs.start', { workflowId: 'memo', input: { borrower, sections } });
  const run = await h.settle(started.id);
  expect(run.status).toBe('completed');
  return run;
}

interface PushedSpan { spanId: string; parentSpanId?: string; name: string; attributes: Array<{ key: string; value: { stringValue?: string } }> }

/** An OTLP/HTTP collector on loopback that keeps the paths it was posted to and every span. */
async function startCollector() {
  const paths: Array<string | undefined> = [];
  const spans: PushedSpan[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const document = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: PushedSpan[] }> }> };
      paths.push(request.url);
      spans.push(...document.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    paths,
    spans,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    async waitFor(count: number) {
      for (let i = 0; i < 1000 && spans.length < count; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    close: () => server.close(),
  };
}

/** The installation administrator, who alone sets the push (installation.manage). */
function installationAdmin(h: Harness, userId = 'local-admin') {
  return createInProcessBridge(h.core.router, h.core.events, h.core.sessions.create({ kind: 'local-admin', userId, displayName: 'Local administrator', accountId: h.accountId, roles: ['admin'], permissions: new Set(rolePermissions.admin), installationAdmin: true }).id);
}

const byPath = (spans: Span[]) => new Map(spans.map((s) => [s.path, s]));

describe('span trees', () => {
  it('derives parents from step paths: nested workflows, map items, agent turns and their tool calls', () => {
    expect(parentPath('')).toBeNull();
    expect(parentPath('intro')).toBe('');
    expect(parentPath('each[2].draft')).toBe('each');
    expect(parentPath('each[2].detail/facts')).toBe('each[2].detail');
    expect(parentPath('a.b.c')).toBe('a.b');
    expect(parentPath('plan#3')).toBe('plan');
    expect(parentPath('plan#3.kyc.lookup')).toBe('plan#3');
    expect(spanIdFor('0'.repeat(32), 'a')).toMatch(/^[0-9a-f]{16}$/);
    expect(spanIdFor('0'.repeat(32), 'a')).not.toBe(spanIdFor('1'.repeat(32), 'a'));
  });

  it('records a nested, parallel run as one correct tree with GenAI attributes and totals', async () => {
    const h = await make();
    const run = await memoRun(h);
    const { trace, spans } = await h.call('traces.get', { traceId: run.traceId });
    const paths = byPath(spans);
    // root + intro + each + 3 × (draft + detail + detail/facts) + total
    expect([...paths.keys()].sort()).toEqual(['', 'each', 'each[0].detail', 'each[0].detail/facts', 'each[0].draft', 'each[1].detail', 'each[1].detail/facts', 'each[1].draft', 'each[2].detail', 'each[2].detail/facts', 'each[2].draft', 'intro', 'total'].sort());
    expect(trace).toMatchObject({ runId: run.id, workflowId: 'memo', status: 'completed', spanCount: 13, incomplete: false, modelId: 'instant', userId: 'analyst-1' });
    const ids = new Map(spans.map((s) => [s.spanId, s]));
    for (const span of spans) {
      expect(span.traceId).toBe(run.traceId);
      if (span.path === '') expect(span.parentSpanId).toBeNull();
      else expect(ids.get(span.parentSpanId!)?.path, span.path).toBe(parentPath(span.path));
      expect(span.endUs).not.toBeNull();
      expect(span.endUs!).toBeGreaterThanOrEqual(span.startUs);
      // A child lies within its parent's time span.
      if (span.parentSpanId) {
        const parent = ids.get(span.parentSpanId)!;
        expect(span.startUs).toBeGreaterThanOrEqual(parent.startUs);
        expect(span.endUs!).toBeLessThanOrEqual(parent.endUs!);
      }
    }
    expect(paths.get('')).toMatchObject({ kind: 'workflow', status: 'ok', attributes: { 'strongroom.workflow.id': 'memo', 'strongroom.workflow.version': run.version } });
    expect(paths.get('each')).toMatchObject({ kind: 'step', attributes: { 'strongroom.step.kind': 'map' } });
    expect(paths.get('each[1].detail')).toMatchObject({ kind: 'workflow', attributes: { 'strongroom.workflow.nested': expect.stringMatching(/^memo-part@/) as string } });
    expect(paths.get('total')).toMatchObject({ kind: 'tool', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'counter', 'strongroom.tool.name': 'counter' } });
    const draft = paths.get('each[0].draft')!;
    expect(draft).toMatchObject({ kind: 'llm', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'instant', 'gen_ai.response.finish_reasons': ['stop'] } });
    // The three items ran in parallel: their model calls overlap in time.
    const drafts = [0, 1, 2].map((i) => paths.get(`each[${i}].draft`)!);
    const overlapping = drafts.some((a) => drafts.some((b) => a !== b && a.startUs < b.endUs! && b.startUs < a.endUs!));
    expect(overlapping).toBe(true);
    const llmSpans = spans.filter((s) => s.kind === 'llm');
    const inputTokens = llmSpans.reduce((sum, s) => sum + Number(s.attributes['gen_ai.usage.input_tokens']), 0);
    expect(trace.inputTokens).toBe(inputTokens);
    expect(inputTokens).toBeGreaterThan(0);
  });

  it('keeps one span per step across passes: a human step waits open, then closes when answered', async () => {
    const h = await make({ workflows: { ...workflows, gated: `id: gated
name: Gated
inputs: {type: object}
steps:
  - {id: draft, kind: llm, prompt: "Draft"}
  - {id: approval, kind: human, action: approve, prompt: "Approve?"}
  - {id: final, kind: llm, prompt: "Final"}
` } });
    const started = await h.call('runs.start', { workflowId: 'gated', input: {} });
    const waiting = await h.settle(started.id);
    expect(waiting.status).toBe('waiting');
    let view = await h.call('traces.get', { traceId: started.traceId });
    expect(view.trace.status).toBe('waiting');
    expect(byPath(view.spans).get('approval')).toMatchObject({ kind: 'human', status: 'unset', endUs: null });
    await h.call('runs.answer', { runId: started.id, path: 'approval', answer: { approved: true } });
    await h.core.workflows!.settled(started.id);
    view = await h.call('traces.get', { traceId: started.traceId });
    expect(view.trace.status).toBe('completed');
    const paths = byPath(view.spans);
    expect(view.spans).toHaveLength(4);
    expect(paths.get('approval')).toMatchObject({ status: 'ok', attributes: { 'strongroom.human.answered_by': 'analyst-1' } });
    expect(paths.get('approval')!.endUs).not.toBeNull();
    // The root span kept its first start and now ends after the answer.
    expect(paths.get('')!.startUs).toBeLessThanOrEqual(paths.get('draft')!.startUs);
    expect(paths.get('')!.endUs!).toBeGreaterThanOrEqual(paths.get('final')!.endUs!);
  });

  it('closes the trace of a waiting run that is cancelled', async () => {
    const h = await make({ workflows: { ...workflows, gated: 'id: gated\nname: Gated\ninputs: {type: object}\nsteps:\n  - {id: approval, kind: human, action: approve, prompt: "Approve?"}\n' } });
    const started = await h.call('runs.start', { workflowId: 'gated', input: {} });
    await h.settle(started.id);
    await h.call('runs.cancel', { runId: started.id });
    const { trace, spans } = await h.call('traces.get', { traceId: started.traceId });
    expect(trace.status).toBe('cancelled');
    expect(byPath(spans).get('')).toMatchObject({ status: 'error', errorCode: 'ERR_WORKFLOW_CANCELLED' });
  });

  it('ends a rejected approval\'s span with the decision, keeps it when a retry asks again, and ends every open span of a cancelled run', async () => {
    const h = await make({ workflows: { ...workflows, filing: `id: filing
name: Filing
inputs: {type: object, properties: {items: {type: array, items: {type: string}}}, required: [items]}
steps:
  - {id: draft, kind: llm, prompt: "Draft"}
  - id: each
    kind: map
    over: inputs.items
    steps:
      - {id: confirm, kind: human, action: input, prompt: "Confirm {{ item }}"}
  - {id: approval, kind: human, action: approve, onReject: end, prompt: "Approve the filing?"}
` } });
    const started = await h.call('runs.start', { workflowId: 'filing', input: { items: ['a'] } });
    await h.settle(started.id);
    await h.call('runs.answer', { runId: started.id, path: 'each[0].confirm', answer: { ok: true } });
    expect((await h.settle(started.id)).waitingOn).toEqual(['approval']);
    await h.call('runs.answer', { runId: started.id, path: 'approval', answer: { approved: false, comment: canary } });
    expect((await h.settle(started.id)).errorCode).toBe('ERR_WORKFLOW_REJECTED');

    const rejection = { kind: 'human', status: 'error', errorCode: 'ERR_WORKFLOW_REJECTED', attributes: expect.objectContaining({ 'strongroom.human.decision': 'rejected', 'strongroom.human.action': 'approve' }) as unknown };
    let spans = byPath((await h.call('traces.get', { traceId: started.traceId })).spans);
    expect(spans.get('approval')).toMatchObject(rejection);
    expect(spans.get('approval')!.endUs).not.toBeNull();
    // The decision is metadata; the comment is content, sealed on the span like any output.
    expect(JSON.stringify([...spans.values()].map((span) => [span.attributes, span.errorMessage]))).not.toContain(canary);
    const rejected = await h.call('traces.span', { traceId: started.traceId, spanId: spanIdFor(started.traceId, 'approval') });
    expect(rejected.content?.output).toMatchObject({ approved: false, comment: canary });
    expect(spans.get('each[0].confirm')).toMatchObject({ status: 'ok', attributes: expect.objectContaining({ 'strongroom.human.decision': 'submitted' }) as unknown });

    // A retry asks again under a span of its own: the rejection stays on the trace.
    await h.call('runs.resume', { runId: started.id });
    expect((await h.settle(started.id)).status).toBe('waiting');
    spans = byPath((await h.call('traces.get', { traceId: started.traceId })).spans);
    expect(spans.get('approval')).toMatchObject(rejection);
    expect(spans.get('approval~2')).toMatchObject({ kind: 'human', name: 'approval', status: 'unset', endUs: null, parentSpanId: spanIdFor(started.traceId, ''), attributes: expect.objectContaining({ 'strongroom.step.path': 'approval', 'strongroom.human.ask': 2 }) as unknown });

    // Cancelled while it waits: no span stays open; the waiting one says it was cancelled, its input kept.
    await h.call('runs.cancel', { runId: started.id });
    const view = await h.call('traces.get', { traceId: started.traceId });
    expect(view.trace.status).toBe('cancelled');
    expect(view.spans.filter((span) => span.endUs === null)).toEqual([]);
    spans = byPath(view.spans);
    expect(spans.get('approval~2')).toMatchObject({ status: 'error', errorCode: 'ERR_WORKFLOW_CANCELLED', attributes: expect.objectContaining({ 'strongroom.step.status': 'cancelled' }) as unknown });
    expect(spans.get('approval')).toMatchObject(rejection);
    const reasked = await h.call('traces.span', { traceId: started.traceId, spanId: spanIdFor(started.traceId, 'approval~2') });
    expect(reasked.content?.input).toMatchObject({ prompt: 'Approve the filing?' });
  });

  it('ends the open spans around a step waiting inside a map when its run is cancelled', async () => {
    const h = await make({ workflows: { ...workflows, nested: `id: nested
name: Nested
inputs: {type: object, properties: {items: {type: array, items: {type: string}}}, required: [items]}
steps:
  - id: each
    kind: map
    over: inputs.items
    steps:
      - {id: gate, kind: human, action: approve, prompt: "Approve {{ item }}?"}
` } });
    const started = await h.call('runs.start', { workflowId: 'nested', input: { items: ['a', 'b'] } });
    await h.settle(started.id);
    expect((await h.call('traces.get', { traceId: started.traceId })).spans.filter((span) => span.endUs === null).map((span) => span.path).sort()).toEqual(['each', 'each[0].gate', 'each[1].gate']);
    await h.call('runs.cancel', { runId: started.id });
    const { spans } = await h.call('traces.get', { traceId: started.traceId });
    expect(spans.filter((span) => span.endUs === null)).toEqual([]);
    expect(byPath(spans).get('each[1].gate')).toMatchObject({ status: 'error', errorCode: 'ERR_WORKFLOW_CANCELLED' });
  });

  it('records a failing step with its error code and the run as failed', async () => {
    const h = await make({ workflows: { broken: `id: broken
name: Broken
inputs: {type: object}
steps:
  - {id: call, kind: tool, tool: no_such_tool, args: {}}
` } });
    const started = await h.call('runs.start', { workflowId: 'broken', input: {} });
    await h.settle(started.id);
    const { trace, spans } = await h.call('traces.get', { traceId: started.traceId });
    expect(trace.status).toBe('failed');
    expect(byPath(spans).get('call')).toMatchObject({ status: 'error', errorCode: 'ERR_WORKFLOW_STEP_FAILED' });
    expect(byPath(spans).get('')).toMatchObject({ status: 'error', errorCode: 'ERR_WORKFLOW_STEP_FAILED' });
  });
});

describe('OTLP/JSON export', () => {
  it('has the proto-JSON shape: resourceSpans → scopeSpans → spans, hex ids, nanosecond strings, typed values', async () => {
    const h = await make();
    const run = await memoRun(h);
    const compliance = as(h, 'compliance');
    const exported = await compliance('traces.export', { traceId: run.traceId });
    expect(exported).toMatchObject({ traces: 1, spans: 13, contentIncluded: true });
    const document = exported.document as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: Record<string, unknown> }> }; scopeSpans: Array<{ scope: { name: string }; spans: Array<Record<string, unknown>> }> }> };
    expect(Object.keys(document)).toEqual(['resourceSpans']);
    const [resource] = document.resourceSpans;
    expect(resource!.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'strongroom' } });
    const spans = resource!.scopeSpans[0]!.spans;
    expect(spans).toHaveLength(13);
    for (const span of spans) {
      expect(span.traceId).toBe(run.traceId);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      if ('parentSpanId' in span) expect(span.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(span.endTimeUnixNano).toMatch(/^\d{19}$/);
      expect(BigInt(span.endTimeUnixNano as string) >= BigInt(span.startTimeUnixNano as string)).toBe(true);
      expect([1, 3]).toContain(span.kind);
      expect(span.status).toMatchObject({ code: expect.any(Number) as number });
      for (const attribute of span.attributes as Array<{ key: string; value: Record<string, unknown> }>) {
        expect(Object.keys(attribute.value)).toHaveLength(1);
        expect(['stringValue', 'intValue', 'doubleValue', 'boolValue', 'arrayValue']).toContain(Object.keys(attribute.value)[0]);
      }
    }
    const llm = spans.find((s) => (s.attributes as Array<{ key: string; value: { stringValue?: string } }>).some((a) => a.key === 'strongroom.step.path' && a.value.stringValue === 'intro'))!;
    const attributes = new Map((llm.attributes as Array<{ key: string; value: Record<string, unknown> }>).map((a) => [a.key, a.value]));
    expect(attributes.get('gen_ai.usage.input_tokens')).toEqual({ intValue: expect.stringMatching(/^\d+$/) as string });
    expect(attributes.get('gen_ai.request.model')).toEqual({ stringValue: 'instant' });
    // A string array in the conventions, so an OTLP array of strings.
    expect(attributes.get('gen_ai.response.finish_reasons')).toEqual({ arrayValue: { values: [{ stringValue: 'stop' }] } });
    expect(JSON.parse(attributes.get('gen_ai.input.messages')!.stringValue as string)).toEqual([{ role: 'user', content: 'Introduce Acme Shipping' }]);
    expect(llm.kind).toBe(3);
    // Every trace since a time, in one document.
    await memoRun(h, 'Borealis Freight');
    const since = await compliance('traces.export', { since: new Date(Date.now() - 60_000).toISOString() });
    expect(since).toMatchObject({ traces: 2, spans: 26, total: 2, nextCursor: null });
  });

  it('pushes to the configured collector only when turned on, metadata only unless content is allowed', async () => {
    const collector = await startCollector();
    try {
      const h = await make();
      await memoRun(h);
      h.core.traceRecorder!.flush();
      // Off by default: give a push that should not happen the time one that does takes (below).
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(collector.spans).toHaveLength(0);
      const admin = as(h, 'admin');
      await expect(admin('traces.setPushConfig', { enabled: true, endpoint: collector.endpoint, includeContent: false })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
      const set = await installationAdmin(h).invoke('traces.setPushConfig', { enabled: true, endpoint: collector.endpoint, includeContent: false });
      expect(set).toMatchObject({ ok: true, value: { enabled: true, includeContent: false } });
      const pushedRun = await memoRun(h, 'Pushed Co');
      h.core.traceRecorder!.flush();
      // The spans go out batch by batch as they are written: wait for every span of the run.
      const { trace } = await h.call('traces.get', { traceId: pushedRun.traceId });
      await collector.waitFor(trace.spanCount);
      // Each once, finished: none still open, none twice.
      expect(collector.spans).toHaveLength(trace.spanCount);
      expect(new Set(collector.spans.map((span) => span.spanId)).size).toBe(trace.spanCount);
      const keys = collector.spans.flatMap((span) => span.attributes.map((a) => a.key));
      expect(keys).not.toContain('strongroom.span.open');
      expect(collector.paths[0]).toBe('/v1/traces');
      expect(keys).toContain('gen_ai.request.model');
      expect(keys).not.toContain('gen_ai.input.messages');
      expect(JSON.stringify(collector.spans)).not.toContain('Pushed Co');
    } finally {
      collector.close();
    }
  });
});

describe('the OTLP/HTTP push of a run that waits', () => {
  it('sends each span once, when it has finished: a waiting step and the root go out when the run ends', async () => {
    const collector = await startCollector();
    try {
      const h = await make();
      expect(await installationAdmin(h).invoke('traces.setPushConfig', { enabled: true, endpoint: collector.endpoint, includeContent: false })).toMatchObject({ ok: true });
      const started = await h.call('runs.start', { workflowId: 'review', input: {} });
      expect((await h.settle(started.id)).status).toBe('waiting');
      h.core.traceRecorder!.flush();
      // While it waits: the model step only — not the open approval, not the root the pass closed.
      await collector.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(collector.spans.map((span) => span.name)).toEqual(['draft']);

      await h.call('runs.answer', { runId: started.id, path: 'approve', answer: { approved: true } });
      expect((await h.settle(started.id)).status).toBe('completed');
      h.core.traceRecorder!.flush();
      const { trace } = await h.call('traces.get', { traceId: started.traceId });
      await collector.waitFor(trace.spanCount);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(collector.spans.map((span) => span.name).sort()).toEqual(['approve', 'draft', 'final', 'review']);
      expect(new Set(collector.spans.map((span) => span.spanId)).size).toBe(trace.spanCount);
      const root = collector.spans.find((span) => span.parentSpanId === undefined)!;
      expect(root.attributes.find((a) => a.key === 'strongroom.run.status')?.value.stringValue).toBe('completed');
    } finally {
      collector.close();
    }
  });

  it('sends the waiting step of a cancelled run once, ended by the cancel', async () => {
    const collector = await startCollector();
    try {
      const h = await make();
      expect(await installationAdmin(h).invoke('traces.setPushConfig', { enabled: true, endpoint: collector.endpoint, includeContent: false })).toMatchObject({ ok: true });
      const started = await h.call('runs.start', { workflowId: 'review', input: {} });
      expect((await h.settle(started.id)).status).toBe('waiting');
      await h.call('runs.cancel', { runId: started.id });
      h.core.traceRecorder!.flush();
      await collector.waitFor(3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(collector.spans.map((span) => span.name).sort()).toEqual(['approve', 'draft', 'review']);
      const approve = collector.spans.find((span) => span.name === 'approve')!;
      expect(approve.attributes.find((a) => a.key === 'strongroom.step.status')?.value.stringValue).toBe('cancelled');
    } finally {
      collector.close();
    }
  });
});

describe('content at rest and by role', () => {
  it('stores no content in plaintext: not span inputs, outputs or feedback comments', async () => {
    const h = await make();
    // (Not the borrower: the test counter tool keeps its label in a plaintext table of its own.)
    const run = await memoRun(h, 'Canary Borrower', ['liquidity', canary]);
    const root = spanIdFor(run.traceId, '');
    await h.call('feedback.submit', { traceId: run.traceId, spanId: root, feedback: { comment: `comment ${canary}`, edit: { before: `before ${canary}`, after: `after ${canary}` } } });
    const detail = await h.call('traces.span', { traceId: run.traceId, spanId: spanIdFor(run.traceId, 'each[1].draft') });
    expect(JSON.stringify(detail.content)).toContain(canary); // it was recorded …
    const dataDir = h.core.config.dataDir;
    await h.core.dispose();
    open.splice(open.indexOf(h), 1);
    // … and no file in the data directory (database, WAL) holds it in plaintext.
    for (const file of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, file));
      expect(bytes.includes(Buffer.from(canary)), file).toBe(false);
      expect(bytes.includes(Buffer.from(canary, 'utf16le')), file).toBe(false);
    }
  });

  it('shows content only to roles that may read it: an auditor sees metadata, never content', async () => {
    const h = await make();
    const run = await memoRun(h);
    const intro = spanIdFor(run.traceId, 'intro');
    await h.call('feedback.submit', { traceId: run.traceId, spanId: intro, feedback: { rating: 2, comment: 'too vague', labels: ['vague'] } });
    const auditor = as(h, 'auditor');
    const compliance = as(h, 'compliance');
    const analystView = await h.call('traces.span', { traceId: run.traceId, spanId: intro });
    expect(analystView).toMatchObject({ contentVisible: true, content: { input: { messages: [{ role: 'user', content: 'Introduce Acme Shipping' }] }, output: expect.stringMatching(/^echo-/) as string } });
    const auditorView = await auditor('traces.span', { traceId: run.traceId, spanId: intro });
    expect(auditorView).toMatchObject({ contentVisible: false, content: null, kind: 'llm', attributes: { 'gen_ai.request.model': 'instant' } });
    expect((await auditor('traces.get', { traceId: run.traceId })).spans).toHaveLength(13);
    const [auditorFeedback] = await auditor('feedback.list', { traceId: run.traceId });
    expect(auditorFeedback).toMatchObject({ rating: 2, labels: ['vague'], contentVisible: false, comment: null });
    const [complianceFeedback] = await compliance('feedback.list', { traceId: run.traceId });
    expect(complianceFeedback).toMatchObject({ comment: 'too vague', contentVisible: true });
    await expect(auditor('traces.export', { traceId: run.traceId })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    const exported = await compliance('traces.export', { traceId: run.traceId });
    expect(exported.contentIncluded).toBe(true);
    await expect(auditor('feedback.submit', { traceId: run.traceId, spanId: intro, feedback: { rating: 5 } })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    // A builder may export but also reads content; an auditor-like boundary is what hides it — and the export follows the same rule.
    expect(JSON.stringify(await compliance('traces.span', { traceId: run.traceId, spanId: intro }))).toContain('Introduce Acme Shipping');
  });
});

describe('feedback', () => {
  it('keeps every version: revisions add versions, the list shows the latest, history shows all with who and when', async () => {
    const h = await make();
    const run = await memoRun(h);
    const draft = spanIdFor(run.traceId, 'each[1].draft');
    const first = await h.call('feedback.submit', { traceId: run.traceId, spanId: draft, feedback: { action: 'edit', edit: { before: 'The borrower is kitten.', after: 'The borrower is sitting.' }, rating: 3, scores: { accuracy: 6 } } });
    expect(first).toMatchObject({ version: 1, action: 'edit', editDistance: editDistance('The borrower is kitten.', 'The borrower is sitting.'), createdBy: 'analyst-1' });
    expect(first.editDistance).toBe(3);
    expect(first.edit!.diff).toContain('-The borrower is kitten.');
    expect(first.edit!.diff).toContain('+The borrower is sitting.');
    const reviewer = as(h, 'reviewer');
    const second = await reviewer('feedback.revise', { feedbackId: first.id, feedback: { rating: 4, verdict: 'approve', comment: 'better after the edit', labels: ['covenants'] } });
    const third = await h.call('feedback.revise', { feedbackId: first.id, feedback: { rating: 5, verdict: 'approve' } });
    expect([second.version, third.version]).toEqual([2, 3]);
    expect(second.createdBy).toBe('user-reviewer');
    const history = await h.call('feedback.history', { feedbackId: first.id });
    expect(history.map((f) => [f.version, f.rating, f.createdBy])).toEqual([[1, 3, 'analyst-1'], [2, 4, 'user-reviewer'], [3, 5, 'analyst-1']]);
    expect(history[0]!.edit!.after).toBe('The borrower is sitting.');
    expect(history[1]!.comment).toBe('better after the edit');
    const latest = await h.call('feedback.list', { traceId: run.traceId });
    expect(latest).toHaveLength(1);
    expect(latest[0]).toMatchObject({ id: first.id, version: 3, rating: 5 });
    const { trace } = await h.call('traces.get', { traceId: run.traceId });
    expect(trace.feedbackCount).toBe(1);
    expect((await h.call('traces.list', { hasFeedback: true })).traces.map((t) => t.traceId)).toEqual([run.traceId]);
  });

  it('names people: a trace and a feedback carry the display name of their user, and null for ids nobody knows', async () => {
    const h = await make();
    // The local administrator is a real user row (created at first run); 'analyst-1' is only a test id.
    const admin = h.core.storage!.db.prepare<[], { id: string }>("SELECT id FROM users WHERE kind = 'local-admin'").get()!;
    const call = calling(installationAdmin(h, admin.id));
    const started = await call('runs.start', { workflowId: 'memo', input: { borrower: 'Acme Shipping', sections: ['liquidity'] } });
    const run = await h.settle(started.id);
    const byAnalyst = await memoRun(h);
    const { trace } = await call('traces.get', { traceId: run.traceId });
    expect(trace).toMatchObject({ userId: admin.id, userName: 'Local administrator' });
    const listed = (await call('traces.list', { limit: 10 })).traces;
    expect(listed.find((t) => t.traceId === byAnalyst.traceId)).toMatchObject({ userId: 'analyst-1', userName: null });
    const feedback = await call('feedback.submit', { traceId: run.traceId, spanId: spanIdFor(run.traceId, 'intro'), feedback: { rating: 4 } });
    expect(feedback).toMatchObject({ createdBy: admin.id, createdByName: 'Local administrator' });
    expect((await h.call('feedback.history', { feedbackId: feedback.id }))[0]).toMatchObject({ createdByName: 'Local administrator' });
  });

  it('refuses empty feedback, feedback on a span that does not exist, and revisions of unknown feedback', async () => {
    const h = await make();
    const run = await memoRun(h);
    await expect(h.call('feedback.submit', { traceId: run.traceId, spanId: spanIdFor(run.traceId, ''), feedback: {} })).rejects.toMatchObject({ code: 'ERR_FEEDBACK_EMPTY' });
    await expect(h.call('feedback.submit', { traceId: run.traceId, spanId: 'ffffffffffffffff', feedback: { rating: 3 } })).rejects.toMatchObject({ code: 'ERR_TRACE_NOT_FOUND' });
    await expect(h.call('feedback.revise', { feedbackId: '00000000-0000-4000-8000-000000000000', feedback: { rating: 3 } })).rejects.toMatchObject({ code: 'ERR_FEEDBACK_NOT_FOUND' });
    await expect(h.call('feedback.submit', { traceId: run.traceId, spanId: spanIdFor(run.traceId, ''), feedback: { rating: 9 } })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});

describe('the trace list', () => {
  it('filters and pages a large list with a stable cursor', async () => {
    const h = await make();
    const ids = seedTraces(h.core.storage!, { accountId: h.accountId, traces: 250, spansPerTrace: 3 });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page += 1) {
      const result = await h.call('traces.list', { limit: 100, ...(cursor ? { cursor } : {}) });
      expect(result.total).toBe(250);
      seen.push(...result.traces.map((t) => t.traceId));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(seen).toEqual(ids);
    const failed = await h.call('traces.list', { status: 'failed', limit: 1000 });
    expect(failed.total).toBe(25);
    expect(failed.traces.every((t) => t.status === 'failed')).toBe(true);
    const flagged = await h.call('traces.list', { flagged: true, workflowId: 'credit-memo', limit: 1000 });
    expect(flagged.traces.every((t) => t.flagged && t.workflowId === 'credit-memo')).toBe(true);
    expect(flagged.total).toBe(ids.filter((_id, t) => t % 25 === 24 && t % 3 === 0).length);
    const recent = await h.call('traces.list', { from: new Date(Date.now() - 3 * 86_400_000).toISOString(), limit: 1000 });
    expect(recent.total).toBeGreaterThan(0);
    expect(recent.total).toBeLessThan(250);
    await expect(h.call('traces.list', { cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    const stats = await h.call('traces.stats', { bucket: 'day' });
    expect(stats.series.reduce((sum, s) => sum + s.runs, 0)).toBe(250);
    for (const point of stats.series) {
      expect(point.p50Ms).toBeLessThanOrEqual(point.p90Ms);
      expect(point.p90Ms).toBeLessThanOrEqual(point.p99Ms);
      expect(point.inputTokens).toBeGreaterThan(0);
    }
  });

  it('flags a trace, audited, and filters on the flag', async () => {
    const h = await make();
    const run = await memoRun(h);
    const flagged = await h.call('traces.flag', { traceId: run.traceId, flagged: true });
    expect(flagged.flagged).toBe(true);
    expect((await h.call('traces.list', { flagged: true })).traces.map((t) => t.traceId)).toEqual([run.traceId]);
    const audit = h.core.storage!.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'traces.flag'").get() as { n: number };
    expect(audit.n).toBe(1);
  });
});

describe('retention', () => {
  it('purges old traces with their spans, keeps open, flagged and commented ones, counts first on a dry run, and never under a legal hold', async () => {
    const h = await make();
    const storage = h.core.storage!;
    const day = 86_400_000_000;
    const nowUs = Date.now() * 1000;
    // 40 traces, trace t started t days ago; t = 24 is flagged (seedTraces flags every 25th).
    const ids = seedTraces(storage, { traces: 40, accountId: h.accountId, endUs: nowUs, spreadDays: 40 });
    const commented = ids[30]!;
    const { spans } = await h.call('traces.get', { traceId: commented });
    await h.call('feedback.submit', { traceId: commented, spanId: spans[0]!.spanId, feedback: { rating: 4, comment: 'Keep: an evaluation example.' } });
    // A trace still running from 35 days ago (its run may yet go on).
    const open = 'a'.repeat(32);
    h.core.traceRecorder!.openTrace({ accountId: h.accountId, traceId: open, runId: null, workflowId: 'memo', version: 'f'.repeat(64), modelId: null, userId: 'analyst-1', startUs: nowUs - 35 * day });
    h.core.traceRecorder!.flush();
    const before = new Date((nowUs - 20 * day - day / 2) / 1000).toISOString();
    const old = ids.slice(21); // started 21–39 days ago
    const purgeable = old.filter((id) => id !== ids[24] && id !== commented);
    const spansOf = (traceIds: readonly string[]) => (storage.db.prepare('SELECT count(*) AS n FROM spans WHERE trace_id IN (SELECT value FROM json_each(?))').get(JSON.stringify(traceIds)) as { n: number }).n;
    const spansToGo = spansOf(purgeable);
    expect(spansToGo).toBeGreaterThan(0);

    await expect(as(h, 'analyst')('traces.purge', { before })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    const compliance = as(h, 'compliance');
    const dry = await compliance('traces.purge', { before, dryRun: true });
    expect(dry).toEqual({ dryRun: true, before, legalHold: false, purged: { traceCount: purgeable.length, spanCount: spansToGo }, kept: { open: 1, withFeedback: 1, flagged: 1, withDraft: 0 } });
    expect((await h.call('traces.list', { limit: 1 })).total).toBe(41);

    await compliance('audit.legalHold.set', { accountId: h.accountId, hold: true, reason: 'Litigation 2026-07' });
    expect(await compliance('traces.purge', { before })).toMatchObject({ legalHold: true, purged: { traceCount: 0, spanCount: 0 } });
    expect((await h.call('traces.list', { limit: 1 })).total).toBe(41);
    await compliance('audit.legalHold.set', { accountId: h.accountId, hold: false, reason: 'Litigation 2026-07 settled' });

    const done = await compliance('traces.purge', { before });
    expect(done).toMatchObject({ dryRun: false, legalHold: false, purged: { traceCount: purgeable.length, spanCount: spansToGo } });
    expect(spansOf(purgeable)).toBe(0);
    const left = new Set((await h.call('traces.list', { limit: 100 })).traces.map((t) => t.traceId));
    expect(left.size).toBe(41 - purgeable.length);
    for (const id of purgeable) expect(left.has(id)).toBe(false);
    for (const id of [...ids.slice(0, 21), ids[24]!, commented, open]) expect(left.has(id)).toBe(true);
    // The commented trace keeps its spans and feedback.
    expect((await h.call('feedback.list', { traceId: commented })).map((f) => f.comment)).toEqual(['Keep: an evaluation example.']);
    const audit = storage.db.prepare("SELECT actor_user_id AS actor, outcome, resource FROM audit_log WHERE action = 'traces.purge' AND details IS NOT NULL ORDER BY seq").all();
    expect(audit).toContainEqual({ actor: 'user-compliance', outcome: 'success', resource: `traces:before:${before}` });
  });
});

describe('automatic retention', () => {
  it('deletes traces past the account\'s retention on its own, audited as Strongroom\'s act, never under a legal hold', async () => {
    const h = await make();
    const storage = h.core.storage!;
    const nowUs = Date.now() * 1000;
    // 40 traces, trace t started t days ago (plus a little); t = 24 is flagged.
    const ids = seedTraces(storage, { traces: 40, accountId: h.accountId, endUs: nowUs - 3_600_000_000, spreadDays: 40 });
    const compliance = as(h, 'compliance');
    const analyst = as(h, 'analyst');
    expect(await analyst('traces.retention.get', {})).toEqual({ retentionDays: null, updatedBy: null, updatedAt: null });
    await expect(analyst('traces.retention.set', { retentionDays: 20 })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    // Nothing set: the job deletes nothing.
    expect(h.core.tracing!.applyRetention()).toEqual([]);
    expect(await compliance('traces.retention.set', { retentionDays: 20 })).toMatchObject({ retentionDays: 20, updatedBy: 'user-compliance' });

    await compliance('audit.legalHold.set', { accountId: h.accountId, hold: true, reason: 'Litigation 2026-07' });
    expect(h.core.tracing!.applyRetention()).toEqual([{ accountId: h.accountId, retentionDays: 20, traces: 0, spans: 0, legalHold: true }]);
    expect((await h.call('traces.list', { limit: 1 })).total).toBe(40);
    await compliance('audit.legalHold.set', { accountId: h.accountId, hold: false, reason: 'Litigation 2026-07 settled' });

    const [done] = h.core.tracing!.applyRetention();
    const old = ids.slice(20).filter((id) => id !== ids[24]);
    expect(done).toMatchObject({ accountId: h.accountId, retentionDays: 20, traces: old.length, legalHold: false });
    expect(done!.spans).toBeGreaterThan(old.length);
    const left = new Set((await h.call('traces.list', { limit: 100 })).traces.map((t) => t.traceId));
    expect([...left].sort()).toEqual([...ids.slice(0, 20), ids[24]!].sort());
    const entries = storage.db.prepare("SELECT actor_user_id AS actor, account_id AS accountId, json_extract(details, '$.automatic') AS automatic, json_extract(details, '$.traces') AS traces FROM audit_log WHERE action = 'traces.purge'").all();
    expect(entries).toEqual([{ actor: null, accountId: h.accountId, automatic: 1, traces: old.length }]);
    // A second pass finds nothing more; turning retention off keeps everything from then on.
    expect(h.core.tracing!.applyRetention()).toEqual([{ accountId: h.accountId, retentionDays: 20, traces: 0, spans: 0, legalHold: false }]);
    expect(await compliance('traces.retention.set', { retentionDays: null })).toEqual({ retentionDays: null, updatedBy: null, updatedAt: null });
    expect(h.core.tracing!.applyRetention()).toEqual([]);
    // Each change of the setting is audited with the days it set, on the account.
    const settings = storage.db.prepare("SELECT actor_user_id AS actor, outcome, json_extract(details, '$.retentionDays') AS days FROM audit_log WHERE action = 'traces.retention.set' AND resource LIKE 'account:%' ORDER BY seq").all();
    expect(settings).toEqual([{ actor: 'user-compliance', outcome: 'success', days: 20 }, { actor: 'user-compliance', outcome: 'success', days: null }]);
  });
});

describe('the recorder', () => {
  it('stays bounded when the database refuses writes: the batch is dropped and counted, nothing is held', async () => {
    const h = await make();
    const recorder = h.core.traceRecorder!;
    h.core.storage!.db.exec('CREATE TEMP TRIGGER refuse BEFORE INSERT ON spans BEGIN SELECT RAISE(ABORT, \'refused\'); END;');
    await memoRun(h);
    recorder.flush();
    expect(recorder.stats.dropped).toBeGreaterThan(0);
    expect(recorder.stats.queued).toBe(0);
    h.core.storage!.db.exec('DROP TRIGGER refuse');
    const run = await memoRun(h, 'After Co');
    const { trace } = await h.call('traces.get', { traceId: run.traceId });
    expect(trace.spanCount).toBe(13);
  });
});
