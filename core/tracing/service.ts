import type { z } from 'zod';
import { CoreError } from '../base/index.ts';
import type { Clock, EventBus, Logger } from '../base/index.ts';
import { can } from '../api/index.ts';
import type { Principal } from '../api/index.ts';
import type { AuditLog } from '../audit/index.ts';
import { traceExportPartDefault } from '../contracts/index.ts';
import type { Feedback, FeedbackInputSchema, OtlpPushConfig, OtlpPushSettings, SpanDetail, TraceExport, TraceExportInput, TraceFilter, TracePurge, TraceRetention } from '../contracts/index.ts';
import type { AccountScope, Storage } from '../storage/index.ts';
import { FeedbackStore } from './feedback.ts';
import type { FeedbackVersion } from './feedback.ts';
import { toOtlpDocument } from './otlp.ts';
import type { ExportSpan } from './otlp.ts';
import type { OtlpPusher, PushSettings } from './push.ts';
import { PushConfigStore, readCaFile } from './push.ts';
import type { TraceRecorder } from './recorder.ts';
import { decodeExportCursor, encodeExportCursor, TraceStore } from './store.ts';
import type { NameOf } from './store.ts';

type FeedbackInput = z.output<typeof FeedbackInputSchema>;

/**
 * A trace or span that is not in the caller's account: the same answer whether it is in another
 * account or nowhere, audited by the router as denied with the resource asked for.
 */
const noSuchTrace = (traceId: string) => CoreError.notInAccount('trace', traceId);
const noSuchSpan = (traceId: string, spanId: string) => CoreError.notInAccount('span', `${traceId}/${spanId}`);

/**
 * A part of an export by time stops at the first trace that brings it to this many spans (a part
 * always holds at least one whole trace), so memory stays bounded however large traces are.
 */
export const exportPartSpanBudget = 20_000;

/**
 * Traces and feedback for the API and the CLI. The account always comes from the principal;
 * content (span inputs and outputs, feedback comments and edits) is opened only for principals
 * holding `traces.content` — the role decision lives in contracts/roles.ts. Reads flush the
 * recorder first, so a span recorded a moment ago is visible.
 */
export class TracingService {
  private readonly storage: Storage;
  private readonly recorder: TraceRecorder;
  private readonly pusher: OtlpPusher;
  private readonly audit: AuditLog;
  private readonly clock: Clock;
  private readonly events: EventBus | undefined;

  /** Whether an account is on legal hold (the audit log's retention decides): a purge then deletes nothing. */
  private readonly legalHold: (accountId: string) => boolean;
  private readonly exportSpanBudget: number;
  /** The ids of generated test models (the model registry's); their traces are labelled. */
  private readonly testModels: () => ReadonlySet<string>;
  /** Display names for the user ids traces and feedback carry. */
  private readonly nameOf: NameOf;
  private readonly logger: Logger | undefined;

  constructor(options: { storage: Storage; recorder: TraceRecorder; pusher: OtlpPusher; audit: AuditLog; clock: Clock; events?: EventBus; legalHold: (accountId: string) => boolean; exportSpanBudget?: number; testModels?: () => ReadonlySet<string>; displayName?: (userId: string) => string | undefined; logger?: Logger }) {
    this.logger = options.logger;
    this.storage = options.storage;
    this.recorder = options.recorder;
    this.pusher = options.pusher;
    this.audit = options.audit;
    this.clock = options.clock;
    this.events = options.events;
    this.legalHold = options.legalHold;
    this.exportSpanBudget = options.exportSpanBudget ?? exportPartSpanBudget;
    this.testModels = options.testModels ?? (() => new Set());
    const displayName = options.displayName;
    this.nameOf = displayName === undefined ? () => null : (userId) => displayName(userId) ?? null;
  }

  /** Open lists refresh a trace whose flag or feedback changed, as they do for new spans. */
  private changed(scope: AccountScope, traceId: string): void {
    this.events?.publish('traces.recorded', { accountId: scope.accountId, traceIds: [traceId] });
  }

