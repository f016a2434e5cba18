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
}

const listLimit = 100;
const margin = 50;
const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/**
 * The PDF summary for people: the period and filter, counts by action and by actor, failed
 * sign-ins and exports made, and the signed checkpoint it was taken at (whose root a JSONL export
 * of the same moment proves). Built with pdfkit and its standard Helvetica, so no fonts ship.
 */
export async function writePdfSummary(log: AuditLog, filter: AuditFilter, anchor: CheckpointRecord, options: SummaryOptions): Promise<{ pdf: Buffer; entries: number }> {
  const db = log.storage.db;
  const { where, params } = filterSql(filter);
  const scope = `${where} AND seq <= ?`;
  const args = [...params, anchor.size];
  const totals = db.prepare(`SELECT count(*) AS n, min(at) AS first, max(at) AS last FROM audit_log WHERE ${scope}`).get(...args) as { n: number; first: number | null; last: number | null };
  const byAction = db.prepare(`SELECT action, sum(outcome = 'success') AS success, sum(outcome = 'failure') AS failure, sum(outcome = 'denied') AS denied, count(*) AS total FROM audit_log WHERE ${scope} GROUP BY action ORDER BY total DESC, action`).all(...args) as Array<{ action: string; success: number; failure: number; denied: number; total: number }>;
  const byActor = db.prepare(`SELECT actor_user_id AS actor, sum(outcome = 'success') AS success, sum(outcome = 'failure') AS failure, sum(outcome = 'denied') AS denied, count(*) AS total FROM audit_log WHERE ${scope} GROUP BY actor_user_id ORDER BY total DESC LIMIT ${listLimit}`).all(...args) as Array<{ actor: string | null; success: number; failure: number; denied: number; total: number }>;
  const failedSignIns = db.prepare(`SELECT at, actor_user_id AS actor, details FROM audit_log WHERE ${scope} AND action = 'auth.signIn' AND outcome = 'failure' ORDER BY seq DESC LIMIT ${listLimit}`).all(...args) as Array<{ at: number; actor: string | null; details: string | null }>;
  const failedCount = db.prepare(`SELECT count(*) FROM audit_log WHERE ${scope} AND action = 'auth.signIn' AND outcome = 'failure'`).pluck().get(...args) as number;
  const exports = db.prepare(`SELECT at, actor_user_id AS actor, details FROM audit_log WHERE ${scope} AND action = 'audit.export' ORDER BY seq DESC LIMIT ${listLimit}`).all(...args) as Array<{ at: number; actor: string | null; details: string | null }>;
  const exportCount = db.prepare(`SELECT count(*) FROM audit_log WHERE ${scope} AND action = 'audit.export'`).pluck().get(...args) as number;
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
  const filterText = Object.entries(describeFilter(filter)).map(([key, value]) => `${key}=${value}`).join(', ') || 'none (every entry)';
  facts(doc, [
    ['Installation', log.installationId],
    ['Generated', `${iso(options.at)} by ${options.generatedBy}`],
    ['Export id', options.exportId],
    ['Filter', filterText],
    ['Period covered', totals.first === null ? 'no entries' : `${iso(totals.first)} – ${iso(totals.last!)}`],
    ['Entries', String(totals.n)],
    ['Signed checkpoint', `${anchor.size} entries, Merkle root ${anchor.root}`],
    ['Signing key', `Ed25519, key id ${anchor.keyId}`],
  ]);
  doc.moveDown(0.5).fillColor('#444').fontSize(8).text('This summary is for reading. The JSONL export is the verifiable record: check it with `strongroom audit verify` or scripts/verify-audit.mjs, which need only Node.js.', margin, doc.y, { width: doc.page.width - 2 * margin });

  section(doc, 'Entries by action');
  table(doc, ['Action', 'Success', 'Failure', 'Denied', 'Total'], [220, 60, 60, 60, 60], byAction.map((row) => [row.action, row.success, row.failure, row.denied, row.total]));

  section(doc, 'Entries by actor');
  table(doc, ['Actor', 'Success', 'Failure', 'Denied', 'Total'], [220, 60, 60, 60, 60], byActor.map((row) => [who(row.actor), row.success, row.failure, row.denied, row.total]));

  section(doc, `Failed sign-ins (${failedCount})`);
  table(doc, ['Time', 'User', 'Method', 'Reason'], [130, 170, 60, 100], failedSignIns.map((row) => {
    const details = parse(row.details);
    return [iso(row.at), who(row.actor), text(details.method), text(details.reason)];
  }));
  more(doc, failedCount, failedSignIns.length);

  section(doc, `Exports made (${exportCount})`);
  table(doc, ['Time', 'By', 'Format', 'Filter'], [130, 150, 50, 130], exports.map((row) => {
    const details = parse(row.details);
    const described = typeof details.filter === 'object' && details.filter !== null ? Object.entries(details.filter).map(([key, value]) => `${key}=${String(value)}`).join(', ') : '';
    return [iso(row.at), who(row.actor), text(details.format), described || 'all'];
  }));
  more(doc, exportCount, exports.length);

  doc.end();
  await done;
  return { pdf: Buffer.concat(chunks), entries: totals.n };
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
