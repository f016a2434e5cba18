import type { MethodInput, MethodName, MethodOutput, StrongroomBridge } from '../../contracts/index.ts';
import { createInProcessBridge, localOperator } from '../../api/index.ts';
import { CoreError } from '../../base/index.ts';
import { createCore } from '../../createCore.ts';
import { requireInstallation } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { secretsFor } from './common.ts';

/**
 * The API as CLI commands use it: results unwrapped into values, failures thrown as CoreErrors
 * (which runStorageCommand prints), so commands read top to bottom.
 */
export class CliApi {
  readonly bridge: StrongroomBridge;

  constructor(bridge: StrongroomBridge) {
    this.bridge = bridge;
  }

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    const result = await this.bridge.invoke(method, input);
    if (!result.ok) throw new CoreError(result.error.code, result.error.message, result.error.details ? { details: result.error.details } : undefined);
    return result.value;
  }

  /** Account ids for account names, naming the existing accounts when one is unknown. */
  async resolveAccountIds(names: readonly string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const accounts = await this.call('admin.accounts.list', {});
    return names.map((name) => {
      const account = accounts.find((a) => a.name === name);
      if (!account) throw new CoreError('ERR_NOT_FOUND', `There is no account named "${name}". Existing accounts: ${accounts.map((a) => a.name).join(', ')}.`);
      return account.id;
    });
  }

  async resolveAccountId(name: string): Promise<string> {
    const [id] = await this.resolveAccountIds([name]);
    return id!;
  }
}

/**
 * Runs `body` against the API in-process as the installation operator, so input validation,
 * authorization and audit entries are exactly those of the UI.
 */
export async function withOperator<T>(io: CliIo, options: StorageCommandOptions & { create?: boolean }, body: (api: CliApi) => Promise<T>): Promise<T> {
  // Only init and demo make an installation; elsewhere a mistyped --data-dir is an error.
  if (options.create !== true) requireInstallation(options.dataDir);
  const core = await createCore({ dataDir: options.dataDir, mode: 'cli', heartbeatMs: 0, secrets: secretsFor(io, options.env) });
  try {
    return await body(new CliApi(createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id)));
  } finally {
    await core.dispose();
  }
}
