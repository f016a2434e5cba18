import PDFDocument from 'pdfkit';
import type { AuditLog, CheckpointRecord } from './auditLog.ts';
import { describeFilter, filterSql } from './query.ts';
import type { AuditFilter } from './query.ts';

type Pdf = InstanceType<typeof PDFDocument>;

interface SummaryOptions {
  exportId: string;
  at: number;
  generatedBy: string;
  displayName: (userId: string) => string | undefined;
  /** An account's name (kept after deletion) and whether it was deleted; without it, ids are shown as they are. */
  account?: (accountId: string) => { name: string | null; deleted: boolean };
}

/** Names resolved for people, the id kept beside each for an auditor: `Alpha Credit (46626652-…)`. */
interface Labels {
  user: (userId: string) => string | undefined;
  account?: ((accountId: string) => { name: string | null; deleted: boolean }) | undefined;
}

function accountLabel(labels: Labels, accountId: string): string {
  const account = labels.account?.(accountId);
  if (account === undefined) return accountId;
  if (account.name === null) return `deleted account (${accountId})`;
  return `${account.name}${account.deleted ? ', deleted' : ''} (${accountId})`;
}

/** A filter as `key=value` pairs, the account and actor by name with their ids. */
export function labelledFilter(described: Record<string, unknown>, labels: Labels): string {
  return Object.entries(described)
    .map(([key, value]) => {
      const text = String(value);
      if (key === 'account') return `account=${accountLabel(labels, text)}`;
      if (key === 'actor') {
        const name = labels.user(text);
        return `actor=${name ? `${name} (${text})` : text}`;
      }
      return `${key}=${text}`;
    })
    .join(', ');
}

const listLimit = 100;
const margin = 50;
const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** Actions that take data out of Strongroom: audit log, draft and trace exports, and backups. */
export const exportActions = ['audit.export', 'drafts.export', 'traces.export', 'backup.create'] as const;
type ExportAction = (typeof exportActions)[number];
const exportLabels: Record<ExportAction, string> = { 'audit.export': 'audit log', 'drafts.export': 'draft', 'traces.export': 'traces', 'backup.create': 'backup' };

interface Counts {
  success: number;
  failure: number;
  denied: number;
  total: number;
}

/** What the PDF says, as data: the same SQL feeds the document and its tests. */
export interface AuditSummary {
  entries: number;
  first: number | null;
  last: number | null;
  byAction: Array<{ action: string } & Counts>;
  byActor: Array<{ actor: string | null } & Counts>;
  /** The latest `listLimit` failed sign-ins, newest first, and how many there are in all. */
  failedSignIns: { count: number; rows: Array<{ at: number; actor: string | null; method: string; reason: string }> };
  /** Successful exports of every kind, newest first (denied attempts are in the counts by action). */
  exports: { count: number; byKind: Record<string, number>; rows: Array<{ at: number; actor: string | null; kind: string; format: string; what: string }> };
}

