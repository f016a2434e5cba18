import { randomUUID } from 'node:crypto';
import { createTwoFilesPatch, diffChars } from 'diff';
import { distance } from 'fastest-levenshtein';
import { CoreError } from '../base/index.ts';
import type { FeedbackInputSchema } from '../contracts/index.ts';
import type { JsonValue, Sealed } from '../crypto/index.ts';
import { AccountRepository } from '../storage/index.ts';
import type { z } from 'zod';

/** Feedback as stored: the contract's input with its defaults applied. */
export type FeedbackInput = z.output<typeof FeedbackInputSchema>;

/** One stored version of one feedback, content opened only when asked for. */
export interface FeedbackVersion {
  id: string;
  version: number;
  traceId: string;
  spanId: string;
  action: FeedbackInput['action'];
  rating: number | null;
  verdict: 'approve' | 'reject' | null;
  labels: string[];
  scores: Record<string, number>;
  editDistance: number | null;
  content: FeedbackContent | null;
  createdBy: string;
  createdAt: number;
}

export interface FeedbackContent {
  comment: string | null;
  instruction: string | null;
  edit: { before: string; after: string; diff: string } | null;
}

interface FeedbackRow {
  key: string;
  id: string;
  version: number;
  trace_id: string;
  span_id: string;
  action: FeedbackInput['action'];
  rating: number | null;
  verdict: 'approve' | 'reject' | null;
  labels: string;
  scores: string;
  edit_distance: number | null;
  content: Buffer | null;
  created_by: string;
  created_at: number;
}

/** Exact Levenshtein distance up to this many character pairs; beyond it, the diff's changed characters. */
const exactDistanceLimit = 50_000_000;

/**
 * Edit distance from before to after: exact Levenshtein (fastest-levenshtein, bit-parallel) for
 * texts up to section size; for very long texts, the number of characters the diff changes —
 * an upper bound on Levenshtein that stays fast.
 */
export function editDistance(before: string, after: string): number {
  if (before.length * after.length <= exactDistanceLimit) return distance(before, after);
  let changed = 0;
  for (const part of diffChars(before, after)) if (part.added || part.removed) changed += part.value.length;
  return changed;
}

/** A unified diff of an expert edit, as `git diff` would show it. */
export function unifiedDiff(before: string, after: string): string {
  return createTwoFilesPatch('model', 'expert', before.endsWith('\n') ? before : `${before}\n`, after.endsWith('\n') ? after : `${after}\n`, '', '', { context: 3 });
}

/**
 * Feedback on spans: append-only. Submitting creates version 1 of a new feedback; revising
 * adds version n+1 with the whole new state; nothing is updated or deleted, so the history of
 * every judgement is kept. Ratings, verdicts, labels, scores and edit distances are plaintext
 * metadata (they are what evaluation datasets filter on); comments, instructions and edits are
 * sealed under the account's key.
 */
export class FeedbackStore extends AccountRepository {
  protected readonly table = 'feedback';

  /** Stores version 1 of a new feedback on a span. */
  submit(traceId: string, spanId: string, input: FeedbackInput, by: string, now: number): FeedbackVersion {
    return this.insert(randomUUID(), 1, traceId, spanId, input, by, now);
  }

  /** Stores the next version of an existing feedback. */
  revise(id: string, input: FeedbackInput, by: string, now: number): FeedbackVersion {
    const latest = this.latestRow(id);
    if (!latest) throw CoreError.notInAccount('feedback', id);
    return this.insert(id, latest.version + 1, latest.trace_id, latest.span_id, input, by, now);
  }

