import { CoreError } from '../../base/index.ts';
import { openStorage, rotateAccountKey, rotateMasterKey } from '../../storage/index.ts';
import type { RotationReport } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand, secretsFor } from './common.ts';

export interface KeysRotateOptions extends StorageCommandOptions {
  account?: string;
  master: boolean;
  batchSize: number;
}

/**
 * `strongroom keys rotate [--account NAME] [--master]`: a new data key version per account (all
 * live accounts by default) and re-encryption of their content in short batches, so a running app
 * keeps working; `--master` also replaces the master key and re-wraps every data key.
 */
export async function keysRotateCommand(io: CliIo, options: KeysRotateOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const storage = await openStorage({ dataDir: options.dataDir, secrets: secretsFor(io, options.env), create: false });
    try {
      let master: { version: number; rewrapped: number } | undefined;
      if (options.master) master = await rotateMasterKey(storage);
      let accounts = storage.accounts.list();
      if (options.account !== undefined) {
        const account = storage.accounts.findByName(options.account);
        if (!account) throw new CoreError('ERR_NOT_FOUND', `There is no account named "${options.account}". Accounts: ${accounts.map((a) => a.name).join(', ')}.`);
        accounts = [account];
      }
      const rotations: (RotationReport & { account: string })[] = [];
      for (const account of accounts) {
        rotations.push({ account: account.name, ...(await rotateAccountKey(storage, account.id, { batchSize: options.batchSize })) });
      }
      const failed = rotations.some((rotation) => rotation.failures.length > 0);
      if (options.json) {
        io.out(JSON.stringify({ ok: !failed, ...(master ? { master } : {}), rotations }));
      } else {
        const lines = rotations.map((r) => `${r.account}: data key version ${r.keyVersion}; ${r.valuesResealed} value(s) re-encrypted in ${r.batches} batch(es)${r.failures.length > 0 ? `; ${r.failures.length} could not be decrypted (run strongroom doctor)` : ''}.`);
        if (master) lines.unshift(`Master key rotated to version ${master.version}; ${master.rewrapped} data key(s) re-wrapped.`);
        io.out(lines.join('\n'));
      }
      return failed ? 1 : 0;
    } finally {
      await storage.dispose();
    }
  });
}
