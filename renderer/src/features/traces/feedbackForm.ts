import type { ApiError, Feedback, FeedbackInput, InputIssue } from '../../../../core/contracts/index.ts';

/** One rubric row as typed: a criterion and a score 0–10. `key` keeps React rows stable. */
export interface ScoreRow {
  key: number;
  name: string;
  value: string;
}

/** The feedback form as typed. */
export interface FeedbackFields {
  rating: '' | '1' | '2' | '3' | '4' | '5';
  verdict: '' | 'approve' | 'reject';
  comment: string;
  /** Comma-separated. */
  labels: string;
  scores: ScoreRow[];
  /** Whether an edited output is part of the feedback. */
  editing: boolean;
  after: string;
}

export type FeedbackField = 'rating' | 'verdict' | 'comment' | 'labels' | 'scores' | 'edit';
export type FeedbackErrors = Partial<Record<FeedbackField | 'form', string>>;

export const feedbackFields: readonly FeedbackField[] = ['rating', 'verdict', 'comment', 'labels', 'scores', 'edit'];

let nextRowKey = 1;
export const newScoreRow = (name = '', value = ''): ScoreRow => ({ key: nextRowKey++, name, value });

export function emptyFeedbackFields(): FeedbackFields {
  return { rating: '', verdict: '', comment: '', labels: '', scores: [newScoreRow()], editing: false, after: '' };
}

/** A stored feedback's latest version as the form to revise it (the edit's `after` kept). */
export function fieldsFromFeedback(feedback: Feedback): FeedbackFields {
  const rating = feedback.rating !== null && feedback.rating >= 1 && feedback.rating <= 5 ? (String(feedback.rating) as FeedbackFields['rating']) : '';
  const scores = Object.entries(feedback.scores).map(([name, value]) => newScoreRow(name, String(value)));
  return {
    rating,
    verdict: feedback.verdict ?? '',
    comment: feedback.comment ?? '',
    labels: feedback.labels.join(', '),
    scores: scores.length > 0 ? scores : [newScoreRow()],
    editing: feedback.edit !== null,
    after: feedback.edit?.after ?? '',
  };
}

/** A span's output as the text an expert edits: strings as they are, anything else as JSON. */
export function outputText(output: unknown): string {
  if (output === null || output === undefined) return '';
  if (typeof output === 'string') return output;
  return JSON.stringify(output, null, 2);
}

/** Comma-separated labels → trimmed, distinct, non-empty. */
export function parseLabels(text: string): string[] {
  return [...new Set(text.split(',').map((label) => label.trim()).filter((label) => label !== ''))];
}

/**
 * The form → `feedback.submit`'s input, or a message per field to fix (the same limits as the
 * contract, said in words). `before` is the span's output the edit starts from, or null when it
 * cannot be shown. At least one judgement must be given.
 */
export function toFeedbackInput(fields: FeedbackFields, before: string | null): { ok: true; input: FeedbackInput } | { ok: false; errors: FeedbackErrors } {
  const errors: FeedbackErrors = {};
  const input: FeedbackInput = { action: 'review' };

  if (fields.rating !== '') input.rating = Number(fields.rating);
  if (fields.verdict !== '') input.verdict = fields.verdict;

  const comment = fields.comment.trim();
  if (comment.length > 20_000) errors.comment = `At most 20,000 characters (this is ${comment.length.toLocaleString('en')}).`;
  else if (comment !== '') input.comment = comment;

  const labels = parseLabels(fields.labels);
  const longLabel = labels.find((label) => label.length > 64);
  if (longLabel) errors.labels = `Each label is at most 64 characters: “${longLabel.slice(0, 20)}…” is longer.`;
  else if (labels.length > 32) errors.labels = `At most 32 labels (there are ${labels.length}).`;
  else if (labels.length > 0) input.labels = labels;

  const scores: Record<string, number> = {};
  const scoreProblems: string[] = [];
  fields.scores.forEach((row, index) => {
    const name = row.name.trim();
    const raw = row.value.trim();
    if (name === '' && raw === '') return;
    const which = `Row ${index + 1}`;
    if (name === '') return scoreProblems.push(`${which}: name the criterion.`);
    if (name.length > 64) return scoreProblems.push(`${which}: the criterion's name is at most 64 characters.`);
    if (raw === '') return scoreProblems.push(`${which}: give ${name} a score from 0 to 10.`);
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 10) return scoreProblems.push(`${which}: ${name}'s score must be a number from 0 to 10.`);
    if (name in scores) return scoreProblems.push(`${which}: ${name} is scored twice.`);
    scores[name] = value;
    return undefined;
  });
  if (scoreProblems.length > 0) errors.scores = scoreProblems.join(' ');
  else if (Object.keys(scores).length > 0) input.scores = scores;

  if (fields.editing) {
    if (before === null) errors.edit = 'The output cannot be shown to your role, so it cannot be edited here.';
    else if (fields.after === before) errors.edit = 'The edited output is the same as the original: change it, or untick “Edit the output”.';
    else if (fields.after.length > 1_000_000) errors.edit = 'The edited output is longer than 1,000,000 characters.';
    else input.edit = { before, after: fields.after };
  }

  const judged = ['rating', 'verdict', 'comment', 'labels', 'scores', 'edit'].some((key) => key in input);
  if (!judged && Object.keys(errors).length === 0) errors.form = 'Give at least one of: a rating, approve or reject, a comment, a label, a rubric score or an edited output.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, input };
}

/** Which form field an API input issue is about: `feedback.scores.accuracy` → `scores`. */
export function fieldOfIssue(path: string): FeedbackField | null {
  const [first, second] = path.split(/[.[]/);
  const field = first === 'feedback' ? second : first;
  return feedbackFields.find((candidate) => candidate === field) ?? null;
}

/** The API's refusal, placed beside the fields it names; anything else stays with the form. */
export function errorsFromApi(error: ApiError): FeedbackErrors {
  const issues = Array.isArray(error.details?.issues) ? (error.details.issues as InputIssue[]) : [];
  const errors: FeedbackErrors = {};
  for (const issue of issues) {
    const field = fieldOfIssue(issue.path);
    if (field) errors[field] = errors[field] ? `${errors[field]} ${issue.message}` : issue.message;
  }
  return errors;
}
