import { z } from 'zod';
import { defineEvent, defineMethod } from './define.ts';
import { DataClassificationSchema } from './models.ts';
import { RoleSchema } from './roles.ts';
import { WorkflowIdSchema } from './workflowDefinition.ts';
import { RunStatusSchema } from './workflows.ts';

/**
 * The drafting workspace. A draft is the document a drafting workflow's run produces: its
 * sections mirror the workflow (the steps its `document.sections` names; map items and nested
 * workflows nest as sub-headings), each linked to the span that produced it. Analysts accept,
 * reject, edit and regenerate sections — each action is stored as feedback on the producing
 * span — and the document moves draft → in review → approved.
 */

export const DraftIdSchema = z.uuid();
export const DraftStatusSchema = z.enum(['draft', 'in_review', 'approved']);
export type DraftStatus = z.infer<typeof DraftStatusSchema>;

/** pending: not produced yet; running: being produced (or regenerated) now. */
export const SectionStatusSchema = z.enum(['pending', 'running', 'drafted', 'accepted', 'edited', 'rejected', 'failed']);
export type SectionStatus = z.infer<typeof SectionStatusSchema>;

/** A section path as the run names its step: `borrower_profile`, `risk_sections[1].risk_section/self_check`. */
export const SectionPathSchema = z.string().min(1).max(1000).regex(/^[a-z0-9_.[\]/#]+$/, 'a section path as the draft lists it');

export const DraftSourceSchema = z.object({
  kind: z.enum(['input', 'tool', 'passage', 'section']),
  label: z.string(),
});
export type DraftSource = z.infer<typeof DraftSourceSchema>;

export const DraftSectionSchema = z.object({
  path: z.string(),
  parentPath: z.string().nullable(),
  heading: z.string(),
  /** 1 for top-level sections; nested ones deeper. */
  level: z.number().int().min(1).max(6),
  /** A heading that only groups nested sections (a map or a nested workflow): no text of its own. */
  container: z.boolean(),
  status: SectionStatusSchema,
  /** The section as it stands (the model's draft, or the analyst's edit), as Markdown. */
  markdown: z.string().nullable(),
  /** The model's latest draft (after a regenerate, the regenerated text). */
  modelMarkdown: z.string().nullable(),
  /** An unsaved edit autosaved by the editor; restored after a reload or a crash. */
  workingMarkdown: z.string().nullable(),
  /** Bumped by every change; an edit names the revision it started from. */
  revision: z.number().int(),
  provenance: z.object({
    traceId: z.string(),
    spanId: z.string().nullable(),
    model: z.string().nullable(),
    workflowId: z.string(),
    workflowVersion: z.string(),
    sources: z.array(DraftSourceSchema),
  }),
  updatedBy: z.string().nullable(),
  /** Display names, as the audit log gives them; null when unknown (every `…ByName` below too). */
  updatedByName: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type DraftSection = z.infer<typeof DraftSectionSchema>;

export const DraftCommentSchema = z.object({
  id: z.string(),
  sectionPath: z.string().nullable(),
  body: z.string(),
  createdBy: z.string(),
  createdByName: z.string().nullable(),
  createdAt: z.string(),
});
export type DraftComment = z.infer<typeof DraftCommentSchema>;

export const DraftSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  workflowId: z.string(),
  workflowName: z.string(),
  version: z.string(),
  status: DraftStatusSchema,
  runId: z.string(),
  runStatus: RunStatusSchema,
  traceId: z.string(),
  modelId: z.string().nullable(),
  /** Drafted with the generated test model: its text is meaningless, and exports say so. */
  demo: z.boolean(),
  sectionCount: z.number().int(),
  sectionsDone: z.number().int(),
  createdBy: z.string(),
  createdByName: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  approvedBy: z.string().nullable(),
  approvedByName: z.string().nullable(),
  approvedAt: z.string().nullable(),
  /** Its workflow asks for a second person's approval (four-eyes): whoever prepared the draft or started its run cannot approve it. */
  fourEyes: z.boolean(),
  /** The role its approval step asks of the approver (e.g. reviewer), if any. */
  approverRole: RoleSchema.nullable(),
});
export type DraftSummary = z.infer<typeof DraftSummarySchema>;

export const DraftDetailSchema = DraftSummarySchema.extend({
  sections: z.array(DraftSectionSchema),
  comments: z.array(DraftCommentSchema),
  /**
   * Sections being written in this process right now, with the text streamed so far (by the
   * paths `drafts.delta` uses), so a page opened or reloaded mid-section shows it; later deltas
   * continue it at their `offset`. `ahead` is there while the section waits for a busy local
   * model: how many requests are before it (`drafts.updated` is published as that changes).
   */
  live: z.array(z.object({ path: z.string(), text: z.string(), stream: z.number().int().min(0), ahead: z.number().int().min(0).optional() })),
});
export type DraftDetail = z.infer<typeof DraftDetailSchema>;

/** A run that will write nothing more unless someone retries it: a section without text can only be written by hand now. */
export const runStoppedWriting = (status: DraftSummary['runStatus']): boolean => status === 'failed' || status === 'cancelled' || status === 'completed';

type ReadinessFacts = Pick<DraftSection, 'container' | 'status' | 'markdown'>;

/**
 * What stands between a draft and review or approval — the rule `drafts.submit` and
 * `drafts.approve` hold, and the page shows before offering them: the run must be done writing,
 * and every section must have text that an analyst accepted or edited.
 */
export function draftReadiness<S extends ReadinessFacts>(runStatus: DraftSummary['runStatus'], sections: readonly S[]): { ready: boolean; runWriting: boolean; missing: S[]; notAccepted: S[] } {
  const texts = sections.filter((section) => !section.container);
  const runWriting = runStatus === 'running';
  /** Without text: never written, failed, or being (re)written now. */
  const missing = texts.filter((section) => section.markdown === null || section.status === 'running' || section.status === 'pending');
  /** With text nobody has accepted or edited (drafted, rejected, a failed regenerate). */
  const notAccepted = texts.filter((section) => !missing.includes(section) && section.status !== 'accepted' && section.status !== 'edited');
  return { ready: !runWriting && missing.length === 0 && notAccepted.length === 0, runWriting, missing, notAccepted };
}

export const DraftingWorkflowSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  version: z.string(),
  /** JSON Schema of the input: the New draft form is generated from it. */
  inputs: z.record(z.string(), z.unknown()),
  /** A sample input shipped with the workflow (resources/samples), if any. */
  sample: z.unknown().nullable(),
  /** The data it handles: only models cleared for it can draft it. */
  classification: DataClassificationSchema,
});

