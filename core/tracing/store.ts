import { CoreError } from '../base/index.ts';
import type { AttributeValue, Span, SpanKind, TraceFilter, TraceSummary } from '../contracts/index.ts';
import type { Sealed } from '../crypto/index.ts';
import { AccountRepository } from '../storage/index.ts';

interface TraceRow {
  trace_id: string;
  run_id: string | null;
  workflow_id: string | null;
  version: string | null;
  model_id: string | null;
  user_id: string | null;
  status: TraceSummary['status'];
  started_us: number;
  ended_us: number | null;
  duration_ms: number | null;
  span_count: number;
  input_tokens: number;
  output_tokens: number;
  feedback_count: number;
  flagged: number;
  incomplete: number;
}

interface SpanRow {
  key: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  kind: SpanKind;
  name: string;
  path: string;
  start_us: number;
  end_us: number | null;
  duration_ms: number | null;
  status: Span['status'];
  error_code: string | null;
  error_message: string | null;
  attributes: string;
}

const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString();
const micros = (isoTime: string) => Date.parse(isoTime) * 1000;

/** Keyset cursor over (started_us, trace_id), newest first: stable while new traces arrive. */
function encodeCursor(row: { started_us: number; trace_id: string }): string {
  return Buffer.from(`${row.started_us}:${row.trace_id}`).toString('base64url');
}

function decodeCursor(cursor: string): { startedUs: number; traceId: string } {
  const [startedUs, traceId] = Buffer.from(cursor, 'base64url').toString().split(':');
  if (!startedUs || !traceId || !/^\d+$/.test(startedUs) || !/^[0-9a-f]{32}$/.test(traceId)) throw new CoreError('ERR_INPUT_INVALID', 'The cursor is not one this list returned.', { details: { issues: [{ path: 'cursor', message: 'invalid cursor' }] } });
  return { startedUs: Number(startedUs), traceId };
}

/** Where an export by time stands: its window (fixed by the first part) and the last trace it wrote. */
export interface ExportPosition {
  sinceUs: number;
  untilUs: number;
  after: { startedUs: number; traceId: string };
}

export function encodeExportCursor(position: ExportPosition): string {
  return Buffer.from(`${position.sinceUs}:${position.untilUs}:${position.after.startedUs}:${position.after.traceId}`).toString('base64url');
}

export function decodeExportCursor(cursor: string): ExportPosition {
  const [sinceUs, untilUs, startedUs, traceId] = Buffer.from(cursor, 'base64url').toString().split(':');
  const numbers = [sinceUs, untilUs, startedUs];
  if (numbers.some((n) => n === undefined || !/^\d+$/.test(n)) || !traceId || !/^[0-9a-f]{32}$/.test(traceId)) throw new CoreError('ERR_INPUT_INVALID', 'The cursor is not one this export returned.', { details: { issues: [{ path: 'cursor', message: 'invalid cursor' }] } });
  return { sinceUs: Number(sinceUs), untilUs: Number(untilUs), after: { startedUs: Number(startedUs), traceId } };
}

export interface SpanWithContent extends Span {
  content: { input: unknown; output: unknown } | null;
  /** Set when the stored content could not be opened: the error code (ERR_STORAGE_TAMPERED). */
  contentUnreadable?: string;
}

/**
 * Reads of one account's traces and spans. Metadata queries never touch sealed columns; content
 * is opened only by `spanContent` and `spansWithContent`, which the service calls for roles that
 * may read it.
 */
export class TraceStore extends AccountRepository {
  protected readonly table = 'spans';

