import { CoreError, isCoreError } from '../../base/index.ts';
import { createCore } from '../../createCore.ts';
import { latestVersion } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand, secretsFor } from './common.ts';

/** Where the local administrator's passphrase stands after init. Never the passphrase itself. */
type PassphraseState = 'set-from-environment' | 'already-set' | 'not-set' | 'not-local-mode';

/**
 * `strongroom init`: creates the data directory, the encrypted database, the master key (in the
 * keychain, or taken from STRONGROOM_MASTER_KEY), a default account with its data key, and the
 * local administrator — whose first passphrase comes from STRONGROOM_ADMIN_PASSPHRASE when set,
 * as in serve mode (audited as auth.passphraseSet, never printed). Without the variable none is
 * set: serve shows a generated one on its first start, the desktop asks for one. If the master
 * key cannot be had (keychain unavailable), nothing is left behind. Running it again changes
 * nothing and says so.
 */
export async function initCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const secrets = secretsFor(io, options.env);
    // In a data directory whose database went missing, init is the deliberate way to start afresh
    // (every other start refuses); it says which installation it replaces, and audits it.
    const core = await createCore({ dataDir: options.dataDir, mode: 'cli', heartbeatMs: 0, secrets, resumeInterruptedRuns: false, replaceMissingDatabase: true });
    try {
      const storage = core.storage!;
      const identity = core.identity!;
      let passphrase: PassphraseState;
      try {
        passphrase = (await identity.applyProvisionedPassphrase(options.env)) ? 'set-from-environment'
          : identity.mode() !== 'local' ? 'not-local-mode'
            : identity.localPassphraseIsSet() ? 'already-set' : 'not-set';
      } catch (error) {
        if (isCoreError(error) && error.code === 'ERR_INPUT_INVALID') {
          throw new CoreError('ERR_INPUT_INVALID', `STRONGROOM_ADMIN_PASSPHRASE was not used: ${error.message} The installation in ${storage.dataDir} is ready without a passphrase; set a longer one and run \`strongroom init\` again.`);
        }
        throw error;
      }
      const administrator = storage.accounts.ensureLocalAdministrator(storage.clock.now());
      const replaced = storage.firstRun.replacedInstallationId;
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
        administrator: { id: administrator.id, passphrase },
      };
      if (options.json) {
        io.out(JSON.stringify(result));
      } else {
        const passphraseLine = {
          'set-from-environment': 'passphrase set from STRONGROOM_ADMIN_PASSPHRASE',
          'already-set': options.env.STRONGROOM_ADMIN_PASSPHRASE ? 'passphrase already set; STRONGROOM_ADMIN_PASSPHRASE was not used (it sets the first one only; change it with `strongroom admin passphrase`)' : 'passphrase set',
          'not-set': 'no passphrase yet: `strongroom serve` shows a generated one on its first start (or set STRONGROOM_ADMIN_PASSPHRASE and run init again)',
          'not-local-mode': 'sign-in is through the identity provider',
        }[passphrase];
        io.out(
          [
            ...(replaced ? [`The database of installation ${replaced} is missing from ${storage.dataDir}; this is a new, empty installation in its place.`] : []),
            created ? `Initialised Strongroom in ${storage.dataDir}`
              : passphrase === 'set-from-environment' ? `Strongroom is already initialised in ${storage.dataDir}; the local administrator's passphrase was set.`
                : `Strongroom is already initialised in ${storage.dataDir}; nothing changed.`,
            `database     ${storage.file} (schema ${result.schemaVersion})`,
            `master key   ${secrets.describe()}${storage.firstRun.masterKey ? ' (created)' : ''}`,
            `accounts     ${accounts.map((account) => account.name).join(', ')}`,
            `administrator local administrator ${administrator.id}; ${passphraseLine}`,
          ].join('\n'),
        );
      }
      return 0;
    } finally {
      await core.dispose();
    }
  });
}
