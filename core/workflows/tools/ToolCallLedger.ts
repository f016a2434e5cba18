import { CoreError, isCoreError, systemClock } from '../../base/index.ts';
import type { Clock } from '../../base/index.ts';
import type { ErrorCode } from '../../contracts/index.ts';
import { errorCodes } from '../../contracts/index.ts';
import { Repository } from '../../storage/index.ts';
import type { SqliteDatabase } from '../../storage/index.ts';
import type { ToolCallOutcome } from './toolErrors.ts';
import { toolError } from './toolErrors.ts';

/** Which call a ledger entry is for. The key is `${runId}:${stepPath}`, unique per installation. */
export interface ToolCallRef {
  accountId: string;
  idempotencyKey: string;
  tool: string;
}

/** A ledger entry as inspected by tests and the doctor: `pending` means the outcome is unknown. */
export interface ToolCallEntry {
  accountId: string;
  tool: string;
  state: 'pending' | 'done';
  createdAt: number;
}

/**
 * Turns a stored result into what the column holds and back. The default keeps JSON text; the
 * engine passes one that seals per account when the table moves into the numbered migrations.
 */
export interface ToolResultCodec {
  encode(ref: ToolCallRef, json: string): string | Uint8Array;
  decode(ref: ToolCallRef, stored: string | Uint8Array): string;
}

/** Applies a side effect at most once per idempotency key and replays its first answer. */
export interface ToolCallLedger {
  /**
   * Runs a synchronous effect in the same transaction as its ledger entry, so the effect and the
   * record commit together or not at all: exactly once. `db` is the ledger's database.
   */
  runOnce<T>(ref: ToolCallRef, effect: (db: SqliteDatabase) => T): { value: T; replayed: boolean };
  /**
   * Runs an asynchronous effect (a remote call) at most once: the key is reserved before the call
   * and the answer recorded after it. If a previous attempt never recorded an answer (crash,
   * timeout, lost connection) the effect may or may not have happened, so this throws
   * ERR_TOOL_FAILED with reason `outcome_unknown` rather than risk doing it twice.
   */
  runAtMostOnce<T>(ref: ToolCallRef, effect: () => Promise<T>): Promise<{ value: T; replayed: boolean }>;
  get(idempotencyKey: string): ToolCallEntry | undefined;
}

interface LedgerRow {
  account_id: string;
  tool: string;
  result: string | Uint8Array | null;
  created_at: number;
}

