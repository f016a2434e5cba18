import type { z } from 'zod';

/**
 * List filters kept in the URL (Traces, Audit), so a reload, Back and a shared link show the same
 * view. Each page names its parameters and hands over its contract schema's shape; reading checks
 * every parameter on its own, so a mangled link still opens with everything else applied.
 */
export interface UrlFilterSpec<K extends string> {
  /** Filter key → its (short) parameter name; also the order parameters are written in. */
  params: Readonly<Record<K, string>>;
  /** Filter key → the API's schema for it. */
  shape: Readonly<Record<K, z.ZodType>>;
  /** Parameter text → the value the schema checks, or why it cannot be read. Default: the text. */
  decode?: (key: K, text: string) => { value: unknown } | { problem: string };
  /** A filter value → its parameter text. Default: String(value). */
  encode?: (value: unknown) => string;
}

export interface ParamProblem {
  param: string;
  message: string;
}

/**
 * A query string → the filter. A parameter that does not decode or validate is left out and named
 * in `problems`; a `to` before `from` is left out too.
 */
export function readFilterParams<K extends string>(params: URLSearchParams, spec: UrlFilterSpec<K>): { filter: Partial<Record<K, unknown>>; problems: ParamProblem[] } {
  const filter: Partial<Record<K, unknown>> = {};
  const problems: ParamProblem[] = [];
  for (const key of Object.keys(spec.params) as K[]) {
    const param = spec.params[key];
    const text = params.get(param)?.trim();
    if (text === undefined || text === '') continue;
    const decoded = spec.decode?.(key, text) ?? { value: text };
    if ('problem' in decoded) {
      problems.push({ param, message: decoded.problem });
      continue;
    }
    const checked = spec.shape[key].safeParse(decoded.value);
    if (checked.success && checked.data !== undefined) filter[key] = checked.data;
    else problems.push({ param, message: `${param}: ${checked.success ? 'not valid' : (checked.error.issues[0]?.message ?? 'not valid')}` });
  }
  const range = filter as { from?: unknown; to?: unknown };
  if (typeof range.from === 'string' && typeof range.to === 'string' && Date.parse(range.from) > Date.parse(range.to)) {
    problems.push({ param: 'to', message: 'to is before from, so it was left out' });
    delete range.to;
  }
  return { filter, problems };
}

/** The filter → a query string, in the spec's order so equal filters give equal links. */
export function writeFilterParams<K extends string>(filter: Partial<Record<K, unknown>>, spec: UrlFilterSpec<K>): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of Object.keys(spec.params) as K[]) {
    const value = filter[key];
    if (value === undefined || value === '') continue;
    params.set(spec.params[key], spec.encode?.(value) ?? String(value));
  }
  return params;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO instant as a `datetime-local` value in this browser's zone (minutes). */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
