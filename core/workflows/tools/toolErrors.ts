import type { z } from 'zod';
import { CoreError } from '../../base/index.ts';
import type { ErrorCode } from '../../contracts/index.ts';
import { toInputIssues } from '../../contracts/index.ts';

/**
 * What a failed call did to the world, for the idempotency ledger: `not_applied` (refused before
 * anything was sent — safe to retry under the same key), `failed` (the tool answered with an
 * error — replay that answer). Absent means unknown (timeout, lost connection): retrying could
 * repeat the effect, so the ledger refuses to.
 */
export type ToolCallOutcome = 'not_applied' | 'failed';

export interface ToolErrorDetails {
  tool: string;
  reason: string;
  outcome?: ToolCallOutcome;
  [key: string]: unknown;
}

/** A CoreError for a tool call; details name the tool and a reason, never arguments or results. */
export function toolError(code: ErrorCode, message: string, details: ToolErrorDetails, cause?: unknown): CoreError {
  return new CoreError(code, message, cause === undefined ? { details } : { details, cause });
}

/** ERR_TOOL_INPUT_INVALID listing issue paths and messages (zod messages never echo values). */
export function invalidInput(tool: string, error: z.ZodError): CoreError {
  return toolError('ERR_TOOL_INPUT_INVALID', `The arguments for tool ${tool} are not valid.`, {
    tool,
    reason: 'schema',
    outcome: 'not_applied',
    issues: toInputIssues(error),
  });
}

/** Parses input with the tool's schema, throwing ERR_TOOL_INPUT_INVALID; tools re-check what the engine checked. */
export function parseToolInput<T>(tool: string, schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidInput(tool, parsed.error);
  return parsed.data;
}