  private scope(principal: Principal): AccountScope {
    this.recorder.flush();
    return this.storage.scopeFor(principal);
  }

  private audited<T>(scope: AccountScope | null, principal: Principal, requestId: string, action: string, change: () => T, describe: (result: T) => { resource: string; details?: Record<string, string | number | boolean | null> }): T {
    return this.audit.recordChange({ scope, actor: principal, requestId, action }, change, describe);
  }

  list(principal: Principal, input: TraceFilter & { cursor?: string; limit: number }) {
    return new TraceStore(this.scope(principal)).list(input, this.testModels(), this.nameOf);
  }

  get(principal: Principal, traceId: string) {
    const store = new TraceStore(this.scope(principal));
    const trace = store.summary(traceId, this.testModels(), this.nameOf);
    if (!trace) throw noSuchTrace(traceId);
    return { trace, spans: store.spans(traceId) };
  }

  span(principal: Principal, traceId: string, spanId: string): SpanDetail {
    const store = new TraceStore(this.scope(principal));
    const span = store.span(traceId, spanId);
    if (!span) throw noSuchSpan(traceId, spanId);
    const contentVisible = can(principal, 'traces.content');
    return { ...span, contentVisible, content: contentVisible ? store.spanContent(traceId, spanId) : null };
  }

  flag(principal: Principal, traceId: string, flagged: boolean, requestId: string) {
    const scope = this.scope(principal);
    const store = new TraceStore(scope);
    if (!store.summary(traceId)) throw noSuchTrace(traceId);
    this.audited(scope, principal, requestId, 'traces.flag', () => store.setFlag(traceId, flagged), () => ({ resource: `trace:${traceId}`, details: { flagged } }));
    this.changed(scope, traceId);
    return store.summary(traceId, this.testModels(), this.nameOf)!;
  }

