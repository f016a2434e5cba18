import type { Database } from 'better-sqlite3';

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** One security-relevant fact. Details hold ids, names and reasons — never content or secrets. */
export interface AuditEntry {
  action: string;
  outcome: AuditOutcome;
  actor?: { userId: string | null; accountId: string | null; roles?: readonly string[] } | null;
  resource?: string | null;
  requestId?: string | null;
  details?: Record<string, string | number | boolean | null | readonly string[]>;
}

export interface StoredAuditEntry extends Required<Omit<AuditEntry, 'actor' | 'details'>> {
  seq: number;
  at: number;
  actorUserId: string | null;
  actorAccountId: string | null;
  actorRoles: string[];
  details: Record<string, unknown>;
}

interface Row {
  seq: number;
  at: number;
  actor_user_id: string | null;
  actor_account_id: string | null;
  actor_roles: string | null;
  action: string;
  resource: string | null;
  outcome: AuditOutcome;
  request_id: string | null;
  details: string | null;
}

/**
 * The append-only audit table (triggers refuse UPDATE and DELETE). Callers append inside the same
 * synchronous transaction as the change an entry describes, so there is never a change without its
 * entry or an entry without its change. The audit issue adds the hash chain and checkpoints here.
 */
export class AuditLog {
  private readonly db: Database;
  private readonly now: () => number;
  private readonly insert;

  constructor(db: Database, now: () => number) {
    this.db = db;
    this.now = now;
    this.insert = db.prepare<[number, string | null, string | null, string | null, string, string | null, string, string | null, string | null]>(
      'INSERT INTO audit_log (at, actor_user_id, actor_account_id, actor_roles, action, resource, outcome, request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Appends one entry. Call it inside the transaction of the change it records. */
  append(entry: AuditEntry): number {
    const result = this.insert.run(
      this.now(),
      entry.actor?.userId ?? null,
      entry.actor?.accountId ?? null,
      entry.actor?.roles ? JSON.stringify(entry.actor.roles) : null,
      entry.action,
      entry.resource ?? null,
      entry.outcome,
      entry.requestId ?? null,
      entry.details ? JSON.stringify(entry.details) : null,
    );
    return Number(result.lastInsertRowid);
  }

  /** Entries in sequence order, optionally filtered by action prefix. */
  list(options: { actionPrefix?: string; afterSeq?: number; limit?: number } = {}): StoredAuditEntry[] {
    const rows = this.db
      .prepare<[number, string, number], Row>('SELECT * FROM audit_log WHERE seq > ? AND action LIKE ? ORDER BY seq LIMIT ?')
      .all(options.afterSeq ?? 0, `${options.actionPrefix ?? ''}%`, options.limit ?? 10_000);
    return rows.map((row) => ({
      seq: row.seq,
      at: row.at,
      actorUserId: row.actor_user_id,
      actorAccountId: row.actor_account_id,
      actorRoles: row.actor_roles ? (JSON.parse(row.actor_roles) as string[]) : [],
      action: row.action,
      resource: row.resource,
      outcome: row.outcome,
      requestId: row.request_id,
      details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : {},
    }));
  }
}
