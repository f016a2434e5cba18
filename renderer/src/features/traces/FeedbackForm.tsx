import { useId, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { ApiError, Feedback } from '../../../../core/contracts/index.ts';
import { useBridge } from '../../bridge/context.tsx';
import { emptyFeedbackFields, errorsFromApi, feedbackFields, fieldsFromFeedback, newScoreRow, toFeedbackInput } from './feedbackForm.ts';
import type { FeedbackErrors, FeedbackField, FeedbackFields } from './feedbackForm.ts';

/**
 * Unsent forms by span and feedback, for this page's lifetime: moving to another span and back
 * keeps what was typed. Cleared when the feedback is saved.
 */
const drafts = new Map<string, FeedbackFields>();

/**
 * Feedback on one span: a new one (`feedback.submit`) or a new version of an existing one
 * (`feedback.revise`). Checked here first, then by the API; each problem is shown beside its
 * field and nothing typed is lost.
 */
export function FeedbackForm({ traceId, spanId, output, revising, onSaved, onCancel }: {
  traceId: string;
  spanId: string;
  /** The span's output as text, or null when the role cannot read it (then no edit). */
  output: string | null;
  revising?: Feedback;
  onSaved: (feedback: Feedback) => void;
  onCancel?: () => void;
}) {
  const id = useId();
  const bridge = useBridge();
  const draftKey = `${spanId}:${revising?.id ?? 'new'}`;
  const [fields, setFieldsState] = useState<FeedbackFields>(() => drafts.get(draftKey) ?? (revising ? fieldsFromFeedback(revising) : emptyFeedbackFields()));
  const [errors, setErrors] = useState<FeedbackErrors>({});
  const [apiError, setApiError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  // An edit starts from the output the expert saw when revising, else from the span's output now.
  const before = revising?.edit?.before ?? output;

  const setFields = (update: (current: FeedbackFields) => FeedbackFields, clears?: FeedbackField) => {
    setFieldsState((current) => {
      const next = update(current);
      drafts.set(draftKey, next);
      return next;
    });
    if (clears && (errors[clears] || errors.form)) setErrors((current) => ({ ...current, [clears]: undefined, form: undefined }));
  };
  const set = <K extends keyof FeedbackFields>(key: K, value: FeedbackFields[K], clears: FeedbackField) => setFields((current) => ({ ...current, [key]: value }), clears);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    setApiError(null);
    const checked = toFeedbackInput(fields, before);
    if (!checked.ok) {
      setErrors(checked.errors);
      summary.current?.focus();
      return;
    }
    setErrors({});
    setBusy(true);
    const result = revising
      ? await bridge.invoke('feedback.revise', { feedbackId: revising.id, feedback: checked.input })
      : await bridge.invoke('feedback.submit', { traceId, spanId, feedback: checked.input });
    setBusy(false);
    if (!result.ok) {
      setApiError(result.error);
      setErrors(errorsFromApi(result.error));
      summary.current?.focus();
      return;
    }
    drafts.delete(draftKey);
    if (!revising) setFieldsState(emptyFeedbackFields());
    onSaved(result.value);
  }

  const errorId = (field: FeedbackField) => `${id}-${field}-error`;
  const invalid = (field: FeedbackField) => (errors[field] ? { 'aria-invalid': true as const, 'aria-describedby': errorId(field) } : {});
  // A group (fieldset) is described by its error; aria-invalid belongs on the controls' roles, not on a group.
  const describedGroup = (field: FeedbackField) => (errors[field] ? { 'aria-describedby': errorId(field) } : {});
  const fieldError = (field: FeedbackField): ReactNode => errors[field] && <p id={errorId(field)} className="field-error" data-testid={`feedback-error-${field}`}>{errors[field]}</p>;
  const fieldErrorCount = feedbackFields.filter((field) => errors[field]).length;
  const title = revising ? `Revise feedback (a new version ${revising.version + 1} is saved; earlier versions are kept)` : 'Add feedback on this span';

  return (
    <form className="feedback-form" aria-labelledby={`${id}-title`} noValidate onSubmit={(event) => { void submit(event); }} data-testid={revising ? 'feedback-revise-form' : 'feedback-form'}>
      <h5 id={`${id}-title`}>{title}</h5>
      <div ref={summary} tabIndex={-1} className="feedback-summary">
        {(errors.form || fieldErrorCount > 0 || apiError) && (
          <div role="alert" className="error-panel">
            <p className="error-message">{errors.form ?? (fieldErrorCount > 0 ? 'Some fields need attention: see the messages beside them.' : apiError?.message)}</p>
            {apiError && <p className="error-code">Error code <code>{apiError.code}</code></p>}
          </div>
        )}
      </div>

      <fieldset className="field feedback-choice" {...describedGroup('rating')}>
        <legend>Rating (1 poor – 5 excellent)</legend>
        {(['', '1', '2', '3', '4', '5'] as const).map((value) => (
          <label key={value || 'none'} className="check">
            <input type="radio" name={`${id}-rating`} value={value} checked={fields.rating === value} onChange={() => set('rating', value, 'rating')} />
            {value === '' ? 'No rating' : value}
          </label>
        ))}
        {fieldError('rating')}
      </fieldset>

      <fieldset className="field feedback-choice" {...describedGroup('verdict')}>
        <legend>Verdict</legend>
        {([['', 'None'], ['approve', 'Approve'], ['reject', 'Reject']] as const).map(([value, label]) => (
          <label key={label} className="check">
            <input type="radio" name={`${id}-verdict`} value={value} checked={fields.verdict === value} onChange={() => set('verdict', value, 'verdict')} />
            {label}
          </label>
        ))}
        {fieldError('verdict')}
      </fieldset>

      <div className="field field-wide">
        <label htmlFor={`${id}-comment`}>Comment</label>
        <textarea id={`${id}-comment`} rows={3} value={fields.comment} {...invalid('comment')} onChange={(e) => set('comment', e.target.value, 'comment')} />
        {fieldError('comment')}
      </div>

      <div className="field">
        <label htmlFor={`${id}-labels`}>Labels</label>
        <input id={`${id}-labels`} value={fields.labels} placeholder="tone, missing-risk" aria-describedby={[`${id}-labels-hint`, errors.labels ? errorId('labels') : ''].filter(Boolean).join(' ')} {...(errors.labels ? { 'aria-invalid': true as const } : {})} onChange={(e) => set('labels', e.target.value, 'labels')} />
        <p id={`${id}-labels-hint`} className="hint">Separate labels with commas.</p>
        {fieldError('labels')}
      </div>

      <fieldset className="field field-wide feedback-scores" {...describedGroup('scores')}>
        <legend>Rubric scores (0–10)</legend>
        {fields.scores.map((row, index) => (
          <div key={row.key} className="feedback-score-row">
            <label htmlFor={`${id}-score-name-${row.key}`} className="visually-hidden">Criterion {index + 1}</label>
            <input id={`${id}-score-name-${row.key}`} value={row.name} placeholder="accuracy" onChange={(e) => setFields((current) => ({ ...current, scores: current.scores.map((r) => (r.key === row.key ? { ...r, name: e.target.value } : r)) }), 'scores')} />
            <label htmlFor={`${id}-score-value-${row.key}`} className="visually-hidden">Score {index + 1}</label>
            <input id={`${id}-score-value-${row.key}`} type="number" min={0} max={10} step={0.5} inputMode="decimal" value={row.value} className="feedback-score-value" onChange={(e) => setFields((current) => ({ ...current, scores: current.scores.map((r) => (r.key === row.key ? { ...r, value: e.target.value } : r)) }), 'scores')} />
            <button type="button" aria-label={`Remove criterion ${index + 1}`} onClick={() => setFields((current) => ({ ...current, scores: current.scores.length > 1 ? current.scores.filter((r) => r.key !== row.key) : [newScoreRow()] }), 'scores')}>Remove</button>
          </div>
        ))}
        <button type="button" onClick={() => setFields((current) => ({ ...current, scores: [...current.scores, newScoreRow()] }))}>Add criterion</button>
        {fieldError('scores')}
      </fieldset>

      <div className="field field-wide feedback-edit">
        <label className="check">
          <input
            type="checkbox"
            checked={fields.editing}
            disabled={before === null && !fields.editing}
            aria-describedby={before === null ? `${id}-edit-hint` : undefined}
            onChange={(e) => {
              const editing = e.target.checked;
              setFields((current) => ({ ...current, editing, after: editing && current.after === '' ? (before ?? '') : current.after }), 'edit');
            }}
          />
          Edit the output
        </label>
        {before === null && <p id={`${id}-edit-hint`} className="hint">The output is not available to your role (or not loaded yet), so it cannot be edited.</p>}
        {fields.editing && (
          <>
            <label htmlFor={`${id}-after`}>Edited output</label>
            <textarea id={`${id}-after`} rows={8} className="json-input" value={fields.after} {...invalid('edit')} onChange={(e) => set('after', e.target.value, 'edit')} />
            <p className="hint">The original, the edited text, their diff and the edit distance are stored.</p>
          </>
        )}
        {fieldError('edit')}
      </div>

      <div className="button-row">
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Saving…' : revising ? 'Save new version' : 'Submit feedback'}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
