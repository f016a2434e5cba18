import { describe, expect, it } from 'vitest';
import type { Feedback } from '../../../../core/contracts/index.ts';
import { FeedbackInputSchema } from '../../../../core/contracts/index.ts';
import { emptyFeedbackFields, errorsFromApi, fieldOfIssue, fieldsFromFeedback, newScoreRow, outputText, parseLabels, toFeedbackInput } from './feedbackForm.ts';

describe('feedback form', () => {
  it('builds the contract input from a full form, and the contract accepts it', () => {
    const fields = {
      ...emptyFeedbackFields(),
      rating: '4' as const, verdict: 'approve' as const, comment: '  Good summary; cite the 2024 review. ', labels: 'tone, accuracy, tone, ',
      scores: [newScoreRow('accuracy', '8'), newScoreRow('', ''), newScoreRow('completeness', '6.5')], editing: true, after: 'Edited text',
    };
    const result = toFeedbackInput(fields, 'Original text');
    expect(result).toEqual({
      ok: true,
      input: {
        action: 'review', rating: 4, verdict: 'approve', comment: 'Good summary; cite the 2024 review.', labels: ['tone', 'accuracy'],
        scores: { accuracy: 8, completeness: 6.5 }, edit: { before: 'Original text', after: 'Edited text' },
      },
    });
    if (result.ok) expect(FeedbackInputSchema.safeParse(result.input).success).toBe(true);
  });

  it('asks for at least one judgement', () => {
    const result = toFeedbackInput(emptyFeedbackFields(), 'x');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(Object.keys(result.errors)).toEqual(['form']);
      expect(result.errors.form).toMatch(/at least one/);
    }
  });

  it('names each field to fix, keeping the typed values untouched', () => {
    const fields = {
      ...emptyFeedbackFields(), rating: '3' as const, labels: `ok, ${'l'.repeat(65)}`,
      scores: [newScoreRow('accuracy', '11'), newScoreRow('', '5'), newScoreRow('clarity', '')], editing: true, after: 'same',
    };
    const copy = structuredClone(fields);
    const result = toFeedbackInput(fields, 'same');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.labels).toMatch(/at most 64/);
      expect(result.errors.scores).toBe('Row 1: accuracy\'s score must be a number from 0 to 10. Row 2: name the criterion. Row 3: give clarity a score from 0 to 10.');
      expect(result.errors.edit).toMatch(/same as the original/);
      expect(result.errors.rating).toBeUndefined();
    }
    expect(fields).toEqual(copy);
    const hidden = toFeedbackInput({ ...emptyFeedbackFields(), editing: true, after: 'x' }, null);
    expect(hidden.ok ? null : hidden.errors.edit).toMatch(/cannot be shown/);
    const twice = toFeedbackInput({ ...emptyFeedbackFields(), scores: [newScoreRow('a', '1'), newScoreRow('a', '2')] }, null);
    expect(twice).toMatchObject({ ok: false, errors: { scores: 'Row 2: a is scored twice.' } });
  });

  it('prefills a revision from the latest version', () => {
    const feedback: Feedback = {
      id: '4b0f8a3e-2a4c-4d55-9d1e-6c1f3a0e7b21', version: 2, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), action: 'review',
      rating: 2, verdict: 'reject', labels: ['tone'], scores: { accuracy: 3 }, editDistance: 4, contentVisible: true,
      comment: 'Too vague', instruction: null, edit: { before: 'a', after: 'b', diff: '' }, createdBy: 'u', createdByName: null, createdAt: '2026-03-01T00:00:00Z',
    };
    const fields = fieldsFromFeedback(feedback);
    expect(fields).toMatchObject({ rating: '2', verdict: 'reject', comment: 'Too vague', labels: 'tone', editing: true, after: 'b' });
    expect(fields.scores.map((row) => [row.name, row.value])).toEqual([['accuracy', '3']]);
    expect(toFeedbackInput(fields, 'a')).toMatchObject({ ok: true, input: { rating: 2, edit: { before: 'a', after: 'b' } } });
  });

  it('places API issues beside their fields', () => {
    expect(fieldOfIssue('feedback.scores.accuracy')).toBe('scores');
    expect(fieldOfIssue('feedback.labels[3]')).toBe('labels');
    expect(fieldOfIssue('traceId')).toBeNull();
    expect(errorsFromApi({ code: 'ERR_INPUT_INVALID', message: 'bad', details: { issues: [{ path: 'feedback.rating', message: 'Too big' }, { path: 'spanId', message: 'x' }] } })).toEqual({ rating: 'Too big' });
  });

  it('shows outputs as editable text and splits labels', () => {
    expect(outputText('plain')).toBe('plain');
    expect(outputText({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(outputText(null)).toBe('');
    expect(parseLabels(' a ,, b,a')).toEqual(['a', 'b']);
  });
});
