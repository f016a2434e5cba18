import { randomUUID } from 'node:crypto';
import type { DraftStatus, SectionStatus } from '../contracts/index.ts';
import type { Sealed } from '../crypto/index.ts';
import { AccountRepository } from '../storage/index.ts';

export interface DraftRecord {
  id: string;
  runId: string;
  workflowId: string;
  version: string;
  title: string;
  status: DraftStatus;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  approvedBy: string | null;
  approvedAt: number | null;
}

/** What people changed over a section the run produced. */
export interface SectionChange {
  path: string;
  status: SectionStatus;
  markdown: string | null;
  modelMarkdown: string | null;
  workingMarkdown: string | null;
  spanId: string | null;
  modelId: string | null;
  regenerations: number;
  revision: number;
  updatedBy: string | null;
  updatedAt: number | null;
}

export interface CommentRecord {
  id: string;
  sectionPath: string | null;
  body: string;
  createdBy: string;
  createdAt: number;
}

interface DraftRow {
  id: string;
  run_id: string;
  workflow_id: string;
  version: string;
  title: Buffer;
  status: DraftStatus;
  created_by: string;
  created_at: number;
  updated_at: number;
  approved_by: string | null;
  approved_at: number | null;
}

interface SectionRow {
  key: string;
  path: string;
  status: SectionStatus;
  markdown: Buffer | null;
  model_markdown: Buffer | null;
  working_markdown: Buffer | null;
  span_id: string | null;
  model_id: string | null;
  regenerations: number;
  revision: number;
  updated_by: string | null;
  updated_at: number | null;
}

/** One account's drafts: the documents, the changes over their sections, their comments. */
export class DraftStore extends AccountRepository {
  protected readonly table = 'drafts';

  create(draft: Omit<DraftRecord, 'id' | 'updatedAt' | 'approvedBy' | 'approvedAt' | 'status'>): DraftRecord {
    const id = randomUUID();
    this.transaction(() => {
      this.statement<[string, string, string, string, string, Buffer, string, number, number]>(
        "INSERT INTO drafts (id, account_id, run_id, workflow_id, version, title, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)",
      ).run(id, this.accountId, draft.runId, draft.workflowId, draft.version, this.scope.sealText({ table: 'drafts', rowId: id, column: 'title' }, draft.title), draft.createdBy, draft.createdAt, draft.createdAt);
    });
    return this.get(id)!;
  }

  get(id: string): DraftRecord | undefined {
    const row = this.statement<[string, string], DraftRow>('SELECT * FROM drafts WHERE id = ? AND account_id = ?').get(id, this.accountId);
    return row ? this.toDraft(row) : undefined;
  }

  byRun(runId: string): DraftRecord | undefined {
    const row = this.statement<[string, string], DraftRow>('SELECT * FROM drafts WHERE run_id = ? AND account_id = ?').get(runId, this.accountId);
    return row ? this.toDraft(row) : undefined;
  }

  list(options: { status?: DraftStatus; limit: number }): DraftRecord[] {
    const rows = options.status
      ? this.statement<[string, string, number], DraftRow>('SELECT * FROM drafts WHERE account_id = ? AND status = ? ORDER BY updated_at DESC LIMIT ?').all(this.accountId, options.status, options.limit)
      : this.statement<[string, number], DraftRow>('SELECT * FROM drafts WHERE account_id = ? ORDER BY updated_at DESC LIMIT ?').all(this.accountId, options.limit);
    return rows.map((row) => this.toDraft(row));
  }

  setStatus(id: string, status: DraftStatus, now: number, approvedBy: string | null = null): void {
    this.transaction(() => {
      this.statement<[string, string | null, number | null, number, string, string]>('UPDATE drafts SET status = ?, approved_by = ?, approved_at = ?, updated_at = ? WHERE id = ? AND account_id = ?')
        .run(status, approvedBy, approvedBy ? now : null, now, id, this.accountId);
    });
  }

  touch(id: string, now: number): void {
    this.statement<[number, string, string]>('UPDATE drafts SET updated_at = ? WHERE id = ? AND account_id = ?').run(now, id, this.accountId);
  }

