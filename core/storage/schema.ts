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
  {
    version: 4,
    name: 'audit: hash chain, sealed content, signed checkpoints, signing keys, retention and legal hold',
    up(db) {
      // audit_log is rebuilt: purged entries need NULL-able content columns, and seq is assigned by
      // AuditLog (last + 1) inside the writer's transaction. Rows from schema 3 keep their seq and get
      // their hash when AuditLog first opens (core/audit/FORMAT.md). hash, prev and sealed are TEXT
      // (hex, base64): they are hashed, so key rotation must never re-seal them.
      db.exec(`
        DROP TRIGGER audit_log_append_only_update;
        DROP TRIGGER audit_log_append_only_delete;
        DROP INDEX audit_log_action;
        ALTER TABLE audit_log RENAME TO audit_log_v3;
        CREATE TABLE audit_log (
          seq INTEGER PRIMARY KEY,
          at INTEGER NOT NULL,
          account_id TEXT,
          actor_user_id TEXT,
          actor_account_id TEXT,
          actor_roles TEXT,
          action TEXT,
          resource TEXT,
          outcome TEXT CHECK (outcome IN ('success', 'failure', 'denied')),
          request_id TEXT,
          details TEXT,
          sealed TEXT,
          prev TEXT,
          hash TEXT,
          purged_at INTEGER,
          CHECK ((purged_at IS NULL) = (action IS NOT NULL AND outcome IS NOT NULL)),
          CHECK (purged_at IS NULL OR hash IS NOT NULL)
        ) STRICT;
        INSERT INTO audit_log (seq, at, actor_user_id, actor_account_id, actor_roles, action, resource, outcome, request_id, details)
          SELECT seq, at, actor_user_id, actor_account_id, actor_roles, action, resource, outcome, request_id, details FROM audit_log_v3 ORDER BY seq;
        DROP TABLE audit_log_v3;
        CREATE INDEX audit_log_action ON audit_log (action, seq);
        CREATE INDEX audit_log_account ON audit_log (account_id, seq);
        CREATE INDEX audit_log_actor ON audit_log (actor_user_id, seq);
        CREATE INDEX audit_log_at ON audit_log (at);

        CREATE TABLE audit_retention (
          account_id TEXT PRIMARY KEY REFERENCES accounts (id),
          retention_days INTEGER NOT NULL CHECK (retention_days >= 1),
          legal_hold INTEGER NOT NULL DEFAULT 0 CHECK (legal_hold IN (0, 1)),
          legal_hold_reason TEXT,
          updated_at INTEGER NOT NULL,
          updated_by TEXT
        ) STRICT;

        -- Only two updates are allowed: chaining a schema-3 row (hash set once, nothing else but its
        -- account changes), and a retention purge (content removed, seq and hash kept) of an entry
        -- whose account is not on legal hold. Deletion is never allowed.
        CREATE TRIGGER audit_log_guard_update BEFORE UPDATE ON audit_log
        WHEN NOT (
          (OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.seq = OLD.seq AND NEW.at = OLD.at
            AND NEW.actor_user_id IS OLD.actor_user_id AND NEW.actor_account_id IS OLD.actor_account_id AND NEW.actor_roles IS OLD.actor_roles
            AND NEW.action IS OLD.action AND NEW.resource IS OLD.resource AND NEW.outcome IS OLD.outcome AND NEW.request_id IS OLD.request_id
            AND NEW.details IS OLD.details AND NEW.sealed IS OLD.sealed AND NEW.purged_at IS NULL)
          OR
          (OLD.hash IS NOT NULL AND OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL AND NEW.seq = OLD.seq AND NEW.hash = OLD.hash
            AND NEW.prev IS OLD.prev AND NEW.at = OLD.at AND NEW.account_id IS OLD.account_id
            AND NEW.actor_user_id IS NULL AND NEW.actor_account_id IS NULL AND NEW.actor_roles IS NULL AND NEW.action IS NULL
            AND NEW.resource IS NULL AND NEW.outcome IS NULL AND NEW.request_id IS NULL AND NEW.details IS NULL AND NEW.sealed IS NULL
            AND NOT EXISTS (SELECT 1 FROM audit_retention r WHERE r.account_id IS OLD.account_id AND r.legal_hold = 1))
        )
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

        CREATE TABLE audit_signing_keys (
          id TEXT PRIMARY KEY,
          public_key TEXT NOT NULL,
          -- the Ed25519 seed, sealed under the administration account's data key (wrapped by the master key)
          seal_account_id TEXT NOT NULL REFERENCES accounts (id),
          private_key BLOB NOT NULL,
          created_at INTEGER NOT NULL,
          retired_at INTEGER
        ) STRICT;

        CREATE TABLE audit_checkpoints (
          id INTEGER PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('periodic', 'export', 'tombstone')),
          size INTEGER NOT NULL,
          root TEXT NOT NULL,
          at INTEGER NOT NULL,
          key_id TEXT NOT NULL REFERENCES audit_signing_keys (id),
          body TEXT NOT NULL,
          signature TEXT NOT NULL,
          -- the tree's perfect-subtree roots at this size (JSON): lets a restart resume without a rescan
          frontier TEXT NOT NULL
        ) STRICT;
        CREATE INDEX audit_checkpoints_size ON audit_checkpoints (size, id);
        CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
        CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

        -- A legal hold preserves the account's records: deleting the account would crypto-shred them.
        CREATE TRIGGER accounts_legal_hold BEFORE UPDATE OF deleted_at ON accounts
        WHEN NEW.deleted_at IS NOT NULL AND EXISTS (SELECT 1 FROM audit_retention r WHERE r.account_id = OLD.id AND r.legal_hold = 1)
        BEGIN SELECT RAISE(ABORT, 'account is under legal hold'); END;
      `);
    },
  },
  {
    version: 5,
    name: 'workflows: imported definitions, durable runs, step checkpoints',
    up(db) {
      db.exec(`
        CREATE TABLE workflow_definitions (
          -- key = workflow_id@version: the row id each sealed definition is bound to
          key TEXT NOT NULL UNIQUE,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          workflow_id TEXT NOT NULL,
          version TEXT NOT NULL,
          name TEXT NOT NULL,
          definition BLOB NOT NULL,
          imported_at INTEGER NOT NULL,
          imported_by TEXT,
          PRIMARY KEY (account_id, workflow_id, version)
        ) STRICT;
        CREATE TABLE runs (
          id TEXT PRIMARY KEY,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          workflow_id TEXT NOT NULL,
          version TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('running', 'waiting', 'completed', 'failed', 'cancelled')),
          input BLOB NOT NULL,
          output BLOB,
          error_code TEXT,
          error_message TEXT,
          waiting_on TEXT,
          model_id TEXT,
          replay_of TEXT REFERENCES runs (id),
          trace_id TEXT NOT NULL,
          created_by TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX runs_account_status ON runs (account_id, status, updated_at);
        CREATE TABLE run_steps (
          -- key = run_id|path: the row id each sealed output is bound to (a path alone repeats across runs)
          key TEXT NOT NULL UNIQUE,
          run_id TEXT NOT NULL REFERENCES runs (id),
          path TEXT NOT NULL,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          kind TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('done', 'waiting', 'failed')),
          output BLOB,
          recorded BLOB,
          attempts INTEGER NOT NULL DEFAULT 1,
          started_at INTEGER NOT NULL,
          finished_at INTEGER,
          PRIMARY KEY (run_id, path)
        ) STRICT;
      `);
    },
  },
  {
    version: 6,
    name: 'models: installation-added manifests and per-account availability',
    up(db) {
      // Manifests are configuration (paths, endpoint URLs), not content, so they stay plaintext;
      // API keys live only in the SecretStore. A 'shipped' row only records an availability
      // override for a models/*.json manifest. No foreign key to accounts: deleting an account
      // must not depend on models; availability is filtered against live accounts when read.
      db.exec(`
        CREATE TABLE models (
          id TEXT PRIMARY KEY,
          source TEXT NOT NULL CHECK (source IN ('added', 'shipped')),
          manifest TEXT,
          all_accounts INTEGER NOT NULL DEFAULT 0,
          created_by TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE model_access (
          model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
          account_id TEXT NOT NULL,
          PRIMARY KEY (model_id, account_id)
        ) STRICT;
      `);
    },
  },
  {
    version: 7,
    name: 'tools: MCP server configurations, per-account tool allow-lists, the tool-call ledger',
    up(db) {
      // Server configurations are installation-wide and plaintext (commands, URLs, names of
      // inherited environment variables); a bearer token lives only in the SecretStore and
      // has_token records that one was given. Allow-list entries are an exact tool name or
      // `server.*`; no foreign key to accounts (a deleted account runs nothing, so its entries are inert).
      // tool_calls is the idempotency ledger SqliteToolCallLedger used to create at run time
      // (its own CREATE TABLE IF NOT EXISTS is now a no-op); a result is what a tool answered,
      // sealed per account by the engine's codec (a NULL result marks a pending call).
      db.exec(`
        CREATE TABLE mcp_servers (
          name TEXT PRIMARY KEY,
          transport TEXT NOT NULL CHECK (transport IN ('stdio', 'http')),
          command TEXT,
          args TEXT NOT NULL DEFAULT '[]',
          inherit_env TEXT NOT NULL DEFAULT '[]',
          url TEXT,
          has_token INTEGER NOT NULL DEFAULT 0,
          created_by TEXT NOT NULL,
          created_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE tool_allow (
          account_id TEXT NOT NULL,
          entry TEXT NOT NULL,
          created_by TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (account_id, entry)
        ) STRICT;
        CREATE TABLE IF NOT EXISTS tool_calls (
          idempotency_key TEXT PRIMARY KEY,
          account_id TEXT NOT NULL,
          tool TEXT NOT NULL,
          result BLOB,
          created_at INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 8,
    name: 'tracing: traces, spans, versioned feedback, the OTLP push setting',
    up(db) {
      // Metadata (names, times, statuses, token counts, model ids, GenAI attributes) stays
      // plaintext so the explorer can filter and chart it; spans.content (inputs and outputs) and
      // feedback.content (comment, instruction, expert edit and its diff) are sealed per account.
      // Times are Unix microseconds: exact in a double, unlike nanoseconds. Span ids derive from
      // the run and the step path, so a step re-entered after a resume updates its span in place.
      // Feedback is append-only: a revision is a new (id, version) row, nothing is overwritten.
      db.exec(`
        CREATE TABLE traces (
          trace_id TEXT PRIMARY KEY,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          run_id TEXT,
          workflow_id TEXT,
          version TEXT,
          model_id TEXT,
          user_id TEXT,
          status TEXT NOT NULL,
          started_us INTEGER NOT NULL,
          ended_us INTEGER,
          duration_ms REAL,
          span_count INTEGER NOT NULL DEFAULT 0,
          input_tokens INTEGER NOT NULL DEFAULT 0,
          output_tokens INTEGER NOT NULL DEFAULT 0,
          feedback_count INTEGER NOT NULL DEFAULT 0,
          flagged INTEGER NOT NULL DEFAULT 0,
          incomplete INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        CREATE INDEX traces_account_started ON traces (account_id, started_us DESC, trace_id DESC);
        CREATE INDEX traces_account_workflow ON traces (account_id, workflow_id, started_us DESC);
        CREATE INDEX traces_open ON traces (status) WHERE status = 'running';
        CREATE TABLE spans (
          -- key = trace_id:span_id, the row id each sealed content value is bound to
          key TEXT PRIMARY KEY,
          trace_id TEXT NOT NULL,
          span_id TEXT NOT NULL,
          parent_span_id TEXT,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          kind TEXT NOT NULL,
          name TEXT NOT NULL,
          path TEXT NOT NULL,
          start_us INTEGER NOT NULL,
          end_us INTEGER,
          duration_ms REAL,
          status TEXT NOT NULL CHECK (status IN ('unset', 'ok', 'error')),
          error_code TEXT,
          error_message TEXT,
          input_tokens INTEGER NOT NULL DEFAULT 0,
          output_tokens INTEGER NOT NULL DEFAULT 0,
          attributes TEXT NOT NULL DEFAULT '{}',
          content BLOB
        ) STRICT;
        CREATE INDEX spans_trace ON spans (trace_id, start_us);
        CREATE TABLE feedback (
          key TEXT PRIMARY KEY,
          id TEXT NOT NULL,
          version INTEGER NOT NULL,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          trace_id TEXT NOT NULL,
          span_id TEXT NOT NULL,
          action TEXT NOT NULL,
          rating INTEGER,
          verdict TEXT CHECK (verdict IN ('approve', 'reject')),
          labels TEXT NOT NULL DEFAULT '[]',
          scores TEXT NOT NULL DEFAULT '{}',
          edit_distance INTEGER,
          content BLOB,
          created_by TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          UNIQUE (id, version)
        ) STRICT;
        CREATE INDEX feedback_trace ON feedback (account_id, trace_id, span_id);
        CREATE TABLE trace_push (
          singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
          enabled INTEGER NOT NULL DEFAULT 0,
          endpoint TEXT,
          include_content INTEGER NOT NULL DEFAULT 0,
          updated_by TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 9,
    name: 'drafts: documents drafted from runs, the analyst\'s section changes, comments',
    up(db) {
      // A draft's sections are derived from its run; draft_sections holds only what people
      // changed (status, edited or regenerated text, an autosaved working copy) over them.
      // Titles, section texts and comments are content, sealed; statuses and ids stay plaintext.
      db.exec(`
        CREATE TABLE drafts (
          id TEXT PRIMARY KEY,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          run_id TEXT NOT NULL REFERENCES runs (id),
          workflow_id TEXT NOT NULL,
          version TEXT NOT NULL,
          title BLOB NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'approved')),
          created_by TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          approved_by TEXT,
          approved_at INTEGER
        ) STRICT;
        CREATE INDEX drafts_account_updated ON drafts (account_id, updated_at DESC);
        CREATE INDEX drafts_run ON drafts (run_id);
        CREATE TABLE draft_sections (
          -- key = draft_id|path: the row id each sealed text is bound to
          key TEXT PRIMARY KEY,
          draft_id TEXT NOT NULL REFERENCES drafts (id),
          account_id TEXT NOT NULL REFERENCES accounts (id),
          path TEXT NOT NULL,
          status TEXT NOT NULL,
          markdown BLOB,
          model_markdown BLOB,
          working_markdown BLOB,
          span_id TEXT,
          model_id TEXT,
          regenerations INTEGER NOT NULL DEFAULT 0,
          revision INTEGER NOT NULL DEFAULT 0,
          updated_by TEXT,
          updated_at INTEGER
        ) STRICT;
        CREATE TABLE draft_comments (
          id TEXT PRIMARY KEY,
          draft_id TEXT NOT NULL REFERENCES drafts (id),
          account_id TEXT NOT NULL REFERENCES accounts (id),
          section_path TEXT,
          body BLOB NOT NULL,
          created_by TEXT NOT NULL,
          created_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX draft_comments_draft ON draft_comments (draft_id, created_at);
      `);
    },
  },
  {
    version: 10,
    name: 'workflows: step checkpoints without a second unique index',
    up(db) {
      // run_steps.key (run_id|path) is only the row id sealed outputs are bound to; its UNIQUE
      // index duplicated the primary key (run_id, path) and was one more B-tree page to write in
      // every step's checkpoint commit (bench/engine: ~14 µs of a ~46 µs commit). Checkpoints now
      // upsert on the primary key. Nothing references run_steps, so a plain rebuild is safe; the
      // rows keep their values (and so their AAD binding) unchanged.
      db.exec(`
        CREATE TABLE run_steps_v10 (
          -- key = run_id|path: the row id each sealed output is bound to (a path alone repeats across runs)
          key TEXT NOT NULL,
          run_id TEXT NOT NULL REFERENCES runs (id),
          path TEXT NOT NULL,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          kind TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('done', 'waiting', 'failed')),
          output BLOB,
          recorded BLOB,
          attempts INTEGER NOT NULL DEFAULT 1,
          started_at INTEGER NOT NULL,
          finished_at INTEGER,
          PRIMARY KEY (run_id, path)
        ) STRICT;
        INSERT INTO run_steps_v10 (key, run_id, path, account_id, kind, status, output, recorded, attempts, started_at, finished_at)
          SELECT key, run_id, path, account_id, kind, status, output, recorded, attempts, started_at, finished_at FROM run_steps ORDER BY rowid;
        DROP TABLE run_steps;
        ALTER TABLE run_steps_v10 RENAME TO run_steps;
      `);
    },
  },
  {
    version: 11,
    name: 'tracing: automatic trace retention per account',
    up(db) {
      // No row: traces are kept until someone purges them. A row: traces started longer ago than
      // retention_days are deleted by the retention job (what a purge keeps, it keeps too).
      db.exec(`
        CREATE TABLE trace_retention (
          account_id TEXT PRIMARY KEY REFERENCES accounts (id),
          retention_days INTEGER NOT NULL CHECK (retention_days BETWEEN 1 AND 36500),
          updated_by TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 12,
    name: 'workflows: run ownership, pinned sub-workflow versions, retained shipped versions',
    up(db) {
      // owner / owner_seen_at: the process executing a run ("host/pid/instance") and when it last
      // said so, so two processes on one installation never execute the same run; a dead or
      // silent owner's runs are taken over. pins: the exact version of every nested workflow,
      // resolved when the run was created, so a run waiting for days is not moved onto a newer
      // sub-workflow. retained = 1: a shipped definition kept because a run was created on it, so
      // the run still resumes after an upgrade replaces resources/workflows (never "latest").
      db.exec(`
        ALTER TABLE runs ADD COLUMN owner TEXT;
        ALTER TABLE runs ADD COLUMN owner_seen_at INTEGER;
        ALTER TABLE runs ADD COLUMN pins TEXT;
        ALTER TABLE workflow_definitions ADD COLUMN retained INTEGER NOT NULL DEFAULT 0 CHECK (retained IN (0, 1));
      `);
    },
  },
  {
    version: 13,
    name: 'workflows: an account-wide four-eyes rule on approvals',
    up(db) {
      // No row: each workflow's own approval rules. four_eyes = 1: every approval in the account —
      // an approve step, a draft's approval — needs someone other than whoever started or prepared it.
      db.exec(`
        CREATE TABLE approval_policies (
          account_id TEXT PRIMARY KEY REFERENCES accounts (id),
          four_eyes INTEGER NOT NULL CHECK (four_eyes IN (0, 1)),
          updated_by TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 14,
    name: 'workflows: answers being written to waiting human steps, kept per person',
    up(db) {
      // What someone has typed into a waiting step's form and not submitted yet, so a reload or a
      // crash loses nothing. key = run_id|path|user_id (the row id the sealed answer is bound to);
      // deleted when the step stops waiting (answered, or ended with its run).
      db.exec(`
        CREATE TABLE run_working_answers (
          key TEXT PRIMARY KEY,
          run_id TEXT NOT NULL REFERENCES runs (id),
          path TEXT NOT NULL,
          user_id TEXT NOT NULL,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          answer BLOB NOT NULL,
          saved_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX run_working_answers_step ON run_working_answers (run_id, path);
      `);
    },
  },
  {
    version: 15,
    name: 'models: the model an account uses when nobody names one',
    up(db) {
      // No row: the account's first real model (registry order), as before. model_id is no foreign
      // key: a shipped model has no row in models until it is overridden; removing an added model
      // deletes the rows naming it.
      db.exec(`
        CREATE TABLE model_defaults (
          account_id TEXT PRIMARY KEY REFERENCES accounts (id),
          model_id TEXT NOT NULL,
          updated_by TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 16,
    name: 'workflows: a definition version stored once per account, not once per installation',
    up(db) {
      // The key (workflow_id@version) was UNIQUE across the installation, so a second account
      // importing the same workflow text — or keeping the same shipped version for its runs — had
      // its row silently ignored ('could not be read back'; a retained version lost after an
      // upgrade). It is unique per account now. Rows keep their key, so their sealed definitions
      // (bound to key and account) still open.
      db.exec(`
        CREATE TABLE workflow_definitions_by_account (
          key TEXT NOT NULL,
          account_id TEXT NOT NULL REFERENCES accounts (id),
          workflow_id TEXT NOT NULL,
          version TEXT NOT NULL,
          name TEXT NOT NULL,
          definition BLOB NOT NULL,
          imported_at INTEGER NOT NULL,
          imported_by TEXT,
          retained INTEGER NOT NULL DEFAULT 0 CHECK (retained IN (0, 1)),
          PRIMARY KEY (account_id, workflow_id, version),
          UNIQUE (account_id, key)
        ) STRICT;
        INSERT INTO workflow_definitions_by_account (key, account_id, workflow_id, version, name, definition, imported_at, imported_by, retained)
          SELECT key, account_id, workflow_id, version, name, definition, imported_at, imported_by, retained FROM workflow_definitions;
        DROP TABLE workflow_definitions;
        ALTER TABLE workflow_definitions_by_account RENAME TO workflow_definitions;
      `);
    },
  },
  {
    version: 17,
    name: 'identity: why a session ended, and when it was last seen',
    up(db) {
      // end_reason was held in memory only, so after a restart a person whose session an
      // administrator ended saw a plain "your session ended"; rows ended before stay NULL
      // ('ended'). last_seen_at: the last call or open page (written at most once a minute), so an
      // administrator can tell a session in use from one left on a lost laptop hours ago.
      db.exec('ALTER TABLE auth_sessions ADD COLUMN end_reason TEXT; ALTER TABLE auth_sessions ADD COLUMN last_seen_at INTEGER');
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
  { table: 'workflow_definitions', idColumn: 'key', accountColumn: 'account_id', columns: ['definition'] },
  { table: 'runs', idColumn: 'id', accountColumn: 'account_id', columns: ['input', 'output'] },
  { table: 'run_steps', idColumn: 'key', accountColumn: 'account_id', columns: ['output', 'recorded'] },
  // Unsubmitted answers to waiting human steps (a form's working copy, per person).
  { table: 'run_working_answers', idColumn: 'key', accountColumn: 'account_id', columns: ['answer'] },
  // What side-effecting tools answered, replayed on retry (the ledger's codec seals it).
  { table: 'tool_calls', idColumn: 'idempotency_key', accountColumn: 'account_id', columns: ['result'] },
  // Span inputs/outputs and feedback comments and edits (tracing).
  { table: 'spans', idColumn: 'key', accountColumn: 'account_id', columns: ['content'] },
  { table: 'feedback', idColumn: 'key', accountColumn: 'account_id', columns: ['content'] },
  // Draft titles, the analyst's section texts and comments (drafting).
  { table: 'drafts', idColumn: 'id', accountColumn: 'account_id', columns: ['title'] },
  { table: 'draft_sections', idColumn: 'key', accountColumn: 'account_id', columns: ['markdown', 'model_markdown', 'working_markdown'] },
  { table: 'draft_comments', idColumn: 'id', accountColumn: 'account_id', columns: ['body'] },
  // Installation-level secrets are sealed under the administration (first) account's key.
  { table: 'auth_sessions', idColumn: 'id_hash', accountColumn: 'seal_account_id', columns: ['refresh_token'] },
  { table: 'jwks_cache', idColumn: 'issuer', accountColumn: 'seal_account_id', columns: ['jwks'] },
  // The audit log's Ed25519 signing key (its sealed audit_log content is TEXT and never re-sealed: it is hashed).
  { table: 'audit_signing_keys', idColumn: 'id', accountColumn: 'seal_account_id', columns: ['private_key'] },
];
