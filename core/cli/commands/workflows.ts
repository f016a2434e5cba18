import { readFile } from 'node:fs/promises';
import { CoreError } from '../../base/index.ts';
import { createInProcessBridge, localOperator } from '../../api/index.ts';
import type { Principal } from '../../api/index.ts';
import { rolePermissions } from '../../contracts/index.ts';
import type { StrongroomBridge } from '../../contracts/index.ts';
import { createCore } from '../../createCore.ts';
import { requireInstallation } from '../../storage/index.ts';
import type { Core } from '../../createCore.ts';
import type { CliIo } from '../output.ts';
import { CliApi } from './api.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand, secretsFor } from './common.ts';

/**
 * `strongroom workflows …`: the Workflows page from a terminal. Workflows and runs live in an
 * account, and the installation operator acts in none, so these commands act as the local
 * administrator in one account (`--account`, default the first). Every call goes through the
 * router, so validation, authorization and audit are those of the app.
 */

/** What every account-scoped command takes besides its own arguments. */
export interface AccountCommandOptions {
  /** Account name (or id); default: the first account. */
  account?: string;
  json: boolean;
}

/** The API as the local administrator of one account. */
export class AccountApi extends CliApi {
  readonly accountId: string;
  constructor(bridge: StrongroomBridge, accountId: string) {
    super(bridge);
    this.accountId = accountId;
  }
}

/**
 * Signs in to `core` as the local administrator of an account: the admin role's permissions in
 * that account, the way identity builds the local administrator's principal (who is admin in
 * every account). The session lives only as long as this process.
 */
export function accountApi(core: Core, accountName: string | undefined): AccountApi {
  if (!core.storage) throw new CoreError('ERR_INTERNAL', 'This command needs the database.');
  const accounts = core.storage.accounts.list();
  const account = accountName === undefined ? accounts[0] : accounts.find((a) => a.name === accountName || a.id === accountName);
  if (!account) throw new CoreError('ERR_NOT_FOUND', `There is no account named "${accountName ?? ''}". Existing accounts: ${accounts.map((a) => a.name).join(', ')}.`);
  const principal: Principal = {
    ...localOperator(),
    kind: 'local-admin',
    displayName: 'Local administrator (CLI)',
    accountId: account.id,
    roles: ['admin'],
    permissions: new Set(rolePermissions.admin),
    installationAdmin: true,
  };
  return new AccountApi(createInProcessBridge(core.router, core.events, core.sessions.create(principal).id), account.id);
}

/**
 * Opens the installation for one command and closes it after. Interrupted runs are not resumed
 * here (a `workflows list` should not start model work); `runs resume` resumes one explicitly.
 */
export async function withCliCore(io: CliIo, options: StorageCommandOptions, body: (core: Core) => Promise<number>): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    // Only init (and demo, serve, the app) make an installation; elsewhere a mistyped --data-dir is an error.
    requireInstallation(options.dataDir);
    const core = await createCore({ dataDir: options.dataDir, mode: 'cli', heartbeatMs: 0, secrets: secretsFor(io, options.env), resumeInterruptedRuns: false });
    try {
      return await body(core);
    } finally {
      await core.dispose();
    }
  });
}

/** Reads a text file, naming the file when it cannot. */
export async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CoreError('ERR_NOT_FOUND', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}.`);
  }
}

/** Reads and parses a JSON file. */
export async function readJson(file: string): Promise<unknown> {
  const text = await readText(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CoreError('ERR_INPUT_INVALID', `${file} is not valid JSON: ${error instanceof Error ? error.message : 'parse error'}.`);
  }
}

function print(io: CliIo, json: boolean, value: unknown, text: string): void {
  io.out(json ? JSON.stringify({ ok: true, value }) : text);
}

/** `strongroom workflows list`: id, latest version, source and the versions known. */
export async function workflowsListCommand(io: CliIo, core: Core, options: AccountCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const workflows = await accountApi(core, options.account).call('workflows.list', {});
    const lines = workflows.map((w) => `${w.id.padEnd(24)} ${w.version.slice(0, 12)}  ${w.source.padEnd(8)} ${String(w.versions.length).padStart(2)} version${w.versions.length === 1 ? ' ' : 's'}  ${w.name}`);
    print(io, options.json, workflows, lines.length > 0 ? lines.join('\n') : 'No workflows in this account.');
    return 0;
  });
}

/** `strongroom workflows validate FILE`: exit 0 when valid, else 1 with each issue's path. */
export async function workflowsValidateCommand(io: CliIo, core: Core, options: AccountCommandOptions & { file: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const text = await readText(options.file);
    const result = await accountApi(core, options.account).call('workflows.validate', { text });
    if (options.json) io.out(JSON.stringify({ ok: true, value: result }));
    else if (result.valid) io.out(`${options.file}: valid — ${result.id ?? '?'} version ${result.version?.slice(0, 12) ?? '?'}`);
    else io.err([`${options.file}: ${result.issues.length} issue${result.issues.length === 1 ? '' : 's'}`, ...result.issues.map((issue) => `  ${issue.path || '(root)'}: ${issue.message}`)].join('\n'));
    return result.valid ? 0 : 1;
  });
}

/** `strongroom workflows import FILE`: a new version in the account (the same content is the same version). */
export async function workflowsImportCommand(io: CliIo, core: Core, options: AccountCommandOptions & { file: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const text = await readText(options.file);
    const result = await accountApi(core, options.account).call('workflows.import', { text });
    print(io, options.json, result, result.created ? `Imported ${result.id} version ${result.version.slice(0, 12)}.` : `${result.id} version ${result.version.slice(0, 12)} was already imported; nothing changed.`);
    return 0;
  });
}
