import type { JsonValue } from '../crypto/index.ts';
import { AccountRepository } from '../storage/index.ts';
import type { AccountScope } from '../storage/index.ts';
import type { WorkflowDefinition } from '../contracts/index.ts';

export type RunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

export interface RunRecord {
  id: string;
  workflowId: string;
  version: string;
  status: RunStatus;
  input: unknown;
  output: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  waitingOn: string[];
  modelId: string | null;
  replayOf: string | null;
  traceId: string;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface StepRecord {
  path: string;
  kind: string;
  status: 'done' | 'waiting' | 'failed';
  output: unknown;
  /** What the step got from outside (model text, tool results), for deterministic replay. */
  recorded: unknown;
  attempts: number;
  startedAt: number;
  finishedAt: number | null;
}

interface RunRow { id: string; workflow_id: string; version: string; status: RunStatus; input: Buffer; output: Buffer | null; error_code: string | null; error_message: string | null; waiting_on: string | null; model_id: string | null; replay_of: string | null; trace_id: string; created_by: string; created_at: number; updated_at: number }
interface StepRow { path: string; kind: string; status: 'done' | 'waiting' | 'failed'; output: Buffer | null; recorded: Buffer | null; attempts: number; started_at: number; finished_at: number | null; key: string }

const json = (value: unknown): JsonValue => (value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue));

/**
 * Durable run state for one account: runs, each step's checkpoint (output and what was recorded
 * from models and tools), and imported definitions. Content is sealed under the account's key and
 * bound to its row, so a checkpoint cannot be moved to another run. Writes are synchronous
 * transactions; a checkpoint is on disk before the engine moves on.
 */
export class RunStore extends AccountRepository {
  protected readonly table = 'runs';

  constructor(scope: AccountScope) {
    super(scope);
  }

