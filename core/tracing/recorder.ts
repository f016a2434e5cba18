import type { EventBus, Logger } from '../base/index.ts';
import { CoreError } from '../base/index.ts';
import type { AttributeValue, SpanKind } from '../contracts/index.ts';
import type { JsonValue } from '../crypto/index.ts';
import type { AccountScope, Storage } from '../storage/index.ts';

/** One finished (or still open: `endUs` null) span, as the hot path hands it over. */
export interface SpanRecord {
  accountId: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  kind: SpanKind;
  name: string;
  path: string;
  startUs: number;
  endUs: number | null;
  /** Measured on the monotonic clock; null while open. */
  durationMs: number | null;
  status: 'unset' | 'ok' | 'error';
  errorCode: string | null;
  errorMessage: string | null;
  /** Metadata only (GenAI and strongroom.* attributes): stored in plaintext. */
  attributes: Record<string, AttributeValue>;
  /** Content: sealed when written. Kept by reference until the flush, so it must not be mutated after. */
  input?: unknown;
  output?: unknown;
}

export interface TraceOpening {
  accountId: string;
  traceId: string;
  runId: string | null;
  workflowId: string | null;
  version: string | null;
  modelId: string | null;
  userId: string | null;
  startUs: number;
}

export interface TraceClosing {
  accountId: string;
  traceId: string;
  status: 'completed' | 'failed' | 'cancelled' | 'waiting' | 'interrupted';
  endUs: number;
}

/** Ends every span of a trace still open (a run that ends without closing them: cancelled). */
export interface OpenSpansEnding {
  accountId: string;
  traceId: string;
  endUs: number;
  errorCode: string;
  errorMessage: string | null;
  /** What `strongroom.step.status` says of them now (it said `waiting`). */
  stepStatus: string;
}

type Queued = { type: 'span'; span: SpanRecord } | { type: 'open'; trace: TraceOpening } | { type: 'close'; trace: TraceClosing } | { type: 'endOpen'; trace: OpenSpansEnding };

export interface RecorderOptions {
  storage: Storage;
  logger: Logger;
  events?: EventBus;
  /**
   * Spans per write transaction (default 512). A full batch is written at once, so a crash loses
   * at most one batch and memory holds at most one: a batch the database refuses is dropped
   * (and its traces marked incomplete), never held.
   */
  batchSize?: number;
  /** A partial batch is written this long after its first span (default 200 ms). */
  flushIntervalMs?: number;
  /** Called after each successful write with what was written (the OTLP push listens here). */
  onWritten?: (batch: { spans: readonly SpanRecord[] }) => void;
}

export interface RecorderStats {
  queued: number;
  written: number;
  dropped: number;
  flushes: number;
}

const tokens = (value: AttributeValue | undefined): number => (typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.round(value)) : 0);

/**
 * The trace recorder. The hot path only appends to an in-memory queue; a timer (or a full
 * batch) writes the queue in one SQLite transaction, sealing each span's content under its
 * account's data key. Memory is bounded; `dispose()` writes what is left. A crash loses at most
 * the batch in memory — the database holds whole spans only, and the trace of an interrupted
 * run is marked incomplete at next start.
 */
export class TraceRecorder {
  private readonly storage: Storage;
  private readonly logger: Logger;
  private readonly events: EventBus | undefined;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly onWritten: RecorderOptions['onWritten'];
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly scopes = new Map<string, AccountScope>();
  private readonly statements: ReturnType<TraceRecorder['prepare']>;
  private disposed = false;
  readonly stats: RecorderStats = { queued: 0, written: 0, dropped: 0, flushes: 0 };

  constructor(options: RecorderOptions) {
    this.storage = options.storage;
    this.logger = options.logger;
    this.events = options.events;
    this.batchSize = options.batchSize ?? 512;
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    this.onWritten = options.onWritten;
    this.statements = this.prepare();
  }

