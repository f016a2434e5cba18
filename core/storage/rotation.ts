import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CoreError, isCoreError } from '../base/index.ts';
import { MasterKey } from '../crypto/index.ts';
import { masterKeySecretName } from '../secrets/index.ts';
import { masterKeyState, recordMasterKeyCheck } from './bootstrap.ts';
import { durableTransaction } from './database.ts';
import type { Storage } from './storage.ts';

export interface RotationOptions {
  /** Rows per transaction; between batches the event loop runs, so the app keeps serving. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: { table: string; rowsScanned: number; valuesResealed: number }) => void;
  /**
   * Runs inside the durable transaction that makes the new key version active, after the change:
   * the place for its audit entry, so there is no new key without its record. If it throws, the
   * rotation is rolled back and nothing was re-encrypted.
   */
  withinTransaction?: (rotation: DataKeyRotation) => void;
}

/** The key change of one data-key rotation: ids and versions only, never key material. */
export interface DataKeyRotation {
  accountId: string;
  keyId: number;
  keyVersion: number;
  /** The key it replaces (kept, decrypt-only); null when the account had none. */
  previousKeyId: number | null;
  previousKeyVersion: number | null;
}

/** The key change of a master-key rotation: versions and counts, never key material. */
export interface MasterKeyRotation {
  previousVersion: number;
  version: number;
  /** Live data keys re-wrapped under the new master key. */
  rewrapped: number;
}

export interface RotationReport {
  accountId: string;
  keyId: number;
  keyVersion: number;
  rowsScanned: number;
  valuesResealed: number;
  batches: number;
  /** Values that could not be decrypted (tampered) and were left as they were. */
  failures: { table: string; rowId: string; column: string; code: string }[];
}

/**
 * Rotates an account's data key: a new key version becomes active at once (new writes use it),
 * then every sealed value of the account is re-encrypted under it in batches of `batchSize` rows,
 * one short transaction each. The old version stays, decrypt-only, so values written by a
 * process that has not yet noticed the rotation stay readable; only account deletion destroys keys.
 */
export async function rotateAccountKey(storage: Storage, accountId: string, options: RotationOptions = {}): Promise<RotationReport> {
  const account = storage.accounts.byId(accountId);
  if (!account || account.deletedAt !== null) throw new CoreError('ERR_NOT_FOUND', 'The account does not exist or was deleted.');
  const batchSize = options.batchSize ?? 500;
  const { keyId, keyVersion } = startNewKeyVersion(storage, accountId, options.withinTransaction);
  const report: RotationReport = { accountId, keyId, keyVersion, rowsScanned: 0, valuesResealed: 0, batches: 0, failures: [] };
  for (const sealed of storage.sealedTables) {
    const select = storage.db.prepare(`SELECT rowid AS rotation_rowid, ${sealed.idColumn} AS rotation_id, ${sealed.columns.join(', ')} FROM ${sealed.table} WHERE ${sealed.accountColumn} = ? AND rowid > ? ORDER BY rowid LIMIT ?`);
    const updates = new Map(sealed.columns.map((column) => [column, storage.db.prepare(`UPDATE ${sealed.table} SET ${column} = ? WHERE rowid = ?`)]));
    let after = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      const scanned = storage.db.transaction(() => {
        const rows = select.all(accountId, after, batchSize) as Record<string, unknown>[];
        for (const row of rows) {
          after = Number(row.rotation_rowid);
          for (const column of sealed.columns) {
            const value = row[column];
            if (!(value instanceof Uint8Array)) continue;
            const rowId = row.rotation_id as string | number;
            try {
              const resealed = storage.keys.reseal(value, { table: sealed.table, rowId, column, accountId });
              if (resealed) {
                updates.get(column)?.run(resealed, row.rotation_rowid);
                report.valuesResealed += 1;
              }
            } catch (error) {
              if (!isCoreError(error)) throw error;
              report.failures.push({ table: sealed.table, rowId: String(rowId), column, code: error.code });
            }
          }
        }
        return rows.length;
      }).immediate();
      report.rowsScanned += scanned;
      if (scanned > 0) report.batches += 1;
      options.onProgress?.({ table: sealed.table, rowsScanned: report.rowsScanned, valuesResealed: report.valuesResealed });
      if (scanned < batchSize) break;
      await yieldToEventLoop();
    }
  }
  storage.logger.info({ accountId, keyId, rowsScanned: report.rowsScanned, valuesResealed: report.valuesResealed, failures: report.failures.length }, 'data key rotated');
  return report;
}

