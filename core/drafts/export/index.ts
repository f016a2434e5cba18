export type { DraftExportDocument, DraftExportProvenance, DraftExportSection } from './document.ts';
export { exportDocx } from './docx.ts';
export { exportMarkdown } from './markdown.ts';
export { exportPdf } from './pdf.ts';