  private prepare() {
    const db = this.storage.db;
    return {
      open: db.prepare<[string, string, string | null, string | null, string | null, string | null, string | null, number]>(
        `INSERT INTO traces (trace_id, account_id, run_id, workflow_id, version, model_id, user_id, status, started_us) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)
         ON CONFLICT (trace_id) DO UPDATE SET status = 'running', ended_us = NULL, duration_ms = NULL WHERE traces.account_id = excluded.account_id`,
      ),
      close: db.prepare<[string, number, number, string, string]>('UPDATE traces SET status = ?, ended_us = ?, duration_ms = (? - started_us) / 1000.0 WHERE trace_id = ? AND account_id = ?'),
      span: db.prepare<[string, string, string, string | null, string, string, string, string, number, number | null, number | null, string, string | null, string | null, number, number, string, Buffer | null]>(
        `INSERT INTO spans (key, trace_id, span_id, parent_span_id, account_id, kind, name, path, start_us, end_us, duration_ms, status, error_code, error_message, input_tokens, output_tokens, attributes, content)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET
           end_us = excluded.end_us,
           duration_ms = CASE WHEN excluded.end_us IS NULL THEN NULL WHEN excluded.start_us = spans.start_us THEN excluded.duration_ms ELSE (excluded.end_us - spans.start_us) / 1000.0 END,
           status = excluded.status, error_code = excluded.error_code, error_message = excluded.error_message,
           input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, attributes = excluded.attributes,
           content = COALESCE(excluded.content, spans.content)
         WHERE spans.account_id = excluded.account_id`,
      ),
      totals: db.prepare<[string, string, string]>(
        `UPDATE traces SET (span_count, input_tokens, output_tokens) = (SELECT count(*), total(input_tokens), total(output_tokens) FROM spans WHERE trace_id = ?)
         WHERE trace_id = ? AND account_id = ?`,
      ),
      model: db.prepare<[string, string, string]>('UPDATE traces SET model_id = ? WHERE trace_id = ? AND account_id = ? AND model_id IS NULL'),
      incomplete: db.prepare<[string, string]>('UPDATE traces SET incomplete = 1 WHERE trace_id = ? AND account_id = ?'),
      openSpans: db.prepare<[string, string], { key: string; span_id: string; parent_span_id: string | null; kind: SpanKind; name: string; path: string; start_us: number; attributes: string; content: Buffer | null }>(
        'SELECT key, span_id, parent_span_id, kind, name, path, start_us, attributes, content FROM spans WHERE trace_id = ? AND account_id = ? AND end_us IS NULL',
      ),
    };
  }

  /** The hot path: queue a span. Never throws, never waits for the disk. */
  record(span: SpanRecord): void {
    this.enqueue({ type: 'span', span });
  }

  /**
   * Written at once (one small transaction per pass over a run): the trace is listed while it
   * runs, and if the process dies, the next start finds it 'running' and marks it incomplete.
   */
  openTrace(trace: TraceOpening): void {
    this.enqueue({ type: 'open', trace });
    this.flush();
  }

  closeTrace(trace: TraceClosing): void {
    this.enqueue({ type: 'close', trace });
  }

  /** Ends the trace's open spans, after the spans queued before it are written. */
  endOpenSpans(trace: OpenSpansEnding): void {
    this.enqueue({ type: 'endOpen', trace });
  }

  private enqueue(item: Queued): void {
    if (this.disposed) return;
    this.queue.push(item);
    this.stats.queued = this.queue.length;
    // A full batch is written now, inside whichever step filled it (a few ms per 512 spans): a
    // run whose steps never wait on I/O would otherwise never yield to a timer, and the queue —
    // what a crash loses — would grow with the run.
    if (this.queue.length >= this.batchSize) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Writes everything queued, in one transaction. Safe to call at any time (readers call it so
   * they see spans recorded a moment ago). On a database error the batch is dropped, counted and
   * its traces marked incomplete: memory stays bounded and the stored traces stay consistent.
   */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.stats.queued = 0;
    const accounts = new Map<string, AccountScope | null>();
    for (const item of batch) {
      const accountId = item.type === 'span' ? item.span.accountId : item.trace.accountId;
      if (!accounts.has(accountId)) accounts.set(accountId, this.writableScope(accountId));
    }
    const spans: SpanRecord[] = [];
    const touched = new Map<string, string>();
    const models = new Map<string, { accountId: string; model: string }>();
    try {
      const write = () => {
        for (const item of batch) {
          const scope = accounts.get(item.type === 'span' ? item.span.accountId : item.trace.accountId);
          if (!scope) continue; // a deleted account records nothing
          if (item.type === 'open') {
            const t = item.trace;
            this.statements.open.run(t.traceId, t.accountId, t.runId, t.workflowId, t.version, t.modelId, t.userId, t.startUs);
          } else if (item.type === 'close') {
            const t = item.trace;
            this.statements.close.run(t.status, t.endUs, t.endUs, t.traceId, t.accountId);
          } else if (item.type === 'endOpen') {
            for (const span of this.endOpen(scope, item.trace)) {
              spans.push(span);
              touched.set(span.traceId, span.accountId);
            }
          } else {
            this.writeSpan(scope, item.span);
            spans.push(item.span);
            touched.set(item.span.traceId, item.span.accountId);
            const model = item.span.attributes['gen_ai.request.model'];
            if (typeof model === 'string' && !models.has(item.span.traceId)) models.set(item.span.traceId, { accountId: item.span.accountId, model });
          }
        }
        for (const [traceId, accountId] of touched) this.statements.totals.run(traceId, traceId, accountId);
        // The trace's model: the first one a span names (once per trace and batch, not per span).
        for (const [traceId, { accountId, model }] of models) this.statements.model.run(model, traceId, accountId);
      };
      if (this.storage.db.inTransaction) write();
      else this.storage.db.transaction(write).immediate();
    } catch (error) {
      this.stats.dropped += batch.filter((item) => item.type === 'span').length;
      this.logger.error({ code: error instanceof CoreError ? error.code : error instanceof Error ? error.name : 'unknown', spans: batch.length }, 'trace batch could not be written; its spans were dropped');
      this.markIncomplete(batch);
      return;
    }
    this.stats.written += spans.length;
    this.stats.flushes += 1;
    if (spans.length > 0) {
      const byAccount = new Map<string, Set<string>>();
      for (const [traceId, accountId] of touched) (byAccount.get(accountId) ?? byAccount.set(accountId, new Set()).get(accountId)!).add(traceId);
      for (const [accountId, traceIds] of byAccount) this.events?.publish('traces.recorded', { accountId, traceIds: [...traceIds] });
      try {
        this.onWritten?.({ spans });
      } catch (error) {
        this.logger.warn({ code: error instanceof Error ? error.name : 'unknown' }, 'a trace listener failed');
      }
    }
  }

