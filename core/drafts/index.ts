// core/drafts: the drafting workspace — documents drafted by workflow runs, the analyst's
// section changes recorded as feedback on spans, and exports to DOCX, PDF and Markdown.
export { exportDocx, exportMarkdown, exportPdf } from './export/index.ts';
export type { DraftExportDocument, DraftExportProvenance, DraftExportSection } from './export/index.ts';
export { draftHandlers } from './handlers.ts';
export { outputToMarkdown } from './markdown.ts';
export { buildOutline, humanize, itemLabel } from './outline.ts';
export type { OutlineContext, OutlineNode } from './outline.ts';
export { DraftService } from './service.ts';
export type { DraftServiceOptions } from './service.ts';
export { DraftStore } from './store.ts';
export type { CommentRecord, DraftRecord, SectionChange } from './store.ts';
