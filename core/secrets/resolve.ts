import type { Logger } from '../base/index.ts';
import { EnvironmentSecretStore, masterKeyVariable } from './environment.ts';
import { KeychainSecretStore } from './keychain.ts';
import type { SecretStore } from './secretStore.ts';

export interface ResolveSecretStoreOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Called with the warning line when the environment backend is chosen (the CLI prints it). */
  warn?: (message: string) => void;
}

export const environmentWarning = `Using the master key from ${masterKeyVariable} (headless mode). Anyone who can read this process's environment can read it; on desktops, unset it so the OS keychain holds the key.`;

/**
 * Chooses the backend: STRONGROOM_MASTER_KEY when set (with a warning), otherwise the OS keychain
 * (service from STRONGROOM_KEYCHAIN_SERVICE, default "Strongroom"). There is no third choice: an
 * unreachable keychain is an error, never a silent fallback to plaintext or a key file.
 */
export function resolveSecretStore(options: ResolveSecretStoreOptions = {}): SecretStore {
  const env = options.env ?? process.env;
  const fromEnv = env[masterKeyVariable];
  if (fromEnv !== undefined && fromEnv !== '') {
    options.logger?.warn({ backend: 'environment' }, environmentWarning);
    options.warn?.(environmentWarning);
    return new EnvironmentSecretStore(fromEnv);
  }
  const service = env.STRONGROOM_KEYCHAIN_SERVICE;
  return new KeychainSecretStore(service ? { service } : {});
}