/** Counts and lists over the entries the filter selects, up to the anchor checkpoint. */
export function summarize(log: AuditLog, filter: AuditFilter, anchor: Pick<CheckpointRecord, 'size'>, labels: Labels = { user: () => undefined }): AuditSummary {
  const db = log.storage.db;
  const { where, params } = filterSql(filter);
  const scope = `${where} AND seq <= ?`;
  const args = [...params, anchor.size];
  const totals = db.prepare(`SELECT count(*) AS n, min(at) AS first, max(at) AS last FROM audit_log WHERE ${scope}`).get(...args) as { n: number; first: number | null; last: number | null };
  const counts = "sum(outcome = 'success') AS success, sum(outcome = 'failure') AS failure, sum(outcome = 'denied') AS denied, count(*) AS total";
  const byAction = db.prepare(`SELECT action, ${counts} FROM audit_log WHERE ${scope} GROUP BY action ORDER BY total DESC, action`).all(...args) as AuditSummary['byAction'];
  const byActor = db.prepare(`SELECT actor_user_id AS actor, ${counts} FROM audit_log WHERE ${scope} GROUP BY actor_user_id ORDER BY total DESC LIMIT ${listLimit}`).all(...args) as AuditSummary['byActor'];
  const failedScope = `${scope} AND action = 'auth.signIn' AND outcome = 'failure'`;
  const failedSignIns = db.prepare(`SELECT at, actor_user_id AS actor, details FROM audit_log WHERE ${failedScope} ORDER BY seq DESC LIMIT ${listLimit}`).all(...args) as Array<{ at: number; actor: string | null; details: string | null }>;
  const failedCount = db.prepare(`SELECT count(*) FROM audit_log WHERE ${failedScope}`).pluck().get(...args) as number;
  const exportScope = `${scope} AND action IN (${exportActions.map(() => '?').join(', ')}) AND outcome = 'success'`;
  const exportArgs = [...args, ...exportActions];
  const exports = db.prepare(`SELECT at, actor_user_id AS actor, action, resource, details FROM audit_log WHERE ${exportScope} ORDER BY seq DESC LIMIT ${listLimit}`).all(...exportArgs) as Array<{ at: number; actor: string | null; action: ExportAction; resource: string | null; details: string | null }>;
  const exportKinds = db.prepare(`SELECT action, count(*) AS n FROM audit_log WHERE ${exportScope} GROUP BY action`).all(...exportArgs) as Array<{ action: ExportAction; n: number }>;
  return {
    entries: totals.n,
    first: totals.first,
    last: totals.last,
    byAction,
    byActor,
    failedSignIns: {
      count: failedCount,
      rows: failedSignIns.map((row) => {
        const details = parse(row.details);
        return { at: row.at, actor: row.actor, method: text(details.method), reason: text(details.reason) };
      }),
    },
    exports: {
      count: exportKinds.reduce((sum, kind) => sum + kind.n, 0),
      byKind: Object.fromEntries(exportKinds.map((kind) => [exportLabels[kind.action], kind.n])),
      rows: exports.map((row) => ({ at: row.at, actor: row.actor, kind: exportLabels[row.action], ...describeExport(row.action, row.resource, parse(row.details), labels) })),
    },
  };
}

/** An export's format and what it covered, from its entry's plaintext details. */
function describeExport(action: ExportAction, resource: string | null, details: Record<string, unknown>, labels: Labels): { format: string; what: string } {
  switch (action) {
    case 'audit.export': {
      const filter = typeof details.filter === 'object' && details.filter !== null ? labelledFilter(details.filter as Record<string, unknown>, labels) : '';
      return { format: text(details.format), what: filter || 'all entries' };
    }
    case 'drafts.export':
      return { format: text(details.format), what: resource ?? '' };
    case 'traces.export':
      return { format: 'otlp', what: `${text(details.traces)} trace(s), ${details.contentIncluded === true ? 'with content' : 'metadata only'}` };
    case 'backup.create':
      return { format: 'sqlite', what: text(details.file) };
  }
}

/**
 * The PDF summary for people: the period and filter, counts by action and by actor, failed
 * sign-ins and exports made (audit log, drafts, traces, backups), and the signed checkpoint it was
 * taken at (whose root a JSONL export of the same moment proves). Built with pdfkit and its
 * standard Helvetica, so no fonts ship.
 */
