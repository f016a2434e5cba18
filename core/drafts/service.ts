import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreError, nextStreamId, shippedPath } from '../base/index.ts';
import type { Clock, EventBus, Logger } from '../base/index.ts';
import type { Principal } from '../api/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { DraftComment, DraftDetail, DraftSection, DraftStatus, DraftSummary, Role, Step, WorkflowDefinition } from '../contracts/index.ts';
import type { ChatMessage, ModelProvider } from '../models/index.ts';
import type { AccountScope, Storage } from '../storage/index.ts';
import { FeedbackStore, nowMicros, spanIdFor, TraceStore } from '../tracing/index.ts';
import type { FeedbackInput, TraceRecorder } from '../tracing/index.ts';
import { renderTemplate, RunStore } from '../workflows/index.ts';
import type { CatalogEntry, RunRecord, WorkflowCatalog, WorkflowEngine } from '../workflows/index.ts';
import { exportDocx, exportMarkdown, exportPdf } from './export/index.ts';
import type { DraftExportDocument } from './export/index.ts';
import { outputToMarkdown } from './markdown.ts';
import { buildOutline } from './outline.ts';
import type { OutlineNode } from './outline.ts';
import { failedStepOf, failedWithin, readiness, runStoppedWriting } from './readiness.ts';
import { DraftStore } from './store.ts';
import type { DraftRecord, SectionChange } from './store.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface DraftServiceOptions {
  storage: Storage;
  catalog: WorkflowCatalog;
  engine: WorkflowEngine;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  logger: Logger;
  /** The engine's model source (the registry, or a test's stand-in). */
  models: (modelId: string | null, accountId: string, classification?: WorkflowDefinition['classification']) => ModelProvider;
  isTestModel: (modelId: string) => boolean;
  /** Records regenerations as spans of the draft's trace; null when tracing is off. */
  recorder: TraceRecorder | null;
  /** Sample inputs, `<workflow id>.input.json` (default resources/samples). */
  samplesDir?: string;
  /**
   * How a user is named in exports (the audit log's rule: the IdP's display name, or "Local
   * administrator"); createCore passes the one lookup the audit log and traces use. Without it
   * people are named by their ids.
   */
  displayName?: (userId: string) => string | undefined;
}

/** Names are added only where a section leaves the service (`get`), not on every progress pass. */
interface Section extends Omit<DraftSection, 'updatedByName'> {
  node: OutlineNode;
}

interface DraftState {
  run: RunRecord;
  workflowName: string;
  sections: Section[];
  /** The workflow has a four-eyes approval step: whoever prepared the draft or started its run cannot approve it. */
  fourEyes: boolean;
  /** The role its approval step asks of the approver, if any. */
  approverRole: Role | null;
}

/**
 * What the workflow's approval steps ask of the approver — a second person, a role — at any depth:
 * maps, branches and sub-workflows (resolved as the outline resolves them).
 */
function approvalRules(definition: WorkflowDefinition, workflow: (id: string) => WorkflowDefinition | undefined): { fourEyes: boolean; role: Role | null } {
  const rules: { fourEyes: boolean; role: Role | null } = { fourEyes: false, role: null };
  const seen = new Set<string>();
  const visit = (list: readonly Step[]): void => {
    for (const step of list) {
      if (step.kind === 'human' && step.action === 'approve') {
        rules.fourEyes ||= step.fourEyes === true;
        rules.role ??= step.role ?? null;
      } else if (step.kind === 'map') visit(step.steps);
      else if (step.kind === 'branch') {
        for (const branch of step.cases) visit(branch.steps);
        visit(step.otherwise ?? []);
      } else if (step.kind === 'workflow' && !seen.has(step.workflow)) {
        seen.add(step.workflow);
        visit(workflow(step.workflow)?.steps ?? []);
      }
    }
  };
  visit(definition.steps);
  return rules;
}

/**
 * The drafting workspace. A draft is a run of a drafting workflow seen as a document: its
 * sections come from the workflow's outline and the run's step outputs; what analysts do to
 * them (accept, reject, edit, regenerate) is kept over them in draft_sections and recorded as
 * feedback on the span that produced the text, in the same transaction as its audit entry.
 */
/**
 * A regeneration in flight: the text it has streamed so far, its generation (base/streams.ts), and
 * while it waits for a busy local model, how many requests are ahead of it.
 */
interface LiveRegeneration {
  text: string;
  stream: number;
  ahead?: number;
}

export class DraftService {
  private readonly options: DraftServiceOptions;
  private readonly samplesDir: string;
  /** Section paths being produced right now, per run (from the engine's progress events). */
  private readonly running = new Map<string, Set<string>>();
  /** Regenerations in flight, by draft, then section path, with the text each has streamed so far (memory only). */
  private readonly regenerations = new Map<string, Map<string, LiveRegeneration>>();
  private readonly unsubscribe: () => void;
  private readonly pending = new Set<Promise<void>>();
  private readonly displayName: (userId: string) => string | undefined;

