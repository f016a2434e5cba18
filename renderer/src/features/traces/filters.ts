import type { TraceFilter, TraceSummary } from '../../../../core/contracts/index.ts';
import { TraceFilterSchema } from '../../../../core/contracts/index.ts';
import type { ParamProblem, UrlFilterSpec } from '../../app/urlFilters.ts';
import { readFilterParams, toLocalInput, writeFilterParams } from '../../app/urlFilters.ts';

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

export type FilterProblem = ParamProblem;

function parseBoolean(value: string): boolean | undefined {
  if (value === 'yes' || value === 'true') return true;
  if (value === 'no' || value === 'false') return false;
  return undefined;
}

const urlSpec: UrlFilterSpec<FilterKey> = {
  params: filterParams,
  shape: TraceFilterSchema.shape,
  decode: (key, text) => {
    if (!booleanKeys.has(key)) return { value: text };
    const value = parseBoolean(text);
    return value === undefined ? { problem: `${filterParams[key]} must be yes or no` } : { value };
  },
  encode: (value) => (typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)),
};

/**
 * A query string → the API's filter. A parameter that does not parse or validate is left out and
 * named in `problems`, so a mangled link still opens with everything else applied.
 */
export function filterFromParams(params: URLSearchParams): { filter: TraceFilter; problems: FilterProblem[] } {
  const { filter, problems } = readFilterParams(params, urlSpec);
  return { filter: filter as TraceFilter, problems };
}

/** The API's filter → a query string, in a fixed order so equal filters give equal links. */
export function filterToParams(filter: TraceFilter): URLSearchParams {
  return writeFilterParams(filter, urlSpec);
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

export { toLocalInput };

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
