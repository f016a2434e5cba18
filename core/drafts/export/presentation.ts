// What every format prints the same way: labels, times, the facts of the header and the appendix.
import type { DraftExportDocument, DraftExportProvenance, DraftExportSection } from './document.ts';

const documentStatusLabels: Record<DraftExportDocument['status'], string> = { draft: 'Draft', in_review: 'In review', approved: 'Approved' };
const sectionStatusLabels: Record<DraftExportSection['status'], string> = { pending: 'Pending', drafted: 'Drafted', accepted: 'Accepted', edited: 'Edited', rejected: 'Rejected' };
const sourceKindLabels: Record<DraftExportProvenance['sources'][number]['kind'], string> = { input: 'Input', tool: 'Tool result', passage: 'Retrieved passage', section: 'Earlier section' };

/** The label a person reads for a document status. */
export const documentStatusLabel = (status: DraftExportDocument['status']): string => documentStatusLabels[status] ?? String(status);
/** The label a person reads for a section status. */
export const sectionStatusLabel = (status: DraftExportSection['status']): string => sectionStatusLabels[status] ?? String(status);
/** "Tool result: customer_lookup" */
export const sourceLabel = (source: DraftExportProvenance['sources'][number]): string => `${sourceKindLabels[source.kind] ?? String(source.kind)}: ${source.label}`;

/** A heading level every format can express: an integer from 1 to 6. */
export function clampLevel(level: number): number {
  return Number.isFinite(level) ? Math.min(6, Math.max(1, Math.trunc(level))) : 1;
}

/** ISO timestamps print as "2026-03-01 09:30:00 UTC"; anything else prints as given. */
export function formatTime(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/**
 * Drops characters no output format can carry: C0 controls other than tab and newline, lone
 * surrogates and U+FFFE/U+FFFF. Model output occasionally contains them, and one such character
 * in word/document.xml makes Word refuse the whole file.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}

/** A heading people can see even when the draft left it empty. */
export const headingText = (section: DraftExportSection): string => printable(section.heading).replace(/\s+/g, ' ').trim() || 'Untitled section';

/** The facts the provenance appendix prints about the document, as label/value pairs. */
export function documentFacts(doc: DraftExportDocument): Array<[string, string]> {
  const approvals = doc.approvals.map((approval) => `${approval.by} (${formatTime(approval.at)})`);
  return printableFacts([
    ['Document', doc.id],
    ['Workflow', `${doc.workflow.name} (${doc.workflow.id})`],
    ['Workflow version', doc.workflow.version],
    ['Models', doc.models.length > 0 ? doc.models.join(', ') : 'None recorded'],
    ['Approved by', approvals.length > 0 ? approvals.join('; ') : 'Not approved'],
    ['Created', `${formatTime(doc.createdAt)} by ${doc.createdBy}`],
    ['Exported', `${formatTime(doc.exportedAt)} by ${doc.exportedBy}`],
  ]);
}

/** The facts printed under the title: status and where the document came from. */
export function headerFacts(doc: DraftExportDocument): Array<[string, string]> {
  return printableFacts([
    ['Status', documentStatusLabel(doc.status)],
    ['Workflow', `${doc.workflow.name} ${doc.workflow.version}`],
    ['Created', `${formatTime(doc.createdAt)} by ${doc.createdBy}`],
    ['Exported', `${formatTime(doc.exportedAt)} by ${doc.exportedBy}`],
  ]);
}

const printableFacts = (rows: Array<[string, string]>): Array<[string, string]> => rows.map(([label, value]) => [label, printable(value)]);
