import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInProcessBridge } from '../api/index.ts';
import type { Principal } from '../api/index.ts';
import type { DraftDetail, MethodInput, MethodName, MethodOutput, Role } from '../contracts/index.ts';
import { installationPermissions, rolePermissions } from '../contracts/index.ts';
import { CoreError } from '../base/index.ts';
import { IdentityStore } from '../identity/index.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import type { ChatRequest, ChatResult, ModelProvider } from '../models/index.ts';
import { spanIdFor } from '../tracing/index.ts';
/* eslint-disable no-restricted-imports -- the engine's test harness and stand-in model are testing seams meant for other areas' tests, not internals */
import { harness } from '../workflows/testing/harness.ts';
import type { Harness } from '../workflows/testing/harness.ts';
import { instantModel } from '../workflows/testing/instantModel.ts';
/* eslint-enable no-restricted-imports */
// eslint-disable-next-line no-restricted-imports -- the CLI commands are exercised on the same drafted document
import { draftsExportCommand, draftsListCommand } from '../cli/commands/drafts.ts';
// eslint-disable-next-line no-restricted-imports -- the shipped credit memo needs the real built-in tools
import { createCalculatorTool, createCustomerLookupTool, defaultCustomerTableFile } from '../workflows/tools/index.ts';
import { outputToMarkdown } from './markdown.ts';
import { DraftStore } from './store.ts';

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.core.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const report = `id: report
name: Borrower report
inputs: {type: object, properties: {borrower: {type: string}, years: {type: array, items: {type: object, properties: {fiscalYear: {type: integer}}, required: [fiscalYear]}}, risks: {type: array, items: {type: object, properties: {name: {type: string}}, required: [name]}}}, required: [borrower, years, risks]}
document:
  title: "Report on {{ inputs.borrower }}"
  sections: [profile, years, risks, conclusion]
steps:
  - {id: lookup, kind: tool, title: Customer record, tool: counter, args: {label: {ref: inputs.borrower}}}
  - id: profile
    kind: llm
    title: Borrower profile
    prompt: "Profile {{ inputs.borrower }} using {{ steps.lookup.output | json }}"
    output: {type: object, properties: {overview: {type: string}, keyFacts: {type: array, items: {type: object, properties: {label: {type: string}, value: {type: string}}, required: [label, value]}}}, required: [overview, keyFacts]}
  - id: years
    kind: map
    title: Financial analysis by year
    over: inputs.years
    output: analysis
    steps:
      - {id: analysis, kind: llm, title: Analyse the year, prompt: "Analyse {{ item.fiscalYear }}"}
  - id: risks
    kind: map
    title: Risks
    over: inputs.risks
    steps:
      - id: section
        kind: workflow
        workflow: report-risk
        input: {name: {ref: item.name}}
  - {id: conclusion, kind: llm, title: Conclusion, prompt: "Conclude on {{ inputs.borrower }} after {{ steps.profile.output | json }}"}
  - {id: signoff, kind: human, title: Credit decision, action: approve, prompt: "Approve the report?"}
`;
const reportRisk = `id: report-risk
name: Risk section
inputs: {type: object, properties: {name: {type: string}}, required: [name]}
steps:
  - {id: draft, kind: llm, prompt: "Draft {{ inputs.name }}"}
  - {id: check, kind: llm, title: Checked section, prompt: "Check {{ steps.draft.output }}"}
output: check
`;

const input = { borrower: 'Acme Shipping', years: [{ fiscalYear: 2023 }, { fiscalYear: 2024 }], risks: [{ name: 'Customer concentration' }, { name: 'Fuel prices' }] };

async function make(options: { dataDir?: string; secrets?: MemorySecretStore } = {}) {
  const h = await harness({ model: instantModel({ delayMs: 2 }), workflows: { report, 'report-risk': reportRisk }, ...options });
  open.push(h);
  return h;
}

function as(h: Harness, role: Role) {
  const principal: Principal = { kind: 'user', userId: `user-${role}`, displayName: role, accountId: h.accountId, roles: [role], permissions: new Set(rolePermissions[role].filter((p) => !installationPermissions.includes(p))), installationAdmin: false };
  const api = createInProcessBridge(h.core.router, h.core.events, h.core.sessions.create(principal).id);
  return async <M extends MethodName>(method: M, value: MethodInput<M>): Promise<MethodOutput<M>> => {
    const result = await api.invoke(method, value);
    if (!result.ok) throw Object.assign(new Error(`${method}: ${result.error.code} ${result.error.message}`), { code: result.error.code });
    return result.value;
  };
}

async function drafted(h: Harness): Promise<DraftDetail> {
  const created = await h.call('drafts.create', { workflowId: 'report', input });
  await h.core.workflows!.settled(created.runId);
  return h.call('drafts.get', { draftId: created.id });
}

const section = (draft: DraftDetail, path: string) => draft.sections.find((s) => s.path === path)!;

/** The analyst accepts every section that has text and is not yet accepted or edited: the draft is ready for review. */
async function acceptAll(h: Harness, draft: DraftDetail): Promise<void> {
  const current = await h.call('drafts.get', { draftId: draft.id });
  for (const s of current.sections) if (!s.container && s.markdown !== null && s.status !== 'accepted' && s.status !== 'edited') await h.call('drafts.accept', { draftId: draft.id, path: s.path });
}

