// What the core host does when core cannot start. A CoreError at start-up (an unreachable keychain,
// a missing or wrong master key, a database from a newer release) names its fix and will not fix
// itself: it is written to the log file, sent to main as `startupFailed` for the dialog, and the
// process ends with startupFailedExitCode so main does not restart it. Anything else is a bug or a
// transient fault: logged by type and stack (messages can carry content), exit 1, main restarts.
import { isCoreError } from '../../core/base/index.ts';
import type { Logger } from '../../core/base/index.ts';
import { isMainToHostMessage, startupFailedExitCode } from '../shared/coreHostProtocol.ts';
import type { HostToMainMessage } from '../shared/coreHostProtocol.ts';

/** The part of the utilityProcess's parentPort this needs. */
export interface StartupPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: HostToMainMessage): void;
}

export interface StartupFailureIo {
  port: StartupPort;
  logger: Logger;
  /** Flushes the log file before the process ends. */
  closeLog(): Promise<void>;
  stderr(text: string): void;
  exit(code: number): void;
  /** How long to wait for main's `shutdown` after reporting, so the message is not lost (default 10 s). */
  graceMs?: number;
}

export async function reportStartupFailure(error: unknown, io: StartupFailureIo): Promise<void> {
  if (!isCoreError(error)) {
    const stack = error instanceof Error ? error.stack?.split('\n').slice(1, 8).join('\n') : undefined;
    io.logger.fatal({ errorType: error instanceof Error ? error.name : typeof error, stack }, 'core host failed to start');
    io.stderr(`strongroom core host failed to start: ${error instanceof Error ? error.name : typeof error}\n`);
    await io.closeLog();
    io.exit(1);
    return;
  }
  const failure = error.toApiError();
  // Core's error messages name the fix and never carry content or secrets (core/CONTEXT.md); the
  // details (table and row names, versions) and the cause stay out of the log.
  io.logger.fatal({ code: failure.code, reason: failure.message }, 'core could not start');
  io.stderr(`strongroom core host cannot start: ${failure.code}: ${failure.message}\n`);
  const stopped = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, io.graceMs ?? 10_000);
    io.port.on('message', (event) => {
      if (isMainToHostMessage(event.data) && event.data.kind === 'shutdown') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  io.port.postMessage({ kind: 'startupFailed', error: { code: failure.code, message: failure.message } });
  await stopped;
  await io.closeLog();
  io.exit(startupFailedExitCode);
}
