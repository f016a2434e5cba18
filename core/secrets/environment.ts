import { CoreError } from '../base/index.ts';
import type { SecretStore } from './secretStore.ts';

export const masterKeyVariable = 'STRONGROOM_MASTER_KEY';

/**
 * The headless backend for servers and CI: the master key comes from STRONGROOM_MASTER_KEY
 * (base64, 32 bytes). It serves that one secret for any installation and stores nothing, so the
 * operator owns the key (and its rotation) through their secret manager.
 */
export class EnvironmentSecretStore implements SecretStore {
  readonly backend = 'environment' as const;
  readonly writable = false;
  private readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  describe(): string {
    return `environment variable ${masterKeyVariable}`;
  }

  async probe(): Promise<void> {}

  async get(name: string): Promise<string | null> {
    return /\/master-key\/v\d+$/.test(name) ? this.value : null;
  }

  async set(_name: string, _value: string): Promise<void> {
    throw new CoreError('ERR_SECRETS_UNAVAILABLE', `${masterKeyVariable} is read-only: set the new value in your secret manager instead, or unset it to use the OS keychain.`);
  }

  async delete(_name: string): Promise<boolean> {
    return false;
  }
}