export async function writePdfSummary(log: AuditLog, filter: AuditFilter, anchor: CheckpointRecord, options: SummaryOptions): Promise<{ pdf: Buffer; entries: number }> {
  const labels: Labels = { user: options.displayName, account: options.account };
  const summary = summarize(log, filter, anchor, labels);
  const who = (id: string | null) => (id === null ? '(no user)' : `${options.displayName(id) ?? id}`);

  const doc: Pdf = new PDFDocument({ size: 'A4', margin, info: { Title: 'Strongroom audit log summary', Author: 'Strongroom', Subject: `Export ${options.exportId}` } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });

  doc.font('Helvetica-Bold').fontSize(18).text('Strongroom audit log summary');
  doc.moveDown(0.5).font('Helvetica').fontSize(9).fillColor('#444');
  const filterText = labelledFilter(describeFilter(filter), labels) || 'none (every entry)';
  facts(doc, [
    ['Installation', log.installationId],
    ['Generated', `${iso(options.at)} by ${options.generatedBy}`],
    ['Export id', options.exportId],
    ['Filter', filterText],
    ['Period covered', summary.first === null ? 'no entries' : `${iso(summary.first)} – ${iso(summary.last!)}`],
    ['Entries', String(summary.entries)],
    ['Signed checkpoint', `${anchor.size} entries, Merkle root ${anchor.root}`],
    ['Signing key', `Ed25519, key id ${anchor.keyId}`],
  ]);
  doc.moveDown(0.5).fillColor('#444').fontSize(8).text('This summary is for reading. The JSONL export is the verifiable record: check it with `strongroom audit verify` or scripts/verify-audit.mjs, which need only Node.js.', margin, doc.y, { width: doc.page.width - 2 * margin });

  section(doc, 'Entries by action');
  table(doc, ['Action', 'Success', 'Failure', 'Denied', 'Total'], [220, 60, 60, 60, 60], summary.byAction.map((row) => [row.action, row.success, row.failure, row.denied, row.total]));

  section(doc, 'Entries by actor');
  table(doc, ['Actor', 'Success', 'Failure', 'Denied', 'Total'], [220, 60, 60, 60, 60], summary.byActor.map((row) => [who(row.actor), row.success, row.failure, row.denied, row.total]));

  section(doc, `Failed sign-ins (${summary.failedSignIns.count})`);
  table(doc, ['Time', 'User', 'Method', 'Reason'], [130, 170, 60, 100], summary.failedSignIns.rows.map((row) => [iso(row.at), who(row.actor), row.method, row.reason]));
  more(doc, summary.failedSignIns.count, summary.failedSignIns.rows.length);

  const kinds = Object.entries(summary.exports.byKind).map(([kind, n]) => `${n} ${kind}`).join(', ');
  section(doc, `Exports made (${summary.exports.count}${kinds ? `: ${kinds}` : ''})`);
  table(doc, ['Time', 'By', 'Export', 'Format', 'What'], [110, 110, 60, 45, 135], summary.exports.rows.map((row) => [iso(row.at), who(row.actor), row.kind, row.format, row.what]));
  more(doc, summary.exports.count, summary.exports.rows.length);

  doc.end();
  await done;
  return { pdf: Buffer.concat(chunks), entries: summary.entries };
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parse(details: string | null): Record<string, unknown> {
  return details ? (JSON.parse(details) as Record<string, unknown>) : {};
}

function section(doc: Pdf, title: string): void {
  if (doc.y > doc.page.height - margin - 80) doc.addPage();
  doc.moveDown(1).fillColor('#000').font('Helvetica-Bold').fontSize(12).text(title, margin);
  doc.moveDown(0.3).font('Helvetica').fontSize(9);
}

function facts(doc: Pdf, rows: Array<[string, string]>): void {
  for (const [label, value] of rows) {
    const y = doc.y;
    doc.font('Helvetica-Bold').fillColor('#000').text(label, margin, y, { width: 110 });
    doc.font('Helvetica').text(value, margin + 115, y, { width: doc.page.width - 2 * margin - 115 });
    doc.moveDown(0.2);
  }
}

function table(doc: Pdf, headers: string[], widths: number[], rows: Array<Array<string | number>>): void {
  if (rows.length === 0) {
    doc.fillColor('#444').text('None.', margin);
    return;
  }
  const line = (cells: Array<string | number>, bold: boolean) => {
    if (doc.y > doc.page.height - margin - 20) doc.addPage();
    const y = doc.y;
    let x = margin;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fillColor('#000');
    let bottom = y;
    cells.forEach((cell, index) => {
      doc.text(String(cell), x, y, { width: widths[index]! - 6, lineBreak: true });
      bottom = Math.max(bottom, doc.y);
      x += widths[index]!;
    });
    doc.x = margin;
    doc.y = bottom + 2;
  };
  line(headers, true);
  for (const row of rows) line(row, false);
}

function more(doc: Pdf, total: number, shown: number): void {
  if (total > shown) doc.fillColor('#444').text(`… and ${total - shown} more (see the JSONL or CSV export).`, margin);
}
