import { toStoredEntry } from './auditLog.ts';
import type { AuditLog, AuditRow } from './auditLog.ts';
import { canonicalJson } from './canonical.ts';
import type { ExportSink } from './exportJsonl.ts';
import { filterSql } from './query.ts';
import type { AuditFilter } from './query.ts';

const columns = ['seq', 'time', 'account', 'actor_user', 'actor_name', 'actor_account', 'actor_roles', 'action', 'resource', 'outcome', 'request_id', 'details', 'has_content', 'prev', 'hash'];

/**
 * One CSV cell (RFC 4180). A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets
 * a leading apostrophe — OWASP's advice against CSV injection; the JSONL export is the exact record.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes matching entries up to `size` as CSV with a header row; returns how many. */
export function writeCsvExport(log: AuditLog, filter: AuditFilter, size: number, sink: ExportSink, displayName: (userId: string) => string | undefined): number {
  const { where, params } = filterSql(filter);
  let count = 0;
  sink.write(`${columns.join(',')}\r\n`);
  for (const row of log.storage.db.prepare<Array<string | number>, AuditRow>(`SELECT * FROM audit_log WHERE ${where} AND seq <= ? ORDER BY seq`).iterate(...params, size)) {
    const entry = toStoredEntry(row);
    const cells = [
      entry.seq, new Date(entry.at).toISOString(), entry.accountId, entry.actorUserId, entry.actorUserId === null ? null : (displayName(entry.actorUserId) ?? null),
      entry.actorAccountId, entry.actorRoles.join(' '), entry.action, entry.resource, entry.outcome, entry.requestId, canonicalJson(entry.details), entry.hasContent, entry.prev, entry.hash,
    ];
    sink.write(`${cells.map(csvCell).join(',')}\r\n`);
    count += 1;
  }
  return count;
}
