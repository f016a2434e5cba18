import { randomUUID } from 'node:crypto';
import { CoreError } from '../base/index.ts';
import { MasterKey } from '../crypto/index.ts';
import type { RandomSource } from '../crypto/index.ts';
import { masterKeySecretName } from '../secrets/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { SqliteDatabase } from './database.ts';

export function readMeta(db: SqliteDatabase, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeMeta(db: SqliteDatabase, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}

/** The installation's id, created once; it names the master key in the keychain. */
export function ensureInstallationId(db: SqliteDatabase): { id: string; created: boolean } {
  return db.transaction(() => {
    const existing = readMeta(db, 'installation_id');
    if (existing) return { id: existing, created: false };
    const id = randomUUID();
    writeMeta(db, 'installation_id', id);
    return { id, created: true };
  }).immediate();
}

export interface MasterKeyState {
  installationId: string;
  version: number;
  /** HMAC check value recorded in the database, if a master key was ever set up. */
  check: string | undefined;
}

export function masterKeyState(db: SqliteDatabase, installationId: string): MasterKeyState {
  return { installationId, version: Number(readMeta(db, 'master_key_version') ?? '1'), check: readMeta(db, 'master_key_check') };
}

/**
 * Fetches the master key from the secret store and proves it is this database's. On first run
 * (no check value yet, `create` set) it makes one in the store. Never falls back: a missing or
 * foreign key is an error that says what to do.
 */
export async function loadMasterKey(db: SqliteDatabase, secrets: SecretStore, options: { installationId: string; create: boolean; random: RandomSource }): Promise<{ master: MasterKey; created: boolean }> {
  const state = masterKeyState(db, options.installationId);
  const name = masterKeySecretName(state.installationId, state.version);
  const stored = await secrets.get(name);
  if (stored !== null) {
    const master = MasterKey.fromBase64(stored, state.version, secrets.describe());
    if (state.check !== undefined && master.checkValue(state.installationId) !== state.check) {
      master.dispose();
      throw new CoreError('ERR_SECRETS_KEY_MISMATCH', `The master key in ${secrets.describe()} is not the one this database was encrypted with (installation ${state.installationId}). Use the key this installation was set up with${secrets.backend === 'environment' ? ', or unset STRONGROOM_MASTER_KEY to use the OS keychain' : ''}.`, {
        details: { installationId: state.installationId, backend: secrets.backend },
      });
    }
    if (state.check === undefined) recordCheck(db, master, state.installationId);
    return { master, created: false };
  }
  if (state.check !== undefined) {
    throw new CoreError('ERR_SECRETS_KEY_MISSING', `This database's master key (installation ${state.installationId}, version ${state.version}) is not in ${secrets.describe()}. Put it back there, or set STRONGROOM_MASTER_KEY to it; without it the encrypted content cannot be read.`, {
      details: { installationId: state.installationId, backend: secrets.backend },
    });
  }
  if (!options.create) throw new CoreError('ERR_STORAGE_NOT_INITIALISED', 'This installation has no master key yet; run `strongroom init`.');
  const master = MasterKey.generate(options.random, state.version);
  await secrets.set(name, master.toBase64());
  // Another process may have set one up meanwhile; the database decides which key won.
  const winner = db.transaction(() => readMeta(db, 'master_key_check') ?? recordCheck(db, master, state.installationId)).immediate();
  if (winner !== master.checkValue(state.installationId)) {
    master.dispose();
    return loadMasterKey(db, secrets, { ...options, create: false });
  }
  return { master, created: true };
}

function recordCheck(db: SqliteDatabase, master: MasterKey, installationId: string): string {
  const check = master.checkValue(installationId);
  writeMeta(db, 'master_key_version', String(master.version));
  writeMeta(db, 'master_key_check', check);
  return check;
}

export { recordCheck as recordMasterKeyCheck };