  constructor(options: DraftServiceOptions) {
    this.options = options;
    this.samplesDir = options.samplesDir ?? shippedPath('resources', 'samples');
    this.displayName = options.displayName ?? (() => undefined);
    this.unsubscribe = options.events.subscribe((event, payload) => {
      if (event === 'runs.progress') this.onProgress(payload as { accountId: string; runId: string; path: string; status: string });
      else if (event === 'runs.delta') this.onDelta(payload as { accountId: string; runId: string; path: string; text: string });
    });
  }

  private scope(principal: Principal): AccountScope {
    return this.options.storage.scopeFor(principal);
  }

  private audited<T>(scope: AccountScope, principal: Principal, requestId: string, action: string, change: () => T, describe: (result: T) => { resource: string; details?: Record<string, string | number | boolean | null> }): T {
    return this.options.audit.recordChange({ scope, actor: principal, requestId, action }, change, describe);
  }

  // ---- workflows and drafts ----

  drafting(principal: Principal) {
    const scope = this.scope(principal);
    const latest = new Map<string, ReturnType<WorkflowCatalog['entries']>[number]>();
    for (const entry of this.options.catalog.entries(scope)) if (entry.definition.document) latest.set(entry.definition.id, entry);
    return [...latest.values()].map((entry) => ({
      id: entry.definition.id,
      name: entry.definition.name,
      description: entry.definition.description ?? null,
      version: entry.version,
      inputs: entry.definition.inputs,
      sample: this.sample(entry.definition.id),
      classification: entry.definition.classification,
    }));
  }

  private sample(workflowId: string): unknown {
    const file = join(this.samplesDir, `${workflowId}.input.json`);
    if (!/^[a-z0-9-]+$/.test(workflowId) || !existsSync(file)) return null;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch {
      return null;
    }
  }

  list(principal: Principal, options: { status?: DraftStatus; limit: number }): DraftSummary[] {
    const scope = this.scope(principal);
    const store = new DraftStore(scope);
    return store.list(options).map((draft) => this.summaryOf(scope, draft));
  }

  create(principal: Principal, input: { workflowId: string; input: unknown; modelId?: string }, requestId: string): DraftSummary {
    const scope = this.scope(principal);
    const entry = this.options.catalog.get(scope, input.workflowId);
    if (!entry) throw CoreError.notInAccount('workflow', input.workflowId);
    const document = entry.definition.document;
    if (!document) throw new CoreError('ERR_INPUT_INVALID', `Workflow ${input.workflowId} does not produce a document (it declares no document sections).`, { details: { issues: [{ path: 'workflowId', message: 'not a drafting workflow' }] } });
    const store = new DraftStore(scope);
    // Pin the model now (the account default when none is named): the draft says from its first
    // moment whether a test model writes it, and a later change of default does not switch models mid-document.
    const modelId = input.modelId ?? this.options.models(null, scope.accountId, entry.definition.classification).id;
    const draft = this.audited(scope, principal, requestId, 'drafts.create', () => {
      const run = this.options.engine.create(scope, input.workflowId, input.input, { createdBy: principal.userId, modelId });
      let title: string;
      try {
        title = renderTemplate(document.title, { inputs: input.input, steps: {} }, 'document.title').trim().slice(0, 300) || entry.definition.name;
      } catch {
        title = entry.definition.name;
      }
      return store.create({ runId: run.id, workflowId: input.workflowId, version: run.version, title, createdBy: principal.userId, createdAt: this.options.clock.now() });
    }, (d) => ({ resource: `draft:${d.id}`, details: { workflowId: d.workflowId, version: d.version, runId: d.runId } }));
    this.draftIds.set(draft.runId, draft.id);
    this.options.engine.launch(scope, draft.runId);
    return this.summaryOf(scope, draft);
  }

  get(principal: Principal, draftId: string): DraftDetail {
    const scope = this.scope(principal);
    const draft = this.existing(scope, draftId);
    const state = this.state(scope, draft);
    return {
      ...this.summary(draft, state),
      sections: state.sections.map((section) => this.sectionView(section)),
      comments: new DraftStore(scope).comments(draftId).map((comment) => this.commentView(comment)),
      live: [
        ...this.options.engine.liveSteps(draft.runId).map((step) => ({ path: step.path, text: step.text, stream: step.stream, ...(step.status === 'queued' ? { ahead: step.ahead ?? 0 } : {}) })),
        ...[...(this.regenerations.get(draft.id) ?? new Map<string, LiveRegeneration>())].map(([path, { text, stream, ahead }]) => ({ path, text, stream, ...(ahead === undefined ? {} : { ahead }) })),
      ],
    };
  }

  /** The draft, if it is in the caller's account; else the one refusal for ids not there (audited as denied). */
  private existing(scope: AccountScope, draftId: string): DraftRecord {
    const draft = new DraftStore(scope).get(draftId);
    if (!draft) throw CoreError.notInAccount('draft', draftId);
    return draft;
  }

