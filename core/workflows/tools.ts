import type { z } from 'zod';

/** What a tool invocation knows about where it runs; never trusted from the model. */
export interface ToolContext {
  accountId: string;
  runId: string;
  /** Stable per step: `${runId}:${stepPath}`. A tool with side effects must apply it at most once per key. */
  idempotencyKey: string;
  signal: AbortSignal;
}

/**
 * A tool declared with zod: the engine validates arguments before the call and the result after
 * it, records both on the trace, and checks the account's allow-list first.
 */
export interface Tool<I = unknown, O = unknown> {
  name: string;
  description: string;
  input: z.ZodType<I>;
  output: z.ZodType<O>;
  /** Whether calling it changes the world (then it must honour the idempotency key). */
  sideEffects: boolean;
  call(input: I, context: ToolContext): Promise<O>;
}

/** Where the engine finds tools: built-ins and MCP servers, filtered by the account's allow-list. */
export interface ToolRegistry {
  /** The tool, if it exists and the account may use it; undefined otherwise. */
  get(name: string, accountId: string): Tool | undefined;
  /** Every tool the account may use (for agent steps and the Workflows page). */
  list(accountId: string): Tool[];
}
