/** Which backend holds the secrets. */
export type SecretBackend = 'keychain' | 'environment' | 'memory';

/**
 * Where Strongroom keeps secrets it must never write to disk: the master key now, IdP refresh
 * tokens later. keytar is archived upstream, so everything goes through this interface and a
 * backend can be replaced without touching callers.
 */
export interface SecretStore {
  readonly backend: SecretBackend;
  /** Whether set() can store a new secret (the environment backend is read-only). */
  readonly writable: boolean;
  /** One line for doctor and logs, e.g. "OS keychain (service Strongroom)". */
  describe(): string;
  /** Resolves when the store answers; throws ERR_SECRETS_UNAVAILABLE naming the fix otherwise. */
  probe(): Promise<void>;
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<boolean>;
}

/** Name of the master key secret for one installation and master-key version. */
export function masterKeySecretName(installationId: string, version: number): string {
  return `${installationId}/master-key/v${version}`;
}

/** A store in process memory, for tests and `mode: 'test'` cores: nothing survives the process. */
export class MemorySecretStore implements SecretStore {
  readonly backend = 'memory' as const;
  readonly writable = true;
  private readonly values = new Map<string, string>();

  describe(): string {
    return 'process memory (tests only)';
  }

  async probe(): Promise<void> {}

  async get(name: string): Promise<string | null> {
    return this.values.get(name) ?? null;
  }

  async set(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }

  async delete(name: string): Promise<boolean> {
    return this.values.delete(name);
  }
}