  /** Every change over the draft's sections, by path. */
  changes(draftId: string): Map<string, SectionChange> {
    const rows = this.statement<[string, string], SectionRow>('SELECT * FROM draft_sections WHERE draft_id = ? AND account_id = ?').all(draftId, this.accountId);
    return new Map(rows.map((row) => [row.path, this.toChange(row)]));
  }

  /** Writes a section's new state; revision is the caller's (the service bumps it). */
  saveChange(draftId: string, change: SectionChange): void {
    const key = `${draftId}|${change.path}`;
    const seal = (column: string, text: string | null) => (text === null ? null : this.scope.sealText({ table: 'draft_sections', rowId: key, column }, text));
    this.transaction(() => {
      this.statement<[string, string, string, string, string, Buffer | null, Buffer | null, Buffer | null, string | null, string | null, number, number, string | null, number | null]>(
        `INSERT INTO draft_sections (key, draft_id, account_id, path, status, markdown, model_markdown, working_markdown, span_id, model_id, regenerations, revision, updated_by, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET status = excluded.status, markdown = excluded.markdown, model_markdown = excluded.model_markdown, working_markdown = excluded.working_markdown,
           span_id = excluded.span_id, model_id = excluded.model_id, regenerations = excluded.regenerations, revision = excluded.revision, updated_by = excluded.updated_by, updated_at = excluded.updated_at
         WHERE draft_sections.account_id = excluded.account_id`,
      ).run(key, draftId, this.accountId, change.path, change.status, seal('markdown', change.markdown), seal('model_markdown', change.modelMarkdown), seal('working_markdown', change.workingMarkdown), change.spanId, change.modelId, change.regenerations, change.revision, change.updatedBy, change.updatedAt);
      if (change.updatedAt !== null) this.touch(draftId, change.updatedAt);
    });
  }

  addComment(draftId: string, sectionPath: string | null, body: string, by: string, now: number): CommentRecord {
    const id = randomUUID();
    this.transaction(() => {
      this.statement<[string, string, string, string | null, Buffer, string, number]>('INSERT INTO draft_comments (id, draft_id, account_id, section_path, body, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, draftId, this.accountId, sectionPath, this.scope.sealText({ table: 'draft_comments', rowId: id, column: 'body' }, body), by, now);
      this.touch(draftId, now);
    });
    return { id, sectionPath, body, createdBy: by, createdAt: now };
  }

  comments(draftId: string): CommentRecord[] {
    const rows = this.statement<[string, string], { id: string; section_path: string | null; body: Buffer; created_by: string; created_at: number }>('SELECT id, section_path, body, created_by, created_at FROM draft_comments WHERE draft_id = ? AND account_id = ? ORDER BY created_at, id').all(draftId, this.accountId);
    return rows.map((row) => ({ id: row.id, sectionPath: row.section_path, body: this.scope.open({ table: 'draft_comments', rowId: row.id, column: 'body' }, row.body as unknown as Sealed<string>), createdBy: row.created_by, createdAt: row.created_at }));
  }

  private toDraft(row: DraftRow): DraftRecord {
    return {
      id: row.id,
      runId: row.run_id,
      workflowId: row.workflow_id,
      version: row.version,
      title: this.open('title', row.id, row.title as unknown as Sealed<string>),
      status: row.status,
      createdBy: row.created_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      approvedBy: row.approved_by,
      approvedAt: row.approved_at,
    };
  }

  private toChange(row: SectionRow): SectionChange {
    const open = (column: string, value: Buffer | null) => (value === null ? null : this.scope.open({ table: 'draft_sections', rowId: row.key, column }, value as unknown as Sealed<string>));
    return {
      path: row.path,
      status: row.status,
      markdown: open('markdown', row.markdown),
      modelMarkdown: open('model_markdown', row.model_markdown),
      workingMarkdown: open('working_markdown', row.working_markdown),
      spanId: row.span_id,
      modelId: row.model_id,
      regenerations: row.regenerations,
      revision: row.revision,
      updatedBy: row.updated_by,
      updatedAt: row.updated_at,
    };
  }
}
