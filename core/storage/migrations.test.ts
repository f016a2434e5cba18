import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../secrets/index.ts';
import { openDatabase } from './database.ts';
import { latestVersion, migrate, schemaVersion } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { appMigrations, appSealedTables } from './schema.ts';
import { databaseFileName, openStorage } from './storage.ts';
import { tempDir } from './testing/helpers.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dir(): string {
  const made = tempDir('migrations');
  cleanups.push(made.cleanup);
  return made.path;
}

const fixtureV1 = new URL('./fixtures/schema-v1.fixture.sqlite', import.meta.url).pathname;

describe('migrations', () => {
  it('bring an empty database to the latest version and record every step', () => {
    const file = join(dir(), 'empty.db');
    const db = openDatabase(file);
    cleanups.push(() => { db.close(); });
    expect(schemaVersion(db)).toBe(0);
    expect(migrate(db, appMigrations, { file, now: () => 42 })).toEqual({ from: 0, to: appMigrations.length });
    const rows = db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual(appMigrations.map((migration) => ({ version: migration.version, name: migration.name, applied_at: 42 })));
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion(appMigrations));
    expect(migrate(db, appMigrations, { file, now: () => 43 })).toEqual({ from: appMigrations.length, to: appMigrations.length });
  });

  it('migrate the committed fixture of schema version 1, keeping its data and giving its accounts data keys', async () => {
    const dataDir = dir();
    copyFileSync(fixtureV1, join(dataDir, databaseFileName));
    const before = openDatabase(join(dataDir, databaseFileName));
    expect(schemaVersion(before)).toBe(1);
    before.close();

    const storage = await openStorage({ dataDir, secrets: new MemorySecretStore() });
    cleanups.push(() => storage.dispose());
    expect(storage.schemaVersion()).toBe(latestVersion(appMigrations));
    expect(storage.installationId).toBe('fixture-installation-v1');
    expect(storage.accounts.list().map((account) => account.name)).toEqual(['Credit Risk', 'HR']);
    expect(storage.firstRun).toMatchObject({ database: false, defaultAccount: false, administrator: false, masterKey: true });
    const keys = storage.keys.describeKeys();
    expect(keys.map((key) => key.accountId).sort()).toEqual(['acc-credit', 'acc-hr']);
    expect(keys.every((key) => key.status === 'active' && key.unwraps)).toBe(true);
    expect(storage.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(storage.db.pragma('foreign_key_check')).toEqual([]);
  });

  it('refuse a database written by a newer version with ERR_STORAGE_SCHEMA_TOO_NEW, leaving it untouched', async () => {
    const dataDir = dir();
    const file = join(dataDir, databaseFileName);
    const newer: Migration[] = [...appMigrations, { version: appMigrations.length + 1, name: 'from the future', up: (db) => db.exec('CREATE TABLE future (x INTEGER) STRICT') }];
    const db = openDatabase(file);
    migrate(db, newer, { file, now: () => 1 });
    db.close();
    await expect(openStorage({ dataDir, secrets: new MemorySecretStore() })).rejects.toMatchObject({
      code: 'ERR_STORAGE_SCHEMA_TOO_NEW',
      details: { schemaVersion: appMigrations.length + 1, supportedVersion: appMigrations.length },
    });
    const after = openDatabase(file);
    expect(schemaVersion(after)).toBe(appMigrations.length + 1);
    after.close();
  });

  it('roll back every pending step when one fails', () => {
    const file = join(dir(), 'rollback.db');
    const db = openDatabase(file);
    cleanups.push(() => { db.close(); });
    migrate(db, appMigrations.slice(0, 1), { file, now: () => 1 });
    const failing: Migration[] = [...appMigrations, { version: appMigrations.length + 1, name: 'breaks', up: () => { throw new Error('boom'); } }];
    expect(() => migrate(db, failing, { file, now: () => 2 })).toThrow('boom');
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'data_keys'").get()).toBeUndefined();
  });

  it('reject a migration list with a gap', () => {
    const file = join(dir(), 'gap.db');
    const db = openDatabase(file);
    cleanups.push(() => { db.close(); });
    expect(() => migrate(db, [appMigrations[0]!, { version: 3, name: 'gap', up: () => {} }], { file, now: () => 1 })).toThrow(/expected 2/);
  });

  it('every BLOB content column of the app schema is registered for key rotation', () => {
    const file = join(dir(), 'schema.db');
    const db = openDatabase(file);
    cleanups.push(() => { db.close(); });
    migrate(db, appMigrations, { file, now: () => 1 });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    const blobColumns = tables.flatMap((table) => (db.prepare(`SELECT name, type FROM pragma_table_info('${table}')`).all() as { name: string; type: string }[]).filter((column) => column.type === 'BLOB').map((column) => `${table}.${column.name}`));
    const registered = appSealedTables.flatMap((table) => table.columns.map((column) => `${table.table}.${column}`));
    // data_keys.wrapped_key is wrapped by the master key, not sealed with a data key.
    expect(blobColumns.filter((column) => column !== 'data_keys.wrapped_key').sort()).toEqual(registered.sort());
  });
});
