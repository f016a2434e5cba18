import type { Migration } from './migrations.ts';

/**
 * Strongroom's schema, one numbered step at a time. Append new steps; never edit a shipped one
 * (core/storage/fixtures holds databases written by earlier versions, and a test migrates them).
 * Ids, timestamps (epoch ms), statuses and names used for lookup are plaintext; content columns
 * are BLOBs holding Sealed ciphertext.
 */
export const appMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'foundation: installation metadata, accounts, users',
    up(db) {
      db.exec(`
        CREATE TABLE meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;
        CREATE TABLE accounts (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          deleted_at INTEGER
        ) STRICT;
        CREATE UNIQUE INDEX accounts_live_name ON accounts (name) WHERE deleted_at IS NULL;
        CREATE TABLE users (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('local-admin', 'user')),
          account_id TEXT REFERENCES accounts (id),
          role TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          disabled_at INTEGER
        ) STRICT;
      `);
    },
  },
  {
    version: 2,
    name: 'encryption: per-account data keys wrapped by the master key',
    up(db) {
      db.exec(`
        CREATE TABLE data_keys (
          id INTEGER PRIMARY KEY,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          version INTEGER NOT NULL,
          master_version INTEGER NOT NULL,
          wrapped_key BLOB,
          status TEXT NOT NULL CHECK (status IN ('active', 'retired', 'destroyed')),
          encryptions INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          retired_at INTEGER,
          destroyed_at INTEGER,
          UNIQUE (account_id, version),
          CHECK ((status = 'destroyed') = (wrapped_key IS NULL))
        ) STRICT;
        CREATE UNIQUE INDEX data_keys_one_active ON data_keys (account_id) WHERE status = 'active';
      `);
    },
  },
];

/**
 * A table with content columns. Key rotation re-encrypts exactly these, so every table that
 * stores Sealed values must be listed here (or passed to openStorage) — a test checks it.
 */
export interface SealedTable {
  table: string;
  /** Column whose value is the row id bound into each ciphertext's AAD. */
  idColumn: string;
  accountColumn: string;
  columns: readonly string[];
}

/** Content tables of the app schema. Feature areas add theirs as they add migrations. */
export const appSealedTables: readonly SealedTable[] = [];