  createRun(run: Omit<RunRecord, 'output' | 'errorCode' | 'errorMessage' | 'waitingOn' | 'updatedAt'>): void {
    this.transaction(() => {
      this.statement<[string, string, string, string, string, Buffer, string | null, string | null, string, string, number, number]>(
        'INSERT INTO runs (id, account_id, workflow_id, version, status, input, model_id, replay_of, trace_id, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(run.id, this.accountId, run.workflowId, run.version, run.status, this.scope.sealJson({ table: 'runs', rowId: run.id, column: 'input' }, json(run.input)), run.modelId, run.replayOf, run.traceId, run.createdBy, run.createdAt, run.createdAt);
    });
  }

  run(id: string): RunRecord | undefined {
    const row = this.statement<[string, string], RunRow>('SELECT * FROM runs WHERE id = ? AND account_id = ?').get(id, this.accountId);
    return row ? this.toRun(row) : undefined;
  }

  listRuns(options: { limit?: number; status?: RunStatus } = {}): RunRecord[] {
    const rows = options.status
      ? this.statement<[string, string, number], RunRow>('SELECT * FROM runs WHERE account_id = ? AND status = ? ORDER BY created_at DESC LIMIT ?').all(this.accountId, options.status, options.limit ?? 100)
      : this.statement<[string, number], RunRow>('SELECT * FROM runs WHERE account_id = ? ORDER BY created_at DESC LIMIT ?').all(this.accountId, options.limit ?? 100);
    return rows.map((row) => this.toRun(row));
  }

  /** Runs that were executing when the process stopped: resumed on start. */
  interruptedRunIds(): string[] {
    return this.statement<[string], { id: string }>("SELECT id FROM runs WHERE account_id = ? AND status = 'running' ORDER BY created_at").all(this.accountId).map((r) => r.id);
  }

  private toRun(row: RunRow): RunRecord {
    return {
      id: row.id,
      workflowId: row.workflow_id,
      version: row.version,
      status: row.status,
      input: this.scope.open({ table: 'runs', rowId: row.id, column: 'input' }, row.input as never),
      output: row.output ? this.scope.open({ table: 'runs', rowId: row.id, column: 'output' }, row.output as never) : null,
      errorCode: row.error_code,
      errorMessage: row.error_message,
      waitingOn: row.waiting_on ? (JSON.parse(row.waiting_on) as string[]) : [],
      modelId: row.model_id,
      replayOf: row.replay_of,
      traceId: row.trace_id,
      createdBy: row.created_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  finishRun(id: string, update: { status: RunStatus; output?: unknown; errorCode?: string | null; errorMessage?: string | null; waitingOn?: string[] }, now: number): void {
    this.transaction(() => {
      const output = update.output === undefined ? null : this.scope.sealJson({ table: 'runs', rowId: id, column: 'output' }, json(update.output));
      this.statement<[string, Buffer | null, string | null, string | null, string | null, number, string, string]>(
        'UPDATE runs SET status = ?, output = ?, error_code = ?, error_message = ?, waiting_on = ?, updated_at = ? WHERE id = ? AND account_id = ?',
      ).run(update.status, output, update.errorCode ?? null, update.errorMessage ?? null, update.waitingOn ? JSON.stringify(update.waitingOn) : null, now, id, this.accountId);
    });
  }

  /** Marks a run as executing again (resume after an answer or a restart). */
  markRunning(id: string, now: number): void {
    this.statement<[number, string, string]>("UPDATE runs SET status = 'running', waiting_on = NULL, updated_at = ? WHERE id = ? AND account_id = ?").run(now, id, this.accountId);
  }

  steps(runId: string): Map<string, StepRecord> {
    const rows = this.statement<[string, string], StepRow>('SELECT key, path, kind, status, output, recorded, attempts, started_at, finished_at FROM run_steps WHERE run_id = ? AND account_id = ?').all(runId, this.accountId);
    return new Map(rows.map((row) => [row.path, {
      path: row.path,
      kind: row.kind,
      status: row.status,
      output: row.output ? this.scope.open({ table: 'run_steps', rowId: row.key, column: 'output' }, row.output as never) : null,
      recorded: row.recorded ? this.scope.open({ table: 'run_steps', rowId: row.key, column: 'recorded' }, row.recorded as never) : null,
      attempts: row.attempts,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    }]));
  }

  /** The checkpoint: one step's result, durable before the engine continues. */
  saveStep(runId: string, step: { path: string; kind: string; status: 'done' | 'waiting' | 'failed'; output?: unknown; recorded?: unknown; attempts: number; startedAt: number; finishedAt: number | null }): void {
    const key = `${runId}|${step.path}`;
    this.transaction(() => {
      const output = step.output === undefined ? null : this.scope.sealJson({ table: 'run_steps', rowId: key, column: 'output' }, json(step.output));
      const recorded = step.recorded === undefined ? null : this.scope.sealJson({ table: 'run_steps', rowId: key, column: 'recorded' }, json(step.recorded));
      this.statement<[string, string, string, string, string, string, Buffer | null, Buffer | null, number, number, number | null]>(
        `INSERT INTO run_steps (key, run_id, path, account_id, kind, status, output, recorded, attempts, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, path) DO UPDATE SET status = excluded.status, output = excluded.output, recorded = excluded.recorded, attempts = excluded.attempts, finished_at = excluded.finished_at`,
      ).run(key, runId, step.path, this.accountId, step.kind, step.status, output, recorded, step.attempts, step.startedAt, step.finishedAt);
    });
  }

  saveDefinition(definition: WorkflowDefinition, version: string, importedBy: string, now: number): void {
    const key = `${definition.id}@${version}`;
    this.transaction(() => {
      this.statement<[string, string, string, string, string, Buffer, number, string]>(
        'INSERT OR IGNORE INTO workflow_definitions (key, account_id, workflow_id, version, name, definition, imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(key, this.accountId, definition.id, version, definition.name, this.scope.sealJson({ table: 'workflow_definitions', rowId: key, column: 'definition' }, json(definition)), now, importedBy);
    });
  }

  definitions(): Array<{ definition: WorkflowDefinition; version: string; importedAt: number }> {
    const rows = this.statement<[string], { key: string; version: string; definition: Buffer; imported_at: number }>('SELECT key, version, definition, imported_at FROM workflow_definitions WHERE account_id = ? ORDER BY imported_at').all(this.accountId);
    return rows.map((row) => ({ definition: this.scope.open({ table: 'workflow_definitions', rowId: row.key, column: 'definition' }, row.definition as never), version: row.version, importedAt: row.imported_at }));
  }
}
