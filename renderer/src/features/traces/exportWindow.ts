import type { TraceExportInput } from '../../../../core/contracts/index.ts';

/** The export-by-time form as typed: local date-times (no zone), `until` optional. */
export interface ExportWindowFields {
  since: string;
  until: string;
}

export type ExportWindowErrors = Partial<Record<keyof ExportWindowFields, string>>;

/**
 * The form → `traces.export`'s input, or the fields to fix: local times to ISO-8601 UTC, `since`
 * required, `until` after it when given (the API checks the same; saying it here keeps the typing).
 */
export function exportInputFromFields(fields: ExportWindowFields): { ok: true; input: TraceExportInput & { since: string } } | { ok: false; errors: ExportWindowErrors } {
  const errors: ExportWindowErrors = {};
  const time = (value: string) => (value === '' ? null : new Date(value).getTime());
  const since = time(fields.since);
  const until = time(fields.until);
  if (since === null) errors.since = 'Enter the date and time the export starts from.';
  else if (Number.isNaN(since)) errors.since = 'Enter a date and a time.';
  if (until !== null && Number.isNaN(until)) errors.until = 'Enter a date and a time, or leave it empty for now.';
  else if (until !== null && since !== null && !Number.isNaN(since) && until <= since) errors.until = 'Must be after From.';
  if (Object.keys(errors).length > 0 || since === null) return { ok: false, errors };
  return { ok: true, input: { since: new Date(since).toISOString(), ...(until === null ? {} : { until: new Date(until).toISOString() }) } };
}

/** `traces-20260301T0900Z-20260302T0000Z.otlp.json` (or `…-now…`): the window in the name, safe on every file system. */
export function exportFileName(input: { since: string; until?: string }): string {
  const stamp = (iso: string) => iso.slice(0, 16).replace(/[-:]/g, '') + 'Z';
  return `traces-${stamp(input.since)}-${input.until ? stamp(input.until) : 'now'}.otlp.json`;
}