  private run(scope: AccountScope, draft: DraftRecord): RunRecord {
    const run = new RunStore(scope).run(draft.runId);
    if (!run) throw new CoreError('ERR_INTERNAL', 'The run behind this draft is missing.');
    return run;
  }

  /** The draft's run, workflow and sections, read once for a summary or a detail. */
  private state(scope: AccountScope, draft: DraftRecord): DraftState {
    const run = this.run(scope, draft);
    const entry = this.options.catalog.get(scope, draft.workflowId, draft.version);
    const rules = this.approvalRulesOf(scope, draft, run);
    return { run, workflowName: entry?.definition.name ?? draft.workflowId, sections: entry ? this.sectionsOf(scope, draft, run, entry.definition) : [], fourEyes: rules.fourEyes, approverRole: rules.role };
  }

  /** A nested workflow as the draft's run uses it: the version pinned when the run started. */
  private nested(scope: AccountScope, run: RunRecord): (id: string) => CatalogEntry | undefined {
    return (id) => this.options.catalog.get(scope, id, run.pins[id]);
  }

  /** The approval rules of the draft's workflow version (no outline, no run steps: cheap). */
  private approvalRulesOf(scope: AccountScope, draft: DraftRecord, run: RunRecord): { fourEyes: boolean; role: Role | null } {
    const entry = this.options.catalog.get(scope, draft.workflowId, draft.version);
    const nested = this.nested(scope, run);
    const rules = entry ? approvalRules(entry.definition, (id) => nested(id)?.definition) : { fourEyes: false, role: null };
    // The account's approval policy binds every draft's approval too.
    return { ...rules, fourEyes: rules.fourEyes || this.options.engine.fourEyesRequired(scope.accountId) };
  }

  private sections(scope: AccountScope, draft: DraftRecord): Section[] {
    return this.state(scope, draft).sections;
  }

  /** The outline, filled from the run, with people's changes over it. */
  private sectionsOf(scope: AccountScope, draft: DraftRecord, run: RunRecord, definition: WorkflowDefinition): Section[] {
    const steps = new RunStore(scope).steps(run.id);
    const outline = buildOutline({ definition, workflow: this.nested(scope, run), steps, input: run.input });
    const changes = new DraftStore(scope).changes(draft.id);
    const inFlight = this.running.get(run.id);
    // The step the run failed at: only the section it was writing failed; those after it were
    // never attempted (the run stopped first) and stay pending.
    const failedStep = failedStepOf(run);
    return outline.map((node) => {
      const record = steps.get(node.path);
      const change = changes.get(node.path);
      const produced = record?.status === 'done' ? outputToMarkdown(record.output) : null;
      const recordedModel = (record?.recorded as { model?: unknown } | null | undefined)?.model;
      const failedHere = failedStep !== null && failedWithin(node.path, failedStep, node.container);
      const baseStatus = node.container ? containerStatus(record, failedHere) : produced !== null ? 'drafted' : inFlight?.has(node.path) ? 'running' : failedHere ? 'failed' : 'pending';
      const regenerating = this.regenerations.get(draft.id)?.has(node.path) === true;
      // A change that holds only a working copy (no text yet) does not decide the status.
      const changedStatus = change && (change.markdown !== null || produced !== null) ? change.status : null;
      return {
        node,
        path: node.path,
        parentPath: node.parentPath,
        heading: node.heading,
        level: node.level,
        container: node.container,
        status: regenerating ? 'running' : changedStatus ?? baseStatus,
        markdown: change?.markdown ?? produced,
        modelMarkdown: change?.modelMarkdown ?? produced,
        workingMarkdown: change?.workingMarkdown ?? null,
        revision: change?.revision ?? 0,
        provenance: {
          traceId: run.traceId,
          spanId: node.container ? null : change?.spanId ?? (record ? spanIdFor(run.traceId, node.path) : null),
          model: change?.modelId ?? (typeof recordedModel === 'string' ? recordedModel : null),
          workflowId: draft.workflowId,
          workflowVersion: draft.version,
          sources: node.sources,
        },
        updatedBy: change?.updatedBy ?? null,
        updatedAt: iso(change?.updatedAt ?? record?.finishedAt ?? null),
      } satisfies Section;
    });
  }

  private summaryOf(scope: AccountScope, draft: DraftRecord): DraftSummary {
    return this.summary(draft, this.state(scope, draft));
  }

  private summary(draft: DraftRecord, { run, workflowName, sections, fourEyes, approverRole }: DraftState): DraftSummary {
    const texts = sections.filter((s) => !s.container);
    const modelId = run.modelId ?? texts.find((s) => s.provenance.model)?.provenance.model ?? null;
    return {
      id: draft.id,
      title: draft.title,
      workflowId: draft.workflowId,
      workflowName,
      version: draft.version,
      status: draft.status,
      runId: run.id,
      runStatus: run.status,
      traceId: run.traceId,
      modelId,
      demo: modelId !== null && this.options.isTestModel(modelId),
      sectionCount: texts.length,
      sectionsDone: texts.filter((s) => s.status !== 'pending' && s.status !== 'running' && s.status !== 'failed').length,
      createdBy: draft.createdBy,
      createdByName: this.nameOrNull(draft.createdBy),
      createdAt: iso(draft.createdAt)!,
      updatedAt: iso(Math.max(draft.updatedAt, run.updatedAt))!,
      approvedBy: draft.approvedBy,
      approvedByName: draft.approvedBy === null ? null : this.nameOrNull(draft.approvedBy),
      approvedAt: iso(draft.approvedAt),
      fourEyes,
      approverRole,
    };
  }