  private insert(id: string, version: number, traceId: string, spanId: string, input: FeedbackInput, by: string, now: number): FeedbackVersion {
    const judged = input.rating !== undefined || input.verdict !== undefined || input.comment !== undefined || (input.labels?.length ?? 0) > 0 || Object.keys(input.scores ?? {}).length > 0 || input.edit !== undefined || input.instruction !== undefined || input.action !== 'review';
    if (!judged) throw new CoreError('ERR_FEEDBACK_EMPTY', 'Feedback needs at least a rating, a verdict, a comment, a label, a score or an edit.');
    const key = `${id}:${version}`;
    const edit = input.edit ? { before: input.edit.before, after: input.edit.after, diff: unifiedDiff(input.edit.before, input.edit.after) } : null;
    const distanceValue = input.edit ? editDistance(input.edit.before, input.edit.after) : null;
    const content: FeedbackContent = { comment: input.comment ?? null, instruction: input.instruction ?? null, edit };
    const hasContent = content.comment !== null || content.instruction !== null || edit !== null;
    const labels = [...new Set(input.labels ?? [])];
    const scores = input.scores ?? {};
    this.transaction(() => {
      const sealed = hasContent ? this.sealJson('content', key, content as unknown as JsonValue) : null;
      this.statement<[string, string, number, string, string, string, string, number | null, string | null, string, string, number | null, Buffer | null, string, number]>(
        'INSERT INTO feedback (key, id, version, account_id, trace_id, span_id, action, rating, verdict, labels, scores, edit_distance, content, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(key, id, version, this.accountId, traceId, spanId, input.action, input.rating ?? null, input.verdict ?? null, JSON.stringify(labels), JSON.stringify(scores), distanceValue, sealed, by, now);
      this.statement<[string, string, string, string]>('UPDATE traces SET feedback_count = (SELECT count(DISTINCT id) FROM feedback WHERE trace_id = ? AND account_id = ?) WHERE trace_id = ? AND account_id = ?').run(traceId, this.accountId, traceId, this.accountId);
    });
    return { id, version, traceId, spanId, action: input.action, rating: input.rating ?? null, verdict: input.verdict ?? null, labels, scores, editDistance: distanceValue, content: hasContent ? content : { comment: null, instruction: null, edit: null }, createdBy: by, createdAt: now };
  }

  private latestRow(id: string): FeedbackRow | undefined {
    return this.statement<[string, string], FeedbackRow>('SELECT * FROM feedback WHERE id = ? AND account_id = ? ORDER BY version DESC LIMIT 1').get(id, this.accountId);
  }

  /** The latest version of each feedback on a trace (or a span of it), oldest feedback first. */
  latest(traceId: string, spanId: string | undefined, withContent: boolean): FeedbackVersion[] {
    const rows = spanId
      ? this.statement<[string, string, string], FeedbackRow>('SELECT f.* FROM feedback f WHERE f.account_id = ? AND f.trace_id = ? AND f.span_id = ? AND f.version = (SELECT max(version) FROM feedback g WHERE g.id = f.id) ORDER BY f.created_at, f.id').all(this.accountId, traceId, spanId)
      : this.statement<[string, string], FeedbackRow>('SELECT f.* FROM feedback f WHERE f.account_id = ? AND f.trace_id = ? AND f.version = (SELECT max(version) FROM feedback g WHERE g.id = f.id) ORDER BY f.created_at, f.id').all(this.accountId, traceId);
    return rows.map((row) => this.toVersion(row, withContent));
  }

  /** Every version of one feedback, oldest first. */
  history(id: string, withContent: boolean): FeedbackVersion[] {
    const rows = this.statement<[string, string], FeedbackRow>('SELECT * FROM feedback WHERE id = ? AND account_id = ? ORDER BY version').all(id, this.accountId);
    if (rows.length === 0) throw CoreError.notInAccount('feedback', id);
    return rows.map((row) => this.toVersion(row, withContent));
  }

  private toVersion(row: FeedbackRow, withContent: boolean): FeedbackVersion {
    return {
      id: row.id,
      version: row.version,
      traceId: row.trace_id,
      spanId: row.span_id,
      action: row.action,
      rating: row.rating,
      verdict: row.verdict,
      labels: JSON.parse(row.labels) as string[],
      scores: JSON.parse(row.scores) as Record<string, number>,
      editDistance: row.edit_distance,
      content: !withContent ? null : row.content ? this.open<FeedbackContent>('content', row.key, row.content as unknown as Sealed<FeedbackContent>) : { comment: null, instruction: null, edit: null },
      createdBy: row.created_by,
      createdAt: row.created_at,
    };
  }
}