const sectionRef = { draftId: DraftIdSchema, path: SectionPathSchema };
const markdownSchema = z.string().max(200_000);

export const exportFormats = ['docx', 'pdf', 'md'] as const;
export const DraftExportFormatSchema = z.enum(exportFormats);

export const draftMethods = {
  'drafts.workflows': defineMethod({
    summary: 'Workflows that produce documents, with their input schema and sample input.',
    input: z.object({}).strict(),
    output: z.array(DraftingWorkflowSchema),
    permission: 'drafts.read',
  }),
  'drafts.list': defineMethod({
    summary: 'Drafts in this account, most recently changed first.',
    input: z.object({ status: DraftStatusSchema.optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    output: z.array(DraftSummarySchema),
    permission: 'drafts.read',
  }),
  'drafts.create': defineMethod({
    summary: 'Start a draft: runs the drafting workflow on the input; sections fill in as the run produces them.',
    input: z.object({ workflowId: WorkflowIdSchema, input: z.unknown(), modelId: z.string().max(128).optional() }).strict(),
    output: DraftSummarySchema,
    permission: 'drafts.write',
    audit: true,
  }),
  'drafts.get': defineMethod({
    summary: 'A draft with its sections (text, status, provenance) and comments.',
    input: z.object({ draftId: DraftIdSchema }).strict(),
    output: DraftDetailSchema,
    permission: 'drafts.read',
  }),
  'drafts.accept': defineMethod({
    summary: "Accept a section's text as it stands (feedback on its span).",
    input: z.object(sectionRef).strict(),
    output: DraftSectionSchema,
    permission: 'drafts.write',
    audit: true,
  }),
  'drafts.reject': defineMethod({
    summary: "Reject a section's text, with an optional reason (feedback on its span).",
    input: z.object({ ...sectionRef, comment: z.string().max(4_000).optional() }).strict(),
    output: DraftSectionSchema,
    permission: 'drafts.write',
    audit: true,
  }),
  'drafts.edit': defineMethod({
    summary: 'Save an edit of a section (feedback on its span with before, after and diff); refused if the section changed since `baseRevision`.',
    input: z.object({ ...sectionRef, markdown: markdownSchema, baseRevision: z.number().int().min(0) }).strict(),
    output: DraftSectionSchema,
    permission: 'drafts.write',
    audit: true,
  }),
  'drafts.autosave': defineMethod({
    summary: 'Keep an unsaved edit of a section (restored after a reload or crash); null clears it.',
    input: z.object({ ...sectionRef, markdown: markdownSchema.nullable() }).strict(),
    output: z.object({ savedAt: z.string() }),
    permission: 'drafts.write',
  }),
  'drafts.regenerate': defineMethod({
    summary: 'Regenerate a section with an instruction ("shorter", "add the 2024 covenant breach"); the new text streams in.',
    input: z.object({ ...sectionRef, instruction: z.string().trim().min(1).max(2_000) }).strict(),
    output: DraftSectionSchema,
    permission: 'drafts.write',
    audit: true,
  }),
  'drafts.comment': defineMethod({
    summary: 'Comment on the draft or on one section.',
    input: z.object({ draftId: DraftIdSchema, path: SectionPathSchema.optional(), body: z.string().trim().min(1).max(10_000) }).strict(),
    output: DraftCommentSchema,
    permission: 'feedback.write',
  }),
  'drafts.submit': defineMethod({
    summary: 'Send a draft for review (draft → in review), or take it back (in review → draft).',
    input: z.object({ draftId: DraftIdSchema, status: z.enum(['in_review', 'draft']) }).strict(),
    output: DraftSummarySchema,
    permission: 'drafts.write',
    audit: true,
  }),
  'drafts.approve': defineMethod({
    summary: 'Approve a draft that is in review; the workflow\'s own approval step, if it waits, is answered too.',
    input: z.object({ draftId: DraftIdSchema, comment: z.string().max(4_000).optional() }).strict(),
    output: DraftSummarySchema,
    permission: 'drafts.approve',
    audit: true,
  }),
  'drafts.export': defineMethod({
    summary: 'Export a draft as DOCX, PDF or Markdown with a provenance appendix; every export is audited.',
    input: z.object({ draftId: DraftIdSchema, format: DraftExportFormatSchema }).strict(),
    output: z.object({ fileName: z.string(), mimeType: z.string(), base64: z.string() }),
    permission: 'drafts.export',
    audit: true,
  }),
};

export const draftEvents = {
  /** A draft changed: a section arrived or was edited, its status moved. */
  'drafts.updated': defineEvent({
    payload: z.object({ accountId: z.string(), draftId: z.string(), path: z.string().nullable() }),
    permission: 'drafts.read',
    accountScoped: true,
  }),
  /** Text of a section being (re)generated, as it streams. */
  'drafts.delta': defineEvent({
    // offset: where `text` starts in the section's text so far (DraftDetail.live carries that text);
    // stream: which generation (a regeneration starts a new one at offset 0, with a larger id).
    payload: z.object({ accountId: z.string(), draftId: z.string(), path: z.string(), text: z.string(), offset: z.number().int().min(0).optional(), stream: z.number().int().min(0).optional() }),
    permission: 'drafts.read',
    accountScoped: true,
  }),
};
