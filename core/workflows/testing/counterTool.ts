import { z } from 'zod';
import type { SqliteDatabase } from '../../storage/index.ts';
import type { Tool, ToolRegistry } from '../tools.ts';

/**
 * A tool with a side effect that tests can count: each call adds one to `effects` for its label.
 * It honours the idempotency key in the same transaction as the effect, so a step retried after a
 * crash applies its effect exactly once — which is what the crash test checks.
 */
export function counterTool(db: SqliteDatabase): Tool<{ label: string }, { label: string; total: number }> {
  db.exec(`CREATE TABLE IF NOT EXISTS test_effects (label TEXT PRIMARY KEY, total INTEGER NOT NULL);
           CREATE TABLE IF NOT EXISTS test_effect_keys (key TEXT PRIMARY KEY, result TEXT NOT NULL);
           CREATE TABLE IF NOT EXISTS test_effect_calls (n INTEGER NOT NULL);`);
  const apply = db.transaction((label: string, key: string) => {
    db.prepare('INSERT INTO test_effect_calls (n) VALUES (1)').run();
    const done = db.prepare('SELECT result FROM test_effect_keys WHERE key = ?').get(key) as { result: string } | undefined;
    if (done) return JSON.parse(done.result) as { label: string; total: number };
    db.prepare('INSERT INTO test_effects (label, total) VALUES (?, 1) ON CONFLICT (label) DO UPDATE SET total = total + 1').run(label);
    const { total } = db.prepare('SELECT total FROM test_effects WHERE label = ?').get(label) as { total: number };
    const result = { label, total };
    db.prepare('INSERT INTO test_effect_keys (key, result) VALUES (?, ?)').run(key, JSON.stringify(result));
    return result;
  });
  return {
    name: 'counter',
    description: 'Adds one to a named counter (test tool with a side effect).',
    input: z.object({ label: z.string() }),
    output: z.object({ label: z.string(), total: z.number() }),
    sideEffects: true,
    call: async (input, context) => apply.immediate(input.label, context.idempotencyKey),
  };
}

/** How many distinct effects were applied, and how often the tool was invoked at all. */
export function counterState(db: SqliteDatabase): { effects: number; invocations: number } {
  const effects = (db.prepare('SELECT coalesce(sum(total), 0) AS n FROM test_effects').get() as { n: number }).n;
  const invocations = (db.prepare('SELECT count(*) AS n FROM test_effect_calls').get() as { n: number }).n;
  return { effects, invocations };
}

export function registryOf(...tools: Tool[]): ToolRegistry {
  const byName = new Map(tools.map((t) => [t.name, t]));
  return { get: (name) => byName.get(name), list: () => [...byName.values()] };
}