  private writeSpan(scope: AccountScope, span: SpanRecord): void {
    const key = `${span.traceId}:${span.spanId}`;
    const hasContent = span.input !== undefined || span.output !== undefined;
    const content = hasContent ? scope.sealJson({ table: 'spans', rowId: key, column: 'content' }, { input: (span.input ?? null) as JsonValue, output: (span.output ?? null) as JsonValue }) : null;
    const attributes = span.attributes;
    this.statements.span.run(
      key, span.traceId, span.spanId, span.parentSpanId, span.accountId, span.kind, span.name, span.path,
      span.startUs, span.endUs, span.durationMs, span.status, span.errorCode, span.errorMessage,
      tokens(attributes['gen_ai.usage.input_tokens']), tokens(attributes['gen_ai.usage.output_tokens']),
      JSON.stringify(attributes), content,
    );
  }

  /**
   * Ends the trace's open spans: written as ended (their stored content kept), and returned with
   * that content for the listeners (the pusher sends a span once it has ended).
   */
  private endOpen(scope: AccountScope, t: OpenSpansEnding): SpanRecord[] {
    return this.statements.openSpans.all(t.traceId, t.accountId).map((row) => {
      const attributes = { ...(JSON.parse(row.attributes) as Record<string, AttributeValue>), 'strongroom.step.status': t.stepStatus };
      const span: SpanRecord = { accountId: t.accountId, traceId: t.traceId, spanId: row.span_id, parentSpanId: row.parent_span_id, kind: row.kind, name: row.name, path: row.path, startUs: row.start_us, endUs: t.endUs, durationMs: Math.max(0, t.endUs - row.start_us) / 1000, status: 'error', errorCode: t.errorCode, errorMessage: t.errorMessage, attributes };
      this.writeSpan(scope, span);
      const content = row.content ? scope.open<{ input: unknown; output: unknown }>({ table: 'spans', rowId: row.key, column: 'content' }, row.content as never) : null;
      return content ? { ...span, input: content.input, ...(content.output === null ? {} : { output: content.output }) } : span;
    });
  }

  /** The account's scope with its key ready for writing, or null when the account is gone. */
  private writableScope(accountId: string): AccountScope | null {
    try {
      let scope = this.scopes.get(accountId);
      if (!scope) {
        scope = this.storage.scopeFor({ accountId });
        this.scopes.set(accountId, scope);
      }
      scope.prepareForWrite();
      return scope;
    } catch {
      this.scopes.delete(accountId);
      return null;
    }
  }

  private markIncomplete(batch: readonly Queued[]): void {
    try {
      const traces = new Map<string, string>();
      for (const item of batch) {
        if (item.type === 'span') traces.set(item.span.traceId, item.span.accountId);
        else traces.set(item.trace.traceId, item.trace.accountId);
      }
      for (const [traceId, accountId] of traces) this.statements.incomplete.run(traceId, accountId);
    } catch {
      // The database refuses writes altogether; startup marks interrupted traces instead.
    }
  }

  /**
   * Before interrupted runs resume: a trace still 'running' was left by a process that died (a
   * clean shutdown records 'interrupted'), so its last batch may be lost — it is marked
   * incomplete. Returns how many were.
   */
  markCrashed(accountId: string, traceIds: readonly string[]): number {
    this.flush();
    const mark = this.storage.db.prepare<[string, string]>("UPDATE traces SET incomplete = 1, status = 'interrupted' WHERE trace_id = ? AND account_id = ? AND status = 'running'");
    let marked = 0;
    for (const traceId of traceIds) marked += mark.run(traceId, accountId).changes;
    if (marked > 0) this.logger.warn({ traces: marked }, 'traces of runs interrupted by a crash are marked incomplete');
    return marked;
  }

  /** Writes what is queued and stops accepting spans. */
  dispose(): void {
    this.flush();
    this.disposed = true;
  }
}
