// When the core cannot start for a reason it names (no keychain, a missing or wrong master key, a
// database from a newer release), the person at the screen gets that reason and its fix, not a
// generic "stopped working"; the app then quits, since restarting would only fail the same way.
// Not a security-checklist item: it reports, and shows nothing but core's own message and code
// (which never carry content or secrets).
import type { ApiError } from '../../core/contracts/index.ts';
import type { Logger } from '../../core/base/index.ts';

/** The part of Electron's `dialog` this uses. */
export interface ErrorDialog {
  showErrorBox(title: string, content: string): void;
}

/** The dialog's title and text: the message (which names the fix), the code, and where the log is. */
export function startupFailureText(error: ApiError, logFile: string): { title: string; content: string } {
  return {
    title: 'Strongroom cannot start',
    content: `${error.message}\n\nError code: ${error.code}. The log file has the details: ${logFile}`,
  };
}

export function showStartupFailure(error: ApiError, options: { dialog: ErrorDialog; quit: () => void; logFile: string; logger: Logger }): void {
  options.logger.error({ code: error.code }, 'the core could not start; quitting');
  const { title, content } = startupFailureText(error, options.logFile);
  options.dialog.showErrorBox(title, content);
  options.quit();
}
