import { z } from 'zod';
import type { SqliteDatabase } from '../../storage/index.ts';
import type { Tool } from '../tools.ts';
import type { ToolCallLedger } from './ToolCallLedger.ts';
import { parseToolInput } from './toolErrors.ts';

const name = 'counter';

// A test-only table; created on demand, not part of the app schema.
const createTable = `CREATE TABLE IF NOT EXISTS tool_test_counters (
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
)`;

export const CounterInputSchema = z.strictObject({
  counter: z.string().min(1).max(64),
  by: z.int().min(1).max(1000).optional(),
});
export type CounterInput = z.infer<typeof CounterInputSchema>;

export const CounterOutputSchema = z.object({ value: z.int() });
export type CounterOutput = z.infer<typeof CounterOutputSchema>;

/**
 * A side-effecting tool for engine crash tests: increments a counter row in the same transaction
 * as its ledger entry, so a counter equal to the number of distinct steps proves no step ran twice.
 * Register it only in tests and demos; `db` must be the ledger's database.
 */
export function createCounterTool(options: { db: SqliteDatabase; ledger: ToolCallLedger }): Tool<CounterInput, CounterOutput> {
  options.db.exec(createTable);
  const increment = options.db.prepare<[string, string, number], { value: number }>(
    'INSERT INTO tool_test_counters (account_id, name, value) VALUES (?, ?, ?) ON CONFLICT (account_id, name) DO UPDATE SET value = value + excluded.value RETURNING value',
  );
  return {
    name,
    description: 'Test tool: adds `by` (default 1) to a named counter and returns its new value.',
    input: CounterInputSchema,
    output: CounterOutputSchema,
    sideEffects: true,
    async call(input, context) {
      const { counter, by = 1 } = parseToolInput(name, CounterInputSchema, input);
      const ref = { accountId: context.accountId, idempotencyKey: context.idempotencyKey, tool: name };
      return options.ledger.runOnce(ref, (db) => {
        // The increment must commit with the ledger entry, so both must live in one database.
        if (db !== options.db) throw new Error('The counter tool and its ledger must share one database');
        return { value: increment.get(context.accountId, counter, by)!.value };
      }).value;
    },
  };
}

/** The counter's current value (0 if it was never incremented). */
export function readCounter(db: SqliteDatabase, accountId: string, counter: string): number {
  db.exec(createTable);
  const row = db.prepare<[string, string], { value: number }>('SELECT value FROM tool_test_counters WHERE account_id = ? AND name = ?').get(accountId, counter);
  return row?.value ?? 0;
}
