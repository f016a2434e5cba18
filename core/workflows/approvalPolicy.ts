import type { SqliteDatabase } from '../storage/index.ts';

export interface ApprovalPolicy {
  accountId: string;
  /** Every approval in the account needs a second person (maker–checker), whatever the workflow says. */
  fourEyes: boolean;
  updatedBy: string | null;
  updatedAt: number | null;
}

/**
 * An account's approval policy. A bank that signs in through its IdP turns four-eyes on for every
 * approval at once — the shipped workflows leave it off, so a one-person local installation can
 * finish them. Plain metadata (no content); changes are audited by the caller.
 */
export class ApprovalPolicies {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  get(accountId: string): ApprovalPolicy {
    const row = this.db.prepare<[string], { four_eyes: number; updated_by: string; updated_at: number }>('SELECT four_eyes, updated_by, updated_at FROM approval_policies WHERE account_id = ?').get(accountId);
    return { accountId, fourEyes: row?.four_eyes === 1, updatedBy: row?.updated_by ?? null, updatedAt: row?.updated_at ?? null };
  }

  set(accountId: string, fourEyes: boolean, updatedBy: string, now: number): ApprovalPolicy {
    this.db.prepare<[string, number, string, number]>('INSERT INTO approval_policies (account_id, four_eyes, updated_by, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET four_eyes = excluded.four_eyes, updated_by = excluded.updated_by, updated_at = excluded.updated_at').run(accountId, fourEyes ? 1 : 0, updatedBy, now);
    return this.get(accountId);
  }
}