  // ---- section actions ----

  /**
   * The section an action is on. One without text is refused — unless the action may write it
   * (`edit`, `autosave`) and the run has stopped writing (failed, cancelled or completed): then
   * the analyst may write it by hand, the only way forward that does not need the run again.
   */
  private section(scope: AccountScope, draft: DraftRecord, path: string, options: { mayWrite?: boolean } = {}): Section {
    const state = this.state(scope, draft);
    const section = state.sections.find((s) => s.path === path);
    if (!section) throw new CoreError('ERR_NOT_FOUND', `The draft has no section ${path}.`, { details: { path } });
    if (section.container) throw new CoreError('ERR_INPUT_INVALID', `${section.heading} only groups sections; act on one of them.`, { details: { issues: [{ path: 'path', message: 'a grouping heading has no text' }] } });
    if (draft.status === 'approved') throw new CoreError('ERR_CONFLICT', 'The draft is approved; it can no longer change.');
    if (draft.status === 'in_review') throw new CoreError('ERR_CONFLICT', 'The draft is in review; take it back to a draft to change it.');
    if (section.markdown === null) {
      const stopped = runStoppedWriting(state.run.status) && section.status !== 'running';
      if (!stopped) throw new CoreError('ERR_CONFLICT', `Section "${section.heading}" has no text yet; wait until it is drafted.`, { details: { path, runStatus: state.run.status } });
      if (!options.mayWrite) {
        throw new CoreError('ERR_CONFLICT', `Section "${section.heading}" has no text: the run ${section.status === 'failed' ? 'failed while writing it' : 'stopped before writing it'}. Write it yourself (Edit)${state.run.status === 'failed' ? ', or retry the run' : ''}.`, { details: { path, runStatus: state.run.status, sectionStatus: section.status } });
      }
    }
    return section;
  }

  /** Applies a change to a section with its feedback and audit entry, in one transaction. */
  private change(principal: Principal, requestId: string, draftId: string, path: string, action: 'accept' | 'reject' | 'edit', apply: (section: Section) => { change: Partial<SectionChange>; feedback: FeedbackInput }): DraftSection {
    const scope = this.scope(principal);
    const store = new DraftStore(scope);
    const draft = this.existing(scope, draftId);
    const section = this.section(scope, draft, path, { mayWrite: action === 'edit' });
    const now = this.options.clock.now();
    const { change, feedback } = apply(section);
    const spanId = section.provenance.spanId ?? spanIdFor(section.provenance.traceId, path);
    this.options.recorder?.flush();
    this.audited(scope, principal, requestId, `drafts.${action}`, () => {
      const stored = new FeedbackStore(scope).submit(section.provenance.traceId, spanId, feedback, principal.userId, now);
      store.saveChange(draft.id, {
        path,
        status: section.status,
        markdown: section.markdown,
        modelMarkdown: section.modelMarkdown,
        workingMarkdown: section.workingMarkdown,
        spanId: section.provenance.spanId,
        modelId: section.provenance.model,
        regenerations: 0,
        ...this.existingChange(store, draft.id, path),
        ...change,
        revision: section.revision + 1,
        updatedBy: principal.userId,
        updatedAt: now,
      });
      return stored;
    }, (stored) => ({ resource: `draft:${draft.id}`, details: { path, feedbackId: stored.id, spanId } }));
    this.options.events.publish('drafts.updated', { accountId: scope.accountId, draftId: draft.id, path });
    return this.view(scope, draft, path);
  }

  private existingChange(store: DraftStore, draftId: string, path: string): Partial<SectionChange> {
    const existing = store.changes(draftId).get(path);
    return existing ? { regenerations: existing.regenerations } : {};
  }

  private view(scope: AccountScope, draft: DraftRecord, path: string): DraftSection {
    return this.sectionView(this.sections(scope, this.existing(scope, draft.id)).find((s) => s.path === path)!);
  }

  /** A section as the API gives it: without its outline node, with who last changed it by name. */
  private sectionView({ node: _node, ...section }: Section): DraftSection {
    return { ...section, updatedByName: section.updatedBy === null ? null : this.nameOrNull(section.updatedBy) };
  }

  accept(principal: Principal, draftId: string, path: string, requestId: string): DraftSection {
    return this.change(principal, requestId, draftId, path, 'accept', () => ({ change: { status: 'accepted', workingMarkdown: null }, feedback: { action: 'accept', verdict: 'approve' } }));
  }