/** What the result column holds (before the codec): the answer, or the error the tool gave. */
type StoredAnswer = { ok: true; value: unknown } | { ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

const jsonCodec: ToolResultCodec = {
  encode: (_ref, json) => json,
  decode: (_ref, stored) => (typeof stored === 'string' ? stored : Buffer.from(stored).toString('utf8')),
};

/**
 * The JSON recorded for a value, and the value as a replay will return it: the first caller gets
 * the same round-tripped value, so a first run and its replay never differ (undefined → null).
 */
function recorded<T>(value: T): [string, T] {
  const json = JSON.stringify({ ok: true, value: value ?? null } satisfies StoredAnswer);
  return [json, (JSON.parse(json) as { value: T }).value];
}

// Created here until the engine moves it into core/storage's numbered migrations.
const createTable = `CREATE TABLE IF NOT EXISTS tool_calls (
  idempotency_key TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  result TEXT,
  created_at INTEGER NOT NULL
)`;

export interface SqliteToolCallLedgerOptions {
  db: SqliteDatabase;
  clock?: Clock;
  codec?: ToolResultCodec;
}

/** The ledger in the installation's SQLite database (`tool_calls`); a NULL result marks a pending call. */
export class SqliteToolCallLedger extends Repository implements ToolCallLedger {
  private readonly clock: Clock;
  private readonly codec: ToolResultCodec;

  constructor(options: SqliteToolCallLedgerOptions) {
    super(options.db);
    this.clock = options.clock ?? systemClock;
    this.codec = options.codec ?? jsonCodec;
    options.db.exec(createTable);
  }

  runOnce<T>(ref: ToolCallRef, effect: (db: SqliteDatabase) => T): { value: T; replayed: boolean } {
    return this.transaction(() => {
      const row = this.find(ref);
      if (row !== undefined) return { value: this.answer<T>(ref, row), replayed: true };
      const [json, value] = recorded(effect(this.db));
      this.insert(ref, this.codec.encode(ref, json));
      return { value, replayed: false };
    });
  }

  async runAtMostOnce<T>(ref: ToolCallRef, effect: () => Promise<T>): Promise<{ value: T; replayed: boolean }> {
    const previous = this.transaction(() => {
      const row = this.find(ref);
      if (row === undefined) this.insert(ref, null);
      return row;
    });
    if (previous !== undefined) return { value: this.answer<T>(ref, previous), replayed: true };
    let result: T;
    try {
      result = await effect();
    } catch (error) {
      this.settleFailure(ref, error);
      throw error;
    }
    const [json, value] = recorded(result);
    this.statement('UPDATE tool_calls SET result = ? WHERE idempotency_key = ?').run(this.codec.encode(ref, json), ref.idempotencyKey);
    return { value, replayed: false };
  }

  get(idempotencyKey: string): ToolCallEntry | undefined {
    const row = this.statement<[string], LedgerRow>('SELECT account_id, tool, result, created_at FROM tool_calls WHERE idempotency_key = ?').get(idempotencyKey);
    if (row === undefined) return undefined;
    return { accountId: row.account_id, tool: row.tool, state: row.result === null ? 'pending' : 'done', createdAt: row.created_at };
  }

  /** A refused call is forgotten (retry may run it); a tool's error answer is kept and replayed; anything else stays pending. */
  private settleFailure(ref: ToolCallRef, error: unknown): void {
    const outcome = isCoreError(error) ? (error.details?.outcome as ToolCallOutcome | undefined) : undefined;
    if (outcome === 'not_applied') {
      this.statement('DELETE FROM tool_calls WHERE idempotency_key = ? AND result IS NULL').run(ref.idempotencyKey);
    } else if (outcome === 'failed' && isCoreError(error)) {
      const answer: StoredAnswer = { ok: false, error: error.toApiError() };
      this.statement('UPDATE tool_calls SET result = ? WHERE idempotency_key = ?').run(this.codec.encode(ref, JSON.stringify(answer)), ref.idempotencyKey);
    }
  }

  private find(ref: ToolCallRef): LedgerRow | undefined {
    const row = this.statement<[string], LedgerRow>('SELECT account_id, tool, result, created_at FROM tool_calls WHERE idempotency_key = ?').get(ref.idempotencyKey);
    if (row !== undefined && (row.account_id !== ref.accountId || row.tool !== ref.tool)) {
      throw new CoreError('ERR_CONFLICT', 'This idempotency key was already used for another call.', { details: { tool: ref.tool, reason: 'idempotency_key_reused' } });
    }
    return row;
  }

  private insert(ref: ToolCallRef, result: string | Uint8Array | null): void {
    this.statement('INSERT INTO tool_calls (idempotency_key, account_id, tool, result, created_at) VALUES (?, ?, ?, ?, ?)').run(
      ref.idempotencyKey,
      ref.accountId,
      ref.tool,
      result,
      this.clock.now(),
    );
  }

  /** The recorded answer: its value, or its error thrown again. */
  private answer<T>(ref: ToolCallRef, row: LedgerRow): T {
    if (row.result === null) {
      throw toolError('ERR_TOOL_FAILED', 'An earlier attempt of this call did not finish; it may or may not have taken effect, so it is not repeated.', {
        tool: ref.tool,
        reason: 'outcome_unknown',
      });
    }
    const answer = JSON.parse(this.codec.decode(ref, row.result)) as StoredAnswer;
    if (answer.ok) return answer.value as T;
    const code = (errorCodes as readonly string[]).includes(answer.error.code) ? answer.error.code : 'ERR_TOOL_FAILED';
    throw new CoreError(code, answer.error.message, { details: { ...answer.error.details, replayed: true } });
  }
}
