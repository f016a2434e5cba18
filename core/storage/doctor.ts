import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isCoreError } from '../base/index.ts';
import { defaultKeyLimits, KeyRing } from '../crypto/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { loadMasterKey, readMeta } from './bootstrap.ts';
import { SqliteDataKeyStore } from './dataKeys.ts';
import { integrityProblems, openDatabase } from './database.ts';
import type { SqliteDatabase } from './database.ts';
import { latestVersion, schemaVersion } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { appMigrations } from './schema.ts';
import { databaseFileName } from './storage.ts';

export type CheckStatus = 'ok' | 'degraded' | 'failed';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface DoctorReport {
  status: CheckStatus;
  dataDir: string;
  checks: DoctorCheck[];
}

function overall(checks: readonly DoctorCheck[]): CheckStatus {
  if (checks.some((check) => check.status === 'failed')) return 'failed';
  return checks.some((check) => check.status === 'degraded') ? 'degraded' : 'ok';
}

function messageOf(error: unknown): string {
  return isCoreError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}

/**
 * Everything `strongroom doctor` reports, without changing anything: no migration, no key
 * creation. Checks the keychain (or environment key), the master key against the database,
 * `PRAGMA integrity_check`, foreign keys, the schema version and every data key.
 */
export async function inspectStorage(options: { dataDir: string; secrets: SecretStore; migrations?: readonly Migration[] }): Promise<DoctorReport> {
  const migrations = options.migrations ?? appMigrations;
  const checks: DoctorCheck[] = [];
  const report = (): DoctorReport => ({ status: overall(checks), dataDir: options.dataDir, checks });

  try {
    await options.secrets.probe();
    checks.push({ name: 'secrets', status: 'ok', detail: `${options.secrets.describe()} is reachable.` });
  } catch (error) {
    checks.push({ name: 'secrets', status: 'failed', detail: messageOf(error) });
  }

  const file = join(options.dataDir, databaseFileName);
  if (!existsSync(file)) {
    checks.push({ name: 'database', status: 'failed', detail: `No database at ${file}; run \`strongroom init --data-dir ${options.dataDir}\`.` });
    return report();
  }
  const mode = statSync(file).mode & 0o777;
  checks.push({ name: 'database', status: (mode & 0o077) === 0 ? 'ok' : 'degraded', detail: (mode & 0o077) === 0 ? `${file} (owner-only permissions).` : `${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it.` });

  let db: SqliteDatabase | undefined;
  try {
    db = openDatabase(file, { mustExist: true });
    const problems = integrityProblems(db);
    checks.push(problems.length === 0 ? { name: 'integrity', status: 'ok', detail: 'PRAGMA integrity_check: ok.' } : { name: 'integrity', status: 'failed', detail: `PRAGMA integrity_check: ${problems.slice(0, 5).join('; ')}. Restore the latest backup.` });
    const foreignKeyProblems = (db.pragma('foreign_key_check') as unknown[]).length;
    checks.push({ name: 'foreign-keys', status: foreignKeyProblems === 0 ? 'ok' : 'failed', detail: foreignKeyProblems === 0 ? 'No dangling references.' : `${foreignKeyProblems} row(s) reference missing rows.` });

    const version = schemaVersion(db);
    const latest = latestVersion(migrations);
    checks.push(
      version === latest ? { name: 'schema', status: 'ok', detail: `Schema version ${version} (current).` }
        : version > latest ? { name: 'schema', status: 'failed', detail: `Schema version ${version} is newer than this Strongroom (${latest}); install the newer release.` }
          : { name: 'schema', status: 'degraded', detail: `Schema version ${version}; the next start migrates it to ${latest}.` },
    );
    if (version !== latest) return report();

    const installationId = readMeta(db, 'installation_id');
    if (!installationId) {
      checks.push({ name: 'master-key', status: 'failed', detail: 'The database has no installation id; run `strongroom init`.' });
      return report();
    }
    let keys: KeyRing | undefined;
    try {
      const { master } = await loadMasterKey(db, options.secrets, { installationId, create: false, random: () => Buffer.alloc(0) });
      checks.push({ name: 'master-key', status: 'ok', detail: `Master key version ${master.version} from ${options.secrets.describe()} matches this database.` });
      keys = new KeyRing({ master, store: new SqliteDataKeyStore(db) });
      checks.push(dataKeyCheck(db, keys));
    } catch (error) {
      checks.push({ name: 'master-key', status: 'failed', detail: messageOf(error) });
    } finally {
      keys?.dispose();
    }
  } catch (error) {
    checks.push({ name: 'database', status: 'failed', detail: messageOf(error) });
  } finally {
    db?.close();
  }
  return report();
}

function dataKeyCheck(db: SqliteDatabase, keys: KeyRing): DoctorCheck {
  const described = keys.describeKeys();
  const live = described.filter((key) => key.status !== 'destroyed');
  const broken = live.filter((key) => !key.unwraps);
  if (broken.length > 0) return { name: 'data-keys', status: 'failed', detail: `${broken.length} data key(s) do not unwrap with the master key (ids ${broken.map((key) => key.keyId).join(', ')}).` };
  const accounts = db.prepare('SELECT id FROM accounts WHERE deleted_at IS NULL').all() as { id: string }[];
  const withoutActive = accounts.filter((account) => !live.some((key) => key.accountId === account.id && key.status === 'active'));
  if (withoutActive.length > 0) return { name: 'data-keys', status: 'degraded', detail: `${withoutActive.length} account(s) have no active data key; the next start creates them.` };
  const due = live.filter((key) => key.status === 'active' && key.encryptions >= defaultKeyLimits.rotateAfter);
  if (due.length > 0) return { name: 'data-keys', status: 'degraded', detail: `${due.length} data key(s) passed ${defaultKeyLimits.rotateAfter} encryptions; run \`strongroom keys rotate\`.` };
  const destroyed = described.length - live.length;
  return { name: 'data-keys', status: 'ok', detail: `${accounts.length} account(s); ${live.length} data key(s) unwrap${destroyed > 0 ? `; ${destroyed} destroyed (deleted accounts)` : ''}.` };
}