  reject(principal: Principal, draftId: string, path: string, comment: string | undefined, requestId: string): DraftSection {
    return this.change(principal, requestId, draftId, path, 'reject', () => ({ change: { status: 'rejected' }, feedback: { action: 'reject', verdict: 'reject', ...(comment ? { comment } : {}) } }));
  }

  edit(principal: Principal, draftId: string, path: string, markdown: string, baseRevision: number, requestId: string): DraftSection {
    return this.change(principal, requestId, draftId, path, 'edit', (section) => {
      if (section.revision !== baseRevision) throw new CoreError('ERR_CONFLICT', `Section "${section.heading}" changed since you started editing (revision ${section.revision}, yours ${baseRevision}). Your text is kept in the editor; reload the section to merge.`, { details: { path, revision: section.revision } });
      return { change: { status: 'edited', markdown, workingMarkdown: null }, feedback: { action: 'edit', edit: { before: section.markdown ?? '', after: markdown } } };
    });
  }

  /** Keeps an unsaved edit (no feedback, no audit: it is not a decision, just the editor's state). */
  autosave(principal: Principal, draftId: string, path: string, markdown: string | null): { savedAt: string } {
    const scope = this.scope(principal);
    const store = new DraftStore(scope);
    const draft = this.existing(scope, draftId);
    const section = this.section(scope, draft, path, { mayWrite: true });
    const now = this.options.clock.now();
    const existing = store.changes(draft.id).get(path);
    store.saveChange(draft.id, {
      path,
      // Never the transient 'running' of a regenerate in flight: that status is not stored. A
      // section being written by hand keeps the status the run gave it until the edit is saved.
      status: existing?.status ?? (section.markdown === null ? 'pending' : 'drafted'),
      markdown: existing?.markdown ?? null,
      modelMarkdown: existing?.modelMarkdown ?? null,
      workingMarkdown: markdown,
      spanId: existing?.spanId ?? null,
      modelId: existing?.modelId ?? null,
      regenerations: existing?.regenerations ?? 0,
      revision: section.revision,
      updatedBy: existing?.updatedBy ?? null,
      updatedAt: now,
    });
    return { savedAt: new Date(now).toISOString() };
  }

  /**
   * Regenerates a section with an instruction: the model sees the request that produced the
   * section (from its span), the section as it stands and the instruction, and writes the new
   * text, which streams to the editor. The regenerate is feedback on the span that produced the
   * old text; the new text gets its own span in the draft's trace.
   */
  regenerate(principal: Principal, draftId: string, path: string, instruction: string, requestId: string): DraftSection {
    const scope = this.scope(principal);
    const store = new DraftStore(scope);
    const draft = this.existing(scope, draftId);
    const section = this.section(scope, draft, path);
    if (this.regenerations.get(draft.id)?.has(path) === true) throw new CoreError('ERR_CONFLICT', `Section "${section.heading}" is being regenerated already.`, { details: { path } });
    const run = this.run(scope, draft);
    const spanId = section.provenance.spanId ?? spanIdFor(run.traceId, path);
    this.options.recorder?.flush();
    const original = new TraceStore(scope).spanContent(run.traceId, spanId);
    const messages = (original?.input as { messages?: ChatMessage[] } | null | undefined)?.messages;
    if (!messages) throw new CoreError('ERR_CONFLICT', `The request that produced "${section.heading}" was not recorded (tracing was off), so it cannot be regenerated.`, { details: { path } });
    const entry = this.options.catalog.get(scope, draft.workflowId, draft.version);
    const model = this.options.models(section.provenance.model ?? run.modelId, scope.accountId, entry?.definition.classification);
    const now = this.options.clock.now();
    const existing = store.changes(draft.id).get(path);
    const regenerations = (existing?.regenerations ?? 0) + 1;
    this.audited(scope, principal, requestId, 'drafts.regenerate', () => new FeedbackStore(scope).submit(run.traceId, spanId, { action: 'regenerate', instruction }, principal.userId, now), (stored) => ({ resource: `draft:${draft.id}`, details: { path, feedbackId: stored.id, spanId } }));
    const inFlight = this.regenerations.get(draft.id) ?? new Map<string, LiveRegeneration>();
    const live: LiveRegeneration = { text: '', stream: nextStreamId(now) };
    this.regenerations.set(draft.id, inFlight.set(path, live));
    const prompt: ChatMessage[] = [
      ...messages,
      { role: 'assistant', content: section.markdown ?? '' },
      { role: 'user', content: `Rewrite this section as Markdown, following this instruction from the analyst: ${instruction}\nKeep every figure and fact the material above supports; do not add facts it does not contain. Reply with the section text only.` },
    ];
    const work = this.produce(scope, draft, section, { model, prompt, spanId, regenerations, instruction, by: principal.userId, live }).finally(() => {
      if (inFlight.get(path) === live) inFlight.delete(path);
      if (inFlight.size === 0 && this.regenerations.get(draft.id) === inFlight) this.regenerations.delete(draft.id);
      this.pending.delete(work);
      this.options.events.publish('drafts.updated', { accountId: scope.accountId, draftId: draft.id, path });
    });
    this.pending.add(work);
    this.options.events.publish('drafts.updated', { accountId: scope.accountId, draftId: draft.id, path });
    return this.view(scope, draft, path);
  }

