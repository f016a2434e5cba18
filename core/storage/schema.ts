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
  {
    version: 3,
    name: 'identity: users from the IdP, memberships, group mappings, boundaries, sessions; append-only audit log',
    up(db) {
      db.exec(`
        ALTER TABLE users ADD COLUMN issuer TEXT;
        ALTER TABLE users ADD COLUMN subject TEXT;
        ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN email TEXT;
        ALTER TABLE users ADD COLUMN passphrase_hash TEXT;
        ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;
        CREATE UNIQUE INDEX users_identity ON users (issuer, subject) WHERE issuer IS NOT NULL;
        CREATE TABLE memberships (
          user_id TEXT NOT NULL REFERENCES users (id),
          account_id TEXT NOT NULL REFERENCES accounts (id),
          role TEXT NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('group', 'local')),
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (user_id, account_id, role)
        ) STRICT;
        CREATE INDEX memberships_account ON memberships (account_id);
        CREATE TABLE group_mappings (
          id TEXT PRIMARY KEY,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          group_name TEXT NOT NULL,
          role TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          created_by TEXT,
          UNIQUE (account_id, group_name, role)
        ) STRICT;
        CREATE TABLE boundaries (
          account_id TEXT NOT NULL REFERENCES accounts (id),
          role TEXT NOT NULL,
          permissions TEXT NOT NULL,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (account_id, role)
        ) STRICT;
        CREATE TABLE idp_config (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          issuer TEXT NOT NULL,
          client_id TEXT NOT NULL,
          groups_claim TEXT NOT NULL,
          algorithms TEXT NOT NULL,
          offline_grace_hours REAL NOT NULL,
          scopes TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE auth_sessions (
          id_hash TEXT PRIMARY KEY,
          user_id TEXT NOT NULL REFERENCES users (id),
          account_id TEXT REFERENCES accounts (id),
          kind TEXT NOT NULL CHECK (kind IN ('local', 'oidc')),
          created_at INTEGER NOT NULL,
          verified_at INTEGER NOT NULL,
          ended_at INTEGER,
          -- refresh_token is sealed under the administration account's key (installation-level secret)
          seal_account_id TEXT NOT NULL REFERENCES accounts (id),
          refresh_token BLOB
        ) STRICT;
        CREATE TABLE jwks_cache (
          issuer TEXT PRIMARY KEY,
          seal_account_id TEXT NOT NULL REFERENCES accounts (id),
          jwks BLOB NOT NULL,
          fetched_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE audit_log (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          at INTEGER NOT NULL,
          actor_user_id TEXT,
          actor_account_id TEXT,
          actor_roles TEXT,
          action TEXT NOT NULL,
          resource TEXT,
          outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
          request_id TEXT,
          details TEXT
        ) STRICT;
        CREATE INDEX audit_log_action ON audit_log (action, at);
        CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
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
export const appSealedTables: readonly SealedTable[] = [
  // Installation-level secrets are sealed under the administration (first) account's key.
  { table: 'auth_sessions', idColumn: 'id_hash', accountColumn: 'seal_account_id', columns: ['refresh_token'] },
  { table: 'jwks_cache', idColumn: 'issuer', accountColumn: 'seal_account_id', columns: ['jwks'] },
];
