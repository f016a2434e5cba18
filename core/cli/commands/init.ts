import { latestVersion, openStorage } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand, secretsFor } from './common.ts';

/**
 * `strongroom init`: creates the data directory, the encrypted database, the master key (in the
 * keychain, or taken from STRONGROOM_MASTER_KEY), a default account with its data key, and the
 * local administrator. Running it again changes nothing and says so.
 */
export async function initCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const secrets = secretsFor(io, options.env);
    const storage = await openStorage({ dataDir: options.dataDir, secrets, create: true });
    try {
      const administrator = storage.accounts.ensureLocalAdministrator(storage.clock.now());
      const accounts = storage.accounts.list().map((account) => ({ id: account.id, name: account.name }));
      const created = Object.values(storage.firstRun).some(Boolean);
      const result = {
        ok: true,
        dataDir: storage.dataDir,
        database: storage.file,
        created,
        firstRun: storage.firstRun,
        installationId: storage.installationId,
        schemaVersion: storage.schemaVersion(),
        latestSchemaVersion: latestVersion(storage.migrations),
        secrets: { backend: secrets.backend, description: secrets.describe() },
        accounts,
        administrator: { id: administrator.id },
      };
      if (options.json) {
        io.out(JSON.stringify(result));
      } else {
        io.out(
          [
            created ? `Initialised Strongroom in ${storage.dataDir}` : `Strongroom is already initialised in ${storage.dataDir}; nothing changed.`,
            `database     ${storage.file} (schema ${result.schemaVersion})`,
            `master key   ${secrets.describe()}${storage.firstRun.masterKey ? ' (created)' : ''}`,
            `accounts     ${accounts.map((account) => account.name).join(', ')}`,
            `administrator local administrator ${administrator.id}`,
          ].join('\n'),
        );
      }
      return 0;
    } finally {
      await storage.dispose();
    }
  });
}
