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
  /** The exact version of every nested workflow, resolved when the run was created. */
  pins: Record<string, string>;
  /** The process executing the run ("host/pid/instance"), or null when none is. */
  owner: string | null;
  /** When the owner last said it is alive (ms). */
  ownerSeenAt: number | null;
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

/** Why a step ended without a result: on a failed step's checkpoint as `output.error` (no content: codes and CoreError messages only). */
export interface StepError {
  code: string;
  message: string;
  /** The innermost step the failure came from, when it is not this one (a map, a sub-workflow). */
  at?: string;
}

/** A cancelled run's error message: who cancelled it, when known. */
export const cancelledMessage = (by: string | null | undefined): string => (by ? `Cancelled by ${by}.` : 'The run was cancelled.');

export interface StoredDefinitionRow {
  key: string;
  workflowId: string;
  version: string;
  importedAt: number;
  retained: boolean;
}

interface RunRow { id: string; workflow_id: string; version: string; status: RunStatus; input: Buffer; output: Buffer | null; error_code: string | null; error_message: string | null; waiting_on: string | null; model_id: string | null; replay_of: string | null; trace_id: string; created_by: string; created_at: number; updated_at: number; pins: string | null; owner: string | null; owner_seen_at: number | null }
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

  /** Records a new run, claimed by `owner` (the process about to launch it) when given. */
  createRun(run: Omit<RunRecord, 'output' | 'errorCode' | 'errorMessage' | 'waitingOn' | 'updatedAt' | 'owner' | 'ownerSeenAt'>, owner: string | null = null): void {
    this.transaction(() => {
      this.statement<[string, string, string, string, string, Buffer, string | null, string | null, string, string, number, number, string, string | null, number | null]>(
        'INSERT INTO runs (id, account_id, workflow_id, version, status, input, model_id, replay_of, trace_id, created_by, created_at, updated_at, pins, owner, owner_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(run.id, this.accountId, run.workflowId, run.version, run.status, this.scope.sealJson({ table: 'runs', rowId: run.id, column: 'input' }, json(run.input)), run.modelId, run.replayOf, run.traceId, run.createdBy, run.createdAt, run.createdAt, JSON.stringify(run.pins), owner, owner === null ? null : run.createdAt);
    });
  }

  /**
   * Takes the run for `owner` unless another owner that `alive` vouches for holds it. A
   * compare-and-set on the previous owner, so of two processes racing for a run exactly one wins.
   */
  claim(id: string, owner: string, now: number, alive: (owner: string, seenAt: number | null) => boolean): boolean {
    const row = this.statement<[string, string], { owner: string | null; owner_seen_at: number | null; status: RunStatus }>('SELECT owner, owner_seen_at, status FROM runs WHERE id = ? AND account_id = ?').get(id, this.accountId);
    if (!row || (row.status !== 'running' && row.status !== 'waiting')) return false;
    if (row.owner !== null && row.owner !== owner && alive(row.owner, row.owner_seen_at)) return false;
    return this.statement<[string, number, string, string, string | null]>("UPDATE runs SET owner = ?, owner_seen_at = ? WHERE id = ? AND account_id = ? AND owner IS ? AND status IN ('running', 'waiting')").run(owner, now, id, this.accountId, row.owner).changes === 1;
  }

  /**
   * The owner's periodic "still executing": refreshes each run it holds and returns those it no
   * longer holds — cancelled by another process, or taken over after it fell silent.
   */
  heartbeat(ids: readonly string[], owner: string, now: number): Array<{ id: string; status: RunStatus | null; owner: string | null }> {
    const lost: Array<{ id: string; status: RunStatus | null; owner: string | null }> = [];
    this.transaction(() => {
      for (const id of ids) {
        const changed = this.statement<[number, string, string, string]>("UPDATE runs SET owner_seen_at = ? WHERE id = ? AND account_id = ? AND owner = ? AND status = 'running'").run(now, id, this.accountId, owner).changes;
        if (changed === 0) {
          const row = this.statement<[string, string], { status: RunStatus; owner: string | null }>('SELECT status, owner FROM runs WHERE id = ? AND account_id = ?').get(id, this.accountId);
          lost.push({ id, status: row?.status ?? null, owner: row?.owner ?? null });
        }
      }
    });
    return lost;
  }

  /** Lets go of a run this owner holds (it stops executing it; the status stays as it is). */
  release(id: string, owner: string): void {
    this.statement<[string, string, string]>('UPDATE runs SET owner = NULL, owner_seen_at = NULL WHERE id = ? AND account_id = ? AND owner = ?').run(id, this.accountId, owner);
  }

  /** A failed run someone asked to retry: running again, claimed by `owner` (the process about to resume it). */
  reopenFailed(id: string, owner: string, now: number): void {
    this.statement<[string, number, number, string, string]>("UPDATE runs SET status = 'running', error_code = NULL, error_message = NULL, owner = ?, owner_seen_at = ?, updated_at = ? WHERE id = ? AND account_id = ? AND status = 'failed'").run(owner, now, now, id, this.accountId);
  }

  /**
   * Marks a running or waiting run cancelled, whoever executes it, and ends its waiting steps with
   * it (`endWaitingSteps`), in one transaction; false when it had already ended (nothing changes).
   */
  cancelRun(id: string, now: number, message: string = cancelledMessage(null)): boolean {
    return this.transaction(() => {
      const cancelled = this.statement<[string, number, string, string]>("UPDATE runs SET status = 'cancelled', error_code = 'ERR_WORKFLOW_CANCELLED', error_message = ?, waiting_on = NULL, updated_at = ? WHERE id = ? AND account_id = ? AND status IN ('running', 'waiting')").run(message, now, id, this.accountId).changes === 1;
      if (cancelled) this.endWaitingSteps(id, now, { code: 'ERR_WORKFLOW_CANCELLED', message });
      return cancelled;
    });
  }

  /**
   * Ends every step of the run still waiting for a person: failed (the only ended state a step row
   * has besides done), its checkpoint kept and the reason added as `error`, so nobody is offered
   * an answer to a run that takes none. Returns the paths ended.
   */
  endWaitingSteps(runId: string, now: number, error: StepError): string[] {
    return this.transaction(() => {
      // Only the waiting rows are opened: a run's other checkpoints stay sealed.
      const waiting = this.statement<[string, string], StepRow>("SELECT key, path, kind, status, output, recorded, attempts, started_at, finished_at FROM run_steps WHERE run_id = ? AND account_id = ? AND status = 'waiting'").all(runId, this.accountId);
      for (const row of waiting) {
        const asked: unknown = row.output ? this.scope.open({ table: 'run_steps', rowId: row.key, column: 'output' }, row.output as never) : null;
        const output = asked !== null && typeof asked === 'object' ? (asked as Record<string, unknown>) : {};
        this.saveStep(runId, { path: row.path, kind: row.kind, status: 'failed', output: { ...output, error }, attempts: row.attempts, startedAt: row.started_at, finishedAt: now });
      }
      const paths = waiting.map((row) => row.path);
      this.dropWorkingAnswers(runId, paths);
      return paths;
    });
  }

  /**
   * Keeps what `userId` has typed into the waiting step at `path` and not submitted (null drops
   * it). One working answer per person and step; sealed like every answer.
   */
  saveWorkingAnswer(runId: string, path: string, userId: string, answer: unknown, now: number): void {
    const key = `${runId}|${path}|${userId}`;
    if (answer === null) {
      this.statement<[string, string]>('DELETE FROM run_working_answers WHERE key = ? AND account_id = ?').run(key, this.accountId);
      return;
    }
    this.statement<[string, string, string, string, string, Buffer, number]>(
      `INSERT INTO run_working_answers (key, run_id, path, user_id, account_id, answer, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET answer = excluded.answer, saved_at = excluded.saved_at`,
    ).run(key, runId, path, userId, this.accountId, this.scope.sealJson({ table: 'run_working_answers', rowId: key, column: 'answer' }, json(answer)), now);
  }

  /** `userId`'s unsubmitted answers on the run, by step path. */
  workingAnswers(runId: string, userId: string): Array<{ path: string; answer: unknown; savedAt: number }> {
    return this.statement<[string, string, string], { key: string; path: string; answer: Buffer; saved_at: number }>('SELECT key, path, answer, saved_at FROM run_working_answers WHERE run_id = ? AND user_id = ? AND account_id = ? ORDER BY path')
      .all(runId, userId, this.accountId)
      .map((row) => ({ path: row.path, answer: this.scope.open({ table: 'run_working_answers', rowId: row.key, column: 'answer' }, row.answer as never), savedAt: row.saved_at }));
  }

  /** Drops everyone's working answers to these steps: they no longer wait (answered, or ended with the run). */
  dropWorkingAnswers(runId: string, paths: readonly string[]): void {
    const drop = this.statement<[string, string, string]>('DELETE FROM run_working_answers WHERE run_id = ? AND path = ? AND account_id = ?');
    for (const path of paths) drop.run(runId, path, this.accountId);
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
      pins: row.pins ? (JSON.parse(row.pins) as Record<string, string>) : {},
      owner: row.owner,
      ownerSeenAt: row.owner_seen_at,
    };
  }

  /**
   * Ends an execution pass: the run's new status, and the owner lets go of it. Only the owner of a
   * running run may do so — false when the run was cancelled or taken over meanwhile, and then
   * nothing is written.
   */
  finishRun(id: string, owner: string, update: { status: RunStatus; output?: unknown; errorCode?: string | null; errorMessage?: string | null; waitingOn?: string[] }, now: number): boolean {
    return this.transaction(() => {
      const output = update.output === undefined ? null : this.scope.sealJson({ table: 'runs', rowId: id, column: 'output' }, json(update.output));
      return this.statement<[string, Buffer | null, string | null, string | null, string | null, number, string, string, string]>(
        "UPDATE runs SET status = ?, output = ?, error_code = ?, error_message = ?, waiting_on = ?, updated_at = ?, owner = NULL, owner_seen_at = NULL WHERE id = ? AND account_id = ? AND owner = ? AND status = 'running'",
      ).run(update.status, output, update.errorCode ?? null, update.errorMessage ?? null, update.waitingOn ? JSON.stringify(update.waitingOn) : null, now, id, this.accountId, owner).changes === 1;
    });
  }

  /** Marks a claimed run as executing again (resume after an answer, a restart, or a failure). */
  markRunning(id: string, owner: string, now: number): boolean {
    return this.statement<[number, string, string, string]>("UPDATE runs SET status = 'running', waiting_on = NULL, error_code = NULL, error_message = NULL, updated_at = ? WHERE id = ? AND account_id = ? AND owner = ? AND status IN ('running', 'waiting', 'failed')").run(now, id, this.accountId, owner).changes === 1;
  }

  /**
   * The run's checkpoints in the order their steps started: by start time, then by when each was
   * first written (rowid — an upsert keeps it). Steps replay or run within one millisecond of each
   * other, so the time alone cannot order them.
   */
  steps(runId: string): Map<string, StepRecord> {
    const rows = this.statement<[string, string], StepRow>('SELECT key, path, kind, status, output, recorded, attempts, started_at, finished_at FROM run_steps WHERE run_id = ? AND account_id = ? ORDER BY started_at, rowid').all(runId, this.accountId);
    return new Map(rows.map((row) => [row.path, this.toStep(row)]));
  }

  private toStep(row: StepRow): StepRecord {
    return {
      path: row.path,
      kind: row.kind,
      status: row.status,
      output: row.output ? this.scope.open({ table: 'run_steps', rowId: row.key, column: 'output' }, row.output as never) : null,
      recorded: row.recorded ? this.scope.open({ table: 'run_steps', rowId: row.key, column: 'recorded' }, row.recorded as never) : null,
      attempts: row.attempts,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    };
  }

  /** One step's checkpoint, opening only its own sealed values; undefined when it has none. */
  step(runId: string, path: string): StepRecord | undefined {
    const row = this.statement<[string, string, string], StepRow>('SELECT key, path, kind, status, output, recorded, attempts, started_at, finished_at FROM run_steps WHERE run_id = ? AND path = ? AND account_id = ?').get(runId, path, this.accountId);
    return row ? this.toStep(row) : undefined;
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

  /**
   * Stores a version. `retained`: a shipped version kept because a run was created on it; an
   * import of the same version later makes it an imported one.
   */
  saveDefinition(definition: WorkflowDefinition, version: string, importedBy: string | null, now: number, options: { retained?: boolean } = {}): void {
    const key = `${definition.id}@${version}`;
    this.transaction(() => {
      if (!options.retained) this.statement<[string, number, string, string]>('UPDATE workflow_definitions SET retained = 0, imported_by = ?, imported_at = ? WHERE key = ? AND account_id = ? AND retained = 1').run(importedBy ?? '', now, key, this.accountId);
      this.statement<[string, string, string, string, string, Buffer, number, string | null, number]>(
        'INSERT OR IGNORE INTO workflow_definitions (key, account_id, workflow_id, version, name, definition, imported_at, imported_by, retained) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(key, this.accountId, definition.id, version, definition.name, this.scope.sealJson({ table: 'workflow_definitions', rowId: key, column: 'definition' }, json(definition)), now, importedBy, options.retained ? 1 : 0);
    });
  }

  /** Whether this exact version is stored (imported or retained). */
  hasDefinition(workflowId: string, version: string): boolean {
    return this.statement<[string, string], { one: number }>('SELECT 1 AS one FROM workflow_definitions WHERE key = ? AND account_id = ?').get(`${workflowId}@${version}`, this.accountId) !== undefined;
  }

  /** The stored versions, oldest first, without opening their sealed definitions. */
  definitionRows(): StoredDefinitionRow[] {
    return this.statement<[string], { key: string; workflow_id: string; version: string; imported_at: number; retained: number }>('SELECT key, workflow_id, version, imported_at, retained FROM workflow_definitions WHERE account_id = ? ORDER BY imported_at, key')
      .all(this.accountId)
      .map((row) => ({ key: row.key, workflowId: row.workflow_id, version: row.version, importedAt: row.imported_at, retained: row.retained === 1 }));
  }

  /** One stored definition, opened; undefined when there is no such version. */
  definition(key: string): WorkflowDefinition | undefined {
    const row = this.statement<[string, string], { definition: Buffer }>('SELECT definition FROM workflow_definitions WHERE key = ? AND account_id = ?').get(key, this.accountId);
    return row ? this.scope.open({ table: 'workflow_definitions', rowId: key, column: 'definition' }, row.definition as never) : undefined;
  }
}
