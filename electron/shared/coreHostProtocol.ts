// Messages between Electron main and the core host (a utilityProcess), over parentPort.
// Both sides validate what they receive: a message from another process is data, not a promise.
import type { ApiError, ApiResult } from '../../core/contracts/index.ts';
import { ApiErrorSchema } from '../../core/contracts/index.ts';

/**
 * The core host's exit status after a typed start-up failure (a missing or wrong master key, an
 * unreachable keychain, a database from a newer release): restarting cannot fix those, so main
 * does not. 78 is EX_CONFIG in sysexits.h.
 */
export const startupFailedExitCode = 78;

/** Main → core host. */
export type MainToHostMessage =
  | { kind: 'call'; id: string; method: string; input: unknown }
  | { kind: 'shutdown' };

/** Core host → main. */
export type HostToMainMessage =
  | { kind: 'ready' }
  /** The core could not start, for a reason its error names (code + a message naming the fix). */
  | { kind: 'startupFailed'; error: ApiError }
  | { kind: 'result'; id: string; result: ApiResult<unknown> }
  | { kind: 'event'; name: string; payload: unknown };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isMainToHostMessage(value: unknown): value is MainToHostMessage {
  if (!isRecord(value)) return false;
  if (value.kind === 'shutdown') return true;
  return value.kind === 'call' && typeof value.id === 'string' && typeof value.method === 'string';
}

export function isHostToMainMessage(value: unknown): value is HostToMainMessage {
  if (!isRecord(value)) return false;
  switch (value.kind) {
    case 'ready':
      return true;
    case 'startupFailed':
      return ApiErrorSchema.safeParse(value.error).success;
    case 'result':
      return typeof value.id === 'string' && isRecord(value.result) && typeof value.result.ok === 'boolean';
    case 'event':
      return typeof value.name === 'string';
    default:
      return false;
  }
}