describe('drafts', () => {
  it('lists only drafting workflows, with their input schema', async () => {
    const h = await make();
    const workflows = await h.call('drafts.workflows', {});
    expect(workflows.map((w) => w.id)).toEqual(['report']);
    expect(workflows[0]!.inputs).toMatchObject({ type: 'object', required: ['borrower', 'years', 'risks'] });
    await expect(h.call('drafts.create', { workflowId: 'report-risk', input: { name: 'x' } })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('looks a run up once per pass, not on every step event, and still streams a draft\'s updates', async () => {
    const h = await make();
    const lookups = vi.spyOn(DraftStore.prototype, 'byRun');
    const updates: string[] = [];
    const stop = h.api.subscribe('drafts.updated', (event) => updates.push(event.draftId));
    try {
      // A plain run of the same workflow (not a draft): one lookup for the whole pass, whatever its step count.
      const run = await h.call('runs.start', { workflowId: 'report', input });
      await h.core.workflows!.settled(run.id);
      expect(lookups).toHaveBeenCalledTimes(1);
      expect(updates).toEqual([]);
      // A draft's run is known from its creation: no lookup at all, and its updates arrive.
      lookups.mockClear();
      const created = await h.call('drafts.create', { workflowId: 'report', input });
      await h.core.workflows!.settled(created.runId);
      expect(lookups).not.toHaveBeenCalled();
      expect(updates.length).toBeGreaterThan(3);
      expect(new Set(updates)).toEqual(new Set([created.id]));
    } finally {
      stop();
      lookups.mockRestore();
    }
  });

  it('mirrors the workflow: nested headings for map items and nested workflows, text from outputs, linked spans and sources', async () => {
    const h = await make();
    const draft = await drafted(h);
    expect(draft).toMatchObject({ title: 'Report on Acme Shipping', status: 'draft', runStatus: 'waiting', sectionCount: 6, sectionsDone: 6, demo: false, modelId: 'instant' });
    expect(draft.sections.map((s) => [s.path, s.heading, s.level, s.container])).toEqual([
      ['profile', 'Borrower profile', 1, false],
      ['years', 'Financial analysis by year', 1, true],
      ['years[0].analysis', 'Fiscal year 2023', 2, false],
      ['years[1].analysis', 'Fiscal year 2024', 2, false],
      ['risks', 'Risks', 1, true],
      ['risks[0].section/check', 'Customer concentration', 2, false],
      ['risks[1].section/check', 'Fuel prices', 2, false],
      ['conclusion', 'Conclusion', 1, false],
    ]);
    const profile = section(draft, 'profile');
    expect(profile.status).toBe('drafted');
    expect(profile.markdown).toContain('**Overview:**');
    expect(profile.markdown).toMatch(/\| Label \| Value \|\n\| --- \| --- \|/);
    expect(profile.provenance).toMatchObject({ traceId: draft.traceId, spanId: spanIdFor(draft.traceId, 'profile'), model: 'instant', workflowId: 'report' });
    expect(profile.provenance.sources).toEqual([{ kind: 'input', label: 'Borrower' }, { kind: 'tool', label: 'Customer record' }]);
    expect(section(draft, 'conclusion').provenance.sources).toContainEqual({ kind: 'section', label: 'Borrower profile' });
    // The span it links to exists in the trace, with the model call's content.
    const span = await h.call('traces.span', { traceId: draft.traceId, spanId: profile.provenance.spanId! });
    expect(span).toMatchObject({ kind: 'llm', path: 'profile' });
  });

  it('records accept, reject and edit as feedback on the producing span (edits with before, after and diff), audited', async () => {
    const h = await make();
    const draft = await drafted(h);
    const profile = section(draft, 'profile');
    const accepted = await h.call('drafts.accept', { draftId: draft.id, path: 'conclusion' });
    expect(accepted).toMatchObject({ status: 'accepted', revision: 1 });
    const rejected = await h.call('drafts.reject', { draftId: draft.id, path: 'years[1].analysis', comment: 'wrong year' });
    expect(rejected.status).toBe('rejected');
    const after = `${profile.markdown!}\n\nThe 2024 covenant breach was waived on 3 March.`;
    const edited = await h.call('drafts.edit', { draftId: draft.id, path: 'profile', markdown: after, baseRevision: 0 });
    expect(edited).toMatchObject({ status: 'edited', markdown: after, modelMarkdown: profile.markdown, revision: 1 });
    // A stale edit is refused, naming the conflict.
    await expect(h.call('drafts.edit', { draftId: draft.id, path: 'profile', markdown: 'stale', baseRevision: 0 })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    const feedback = await h.call('feedback.list', { traceId: draft.traceId });
    const on = (path: string) => feedback.filter((f) => f.spanId === spanIdFor(draft.traceId, path));
    expect(on('conclusion')).toMatchObject([{ action: 'accept', verdict: 'approve', createdBy: 'analyst-1' }]);
    expect(on('years[1].analysis')).toMatchObject([{ action: 'reject', verdict: 'reject', comment: 'wrong year' }]);
    const [edit] = on('profile');
    expect(edit).toMatchObject({ action: 'edit', edit: { before: profile.markdown, after } });
    expect(edit!.edit!.diff).toContain('+The 2024 covenant breach was waived on 3 March.');
    expect(edit!.editDistance).toBe(after.length - profile.markdown!.length);
    const actions = (h.core.storage!.db.prepare("SELECT action FROM audit_log WHERE action LIKE 'drafts.%' ORDER BY seq").all() as Array<{ action: string }>).map((r) => r.action);
    expect(actions).toEqual(['drafts.create', 'drafts.accept', 'drafts.reject', 'drafts.edit']);
  });

  it('gives a page opened mid-section the text streamed so far — of a run step and of a regeneration — with offsets for what follows', async () => {
    const h = await make();
    const reader: Principal = { kind: 'user', userId: 'user-analyst', displayName: 'analyst', accountId: h.accountId, roles: ['analyst'], permissions: new Set(rolePermissions.analyst.filter((p) => !installationPermissions.includes(p))), installationAdmin: false };
    // What drafts.get answers at the moment each piece goes out (as the router would call it).
    const seen: { path: string; offset: number | undefined; stream: number | undefined; text: string; live: DraftDetail['live'] }[] = [];
    let draftId = '';
    const off = h.api.subscribe('drafts.delta', (event) => {
      if (event.draftId === draftId) seen.push({ path: event.path, offset: event.offset, stream: event.stream, text: event.text, live: h.core.drafts!.get(reader, draftId).live });
    });
    try {
      const created = await h.call('drafts.create', { workflowId: 'report', input });
      draftId = created.id;
      await h.core.workflows!.settled(created.runId);
      const fromRun = seen.find((piece) => piece.path === 'conclusion');
      expect(fromRun).toMatchObject({ offset: 0 });
      expect(fromRun!.live).toContainEqual({ path: 'conclusion', text: fromRun!.text, stream: fromRun!.stream });
      seen.length = 0;
      await h.call('drafts.regenerate', { draftId, path: 'conclusion', instruction: 'shorter' });
      await h.core.drafts!.settled();
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ path: 'conclusion', offset: 0 });
      expect(seen[0]!.live).toEqual([{ path: 'conclusion', text: seen[0]!.text, stream: seen[0]!.stream }]);
      // The regeneration streams under a later generation than the run step that wrote the section first.
      expect(seen[0]!.stream).toBeGreaterThan(fromRun!.stream!);
    } finally {
      off();
    }
    // Nothing is kept once the sections are written.
    expect((await h.call('drafts.get', { draftId })).live).toEqual([]);
  });

  it('says while a section waits for a busy local model — of a run step and of a regeneration — and how many requests are ahead', async () => {
    // A stand-in for a local model whose sequences are all taken: a call whose prompt matches
    // `hold` hears it is queued (`ahead` before it) and waits for `release` before it answers.
    const inner = instantModel({ delayMs: 2 });
    let hold: RegExp | null = /Conclude/;
    let ahead = 0;
    let release: () => void = () => undefined;
    let queuedNow: Promise<void> = Promise.resolve();
    let heard: () => void = () => undefined;
    const arm = () => { queuedNow = new Promise<void>((resolve) => { heard = resolve; }); };
    arm();
    const busy: ModelProvider = {
      ...inner,
      async chat<T>(request: ChatRequest<T>): Promise<ChatResult<T>> {
        const prompt = request.messages.map((m) => m.content).join('\n');
        if (hold && hold.test(prompt) && request.onQueue) {
          const gate = new Promise<void>((resolve) => { release = resolve; });
          request.onQueue(ahead);
          heard();
          await gate;
          request.onQueue(null);
        }
        return inner.chat(request);
      },
    };
    const h = await harness({ model: busy, workflows: { report, 'report-risk': reportRisk } });
    open.push(h);
    const updated: (string | null)[] = [];
    let draftId = '';
    const off = h.api.subscribe('drafts.updated', (event) => { if (event.draftId === draftId) updated.push(event.path); });
    try {
      const created = await h.call('drafts.create', { workflowId: 'report', input });
      draftId = created.id;
      await queuedNow;
      // The run's conclusion step waits: the section is still being written, and says so.
      let draft = await h.call('drafts.get', { draftId });
      expect(section(draft, 'conclusion').status).toBe('running');
      expect(draft.live).toEqual([{ path: 'conclusion', text: '', stream: expect.any(Number) as number, ahead: 0 }]);
      await vi.waitFor(() => expect(updated).toContain('conclusion'));
      release();
      await h.core.workflows!.settled(created.runId);
      draft = await h.call('drafts.get', { draftId });
      expect(section(draft, 'conclusion').status).toBe('drafted');
      expect(draft.live).toEqual([]);

      // A regeneration behind two other requests.
      hold = /Rewrite this section/;
      ahead = 2;
      arm();
      updated.length = 0;
      await h.call('drafts.regenerate', { draftId, path: 'conclusion', instruction: 'shorter' });
      await queuedNow;
      draft = await h.call('drafts.get', { draftId });
      expect(section(draft, 'conclusion').status).toBe('running');
      expect(draft.live).toEqual([{ path: 'conclusion', text: '', stream: expect.any(Number) as number, ahead: 2 }]);
      await vi.waitFor(() => expect(updated.filter((path) => path === 'conclusion').length).toBeGreaterThanOrEqual(2));
      release();
      await h.core.drafts!.settled();
      draft = await h.call('drafts.get', { draftId });
      expect(section(draft, 'conclusion').status).toBe('drafted');
      expect(draft.live).toEqual([]);
    } finally {
      off();
      release();
    }
  });

  it('regenerates a section with an instruction: streamed, traced as a child span, the regenerate recorded on the old span', async () => {
    const h = await make();
    const draft = await drafted(h);
    const deltas: string[] = [];
    const off = h.api.subscribe('drafts.delta', (event) => { if (event.draftId === draft.id) deltas.push(event.path); });
    const oldSpan = spanIdFor(draft.traceId, 'conclusion');
    const running = await h.call('drafts.regenerate', { draftId: draft.id, path: 'conclusion', instruction: 'shorter, and add the 2024 covenant breach' });
    expect(running.status).toBe('running');
    await expect(h.call('drafts.regenerate', { draftId: draft.id, path: 'conclusion', instruction: 'again' })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    await h.core.drafts!.settled();
    off();
    const after = section(await h.call('drafts.get', { draftId: draft.id }), 'conclusion');
    expect(after.status).toBe('drafted');
    expect(after.markdown).not.toBe(section(draft, 'conclusion').markdown);
    expect(after.markdown).toBe(after.modelMarkdown);
    expect(after.provenance.spanId).not.toBe(oldSpan);
    expect(deltas).toContain('conclusion');
    const { spans } = await h.call('traces.get', { traceId: draft.traceId });
    const regenerated = spans.find((s) => s.spanId === after.provenance.spanId)!;
    expect(regenerated).toMatchObject({ kind: 'llm', parentSpanId: oldSpan, attributes: { 'strongroom.draft.id': draft.id } });
    const content = await h.call('traces.span', { traceId: draft.traceId, spanId: regenerated.spanId });
    expect(JSON.stringify(content.content)).toContain('shorter, and add the 2024 covenant breach');
    const feedback = await h.call('feedback.list', { traceId: draft.traceId, spanId: oldSpan });
    expect(feedback).toMatchObject([{ action: 'regenerate', instruction: 'shorter, and add the 2024 covenant breach' }]);
  });

  it('shows a failed regenerate on the section, its text unchanged; the model is pinned when the draft starts', async () => {
    const base = instantModel();
    const failing = { ...base, chat: async <T,>(request: Parameters<typeof base.chat<T>>[0]) => {
      if (request.messages.at(-1)?.content.includes('FAIL-THIS')) throw new CoreError('ERR_MODEL_UNAVAILABLE', 'The model went away.');
      return base.chat(request);
    } };
    const h = await harness({ model: failing, workflows: { report, 'report-risk': reportRisk } });
    open.push(h);
    const created = await h.call('drafts.create', { workflowId: 'report', input });
    expect(created.modelId).toBe('instant');
    await h.core.workflows!.settled(created.runId);
    const before = section(await h.call('drafts.get', { draftId: created.id }), 'conclusion');
    await h.call('drafts.autosave', { draftId: created.id, path: 'conclusion', markdown: 'working copy' });
    await h.call('drafts.regenerate', { draftId: created.id, path: 'conclusion', instruction: 'FAIL-THIS please' });
    await h.core.drafts!.settled();
    const after = section(await h.call('drafts.get', { draftId: created.id }), 'conclusion');
    expect(after).toMatchObject({ status: 'failed', markdown: before.markdown, workingMarkdown: 'working copy' });
    // Its old text is still there to accept; until then the draft is not ready for review.
    await expect(h.call('drafts.submit', { draftId: created.id, status: 'in_review' })).rejects.toThrow(/ERR_CONFLICT .*6 sections are not accepted/);
    expect((await h.call('drafts.accept', { draftId: created.id, path: 'conclusion' })).status).toBe('accepted');
    await acceptAll(h, await h.call('drafts.get', { draftId: created.id }));
    // In review, nothing changes until the draft is taken back.
    await h.call('drafts.submit', { draftId: created.id, status: 'in_review' });
    await expect(h.call('drafts.reject', { draftId: created.id, path: 'conclusion' })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    await h.call('drafts.submit', { draftId: created.id, status: 'draft' });
    expect((await h.call('drafts.reject', { draftId: created.id, path: 'conclusion' })).status).toBe('rejected');
  });

  it('refuses review and approval while the run writes, a section has no text, or a section is not accepted, naming them', async () => {
    // While the run is still writing: refused at once.
    const h = await make();
    const started = await h.call('drafts.create', { workflowId: 'report', input });
    const early = await h.api.invoke('drafts.submit', { draftId: started.id, status: 'in_review' });
    expect(early).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT', message: expect.stringContaining('its run is still writing it') as string, details: { runStatus: 'running' } } });
    await h.core.workflows!.settled(started.runId);

    // Every section drafted, none accepted: refused, naming the sections; one accepted is not enough.
    const draft = await h.call('drafts.get', { draftId: started.id });
    await h.call('drafts.accept', { draftId: draft.id, path: 'profile' });
    const unaccepted = await h.api.invoke('drafts.submit', { draftId: draft.id, status: 'in_review' });
    expect(unaccepted).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT', message: expect.stringContaining('5 sections are not accepted ("Fiscal year 2023"') as string } });
    expect(unaccepted.ok ? null : unaccepted.error.details).toEqual({ runStatus: 'waiting', missing: [], notAccepted: ['years[0].analysis', 'years[1].analysis', 'risks[0].section/check', 'risks[1].section/check', 'conclusion'] });
    // A rejected section is not accepted either.
    await acceptAll(h, draft);
    await h.call('drafts.reject', { draftId: draft.id, path: 'conclusion', comment: 'too vague' });
    await expect(h.call('drafts.submit', { draftId: draft.id, status: 'in_review' })).rejects.toThrow(/1 section is not accepted \("Conclusion"\)/);
    await h.call('drafts.edit', { draftId: draft.id, path: 'conclusion', markdown: 'A firmer conclusion.', baseRevision: section(await h.call('drafts.get', { draftId: draft.id }), 'conclusion').revision });
    expect((await h.call('drafts.submit', { draftId: draft.id, status: 'in_review' })).status).toBe('in_review');

    // Approval checks again: a draft that reached review unfinished (before this rule) is not approved.
    const other = await drafted(h);
    new DraftStore(h.core.storage!.scopeFor({ accountId: h.accountId })).setStatus(other.id, 'in_review', Date.now());
    await expect(as(h, 'reviewer')('drafts.approve', { draftId: other.id })).rejects.toThrow(/ERR_CONFLICT The draft cannot be approved yet: 6 sections are not accepted/);
    expect((await h.call('drafts.get', { draftId: other.id })).status).toBe('in_review');
    expect((await h.call('runs.get', { runId: other.runId })).status).toBe('waiting');
  });

  it('tells the section the run failed at from those it never reached; either can be written by hand, then reviewed', async () => {
    const base = instantModel({ delayMs: 2 });
    const failing = { ...base, chat: async <T,>(request: Parameters<typeof base.chat<T>>[0]) => {
      if (request.messages.some((m) => m.content.includes('Analyse 2024'))) throw new CoreError('ERR_MODEL_UNSUPPORTED', 'This model cannot do that.');
      return base.chat(request);
    } };
    const h = await harness({ model: failing, workflows: { report, 'report-risk': reportRisk } });
    open.push(h);
    const draft = await drafted(h);
    expect(draft.runStatus).toBe('failed');
    const statusOf = (d: DraftDetail, path: string) => section(d, path).status;
    expect(statusOf(draft, 'profile')).toBe('drafted');
    expect(statusOf(draft, 'years[1].analysis')).toBe('failed');
    expect(statusOf(draft, 'years')).toBe('failed');
    // Never attempted: the run stopped before them.
    for (const path of ['risks', 'risks[0].section/check', 'risks[1].section/check', 'conclusion']) expect([path, statusOf(draft, path)]).toEqual([path, 'pending']);

    // Neither can be regenerated or accepted (there is nothing to work from), and the refusal says what does work.
    await expect(h.call('drafts.regenerate', { draftId: draft.id, path: 'years[1].analysis', instruction: 'try again' })).rejects.toThrow(/ERR_CONFLICT Section "Fiscal year 2024" has no text: the run failed while writing it\. Write it yourself \(Edit\), or retry the run/);
    await expect(h.call('drafts.accept', { draftId: draft.id, path: 'conclusion' })).rejects.toThrow(/ERR_CONFLICT Section "Conclusion" has no text: the run stopped before writing it/);
    const refused = await h.api.invoke('drafts.submit', { draftId: draft.id, status: 'in_review' });
    expect(refused.ok ? null : refused.error.details).toMatchObject({ runStatus: 'failed', missing: expect.arrayContaining(['years[1].analysis', 'conclusion', 'risks[0].section/check']) as string[] });

    // Written by hand: a working copy keeps the section's status until the edit is saved.
    await h.call('drafts.autosave', { draftId: draft.id, path: 'conclusion', markdown: 'Half a conclusion' });
    expect(section(await h.call('drafts.get', { draftId: draft.id }), 'conclusion')).toMatchObject({ status: 'pending', markdown: null, workingMarkdown: 'Half a conclusion' });
    const texts = draft.sections.filter((s) => !s.container);
    for (const s of texts.filter((t) => t.markdown === null)) {
      const written = await h.call('drafts.edit', { draftId: draft.id, path: s.path, markdown: `Written by the analyst: ${s.heading}.`, baseRevision: section(await h.call('drafts.get', { draftId: draft.id }), s.path).revision });
      expect(written).toMatchObject({ status: 'edited', markdown: `Written by the analyst: ${s.heading}.`, modelMarkdown: null, workingMarkdown: null });
    }
    await acceptAll(h, draft);
    expect((await h.call('drafts.submit', { draftId: draft.id, status: 'in_review' })).status).toBe('in_review');
  });

  it('names people in exports as the audit log does, not by their ids', async () => {
    const h = await make();
    const identity = new IdentityStore(h.core.storage!.db);
    const ann = identity.upsertIdpUser('https://idp.example', 'ann', { displayName: 'Ann Analyst', email: null }, Date.now());
    const rita = identity.upsertIdpUser('https://idp.example', 'rita', { displayName: 'Rita Reviewer', email: null }, Date.now());
    const analyst = h.as(ann.id, ['analyst']);
    const created = await analyst('drafts.create', { workflowId: 'report', input });
    await h.core.workflows!.settled(created.runId);
    const draft = await analyst('drafts.get', { draftId: created.id });
    for (const s of draft.sections) if (!s.container) await analyst('drafts.accept', { draftId: draft.id, path: s.path });
    await analyst('drafts.submit', { draftId: draft.id, status: 'in_review' });
    await h.as(rita.id, ['reviewer'])('drafts.approve', { draftId: draft.id });
    const md = Buffer.from((await analyst('drafts.export', { draftId: draft.id, format: 'md' })).base64, 'base64').toString();
    expect(md).toMatch(/\*\*Approved by:\*\* Rita Reviewer \(\d{4}-/);
    expect(md).toMatch(/\*\*Created:\*\* .* by Ann Analyst/);
    expect(md).toMatch(/\*\*Exported:\*\* .* by Ann Analyst/);
    expect(md).not.toContain(ann.id);
    expect(md).not.toContain(rita.id);
    const docx = strFromU8(unzipSync(Buffer.from((await analyst('drafts.export', { draftId: draft.id, format: 'docx' })).base64, 'base64'))['word/document.xml']!);
    expect(docx).toContain('Rita Reviewer');
    expect(docx).not.toContain(rita.id);
    // The page gets the same names from the API, beside the ids; someone nobody knows is null.
    const comment = await analyst('drafts.comment', { draftId: draft.id, body: 'Checked.' });
    expect(comment).toMatchObject({ createdBy: ann.id, createdByName: 'Ann Analyst' });
    const approved = await analyst('drafts.get', { draftId: draft.id });
    expect(approved).toMatchObject({ createdByName: 'Ann Analyst', approvedBy: rita.id, approvedByName: 'Rita Reviewer', comments: [{ createdByName: 'Ann Analyst' }] });
    expect(approved.sections.find((s) => !s.container)).toMatchObject({ updatedBy: ann.id, updatedByName: 'Ann Analyst' });
    const stranger = await h.as('nobody-known', ['analyst'])('drafts.create', { workflowId: 'report', input });
    expect(stranger).toMatchObject({ createdBy: 'nobody-known', createdByName: null });
  });

  it('keeps an autosaved edit across a restart of the app', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-drafts-'));
    dirs.push(dataDir);
    const secrets = new MemorySecretStore();
    const first = await make({ dataDir, secrets });
    const draft = await drafted(first);
    await first.call('drafts.autosave', { draftId: draft.id, path: 'profile', markdown: 'Half-written sentence about liquid' });
    await first.core.dispose();
    open.splice(open.indexOf(first), 1);
    const second = await make({ dataDir, secrets });
    const reopened = section(await second.call('drafts.get', { draftId: draft.id }), 'profile');
    expect(reopened.workingMarkdown).toBe('Half-written sentence about liquid');
    expect(reopened.markdown).toBe(section(draft, 'profile').markdown);
    await second.call('drafts.autosave', { draftId: draft.id, path: 'profile', markdown: null });
    expect(section(await second.call('drafts.get', { draftId: draft.id }), 'profile').workingMarkdown).toBeNull();
  });

  it('moves draft → in review → approved, approval gated by role, and answers the workflow\'s own approval step', async () => {
    const h = await make();
    const draft = await drafted(h);
    await expect(h.call('drafts.approve', { draftId: draft.id })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    const analyst = as(h, 'analyst');
    const reviewer = as(h, 'reviewer');
    await acceptAll(h, draft);
    expect((await analyst('drafts.submit', { draftId: draft.id, status: 'in_review' })).status).toBe('in_review');
    await expect(analyst('drafts.approve', { draftId: draft.id })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    const approved = await reviewer('drafts.approve', { draftId: draft.id, comment: 'Fine.' });
    expect(approved).toMatchObject({ status: 'approved', approvedBy: 'user-reviewer' });
    await h.core.workflows!.settled(draft.runId);
    const run = await h.call('runs.get', { runId: draft.runId });
    expect(run.status).toBe('completed');
    expect(run.steps.find((s) => s.path === 'signoff')?.output).toMatchObject({ approved: true, comment: 'Fine.', answeredBy: 'user-reviewer' });
    await expect(h.call('drafts.edit', { draftId: draft.id, path: 'profile', markdown: 'late', baseRevision: 0 })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
  });

  it('reads a draft through the sub-workflow versions its run started with, not a newer import', async () => {
    const h = await make();
    const draft = await drafted(h);
    expect(draft).toMatchObject({ approverRole: null });
    // A new version of the nested risk section adds a compliance sign-off; this draft's run keeps v1.
    await as(h, 'builder')('workflows.import', { text: reportRisk.replace('output: check\n', '  - {id: countersign, kind: human, action: approve, role: compliance, prompt: "Countersign?"}\noutput: check\n') });
    expect(await h.call('drafts.get', { draftId: draft.id })).toMatchObject({ approverRole: null });
    expect((await h.call('drafts.get', { draftId: draft.id })).sections.map((s) => s.path)).toEqual(draft.sections.map((s) => s.path));
    // A draft started now uses the new version.
    expect(await drafted(h)).toMatchObject({ approverRole: 'compliance' });
  });

  it('holds the account\'s four-eyes policy on a workflow that sets no rule of its own', async () => {
    const h = await make();
    await as(h, 'admin')('workflows.approvalPolicy.set', { accountId: h.accountId, fourEyes: true });
    const draft = await drafted(h);
    expect(draft).toMatchObject({ fourEyes: true, approverRole: null });
    await acceptAll(h, draft);
    await h.call('drafts.submit', { draftId: draft.id, status: 'in_review' });
    await expect(h.call('drafts.approve', { draftId: draft.id })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', message: expect.stringContaining('four-eyes') as string });
    expect(await as(h, 'reviewer')('drafts.approve', { draftId: draft.id })).toMatchObject({ status: 'approved', approvedBy: 'user-reviewer' });
    await h.core.workflows!.settled(draft.runId);
    expect((await h.call('runs.get', { runId: draft.runId })).status).toBe('completed');
  });

  it('holds a four-eyes sign-off: whoever prepared the draft cannot approve it, a second reviewer can', async () => {
    const fourEyes = report.replace('action: approve, prompt:', 'action: approve, fourEyes: true, role: reviewer, prompt:');
    expect(fourEyes).not.toBe(report);
    const h = await harness({ model: instantModel({ delayMs: 2 }), workflows: { report: fourEyes, 'report-risk': reportRisk } });
    open.push(h);
    // analyst-1 (the harness's user, analyst and reviewer) prepares the draft and starts its run.
    const draft = await drafted(h);
    await acceptAll(h, draft);
    await h.call('drafts.submit', { draftId: draft.id, status: 'in_review' });
    await expect(h.call('drafts.approve', { draftId: draft.id })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', message: expect.stringContaining('four-eyes') as string });
    expect((await h.call('drafts.get', { draftId: draft.id })).status).toBe('in_review');
    expect((await h.call('runs.get', { runId: draft.runId })).status).toBe('waiting');
    const denied = h.core.storage!.db.prepare("SELECT actor_user_id AS actor, outcome FROM audit_log WHERE action = 'drafts.approve' ORDER BY seq").all();
    expect(denied).toEqual([{ actor: 'analyst-1', outcome: 'denied' }]);

    // The sign-off also asks for the reviewer role: an administrator is no credit approver.
    expect(draft).toMatchObject({ fourEyes: true, approverRole: 'reviewer' });
    await expect(as(h, 'admin')('drafts.approve', { draftId: draft.id })).rejects.toThrow(/ERR_AUTH_FORBIDDEN .*reviewer role/);
    expect((await h.call('drafts.get', { draftId: draft.id })).status).toBe('in_review');
    const approved = await as(h, 'reviewer')('drafts.approve', { draftId: draft.id, comment: 'Checked by a second reviewer.' });
    expect(approved).toMatchObject({ status: 'approved', approvedBy: 'user-reviewer' });
    await h.core.workflows!.settled(draft.runId);
    const run = await h.call('runs.get', { runId: draft.runId });
    expect(run.status).toBe('completed');
    expect(run.steps.find((s) => s.path === 'signoff')?.output).toMatchObject({ approved: true, answeredBy: 'user-reviewer' });
  });

  it('finds the approval rules of a step inside a sub-workflow, and holds the draft\'s approval to them', async () => {
    const nested = reportRisk.replace('output: check', '  - {id: ok, kind: human, action: approve, role: compliance, fourEyes: true, prompt: "Section fine?"}\noutput: check');
    expect(nested).not.toBe(reportRisk);
    const h = await harness({ model: instantModel({ delayMs: 2 }), workflows: { report, 'report-risk': nested } });
    open.push(h);
    const draft = await drafted(h);
    expect(draft).toMatchObject({ fourEyes: true, approverRole: 'compliance' });
    // Each risk section waits for a compliance officer's approval; one answers them, and the run drafts on.
    const officer = h.as('officer-1', ['compliance', 'reviewer']);
    const waiting = (await h.call('runs.get', { runId: draft.runId })).waitingOn;
    expect(waiting).toEqual(['risks[0].section/ok', 'risks[1].section/ok']);
    for (const path of waiting) await officer('runs.answer', { runId: draft.runId, path, answer: { approved: true } });
    await h.core.workflows!.settled(draft.runId);
    await acceptAll(h, draft);
    await h.call('drafts.submit', { draftId: draft.id, status: 'in_review' });
    // The reviewer may approve drafts but lacks the compliance role the workflow's approval asks for.
    await expect(as(h, 'reviewer')('drafts.approve', { draftId: draft.id })).rejects.toThrow(/ERR_AUTH_FORBIDDEN .*compliance role/);
    expect((await h.call('drafts.get', { draftId: draft.id })).status).toBe('in_review');
    expect(await officer('drafts.approve', { draftId: draft.id })).toMatchObject({ status: 'approved', approvedBy: 'officer-1' });
  });

  it('keeps the trace behind a draft when traces are purged: its provenance points there', async () => {
    const h = await make();
    const draft = await drafted(h);
    await acceptAll(h, draft);
    await h.call('drafts.submit', { draftId: draft.id, status: 'in_review' });
    await as(h, 'reviewer')('drafts.approve', { draftId: draft.id });
    await h.core.workflows!.settled(draft.runId);
    expect((await h.call('runs.get', { runId: draft.runId })).status).toBe('completed');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const report = await as(h, 'compliance')('traces.purge', { before: tomorrow });
    expect(report).toMatchObject({ purged: { traceCount: 0, spanCount: 0 }, kept: { open: 0, withDraft: 1 } });
    expect((await h.call('traces.get', { traceId: draft.traceId })).trace.traceId).toBe(draft.traceId);
  });

  it('exports DOCX, PDF and Markdown with the edited text and provenance, every export audited; the CLI lists and exports', async () => {
    const h = await make();
    const draft = await drafted(h);
    await h.call('drafts.edit', { draftId: draft.id, path: 'conclusion', markdown: 'Zürich office confirmed the <waiver> & the covenant reset.', baseRevision: 0 });
    const docx = await h.call('drafts.export', { draftId: draft.id, format: 'docx' });
    expect(docx.fileName).toBe('report-on-acme-shipping.docx');
    const xml = strFromU8(unzipSync(Buffer.from(docx.base64, 'base64'))['word/document.xml']!);
    expect(xml).toContain('Zürich office confirmed the &lt;waiver&gt; &amp; the covenant reset.');
    expect(xml).toContain('Customer concentration');
    expect(xml).toContain(draft.version);
    const pdf = await h.call('drafts.export', { draftId: draft.id, format: 'pdf' });
    expect(Buffer.from(pdf.base64, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    const md = Buffer.from((await h.call('drafts.export', { draftId: draft.id, format: 'md' })).base64, 'base64').toString();
    expect(md).toMatch(/^# Report on Acme Shipping/m);
    expect(md).toMatch(/^# Financial analysis by year/m);
    expect(md).toMatch(/^## Fiscal year 2023/m);
    const exports = h.core.storage!.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'drafts.export'").get() as { n: number };
    expect(exports.n).toBe(3);
    await expect(as(h, 'auditor')('drafts.export', { draftId: draft.id, format: 'md' })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    // The CLI: list, then export to a new file.
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    expect(await draftsListCommand(io, h.core, { json: false, limit: 10 })).toBe(0);
    expect(out[0]).toContain('Report on Acme Shipping');
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-drafts-export-'));
    dirs.push(dir);
    expect(await draftsExportCommand(io, h.core, { json: false, draftId: draft.id, format: 'md', out: join(dir, 'memo.md') })).toBe(0);
    expect(readFileSync(join(dir, 'memo.md'), 'utf8')).toContain('Zürich office confirmed');
  });

  it('drafts the shipped credit memo from its sample input: sections per fiscal year and per risk factor, then waits for the credit decision', async () => {
    const root = join(import.meta.dirname, '..', '..', 'resources');
    const sample = JSON.parse(readFileSync(join(root, 'samples', 'credit-memo.input.json'), 'utf8')) as { financials: Array<{ fiscalYear: number }>; riskFactors: Array<{ name: string }> };
    const h = await harness({
      model: instantModel(),
      workflows: { 'credit-memo': readFileSync(join(root, 'workflows', 'credit-memo.yaml'), 'utf8'), 'credit-risk-section': readFileSync(join(root, 'workflows', 'credit-risk-section.yaml'), 'utf8') },
      tools: [createCustomerLookupTool({ files: [defaultCustomerTableFile] }), createCalculatorTool()],
    });
    open.push(h);
    const [workflow] = await h.call('drafts.workflows', {});
    expect(workflow).toMatchObject({ id: 'credit-memo', sample });
    const created = await h.call('drafts.create', { workflowId: 'credit-memo', input: sample });
    await h.core.workflows!.settled(created.runId);
    const draft = await h.call('drafts.get', { draftId: created.id });
    expect(draft.runStatus).toBe('waiting');
    expect(draft.title).toMatch(/^Credit approval memorandum — /);
    const headings = draft.sections.map((s) => s.heading);
    expect(headings.slice(0, 2)).toEqual(['Borrower profile', 'Financial analysis by fiscal year']);
    for (const year of sample.financials) expect(headings).toContain(`Fiscal year ${year.fiscalYear}`);
    for (const risk of sample.riskFactors) expect(headings).toContain(risk.name);
    expect(headings.at(-1)).toBe('Recommendation, structure and approval authority');
    expect(draft.sections.filter((s) => !s.container).every((s) => s.status === 'drafted' && (s.markdown ?? '').length > 0)).toBe(true);
    const risk = draft.sections.find((s) => s.heading === sample.riskFactors[0]!.name)!;
    expect(risk.path).toBe('risk_sections[0].risk_section/self_check');
    expect(risk.provenance.sources.some((source) => source.kind === 'passage')).toBe(true);
  });

  it('turns structured outputs into Markdown an analyst can edit', () => {
    expect(outputToMarkdown('  Plain text.  ')).toBe('Plain text.');
    const markdown = outputToMarkdown({ heading: 'Liquidity', rating: 'moderate', assessment: 'Cash covers two months.\nThe line is undrawn.', mitigants: ['Undrawn revolver', 'Cash sweep'], citations: [{ documentId: 'ar-2024', excerpt: 'cash of | 2.1m' }] });
    expect(markdown).toContain('**Heading:** Liquidity  \n**Rating:** moderate');
    expect(markdown).toContain('**Assessment**\n\nCash covers two months.\nThe line is undrawn.');
    expect(markdown).toContain('- Undrawn revolver\n- Cash sweep');
    expect(markdown).toContain('| Document id | Excerpt |\n| --- | --- |\n| ar-2024 | cash of \\| 2.1m |');
  });
});
