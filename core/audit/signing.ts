import { createPrivateKey, createPublicKey, generateKeyPairSync, hash, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CoreError } from '../base/index.ts';
import type { Clock } from '../base/index.ts';
import type { Sealed } from '../crypto/index.ts';
import type { Storage } from '../storage/index.ts';

/** A public key verifiers can pin: its id (fingerprint), raw base64 and PEM forms. */
export interface AuditPublicKey {
  keyId: string;
  algorithm: 'Ed25519';
  publicKey: string;
  publicKeyPem: string;
  createdAt: number;
  retiredAt: number | null;
}

interface KeyRow {
  id: string;
  public_key: string;
  seal_account_id: string;
  private_key: Buffer;
  created_at: number;
  retired_at: number | null;
}

/** The key id: the first 16 hex digits of SHA-256 over the raw 32-byte public key. */
export function keyIdOf(rawPublicKey: Buffer): string {
  return hash('sha256', rawPublicKey, 'hex').slice(0, 16);
}

/** An Ed25519 public key from its raw 32 bytes (base64). */
export function publicKeyFromRaw(base64: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(base64, 'base64').toString('base64url') }, format: 'jwk' });
}

/** The administration (first) account: installation-level secrets are sealed under its data key. */
export function administrationAccountId(storage: Storage): string {
  const first = storage.accounts.list()[0];
  if (!first) throw new CoreError('ERR_STORAGE_NOT_INITIALISED', 'This installation has no account yet. Run: strongroom init');
  return first.id;
}

/**
 * The installation's Ed25519 checkpoint-signing key. Its private half (the 32-byte seed) is sealed
 * under the administration account's data key, which the master key wraps — so it follows data-key
 * and master-key rotation (audit_signing_keys is in appSealedTables) and never rests in plaintext.
 * The public half is plaintext, exportable for verifiers.
 */
export class AuditSigner {
  private readonly storage: Storage;
  private readonly clock: Clock;
  private cached: { id: string; privateKey: KeyObject } | undefined;

  constructor(storage: Storage, clock: Clock) {
    this.storage = storage;
    this.clock = clock;
  }

  /** Creates the first key when there is none. Call outside any transaction (sealing may create a data key). */
  ensureKey(): string {
    const active = this.activeRow();
    if (active) return active.id;
    return this.rotate();
  }

  /** Starts a new key; the previous one is retired but stays listed so old checkpoints still verify. */
  rotate(): string {
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const raw = Buffer.from(jwk.x!, 'base64url');
    const id = keyIdOf(raw);
    const accountId = administrationAccountId(this.storage);
    const scope = this.storage.scopeFor({ accountId });
    scope.prepareForWrite();
    const seed = Buffer.from(jwk.d!, 'base64url');
    try {
      this.storage.db.transaction(() => {
        const sealed = scope.sealBytes({ table: 'audit_signing_keys', rowId: id, column: 'private_key' }, seed);
        this.storage.db.prepare('UPDATE audit_signing_keys SET retired_at = ? WHERE retired_at IS NULL').run(this.clock.now());
        this.storage.db
          .prepare('INSERT INTO audit_signing_keys (id, public_key, seal_account_id, private_key, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(id, raw.toString('base64'), accountId, sealed, this.clock.now());
      }).immediate();
    } finally {
      seed.fill(0);
    }
    this.cached = { id, privateKey };
    return id;
  }

  /** Signs a checkpoint or export body with the active key. Runs inside the caller's transaction. */
  sign(body: string): { keyId: string; signature: string } {
    const key = this.activeKey();
    return { keyId: key.id, signature: sign(null, Buffer.from(body, 'utf8'), key.privateKey).toString('base64') };
  }

  publicKeys(): AuditPublicKey[] {
    const rows = this.storage.db.prepare<[], KeyRow>('SELECT * FROM audit_signing_keys ORDER BY created_at, id').all();
    return rows.map((row) => ({
      keyId: row.id,
      algorithm: 'Ed25519',
      publicKey: row.public_key,
      publicKeyPem: publicKeyFromRaw(row.public_key).export({ format: 'pem', type: 'spki' }).toString(),
      createdAt: row.created_at,
      retiredAt: row.retired_at,
    }));
  }

  private activeRow(): KeyRow | undefined {
    return this.storage.db.prepare<[], KeyRow>('SELECT * FROM audit_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1').get();
  }

  private activeKey(): { id: string; privateKey: KeyObject } {
    const row = this.activeRow();
    if (!row) throw new CoreError('ERR_INTERNAL', 'The audit log has no signing key; it is created when the audit log opens.');
    if (this.cached?.id === row.id) return this.cached;
    const scope = this.storage.scopeFor({ accountId: row.seal_account_id });
    const seed = scope.open({ table: 'audit_signing_keys', rowId: row.id, column: 'private_key' }, row.private_key as Sealed<Uint8Array>) as Buffer;
    try {
      const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: Buffer.from(row.public_key, 'base64').toString('base64url') }, format: 'jwk' });
      this.cached = { id: row.id, privateKey };
      return this.cached;
    } finally {
      seed.fill(0);
    }
  }
}