  private async produce(scope: AccountScope, draft: DraftRecord, section: Section, job: { model: ModelProvider; prompt: ChatMessage[]; spanId: string; regenerations: number; instruction: string; by: string; live: LiveRegeneration }): Promise<void> {
    const traceId = section.provenance.traceId;
    const path = `${section.path}~regenerate-${job.regenerations}`;
    const startUs = nowMicros();
    const started = performance.now();
    try {
      const { live } = job;
      const result = await job.model.chat({
        messages: job.prompt,
        temperature: 0.2,
        maxTokens: 2_000,
        onDelta: (text) => {
          const offset = live.text.length;
          live.text += text;
          this.options.events.publish('drafts.delta', { accountId: scope.accountId, draftId: draft.id, path: section.path, text, offset, stream: live.stream });
        },
        // A busy local model: the page says how many requests are ahead (drafts.get's live).
        onQueue: (ahead) => {
          if (ahead === null) delete live.ahead;
          else live.ahead = ahead;
          this.options.events.publish('drafts.updated', { accountId: scope.accountId, draftId: draft.id, path: section.path });
        },
      });
      const text = result.text.trim();
      const durationMs = performance.now() - started;
      const newSpan = spanIdFor(traceId, path);
      this.options.recorder?.record({
        accountId: scope.accountId, traceId, spanId: newSpan, parentSpanId: job.spanId, kind: 'llm', name: `regenerate ${section.heading}`.slice(0, 200), path,
        startUs, endUs: startUs + Math.round(durationMs * 1000), durationMs, status: 'ok', errorCode: null, errorMessage: null,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': job.model.id, 'gen_ai.usage.input_tokens': result.usage.inputTokens, 'gen_ai.usage.output_tokens': result.usage.outputTokens, 'gen_ai.response.finish_reasons': [result.finishReason], 'strongroom.draft.id': draft.id, 'strongroom.step.path': section.path },
        input: { messages: job.prompt }, output: text,
      });
      const store = new DraftStore(scope);
      const current = store.changes(draft.id).get(section.path);
      store.saveChange(draft.id, {
        path: section.path,
        status: 'drafted',
        markdown: text,
        modelMarkdown: text,
        workingMarkdown: current?.workingMarkdown ?? null,
        spanId: newSpan,
        modelId: result.model,
        regenerations: job.regenerations,
        revision: (current?.revision ?? section.revision) + 1,
        updatedBy: job.by,
        updatedAt: this.options.clock.now(),
      });
    } catch (error) {
      const code = error instanceof CoreError ? error.code : error instanceof Error ? error.name : 'unknown';
      this.options.logger.warn({ draftId: draft.id, path: section.path, code }, 'regenerating a section failed; its text is unchanged');
      // The section shows the failure (its text unchanged) until the analyst acts on it again.
      const store = new DraftStore(scope);
      const current = store.changes(draft.id).get(section.path);
      store.saveChange(draft.id, {
        path: section.path,
        status: 'failed',
        markdown: current?.markdown ?? section.markdown,
        modelMarkdown: current?.modelMarkdown ?? section.modelMarkdown,
        workingMarkdown: current?.workingMarkdown ?? null,
        spanId: current?.spanId ?? section.provenance.spanId,
        modelId: current?.modelId ?? section.provenance.model,
        regenerations: job.regenerations,
        revision: (current?.revision ?? section.revision) + 1,
        updatedBy: job.by,
        updatedAt: this.options.clock.now(),
      });
    }
  }

  comment(principal: Principal, draftId: string, path: string | undefined, body: string): DraftComment {
    const scope = this.scope(principal);
    const draft = this.existing(scope, draftId);
    if (path !== undefined && !this.sections(scope, draft).some((s) => s.path === path)) throw new CoreError('ERR_NOT_FOUND', `The draft has no section ${path}.`, { details: { path } });
    const comment = new DraftStore(scope).addComment(draft.id, path ?? null, body, principal.userId, this.options.clock.now());
    this.options.events.publish('drafts.updated', { accountId: scope.accountId, draftId: draft.id, path: path ?? null });
    return this.commentView(comment);
  }

  // ---- document status ----

