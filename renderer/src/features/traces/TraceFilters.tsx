import { useId, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { TraceFilter } from '../../../../core/contracts/index.ts';
import { fieldsFromFilter, filterFromFields, traceStatuses } from './filters.ts';
import type { FilterFieldErrors, FilterFields } from './filters.ts';

const emptyFields = fieldsFromFilter({});

/** Suggestions for the free-text filters, from what the list has shown so far. */
export interface FilterSuggestions {
  workflows: string[];
  models: string[];
  /** User ids, each with its display name (shown as the suggestion's label) when known. */
  users: Array<{ value: string; label: string | null }>;
}

/**
 * The trace list's filters. The form starts from the filter in the URL (the parent remounts it
 * when the URL changes) and applies a checked filter; what was typed stays until it is fixed.
 */
export function TraceFilters({ filter, suggestions, onApply }: { filter: TraceFilter; suggestions: FilterSuggestions; onApply: (filter: TraceFilter) => void }) {
  const id = useId();
  const [fields, setFields] = useState<FilterFields>(() => fieldsFromFilter(filter));
  const [errors, setErrors] = useState<FilterFieldErrors>({});

  const set = <K extends keyof FilterFields>(key: K, value: FilterFields[K]) => {
    setFields((current) => ({ ...current, [key]: value }));
    if (errors[key]) setErrors((current) => ({ ...current, [key]: undefined }));
  };

  function apply(event: FormEvent): void {
    event.preventDefault();
    const result = filterFromFields(fields);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    onApply(result.filter);
  }

  /** A labelled control with its error beside it, wired with aria-invalid and aria-describedby. */
  const field = (key: keyof FilterFields, label: string, control: (props: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode) => {
    const inputId = `${id}-${key}`;
    const error = errors[key];
    return (
      <div className="field">
        <label htmlFor={inputId}>{label}</label>
        {control({ id: inputId, ...(error ? { 'aria-invalid': true as const, 'aria-describedby': `${inputId}-error` } : {}) })}
        {error && <p id={`${inputId}-error`} className="field-error">{error}</p>}
      </div>
    );
  };
  const text = (key: 'workflowId' | 'version' | 'modelId' | 'userId', label: string, list?: ReadonlyArray<string | { value: string; label: string | null }>) =>
    field(key, label, (props) => (
      <>
        <input {...props} value={fields[key]} list={list && list.length > 0 ? `${props.id}-list` : undefined} autoComplete="off" onChange={(e) => set(key, e.target.value)} />
        {list && list.length > 0 && (
          <datalist id={`${props.id}-list`}>
            {list.map((entry) => (typeof entry === 'string' ? <option key={entry} value={entry} /> : <option key={entry.value} value={entry.value} label={entry.label ?? undefined} />))}
          </datalist>
        )}
      </>
    ));
  const yesNo = (key: 'hasFeedback' | 'flagged', label: string) =>
    field(key, label, (props) => (
      <select {...props} value={fields[key]} onChange={(e) => set(key, e.target.value as FilterFields[typeof key])}>
        <option value="">Any</option>
        <option value="yes">Yes</option>
        <option value="no">No</option>
      </select>
    ));

  return (
    <form className="trace-filters" onSubmit={apply} aria-label="Filter traces" noValidate>
      <div className="field-row">
        {text('workflowId', 'Workflow', suggestions.workflows)}
        {text('version', 'Version')}
        {text('modelId', 'Model', suggestions.models)}
        {field('status', 'Status', (props) => (
          <select {...props} value={fields.status} onChange={(e) => set('status', e.target.value as FilterFields['status'])}>
            <option value="">Any</option>
            {traceStatuses.map((status) => <option key={status} value={status}>{status}</option>)}
          </select>
        ))}
        {text('userId', 'User', suggestions.users)}
      </div>
      <div className="field-row">
        {field('from', 'Started from', (props) => <input {...props} type="datetime-local" value={fields.from} onChange={(e) => set('from', e.target.value)} />)}
        {field('to', 'Started until', (props) => <input {...props} type="datetime-local" value={fields.to} onChange={(e) => set('to', e.target.value)} />)}
        {yesNo('hasFeedback', 'Has feedback')}
        {yesNo('flagged', 'Flagged')}
        <div className="field trace-filter-buttons">
          <button type="submit" className="primary">Apply filters</button>
          <button type="button" onClick={() => { setFields(emptyFields); setErrors({}); onApply({}); }}>Clear</button>
        </div>
      </div>
    </form>
  );
}
