import { writeFileSync } from 'node:fs';
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
  } catch (error) {
    if (!isCoreError(error)) throw error;
    if (json) io.out(JSON.stringify({ ok: false, error: error.toApiError() }));
    else io.err([`error ${error.code}: ${error.message}`, ...issueLines(error.details)].join('\n'));
    return 1;
  }
}

/** `  issuer: Invalid URL` lines for ERR_INPUT_INVALID, so the user sees which value to fix. */
function issueLines(details: Record<string, unknown> | undefined): string[] {
  const issues = details?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.map((issue: { path?: unknown; message?: unknown }) => `  ${String(issue.path)}: ${String(issue.message)}`);
}

/**
 * Writes an export to a new file readable by its owner only (exports hold content); never
 * overwrites, and names the problem when the file exists or cannot be written.
 */
export function writeNewFile(file: string, data: string | Uint8Array): void {
  try {
    writeFileSync(file, data, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CoreError('ERR_CONFLICT', `${file} already exists; give a new file name (exports never overwrite).`);
    throw new CoreError('ERR_INTERNAL', `Cannot write ${file}: ${code ?? 'unknown error'}.`);
  }
}