  submit(principal: Principal, draftId: string, status: 'in_review' | 'draft', requestId: string): DraftSummary {
    const scope = this.scope(principal);
    const draft = this.existing(scope, draftId);
    const from = status === 'in_review' ? 'draft' : 'in_review';
    if (draft.status !== from) throw new CoreError('ERR_CONFLICT', status === 'in_review' ? `The draft is ${label(draft.status)}; only a draft can be sent for review.` : `The draft is ${label(draft.status)}; only a draft in review can be taken back.`);
    if (status === 'in_review') {
      // Only a finished document goes to review: the run done writing, every section with text an analyst accepted or edited.
      const state = this.state(scope, draft);
      const problem = readiness(state.run.status, state.sections, 'review');
      if (problem) throw new CoreError('ERR_CONFLICT', problem.message, { details: problem.details });
    }
    const store = new DraftStore(scope);
    this.audited(scope, principal, requestId, 'drafts.submit', () => store.setStatus(draft.id, status, this.options.clock.now()), () => ({ resource: `draft:${draft.id}`, details: { from, to: status } }));
    this.options.events.publish('drafts.updated', { accountId: scope.accountId, draftId: draft.id, path: null });
    const updated = this.existing(scope, draftId);
    return this.summaryOf(scope, updated);
  }

  /**
   * Approves a draft in review. A workflow waiting on its own approval step (the credit memo's
   * credit decision) gets that answer too, so the run completes with the document's approval.
   */
  approve(principal: Principal, draftId: string, comment: string | undefined, requestId: string): DraftSummary {
    const scope = this.scope(principal);
    const draft = this.existing(scope, draftId);
    if (draft.status !== 'in_review') throw new CoreError('ERR_CONFLICT', `The draft is ${label(draft.status)}; only a draft in review can be approved.`);
    const run = this.run(scope, draft);
    const store = new DraftStore(scope);
    const approvals = run.status === 'waiting' ? this.waitingApprovals(scope, run) : [];
    // The workflow's approval rules bind the draft's approval too, whether or not the run still
    // waits on that step (when it does, engine.answer checks them again for the step itself).
    const rules = this.approvalRulesOf(scope, draft, run);
    if (rules.role !== null && !principal.roles.includes(rules.role)) {
      throw new CoreError('ERR_AUTH_FORBIDDEN', `This draft is approved by someone with the ${rules.role} role in this account; yours: ${principal.roles.join(', ') || 'none'}.`, { details: { draftId: draft.id, rule: 'role', role: rules.role }, deniedResource: `draft:${draft.id}` });
    }
    if (rules.fourEyes && (principal.userId === draft.createdBy || principal.userId === run.createdBy)) {
      throw new CoreError('ERR_AUTH_FORBIDDEN', 'This draft needs a second person\'s approval (four-eyes): the person who prepared it cannot approve it.', { details: { draftId: draft.id, rule: 'four-eyes' }, deniedResource: `draft:${draft.id}` });
    }
    // Defensively again at approval: a draft sent for review before this rule, or changed since, is not approved unfinished.
    const problem = readiness(run.status, this.sections(scope, draft), 'approve');
    if (problem) throw new CoreError('ERR_CONFLICT', problem.message, { details: problem.details });
    this.audited(scope, principal, requestId, 'drafts.approve', () => {
      store.setStatus(draft.id, 'approved', this.options.clock.now(), principal.userId);
      for (const path of approvals) this.options.engine.answer(scope, run.id, path, { approved: true, comment: comment ?? 'Approved in the drafting workspace.' }, principal, { resume: false });
    }, () => ({ resource: `draft:${draft.id}`, details: { runId: run.id, answeredSteps: approvals.join(',') || null } }));
    if (approvals.length > 0) this.options.engine.resume(scope, run.id);
    this.options.events.publish('drafts.updated', { accountId: scope.accountId, draftId: draft.id, path: null });
    const updated = this.existing(scope, draftId);
    return this.summaryOf(scope, updated);
  }

  /** The run's waiting human steps that ask for an approval. */
  private waitingApprovals(scope: AccountScope, run: RunRecord): string[] {
    const steps = new RunStore(scope).steps(run.id);
    return run.waitingOn.filter((path) => (steps.get(path)?.output as { action?: unknown } | null | undefined)?.action === 'approve');
  }

  // ---- export ----

  async export(principal: Principal, draftId: string, format: 'docx' | 'pdf' | 'md', requestId: string): Promise<{ fileName: string; mimeType: string; base64: string }> {
    const scope = this.scope(principal);
    const draft = this.existing(scope, draftId);
    const detail = this.get(principal, draftId);
    const document = this.exportDocument(detail, draft, principal);
    const bytes = format === 'docx' ? await exportDocx(document) : format === 'pdf' ? await exportPdf(document) : Buffer.from(exportMarkdown(document), 'utf8');
    const mimeType = format === 'docx' ? 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' : format === 'pdf' ? 'application/pdf' : 'text/markdown; charset=utf-8';
    const fileName = `${slug(draft.title)}.${format}`;
    this.audited(scope, principal, requestId, 'drafts.export', () => null, () => ({ resource: `draft:${draft.id}`, details: { format, bytes: bytes.length, status: draft.status } }));
    return { fileName, mimeType, base64: bytes.toString('base64') };
  }

