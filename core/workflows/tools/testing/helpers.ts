// Shared by the tool tests: a call context and a way to catch the CoreError a call throws.
import { CoreError } from '../../../base/index.ts';
import type { ToolContext } from '../../tools.ts';

export function contextFor(accountId = 'account-a', idempotencyKey = 'run-1:steps[0]', signal: AbortSignal = new AbortController().signal): ToolContext {
  return { accountId, runId: idempotencyKey.split(':')[0] ?? 'run-1', idempotencyKey, signal };
}

/** The CoreError a promise rejects with; fails the test if it resolves or throws something else. */
export async function failure(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof CoreError)) throw new Error(`expected a CoreError, got ${String(error)}`, { cause: error });
  return error;
}
