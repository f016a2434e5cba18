import { randomUUID } from 'node:crypto';
import { CoreError } from '../base/index.ts';
import { Repository } from './repository.ts';

/** A tenant on this installation. Names are plaintext: administrators look accounts up by name. */
export interface Account {
  id: string;
  name: string;
  createdAt: number;
  deletedAt: number | null;
}

interface AccountRow {
  id: string;
  name: string;
  created_at: number;
  deleted_at: number | null;
}

function toAccount(row: AccountRow): Account {
  return { id: row.id, name: row.name, createdAt: row.created_at, deletedAt: row.deleted_at };
}

/** Installation-wide account records (not account-scoped: only administration uses it). */
export class AccountsRepository extends Repository {
  create(name: string, now: number, id: string = randomUUID()): Account {
    return this.transaction(() => {
      if (this.findByName(name)) throw new CoreError('ERR_CONFLICT', `An account named "${name}" already exists.`);
      this.statement<[string, string, number]>('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)').run(id, name, now);
      return { id, name, createdAt: now, deletedAt: null };
    });
  }

  byId(id: string): Account | undefined {
    const row = this.statement<[string], AccountRow>('SELECT id, name, created_at, deleted_at FROM accounts WHERE id = ?').get(id);
    return row ? toAccount(row) : undefined;
  }

  /** The live (not deleted) account with this name. */
  findByName(name: string): Account | undefined {
    const row = this.statement<[string], AccountRow>('SELECT id, name, created_at, deleted_at FROM accounts WHERE name = ? AND deleted_at IS NULL').get(name);
    return row ? toAccount(row) : undefined;
  }

  list(options: { includeDeleted?: boolean } = {}): Account[] {
    const sql = options.includeDeleted
      ? 'SELECT id, name, created_at, deleted_at FROM accounts ORDER BY created_at, id'
      : 'SELECT id, name, created_at, deleted_at FROM accounts WHERE deleted_at IS NULL ORDER BY created_at, id';
    return this.statement<[], AccountRow>(sql).all().map(toAccount);
  }

  markDeleted(id: string, now: number): void {
    this.statement<[number, string]>('UPDATE accounts SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, id);
  }

  /** The installation's local administrator (local mode, no IdP), created on first run. */
  ensureLocalAdministrator(now: number): { id: string; created: boolean } {
    return this.transaction(() => {
      const existing = this.statement<[], { id: string }>("SELECT id FROM users WHERE kind = 'local-admin' ORDER BY created_at LIMIT 1").get();
      if (existing) return { id: existing.id, created: false };
      const id = randomUUID();
      this.statement<[string, number]>("INSERT INTO users (id, kind, account_id, role, created_at) VALUES (?, 'local-admin', NULL, 'admin', ?)").run(id, now);
      return { id, created: true };
    });
  }
}