  stats(principal: Principal, input: { workflowId?: string; from?: string; to?: string; bucket: 'hour' | 'day' }) {
    const rows = new TraceStore(this.scope(principal)).finished({
      ...(input.workflowId ? { workflowId: input.workflowId } : {}),
      ...(input.from ? { fromUs: Date.parse(input.from) * 1000 } : {}),
      ...(input.to ? { toUs: Date.parse(input.to) * 1000 } : {}),
    });
    const size = input.bucket === 'hour' ? 3_600_000 : 86_400_000;
    const groups = new Map<string, { workflowId: string; bucketStart: number; durations: number[]; inputTokens: number; outputTokens: number }>();
    for (const row of rows) {
      const bucketStart = Math.floor(row.startedUs / 1000 / size) * size;
      const key = `${row.workflowId}\u0000${bucketStart}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { workflowId: row.workflowId, bucketStart, durations: [], inputTokens: 0, outputTokens: 0 }));
      group.durations.push(row.durationMs);
      group.inputTokens += row.inputTokens;
      group.outputTokens += row.outputTokens;
    }
    const series = [...groups.values()].sort((a, b) => a.bucketStart - b.bucketStart || a.workflowId.localeCompare(b.workflowId)).map((g) => {
      const sorted = g.durations.sort((a, b) => a - b);
      return { workflowId: g.workflowId, bucketStart: new Date(g.bucketStart).toISOString(), runs: sorted.length, p50Ms: percentile(sorted, 0.5), p90Ms: percentile(sorted, 0.9), p99Ms: percentile(sorted, 0.99), inputTokens: g.inputTokens, outputTokens: g.outputTokens };
    });
    return { bucket: input.bucket, series };
  }

  /**
   * OTLP/JSON of one trace, or one part of every trace started in [since, until): at most
   * `limit` whole traces, oldest first, cut earlier at `exportPartSpanBudget` spans; `nextCursor`
   * asks for the next part (the window is fixed by the first part and travels in the cursor),
   * null after the last. Content only for roles that may read it. Each part is audited.
   */
  export(principal: Principal, input: TraceExportInput, requestId: string): TraceExport {
    const scope = this.scope(principal);
    const store = new TraceStore(scope);
    const contentIncluded = can(principal, 'traces.content');
    const exported = (traceIds: readonly string[]) => {
      const spans: ExportSpan[] = [];
      for (const traceId of traceIds) spans.push(...(contentIncluded ? store.spansWithContent(traceId) : store.spans(traceId)));
      const unreadable = spans.filter((span) => span.contentUnreadable !== undefined);
      // Evidence that stored content was altered: logged (ids only), audited with the export, and counted in the answer.
      if (unreadable.length > 0) this.logger?.warn({ code: 'ERR_STORAGE_TAMPERED', accountId: scope.accountId, spans: unreadable.map((span) => `${span.traceId}:${span.spanId}`).slice(0, 20) }, 'trace export: content that cannot be decrypted was left out');
      return { spans: spans.length, unreadableSpans: unreadable.length, document: toOtlpDocument(spans, { accountId: scope.accountId, installationId: this.storage.installationId }) as unknown as Record<string, unknown> };
    };
    if (input.traceId !== undefined) {
      if (!store.summary(input.traceId)) throw noSuchTrace(input.traceId);
      const { spans, unreadableSpans, document } = exported([input.traceId]);
      this.audited(scope, principal, requestId, 'traces.export', () => null, () => ({ resource: `trace:${input.traceId}`, details: { traces: 1, spans, contentIncluded, unreadableSpans } }));
      return { document, traces: 1, spans, contentIncluded, unreadableSpans, total: 1, nextCursor: null };
    }
    const since = input.since!;
    const sinceUs = Date.parse(since) * 1000;
    const position = input.cursor === undefined ? null : decodeExportCursor(input.cursor);
    if (position && position.sinceUs !== sinceUs) throw new CoreError('ERR_INPUT_INVALID', 'The cursor belongs to an export with another since.', { details: { issues: [{ path: 'cursor', message: 'from another export' }] } });
    const untilUs = position?.untilUs ?? (input.until === undefined ? (this.clock.now() + 1) * 1000 : Date.parse(input.until) * 1000);
    const limit = input.limit ?? traceExportPartDefault;
    // One more than the part holds: whether another part follows is known without a second query.
    const candidates = store.exportPage({ sinceUs, untilUs, after: position?.after ?? null }, limit + 1);
    const part: typeof candidates = [];
    let budget = this.exportSpanBudget;
    for (const trace of candidates.slice(0, limit)) {
      if (part.length > 0 && trace.spanCount > budget) break;
      part.push(trace);
      budget -= trace.spanCount;
    }
    const last = part.at(-1);
    const nextCursor = last && candidates.length > part.length ? encodeExportCursor({ sinceUs, untilUs, after: { startedUs: last.startedUs, traceId: last.traceId } }) : null;
    const { spans, unreadableSpans, document } = exported(part.map((t) => t.traceId));
    const total = store.countStarted(sinceUs, untilUs);
    const until = new Date(Math.floor(untilUs / 1000)).toISOString();
    this.audited(scope, principal, requestId, 'traces.export', () => null, () => ({ resource: `traces:since:${since}`, details: { until, traces: part.length, spans, contentIncluded, unreadableSpans, continued: position !== null, last: nextCursor === null } }));
    return { document, traces: part.length, spans, contentIncluded, unreadableSpans, total, nextCursor };
  }

  /** `traces.purge`: see deleteBefore; a dry run counts and changes nothing. */
  purge(principal: Principal, input: { before: string; dryRun: boolean }, requestId: string): TracePurge {
    const scope = this.scope(principal);
    const before = new Date(input.before);
    const done = this.deleteBefore(scope, before, { dryRun: input.dryRun, actor: principal, requestId });
    return { dryRun: input.dryRun, before: before.toISOString(), legalHold: done.legalHold, purged: { traceCount: done.traces, spanCount: done.spans }, kept: done.kept };
  }

  /**
   * Retention for traces, by hand (purge) or on schedule (applyRetention): deletes the account's
   * traces started before `before` with their spans, in one durable transaction with its audit
   * entry, except what must stay (TraceStore.purgeCandidates) and everything while the account
   * is on legal hold. `actor` null: Strongroom itself, marked `automatic` in the entry.
   */
  private deleteBefore(scope: AccountScope, before: Date, options: { dryRun: boolean; actor: Principal | null; requestId: string | null; retentionDays?: number }) {
    const store = new TraceStore(scope);
    const { purge, kept } = store.purgeCandidates(before.getTime() * 1000);
    const nothing = { traces: 0, spans: 0 };
    if (this.legalHold(scope.accountId)) return { legalHold: true, kept, ...nothing };
    if (options.dryRun) return { legalHold: false, kept, traces: purge.length, spans: store.spanCount(purge) };
    // The schedule finding nothing is not an event; a person's purge is recorded even when it found nothing.
    if (purge.length === 0 && options.actor === null) return { legalHold: false, kept, ...nothing };
    const deleted = this.audit.recordChange({ scope, actor: options.actor, requestId: options.requestId, action: 'traces.purge' }, () => store.deleteTraces(purge), (result) => ({
      resource: `traces:before:${before.toISOString()}`,
      details: {
        ...(options.actor === null ? { automatic: true, retentionDays: options.retentionDays ?? null } : {}),
        traces: result.traces, spans: result.spans, keptOpen: kept.open, keptWithFeedback: kept.withFeedback, keptFlagged: kept.flagged, keptWithDraft: kept.withDraft,
      },
    }));
    return { legalHold: false, kept, ...deleted };
  }

  retention(principal: Principal): TraceRetention {
    const row = new TraceStore(this.scope(principal)).retention();
    return { retentionDays: row?.retentionDays ?? null, updatedBy: row?.updatedBy ?? null, updatedAt: row ? new Date(row.updatedAt).toISOString() : null };
  }

  setRetention(principal: Principal, retentionDays: number | null, requestId: string): TraceRetention {
    const scope = this.scope(principal);
    const store = new TraceStore(scope);
    this.audited(scope, principal, requestId, 'traces.retention.set', () => store.setRetention(retentionDays, principal.userId, this.clock.now()), () => ({ resource: `account:${scope.accountId}`, details: { retentionDays } }));
    return this.retention(principal);
  }

  /**
   * The retention job (createCore runs it a minute after start, then every six hours): for every
   * account with a trace retention, deletes what a purge at now − retention would, each account
   * in its own durable transaction with its audit entry (no actor: Strongroom itself did it).
   * Accounts on legal hold are skipped. Returns what it did, per account.
   */
  applyRetention(): Array<{ accountId: string; retentionDays: number; traces: number; spans: number; legalHold: boolean }> {
    this.recorder.flush();
    const now = this.clock.now();
    const policies = this.storage.db
      .prepare<[], { account_id: string; retention_days: number }>('SELECT r.account_id, r.retention_days FROM trace_retention r JOIN accounts a ON a.id = r.account_id WHERE a.deleted_at IS NULL ORDER BY r.account_id')
      .all();
    return policies.map(({ account_id: accountId, retention_days: retentionDays }) => {
      const before = new Date(now - retentionDays * 86_400_000);
      const { traces, spans, legalHold } = this.deleteBefore(this.storage.scopeFor({ accountId }), before, { dryRun: false, actor: null, requestId: null, retentionDays });
      return { accountId, retentionDays, traces, spans, legalHold };
    });
  }

  pushConfig(): Promise<OtlpPushConfig> {
    return this.pusher.current();
  }

  /**
   * Sets the push. A CA file must be readable and hold a PEM certificate now, not at the first
   * push; the token goes to the SecretStore (before the setting is written, so a setting never
   * points at a token that failed to store) and only "a token is set" is audited.
   */
  async setPushConfig(principal: Principal, input: OtlpPushSettings, requestId: string): Promise<OtlpPushConfig> {
    const before = this.pusher.settings();
    const settings: PushSettings = {
      enabled: input.enabled,
      endpoint: input.endpoint,
      includeContent: input.includeContent,
      caFile: input.caFile === undefined ? before.caFile : input.caFile,
      tokenHeader: input.tokenHeader ?? before.tokenHeader,
    };
    if (input.caFile) {
      await readCaFile(input.caFile).catch((error: unknown) => {
        const problem = error instanceof RangeError ? 'holds no PEM certificate' : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`;
        throw new CoreError('ERR_INPUT_INVALID', `The CA file ${input.caFile} ${problem}.`, { details: { issues: [{ path: 'caFile', message: problem }] } });
      });
    }
    if (input.token !== undefined) await this.pusher.storeToken(input.token);
    const store = new PushConfigStore(this.storage.db);
    this.audited(null, principal, requestId, 'traces.setPushConfig', () => store.set(settings, principal.userId, this.clock.now()), () => ({
      resource: 'installation:trace-push',
      details: { enabled: settings.enabled, endpoint: settings.endpoint, includeContent: settings.includeContent, caFile: settings.caFile, tokenHeader: settings.tokenHeader, token: input.token === undefined ? 'unchanged' : input.token === null ? 'removed' : 'set' },
    }));
    this.pusher.reload();
    return this.pusher.current();
  }

  submitFeedback(principal: Principal, traceId: string, spanId: string, input: FeedbackInput, requestId: string): Feedback {
    const scope = this.scope(principal);
    if (!new TraceStore(scope).span(traceId, spanId)) throw noSuchSpan(traceId, spanId);
    const feedback = new FeedbackStore(scope);
    const stored = this.audited(scope, principal, requestId, 'feedback.submit', () => feedback.submit(traceId, spanId, input, principal.userId, this.clock.now()), (f) => ({ resource: `span:${traceId}/${spanId}`, details: { feedbackId: f.id, version: f.version, action: f.action } }));
    this.changed(scope, traceId);
    return this.view(principal, stored);
  }

  reviseFeedback(principal: Principal, feedbackId: string, input: FeedbackInput, requestId: string): Feedback {
    const scope = this.scope(principal);
    const feedback = new FeedbackStore(scope);
    const stored = this.audited(scope, principal, requestId, 'feedback.revise', () => feedback.revise(feedbackId, input, principal.userId, this.clock.now()), (f) => ({ resource: `span:${f.traceId}/${f.spanId}`, details: { feedbackId: f.id, version: f.version, action: f.action } }));
    this.changed(scope, stored.traceId);
    return this.view(principal, stored);
  }

  listFeedback(principal: Principal, traceId: string, spanId?: string): Feedback[] {
    const scope = this.scope(principal);
    if (!new TraceStore(scope).summary(traceId)) throw noSuchTrace(traceId);
    const visible = can(principal, 'traces.content');
    return new FeedbackStore(scope).latest(traceId, spanId, visible).map((f) => this.view(principal, f));
  }

  feedbackHistory(principal: Principal, feedbackId: string): Feedback[] {
    const visible = can(principal, 'traces.content');
    return new FeedbackStore(this.scope(principal)).history(feedbackId, visible).map((f) => this.view(principal, f));
  }

  private view(principal: Principal, f: FeedbackVersion): Feedback {
    const contentVisible = can(principal, 'traces.content');
    const content = contentVisible ? f.content : null;
    return {
      id: f.id,
      version: f.version,
      traceId: f.traceId,
      spanId: f.spanId,
      action: f.action,
      rating: f.rating,
      verdict: f.verdict,
      labels: f.labels,
      scores: f.scores,
      editDistance: f.editDistance,
      contentVisible,
      comment: content?.comment ?? null,
      instruction: content?.instruction ?? null,
      edit: content?.edit ?? null,
      createdBy: f.createdBy,
      createdByName: this.nameOf(f.createdBy),
      createdAt: new Date(f.createdAt).toISOString(),
    };
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
