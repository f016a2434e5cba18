import { CoreError } from '../base/index.ts';
import type { SecretStore } from './secretStore.ts';

/** The part of keytar's API this store uses. */
interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<{ account: string; password: string }[]>;
}

export const keychainFix = 'start a Secret Service (e.g. gnome-keyring, unlocked) on the session D-Bus, or set STRONGROOM_MASTER_KEY (base64 of 32 bytes) for headless use';

function unavailable(reason: string, cause?: unknown): CoreError {
  return new CoreError('ERR_SECRETS_UNAVAILABLE', `The OS keychain is not reachable (${reason}): ${keychainFix}.`, cause === undefined ? undefined : { cause });
}

/** keytar's messages name the D-Bus or Secret Service problem; they never contain secrets. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]?.slice(0, 200) ?? 'unknown error' : 'unknown error';
}

export interface KeychainOptions {
  /** Keychain service name; tests use their own so they never touch the real entries. */
  service?: string;
  /** How long one keychain call may take before the store counts as unreachable. */
  timeoutMs?: number;
}

/**
 * The default backend: the OS keychain through keytar (macOS Keychain, Windows Credential Vault,
 * libsecret's Secret Service on Linux). keytar is loaded on first use so a headless server that
 * uses STRONGROOM_MASTER_KEY needs no libsecret.
 */
export class KeychainSecretStore implements SecretStore {
  readonly backend = 'keychain' as const;
  readonly writable = true;
  readonly service: string;
  private readonly timeoutMs: number;
  private keytar: Promise<Keytar> | undefined;

  constructor(options: KeychainOptions = {}) {
    this.service = options.service ?? 'Strongroom';
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  describe(): string {
    return `OS keychain (service "${this.service}")`;
  }

  async probe(): Promise<void> {
    // A round trip, not just a read: a locked collection answers reads but refuses writes.
    const name = `probe/${process.pid}/${Date.now()}`;
    await this.set(name, 'probe');
    const value = await this.get(name);
    await this.delete(name);
    if (value !== 'probe') throw unavailable('a stored probe value did not read back');
  }

  async get(name: string): Promise<string | null> {
    const keytar = await this.load();
    return this.call(() => keytar.getPassword(this.service, name));
  }

  async set(name: string, value: string): Promise<void> {
    const keytar = await this.load();
    await this.call(() => keytar.setPassword(this.service, name, value));
  }

  async delete(name: string): Promise<boolean> {
    const keytar = await this.load();
    return this.call(() => keytar.deletePassword(this.service, name));
  }

  /** Every entry name under this service (tests clean up with it). */
  async names(): Promise<string[]> {
    const keytar = await this.load();
    const credentials = await this.call(() => keytar.findCredentials(this.service));
    return credentials.map((credential) => credential.account);
  }

  private load(): Promise<Keytar> {
    if (!this.keytar) {
      this.keytar = import('keytar').then(
        (module): Keytar => module.default,
        (error: unknown) => {
          this.keytar = undefined;
          throw unavailable(`keytar could not be loaded: ${reasonOf(error)}`, error);
        },
      );
    }
    return this.keytar;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([operation(), timeout]);
    } catch (error) {
      if (error instanceof CoreError) throw error;
      throw unavailable(reasonOf(error), error);
    } finally {
      clearTimeout(timer);
    }
  }
}
