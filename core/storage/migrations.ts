import { CoreError } from '../base/index.ts';
import type { SqliteDatabase } from './database.ts';

/** One forward-only schema step. Versions are 1, 2, 3, … with no gaps; a shipped one never changes. */
export interface Migration {
  version: number;
  name: string;
  up(db: SqliteDatabase): void;
}

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

function assertContiguous(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`Migration ${migration.name} has version ${migration.version}; expected ${index + 1}.`);
  });
}

/** The schema version recorded in the database (0 for an empty one). */
export function schemaVersion(db: SqliteDatabase): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.length;
}

/** Throws ERR_STORAGE_SCHEMA_TOO_NEW when a newer Strongroom wrote this database. */
export function assertNotTooNew(db: SqliteDatabase, migrations: readonly Migration[], file: string): number {
  const current = schemaVersion(db);
  const latest = latestVersion(migrations);
  if (current > latest) {
    throw new CoreError('ERR_STORAGE_SCHEMA_TOO_NEW', `The database ${file} has schema version ${current}, but this Strongroom knows only up to ${latest}: a newer release wrote it. Install that release (or newer), or restore a backup made by this one.`, {
      details: { schemaVersion: current, supportedVersion: latest },
    });
  }
  return current;
}

/**
 * Brings the database to the latest version. All pending migrations run in one IMMEDIATE
 * transaction, so a failure leaves the database exactly as it was.
 */
export function migrate(db: SqliteDatabase, migrations: readonly Migration[], options: { file: string; now: () => number }): { from: number; to: number } {
  assertContiguous(migrations);
  const run = db.transaction(() => {
    db.exec(createVersionTable);
    const from = assertNotTooNew(db, migrations, options.file);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of migrations.slice(from)) {
      migration.up(db);
      record.run(migration.version, migration.name, options.now());
    }
    db.pragma(`user_version = ${latestVersion(migrations)}`);
    return { from, to: latestVersion(migrations) };
  });
  return run.immediate();
}
