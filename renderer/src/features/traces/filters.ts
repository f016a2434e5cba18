import type { TraceFilter, TraceSummary } from '../../../../core/contracts/index.ts';
import { TraceFilterSchema } from '../../../../core/contracts/index.ts';

/**
 * The trace list's filters live in the URL (`/traces?workflow=kyc-periodic-review&flagged=yes`),
 * so a link reopens the same view. Short parameter names, booleans as yes/no.
 */
export const filterParams = {
  workflowId: 'workflow',
  version: 'version',
  modelId: 'model',
  status: 'status',
  userId: 'user',
  from: 'from',
  to: 'to',
  hasFeedback: 'feedback',
  flagged: 'flagged',
} as const satisfies Record<keyof TraceFilter, string>;

type FilterKey = keyof typeof filterParams;
const filterKeys = Object.keys(filterParams) as FilterKey[];
const booleanKeys = new Set<FilterKey>(['hasFeedback', 'flagged']);

export type TraceStatus = TraceSummary['status'];
/** Every trace status, in the order the filter offers them (a test checks it against the contract). */
export const traceStatuses: readonly TraceStatus[] = ['running', 'waiting', 'completed', 'failed', 'cancelled', 'interrupted'];

export interface FilterProblem {
  param: string;
  message: string;
}

function parseBoolean(value: string): boolean | undefined {
  if (value === 'yes' || value === 'true') return true;
  if (value === 'no' || value === 'false') return false;
  return undefined;
}

/**
 * A query string → the API's filter. A parameter that does not parse or validate is left out and
 * named in `problems`, so a mangled link still opens with everything else applied.
 */
export function filterFromParams(params: URLSearchParams): { filter: TraceFilter; problems: FilterProblem[] } {
  const filter: Record<string, unknown> = {};
  const problems: FilterProblem[] = [];
  for (const key of filterKeys) {
    const param = filterParams[key];
    const raw = params.get(param);
    if (raw === null || raw.trim() === '') continue;
    const value = booleanKeys.has(key) ? parseBoolean(raw) : raw.trim();
    if (value === undefined) {
      problems.push({ param, message: `${param} must be yes or no` });
      continue;
    }
    const checked = TraceFilterSchema.shape[key].safeParse(value);
    if (checked.success) filter[key] = checked.data;
    else problems.push({ param, message: `${param}: ${checked.error.issues[0]?.message ?? 'not valid'}` });
  }
  if (typeof filter.from === 'string' && typeof filter.to === 'string' && Date.parse(filter.from) > Date.parse(filter.to)) {
    problems.push({ param: 'to', message: 'to is before from, so it was left out' });
    delete filter.to;
  }
  return { filter: filter, problems };
}

/** The API's filter → a query string, in a fixed order so equal filters give equal links. */
export function filterToParams(filter: TraceFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of filterKeys) {
    const value = filter[key];
    if (value === undefined) continue;
    params.set(filterParams[key], typeof value === 'boolean' ? (value ? 'yes' : 'no') : value);
  }
  return params;
}

/** The filter form as typed: text, a status, local date-times (no zone), and yes/no/any choices. */
export interface FilterFields {
  workflowId: string;
  version: string;
  modelId: string;
  status: '' | TraceStatus;
  userId: string;
  from: string;
  to: string;
  hasFeedback: '' | 'yes' | 'no';
  flagged: '' | 'yes' | 'no';
}

export type FilterFieldErrors = Partial<Record<keyof FilterFields, string>>;

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO instant as a `datetime-local` value in this browser's zone (minutes). */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const yesNo = (value: boolean | undefined): '' | 'yes' | 'no' => (value === undefined ? '' : value ? 'yes' : 'no');

export function fieldsFromFilter(filter: TraceFilter): FilterFields {
  return {
    workflowId: filter.workflowId ?? '',
    version: filter.version ?? '',
    modelId: filter.modelId ?? '',
    status: filter.status ?? '',
    userId: filter.userId ?? '',
    from: filter.from ? toLocalInput(filter.from) : '',
    to: filter.to ? toLocalInput(filter.to) : '',
    hasFeedback: yesNo(filter.hasFeedback),
    flagged: yesNo(filter.flagged),
  };
}

/**
 * The form → the API's filter, or the fields to fix: blanks dropped, text trimmed, local times
 * to ISO-8601 UTC, lengths and ranges checked by the contract's own schema.
 */
export function filterFromFields(fields: FilterFields): { ok: true; filter: TraceFilter } | { ok: false; errors: FilterFieldErrors } {
  const errors: FilterFieldErrors = {};
  const candidate: Record<string, unknown> = {};
  for (const key of ['workflowId', 'version', 'modelId', 'userId'] as const) {
    const value = fields[key].trim();
    if (value !== '') candidate[key] = value;
  }
  if (fields.status !== '') candidate.status = fields.status;
  for (const key of ['from', 'to'] as const) {
    if (fields[key] === '') continue;
    const time = new Date(fields[key]).getTime();
    if (Number.isNaN(time)) errors[key] = 'Enter a date and a time.';
    else candidate[key] = new Date(time).toISOString();
  }
  if (fields.hasFeedback !== '') candidate.hasFeedback = fields.hasFeedback === 'yes';
  if (fields.flagged !== '') candidate.flagged = fields.flagged === 'yes';
  if (typeof candidate.from === 'string' && typeof candidate.to === 'string' && Date.parse(candidate.from) > Date.parse(candidate.to)) {
    errors.to = 'Must not be before From.';
  }
  const checked = TraceFilterSchema.safeParse(candidate);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const key = issue.path[0];
      if (typeof key === 'string' && key in fields && !errors[key as keyof FilterFields]) errors[key as keyof FilterFields] = issue.message;
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, filter: checked.success ? checked.data : (candidate) };
}

/** How many filters are on (for "3 filters" summaries). */
export function activeFilterCount(filter: TraceFilter): number {
  return filterKeys.filter((key) => filter[key] !== undefined).length;
}