  private exportDocument(detail: DraftDetail, draft: DraftRecord, principal: Principal): DraftExportDocument {
    const texts = detail.sections.filter((s) => !s.container);
    return {
      id: detail.id,
      title: detail.title,
      workflow: { id: detail.workflowId, name: detail.workflowName, version: detail.version },
      status: detail.status,
      // People by name, as the audit log names them; an id only for someone no longer known here.
      createdBy: this.nameOf(detail.createdBy),
      createdAt: detail.createdAt,
      approvals: draft.approvedBy ? [{ by: this.nameOf(draft.approvedBy), at: iso(draft.approvedAt)! }] : [],
      models: [...new Set(texts.map((s) => s.provenance.model).filter((m): m is string => m !== null))],
      sections: detail.sections.map((s) => ({
        id: s.path,
        heading: s.heading,
        level: s.level,
        markdown: s.container ? '' : s.status === 'rejected' ? `_This section was rejected by the analyst._\n\n${s.markdown ?? ''}` : s.markdown ?? '_Not drafted yet._',
        provenance: { traceId: s.provenance.traceId, spanId: s.provenance.spanId, model: s.provenance.model, sources: s.provenance.sources },
        status: s.status === 'running' || s.status === 'failed' ? 'pending' : s.status,
      })),
      exportedBy: this.knownName(principal.userId) ?? (principal.displayName || principal.userId),
      exportedAt: new Date(this.options.clock.now()).toISOString(),
      notice: detail.demo ? 'Drafted with the Strongroom test model: the text is meaningless and is not an analysis.' : null,
    };
  }

  /** A user's display name, or the id when there is none (a user since removed). */
  private nameOf(userId: string): string {
    return this.knownName(userId) ?? userId;
  }

  private nameOrNull(userId: string): string | null {
    return this.knownName(userId) ?? null;
  }

  private commentView(comment: { id: string; sectionPath: string | null; body: string; createdBy: string; createdAt: number }): DraftComment {
    return { id: comment.id, sectionPath: comment.sectionPath, body: comment.body, createdBy: comment.createdBy, createdByName: this.nameOrNull(comment.createdBy), createdAt: new Date(comment.createdAt).toISOString() };
  }

  private knownName(userId: string): string | undefined {
    try {
      return this.displayName(userId) || undefined;
    } catch {
      return undefined; // a name is a courtesy: an export never fails for want of one
    }
  }

  // ---- live progress ----

  private onProgress(event: { accountId: string; runId: string; path: string; status: string }): void {
    let paths = this.running.get(event.runId);
    // A step queued for a busy model is still being written: it keeps the section 'running'.
    if (event.status === 'running' || event.status === 'queued') {
      if (!paths) this.running.set(event.runId, (paths = new Set()));
      paths.add(event.path);
    } else paths?.delete(event.path);
    const passEnded = event.path === '' && event.status !== 'running';
    if (passEnded) this.running.delete(event.runId);
    const draftId = this.draftOf(event.accountId, event.runId);
    if (passEnded) this.draftIds.delete(event.runId);
    if (draftId && (event.status !== 'running' || event.path !== '')) this.options.events.publish('drafts.updated', { accountId: event.accountId, draftId, path: event.path || null });
  }

  private onDelta(event: { accountId: string; runId: string; path: string; text: string; offset?: number; stream?: number }): void {
    const draftId = this.draftOf(event.accountId, event.runId);
    if (draftId) this.options.events.publish('drafts.delta', { accountId: event.accountId, draftId, path: event.path, text: event.text, ...(event.offset === undefined ? {} : { offset: event.offset }), ...(event.stream === undefined ? {} : { stream: event.stream }) });
  }

  /**
   * Run id → its draft's id, or null for a run that is not a draft — cached both ways, because
   * this is asked on every progress event of every run (a database lookup each time cost the
   * engine ~75 µs per step). A draft's row is committed with its run, before the run is launched,
   * so a miss is final. Entries go when the run's pass ends; a resumed run is looked up again.
   */
  private readonly draftIds = new Map<string, string | null>();

  private draftOf(accountId: string, runId: string): string | null {
    const known = this.draftIds.get(runId);
    if (known !== undefined) return known;
    let id: string | null;
    try {
      id = new DraftStore(this.options.storage.scopeFor({ accountId })).byRun(runId)?.id ?? null;
    } catch {
      return null; // not an answer (a busy database, a key being rotated): ask again next event
    }
    // A late delta can re-add a finished run; bound the map rather than track every path out.
    if (this.draftIds.size >= 10_000) this.draftIds.clear();
    this.draftIds.set(runId, id);
    return id;
  }

  /** Waits for regenerations in flight (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async dispose(): Promise<void> {
    this.unsubscribe();
    await this.settled();
  }
}

/** A grouping heading: drafted once its step is done, failed when the run failed inside it, else pending. */
function containerStatus(record: { status: string } | undefined, failedInside: boolean): DraftSection['status'] {
  if (record?.status === 'done') return 'drafted';
  return failedInside ? 'failed' : 'pending';
}


const label = (status: DraftStatus) => (status === 'in_review' ? 'in review' : status);

function slug(title: string): string {
  return title.normalize('NFKD').replace(/[^\w\s-]/g, '').trim().replace(/\s+/g, '-').slice(0, 80).toLowerCase() || 'draft';
}
