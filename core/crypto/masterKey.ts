import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { CoreError } from '../base/index.ts';
import type { RandomSource } from './random.ts';

export const masterKeyLength = 32;

/** Identifies a data key for wrapping: its AAD, so a wrapped key cannot be moved to another slot. */
export interface WrapContext {
  accountId: string;
  keyId: number;
  keyVersion: number;
  masterVersion: number;
}

function wrapAad(context: WrapContext): Buffer {
  return Buffer.from(`strongroom/data-key/v1\u0000${context.accountId}\u0000${context.keyId}\u0000${context.keyVersion}\u0000${context.masterVersion}`, 'utf8');
}

/**
 * The installation's master key (AES-256), held only in memory. It never encrypts content: it
 * wraps the per-account data keys (AES-256-GCM, nonce ‖ ciphertext ‖ tag, 60 bytes) and proves
 * it belongs to a database through an HMAC check value stored there.
 */
export class MasterKey {
  readonly version: number;
  private readonly key: Buffer;

  constructor(key: Uint8Array, version: number) {
    if (key.length !== masterKeyLength) throw new CoreError('ERR_SECRETS_INVALID', `A master key is exactly ${masterKeyLength} bytes.`);
    this.key = Buffer.from(key);
    this.version = version;
  }

  static generate(random: RandomSource, version: number): MasterKey {
    return new MasterKey(random(masterKeyLength), version);
  }

  /** Base64, the form stored in the keychain or passed as STRONGROOM_MASTER_KEY. */
  toBase64(): string {
    return this.key.toString('base64');
  }

  /** Parses STRONGROOM_MASTER_KEY-style base64; throws ERR_SECRETS_INVALID naming the fix. */
  static fromBase64(text: string, version: number, source: string): MasterKey {
    const trimmed = text.trim();
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
    if (bytes.length !== masterKeyLength) {
      throw new CoreError('ERR_SECRETS_INVALID', `The master key from ${source} is not base64 of exactly ${masterKeyLength} bytes; generate one with \`openssl rand -base64 32\`.`);
    }
    return new MasterKey(bytes, version);
  }

  /** A value stored in the database that shows whether this key is the one that wrapped its data keys. */
  checkValue(installationId: string): string {
    return createHmac('sha256', this.key).update(`strongroom/master-key-check/v1\u0000${installationId}\u0000${this.version}`).digest('base64');
  }

  wrap(dataKey: Uint8Array, context: WrapContext, random: RandomSource): Buffer {
    const nonce = random(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: 16 });
    cipher.setAAD(wrapAad(context));
    return Buffer.concat([nonce, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
  }

  /** Unwraps a data key; undefined when the wrapped bytes or their context were altered. */
  unwrap(wrapped: Uint8Array, context: WrapContext): Buffer | undefined {
    if (wrapped.length !== 12 + 32 + 16) return undefined;
    const bytes = Buffer.from(wrapped);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(wrapAad(context));
      decipher.setAuthTag(bytes.subarray(12 + 32));
      return Buffer.concat([decipher.update(bytes.subarray(12, 12 + 32)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  /** Overwrites the key bytes; the object is unusable afterwards. */
  dispose(): void {
    this.key.fill(0);
  }
}