  /** `testModels`: the ids of generated test models, whose traces are labelled (the registry knows them). */
  list(filter: TraceFilter & { cursor?: string; limit: number }, testModels: ReadonlySet<string> = noTestModels, nameOf: NameOf = noNames): { traces: TraceSummary[]; nextCursor: string | null; total: number } {
    const where: string[] = ['account_id = ?'];
    const params: Array<string | number> = [this.accountId];
    if (filter.workflowId) {
      where.push('workflow_id = ?');
      params.push(filter.workflowId);
    }
    if (filter.version) {
      where.push('version LIKE ?');
      params.push(`${filter.version.replace(/[%_]/g, '')}%`);
    }
    if (filter.modelId) {
      where.push('model_id = ?');
      params.push(filter.modelId);
    }
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.userId) {
      where.push('user_id = ?');
      params.push(filter.userId);
    }
    if (filter.from) {
      where.push('started_us >= ?');
      params.push(micros(filter.from));
    }
    if (filter.to) {
      where.push('started_us < ?');
      params.push(micros(filter.to));
    }
    if (filter.hasFeedback !== undefined) where.push(filter.hasFeedback ? 'feedback_count > 0' : 'feedback_count = 0');
    if (filter.flagged !== undefined) {
      where.push('flagged = ?');
      params.push(filter.flagged ? 1 : 0);
    }
    const total = (this.statement<typeof params, { n: number }>(`SELECT count(*) AS n FROM traces WHERE ${where.join(' AND ')}`).get(...params)?.n) ?? 0;
    const page = [...where];
    const pageParams = [...params];
    if (filter.cursor) {
      const { startedUs, traceId } = decodeCursor(filter.cursor);
      page.push('(started_us, trace_id) < (?, ?)');
      pageParams.push(startedUs, traceId);
    }
    const rows = this.statement<Array<string | number>, TraceRow>(`SELECT * FROM traces WHERE ${page.join(' AND ')} ORDER BY started_us DESC, trace_id DESC LIMIT ?`).all(...pageParams, filter.limit + 1);
    const more = rows.length > filter.limit;
    const shown = more ? rows.slice(0, filter.limit) : rows;
    return { traces: shown.map((row) => toSummary(row, testModels, nameOf)), nextCursor: more ? encodeCursor(shown.at(-1)!) : null, total };
  }

  summary(traceId: string, testModels: ReadonlySet<string> = noTestModels, nameOf: NameOf = noNames): TraceSummary | undefined {
    const row = this.statement<[string, string], TraceRow>('SELECT * FROM traces WHERE trace_id = ? AND account_id = ?').get(traceId, this.accountId);
    return row ? toSummary(row, testModels, nameOf) : undefined;
  }

  /** Every span of a trace, metadata only, in start order. */
  spans(traceId: string): Span[] {
    return this.statement<[string, string], SpanRow>('SELECT key, trace_id, span_id, parent_span_id, kind, name, path, start_us, end_us, duration_ms, status, error_code, error_message, attributes FROM spans WHERE trace_id = ? AND account_id = ? ORDER BY start_us, span_id').all(traceId, this.accountId).map(toSpan);
  }

  span(traceId: string, spanId: string): Span | undefined {
    const row = this.statement<[string, string], SpanRow>('SELECT key, trace_id, span_id, parent_span_id, kind, name, path, start_us, end_us, duration_ms, status, error_code, error_message, attributes FROM spans WHERE key = ? AND account_id = ?').get(`${traceId}:${spanId}`, this.accountId);
    return row ? toSpan(row) : undefined;
  }

  /** The sealed inputs and outputs of one span (null if it recorded none). */
  spanContent(traceId: string, spanId: string): { input: unknown; output: unknown } | null {
    const key = `${traceId}:${spanId}`;
    const row = this.statement<[string, string], { content: Buffer | null }>('SELECT content FROM spans WHERE key = ? AND account_id = ?').get(key, this.accountId);
    if (!row?.content) return null;
    return this.open('content', key, row.content as unknown as Sealed<{ input: unknown; output: unknown }>);
  }

  /**
   * Spans with content opened, for exports by roles that may read it. A value that cannot be
   * opened (altered, or copied from another row) does not sink the export: that span goes out
   * with its metadata, marked `contentUnreadable` with the code, and the rest stays intact.
   */
  spansWithContent(traceId: string): SpanWithContent[] {
    const rows = this.statement<[string, string], SpanRow & { content: Buffer | null }>('SELECT * FROM spans WHERE trace_id = ? AND account_id = ? ORDER BY start_us, span_id').all(traceId, this.accountId);
    return rows.map((row) => {
      const span = toSpan(row);
      if (!row.content) return { ...span, content: null };
      try {
        return { ...span, content: this.open<{ input: unknown; output: unknown }>('content', row.key, row.content as unknown as Sealed<{ input: unknown; output: unknown }>) };
      } catch (error) {
        if (!(error instanceof CoreError) || error.code !== 'ERR_STORAGE_TAMPERED') throw error;
        return { ...span, content: null, contentUnreadable: error.code };
      }
    });
  }

  /**
   * The next traces of an export by time: started in [sinceUs, untilUs), oldest first, after the
   * keyset position `after` (exclusive), with their span counts so the caller can bound a part.
   */
  exportPage(range: { sinceUs: number; untilUs: number; after: { startedUs: number; traceId: string } | null }, limit: number): Array<{ traceId: string; startedUs: number; spanCount: number }> {
    const after = range.after ?? { startedUs: range.sinceUs - 1, traceId: 'f'.repeat(32) };
    return this.statement<[string, number, number, number, string, number], { trace_id: string; started_us: number; span_count: number }>(
      'SELECT trace_id, started_us, span_count FROM traces WHERE account_id = ? AND started_us >= ? AND started_us < ? AND (started_us, trace_id) > (?, ?) ORDER BY started_us, trace_id LIMIT ?',
    ).all(this.accountId, range.sinceUs, range.untilUs, after.startedUs, after.traceId, limit).map((r) => ({ traceId: r.trace_id, startedUs: r.started_us, spanCount: r.span_count }));
  }

  /** How many traces started in [sinceUs, untilUs). */
  countStarted(sinceUs: number, untilUs: number): number {
    return this.statement<[string, number, number], { n: number }>('SELECT count(*) AS n FROM traces WHERE account_id = ? AND started_us >= ? AND started_us < ?').get(this.accountId, sinceUs, untilUs)?.n ?? 0;
  }

  /**
   * Traces started before `beforeUs`, split into those a purge deletes and why the others stay:
   * still open (running, waiting, interrupted: the run may go on), with feedback (evaluation data),
   * flagged (someone asked for attention), or behind a draft (its provenance points here).
   */
  purgeCandidates(beforeUs: number): { purge: string[]; kept: { open: number; withFeedback: number; flagged: number; withDraft: number } } {
    const rows = this.statement<[number, string], { trace_id: string; open: number; feedback: number; flagged: number; draft: number }>(
      `SELECT t.trace_id, t.status IN ('running', 'waiting', 'interrupted') AS open, t.feedback_count > 0 AS feedback, t.flagged AS flagged,
              t.run_id IS NOT NULL AND EXISTS (SELECT 1 FROM drafts d WHERE d.account_id = t.account_id AND d.run_id = t.run_id) AS draft
       FROM traces t WHERE t.started_us < ? AND t.account_id = ?`,
    ).all(beforeUs, this.accountId);
    const kept = { open: 0, withFeedback: 0, flagged: 0, withDraft: 0 };
    const purge: string[] = [];
    for (const row of rows) {
      kept.open += row.open;
      kept.withFeedback += row.feedback;
      kept.flagged += row.flagged;
      kept.withDraft += row.draft;
      if (!row.open && !row.feedback && !row.flagged && !row.draft) purge.push(row.trace_id);
    }
    return { purge, kept };
  }

  /** Spans the given traces hold (what a purge would delete with them). */
  spanCount(traceIds: readonly string[]): number {
    let count = 0;
    const select = this.statement<[string, string], { n: number }>('SELECT count(*) AS n FROM spans WHERE account_id = ? AND trace_id IN (SELECT value FROM json_each(?))');
    for (let at = 0; at < traceIds.length; at += 500) count += select.get(this.accountId, JSON.stringify(traceIds.slice(at, at + 500)))!.n;
    return count;
  }

  /** Deletes the traces and their spans (secure_delete zeroes the freed pages); call inside a transaction. */
  deleteTraces(traceIds: readonly string[]): { traces: number; spans: number } {
    const spans = this.statement<[string, string]>('DELETE FROM spans WHERE account_id = ? AND trace_id IN (SELECT value FROM json_each(?))');
    const traces = this.statement<[string, string]>('DELETE FROM traces WHERE account_id = ? AND trace_id IN (SELECT value FROM json_each(?))');
    const deleted = { traces: 0, spans: 0 };
    for (let at = 0; at < traceIds.length; at += 500) {
      const chunk = JSON.stringify(traceIds.slice(at, at + 500));
      deleted.spans += spans.run(this.accountId, chunk).changes;
      deleted.traces += traces.run(this.accountId, chunk).changes;
    }
    return deleted;
  }

  /** The account's automatic trace retention, if set. */
  retention(): { retentionDays: number; updatedBy: string; updatedAt: number } | undefined {
    const row = this.statement<[string], { retention_days: number; updated_by: string; updated_at: number }>('SELECT retention_days, updated_by, updated_at FROM trace_retention WHERE account_id = ?').get(this.accountId);
    return row ? { retentionDays: row.retention_days, updatedBy: row.updated_by, updatedAt: row.updated_at } : undefined;
  }

  /** Sets (or, with null, clears) the account's automatic trace retention; call inside a transaction. */
  setRetention(retentionDays: number | null, updatedBy: string, now: number): void {
    if (retentionDays === null) this.statement<[string]>('DELETE FROM trace_retention WHERE account_id = ?').run(this.accountId);
    else {
      this.statement<[string, number, string, number]>(
        `INSERT INTO trace_retention (account_id, retention_days, updated_by, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET retention_days = excluded.retention_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      ).run(this.accountId, retentionDays, updatedBy, now);
    }
  }

  setFlag(traceId: string, flagged: boolean): boolean {
    return this.transaction(() => this.statement<[number, string, string]>('UPDATE traces SET flagged = ? WHERE trace_id = ? AND account_id = ?').run(flagged ? 1 : 0, traceId, this.accountId).changes > 0);
  }

  /** Durations and tokens of finished runs (for the charts), oldest first. */
  finished(options: { workflowId?: string; fromUs?: number; toUs?: number }): Array<{ workflowId: string; startedUs: number; durationMs: number; inputTokens: number; outputTokens: number }> {
    const where = ['account_id = ?', 'duration_ms IS NOT NULL', "status IN ('completed', 'failed', 'cancelled')"];
    const params: Array<string | number> = [this.accountId];
    if (options.workflowId) {
      where.push('workflow_id = ?');
      params.push(options.workflowId);
    }
    if (options.fromUs !== undefined) {
      where.push('started_us >= ?');
      params.push(options.fromUs);
    }
    if (options.toUs !== undefined) {
      where.push('started_us < ?');
      params.push(options.toUs);
    }
    return this.statement<typeof params, { workflow_id: string | null; started_us: number; duration_ms: number; input_tokens: number; output_tokens: number }>(
      `SELECT workflow_id, started_us, duration_ms, input_tokens, output_tokens FROM traces WHERE ${where.join(' AND ')} ORDER BY started_us`,
    ).all(...params).map((r) => ({ workflowId: r.workflow_id ?? '(none)', startedUs: r.started_us, durationMs: r.duration_ms, inputTokens: r.input_tokens, outputTokens: r.output_tokens }));
  }
}

const noTestModels: ReadonlySet<string> = new Set();

/** A user's display name, or null when unknown (the identity store's; the store has no users table of its own). */
export type NameOf = (userId: string) => string | null;
const noNames: NameOf = () => null;

function toSummary(row: TraceRow, testModels: ReadonlySet<string>, nameOf: NameOf): TraceSummary {
  return {
    traceId: row.trace_id,
    runId: row.run_id,
    workflowId: row.workflow_id,
    version: row.version,
    modelId: row.model_id,
    testModel: row.model_id !== null && testModels.has(row.model_id),
    status: row.status,
    userId: row.user_id,
    userName: row.user_id === null ? null : nameOf(row.user_id),
    startedAt: iso(row.started_us),
    endedAt: row.ended_us === null ? null : iso(row.ended_us),
    durationMs: row.duration_ms,
    spanCount: row.span_count,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    feedbackCount: row.feedback_count,
    flagged: row.flagged === 1,
    incomplete: row.incomplete === 1,
  };
}

function toSpan(row: SpanRow): Span {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    kind: row.kind,
    name: row.name,
    path: row.path,
    startTime: iso(row.start_us),
    startUs: row.start_us,
    endUs: row.end_us,
    durationMs: row.duration_ms,
    status: row.status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    attributes: JSON.parse(row.attributes) as Record<string, AttributeValue>,
  };
}
