import { closeSync, openSync, writeFileSync } from 'node:fs';
import { CoreError, isCoreError } from '../../base/index.ts';
import { resolveSecretStore } from '../../secrets/index.ts';
import type { SecretStore } from '../../secrets/index.ts';
import type { CliIo } from '../output.ts';

/** What storage commands share: the data directory, output form and environment. */
export interface StorageCommandOptions {
  dataDir: string;
  json: boolean;
  env: NodeJS.ProcessEnv;
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;
// A time needs its zone: `Z` or an offset. Without one it would be read in this machine's zone,
// and an audit export would then depend on where the command ran.
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A time given on the command line, as epoch ms — strictly ISO-8601, never JavaScript's lenient
 * Date parsing (which reads "foo 1" as 2001-01-01): a date alone is that day's UTC midnight; a
 * date and time must carry `Z` or an offset. Anything else, or a day that does not exist, is
 * ERR_INPUT_INVALID naming the option.
 */
export function cliTime(option: string, text: string): number {
  const value = text.trim();
  const date = isoDate.exec(value);
  const ms = date || isoDateTime.test(value) ? Date.parse(date ? `${value}T00:00:00Z` : value) : Number.NaN;
  // Date.parse rolls 2026-02-30 over to March; a date that does not come back the same does not exist.
  const real = !Number.isNaN(ms) && new Date(Date.parse(`${value.slice(0, 10)}T00:00:00Z`)).toISOString().slice(0, 10) === value.slice(0, 10);
  if (!real) throw new CoreError('ERR_INPUT_INVALID', `--${option} ${text} is not a date or an ISO-8601 time with its zone, e.g. 2026-01-31 (a UTC day), 2026-01-31T17:00:00Z or 2026-01-31T18:00:00+01:00.`, { details: { option, value: text } });
  return ms;
}

/** The secret store the environment selects; the STRONGROOM_MASTER_KEY warning goes to stderr. */
export function secretsFor(io: CliIo, env: NodeJS.ProcessEnv): SecretStore {
  return resolveSecretStore({ env, warn: (message) => io.err(`warning: ${message}`) });
}

/**
 * Runs a command body and turns a CoreError into exit code 1 with `{ok:false,error}` on stdout
 * (--json) or one `error CODE: message` line on stderr. Messages name the fix, never a secret.
 */
export async function runStorageCommand(io: CliIo, json: boolean, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (thrown) {
    const error = typed(thrown);
    if (json) io.out(JSON.stringify({ ok: false, error: error.toApiError() }));
    else io.err([`error ${error.code}: ${error.message}`, ...issueLines(error.details)].join('\n'));
    return 1;
  }
}

/**
 * Any failure as a CoreError, so that `--json` always answers with one object and a code: a file
 * that is missing, a directory or unreadable names the file; anything else is ERR_INTERNAL with
 * its message (which names no secret: keys and tokens never reach an error message).
 */
export function typed(error: unknown): CoreError {
  if (isCoreError(error)) return error;
  const errno = error as NodeJS.ErrnoException;
  const file = typeof errno?.path === 'string' ? errno.path : undefined;
  if (file !== undefined) {
    switch (errno.code) {
      case 'ENOENT': return new CoreError('ERR_NOT_FOUND', `${file} does not exist.`, { details: { file } });
      case 'EISDIR': return new CoreError('ERR_INPUT_INVALID', `${file} is a directory; give a file.`, { details: { file } });
      case 'ENOTDIR': return new CoreError('ERR_INPUT_INVALID', `A part of ${file} is not a directory.`, { details: { file } });
      case 'EACCES':
      case 'EPERM': return new CoreError('ERR_INPUT_INVALID', `${file} cannot be accessed: permission denied.`, { details: { file } });
      case 'EEXIST': return new CoreError('ERR_CONFLICT', `${file} already exists.`, { details: { file } });
      default: return new CoreError('ERR_INTERNAL', `${file}: ${errno.code ?? 'error'}: ${errno.message}`, { details: { file } });
    }
  }
  return new CoreError('ERR_INTERNAL', error instanceof Error ? error.message : String(error));
}

/** `  issuer: Invalid URL` lines for ERR_INPUT_INVALID, so the user sees which value to fix. */
function issueLines(details: Record<string, unknown> | undefined): string[] {
  const issues = details?.issues;
  // A step that is not waiting: which ones are (the JSON form has them in details.waitingOn).
  const waiting = Array.isArray(details?.waitingOn) ? [`  steps waiting for an answer: ${details.waitingOn.length > 0 ? details.waitingOn.join(', ') : 'none'}`] : [];
  if (!Array.isArray(issues)) return waiting;
  return [...issues.map((issue: { path?: unknown; message?: unknown }) => `  ${String(issue.path)}: ${String(issue.message)}`), ...waiting];
}

/**
 * Writes an export to a new file readable by its owner only (exports hold content); never
 * overwrites, and names the problem when the file exists or cannot be written.
 */
export function writeNewFile(file: string, data: string | Uint8Array): void {
  const fd = openNewFile(file);
  try {
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates a new file readable by its owner only and returns its descriptor — before the work
 * that fills it, so a path that cannot be written fails before anything is done or audited.
 */
export function openNewFile(file: string): number {
  try {
    return openSync(file, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CoreError('ERR_CONFLICT', `${file} already exists; give a new file name (exports never overwrite).`, { details: { file } });
    if (code === 'ENOENT') throw new CoreError('ERR_NOT_FOUND', `Cannot create ${file}: its directory does not exist.`, { details: { file } });
    throw typed(error);
  }
}
