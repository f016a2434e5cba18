/** Where a section's text came from: the span that wrote it and the sources it cites. */
export interface DraftExportProvenance {
  traceId: string | null;
  spanId: string | null;
  model: string | null;
  sources: Array<{ kind: 'input' | 'tool' | 'passage' | 'section'; label: string }>;
}

/** One section of a draft as it is exported; nesting comes from `level`, not from a tree. */
export interface DraftExportSection {
  id: string;
  heading: string;
  /** 1..6, nested sections have higher levels. */
  level: number;
  /** The section body as Markdown: paragraphs, **bold**, _italic_, bullet and numbered lists, pipe tables. */
  markdown: string;
  provenance: DraftExportProvenance;
  status: 'pending' | 'drafted' | 'accepted' | 'edited' | 'rejected';
}

/** Everything an export prints: plain data, already read and decrypted by the caller. */
export interface DraftExportDocument {
  id: string;
  title: string;
  workflow: { id: string; name: string; version: string };
  status: 'draft' | 'in_review' | 'approved';
  createdBy: string;
  createdAt: string;
  approvals: Array<{ by: string; at: string }>;
  models: string[];
  /** Flat list in document order; `level` gives nesting. */
  sections: DraftExportSection[];
  exportedBy: string;
  exportedAt: string;
  /** e.g. "Generated with the Strongroom test model — not a real analysis" for demo data; printed prominently when set */
  notice?: string | null;
}