/** The new active key version and the hook's record of it, in one durable transaction. */
function startNewKeyVersion(storage: Storage, accountId: string, withinTransaction: RotationOptions['withinTransaction']): { keyId: number; keyVersion: number } {
  const activeKey = storage.db.prepare<[string], { id: number; version: number }>("SELECT id, version FROM data_keys WHERE account_id = ? AND status = 'active'");
  const versionOf = storage.db.prepare<[number], number>('SELECT version FROM data_keys WHERE id = ?').pluck();
  try {
    return durableTransaction(storage.db, () => {
      const previous = activeKey.get(accountId);
      const keyId = storage.keys.rotate(accountId);
      const keyVersion = versionOf.get(keyId) ?? 0;
      withinTransaction?.({ accountId, keyId, keyVersion, previousKeyId: previous?.id ?? null, previousKeyVersion: previous?.version ?? null });
      return { keyId, keyVersion };
    });
  } catch (error) {
    // The ring cached the key the rollback just removed.
    storage.keys.forget(accountId);
    throw error;
  }
}

/**
 * Rotates the master key: a new one is stored first (under a new version name), then every live
 * data key is re-wrapped in one transaction, then the old secret is deleted. A crash in between
 * leaves the database on whichever key it last committed, and that key is still in the store.
 * `withinTransaction` (the audit entry) runs in the re-wrapping transaction, before the re-wrap,
 * while the ring still opens keys with the old master key. With a store Strongroom cannot write
 * (STRONGROOM_MASTER_KEY), the operator's secret manager makes the new key: it comes in as
 * `newKey`, nothing is stored, and the variable must hold it from the next start on.
 */
export async function rotateMasterKey(storage: Storage, options: { withinTransaction?: (rotation: MasterKeyRotation) => void; newKey?: string } = {}): Promise<MasterKeyRotation> {
  const keep = storage.secrets.writable;
  if (!keep && options.newKey === undefined) {
    throw new CoreError('ERR_SECRETS_UNAVAILABLE', `The master key comes from ${storage.secrets.describe()}, which Strongroom cannot write: generate the new key in your secret manager and give it on standard input (\`strongroom keys rotate --master --new-key-stdin\`), then set STRONGROOM_MASTER_KEY to it.`);
  }
  const state = masterKeyState(storage.db, storage.installationId);
  // A key given by the operator (a headless installation's secret manager holds it), else a fresh one.
  const next = options.newKey === undefined ? MasterKey.generate(storage.random, state.version + 1) : MasterKey.fromBase64(options.newKey, state.version + 1, 'the new key given on standard input');
  // The check value binds the version too: ask whether these bytes are the current key's.
  const asCurrent = options.newKey === undefined ? undefined : MasterKey.fromBase64(options.newKey, state.version, 'the new key given on standard input');
  const reused = asCurrent !== undefined && asCurrent.checkValue(storage.installationId) === state.check;
  asCurrent?.dispose();
  if (reused) {
    next.dispose();
    throw new CoreError('ERR_INPUT_INVALID', 'The new master key is the one in use; generate another (e.g. `openssl rand -base64 32`).');
  }
  const nextName = masterKeySecretName(storage.installationId, next.version);
  if (keep) await storage.secrets.set(nextName, next.toBase64());
  const liveKeys = storage.db.prepare<[], number>('SELECT count(*) FROM data_keys WHERE wrapped_key IS NOT NULL').pluck();
  let rewrapped: number;
  try {
    rewrapped = durableTransaction(storage.db, () => {
      options.withinTransaction?.({ previousVersion: state.version, version: next.version, rewrapped: liveKeys.get() ?? 0 });
      const count = storage.keys.rewrapAll(next);
      recordMasterKeyCheck(storage.db, next, storage.installationId);
      return count;
    });
  } catch (error) {
    // Nothing was committed: the new secret is of no use, the old one stays in charge.
    if (keep) await storage.secrets.delete(nextName).catch(() => undefined);
    throw error;
  }
  if (keep) await storage.secrets.delete(masterKeySecretName(storage.installationId, state.version));
  storage.logger.info({ version: next.version, rewrapped }, 'master key rotated');
  return { previousVersion: state.version, version: next.version, rewrapped };
}
