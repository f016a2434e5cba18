import { CoreError } from '../base/index.ts';
import type { Clock } from '../base/index.ts';
import type { AuditEntry, AuditLog, AuditRow, CheckpointRecord } from './auditLog.ts';
import { toRanges } from './checkpoints.ts';
import { administrationAccountId } from './signing.ts';
import { durableTransaction } from '../storage/index.ts';

/** Seven years (7 × 365 days + 2 leap days): the common floor for regulated banking records. */
export const defaultRetentionDays = 2557;
const dayMs = 86_400_000;

export interface RetentionPolicy {
  accountId: string;
  /** Entries are kept at least this long; a purge removes only older ones. */
  retentionDays: number;
  /** While set, nothing of the account's is purged and the account cannot be deleted. */
  legalHold: boolean;
  updatedAt: number | null;
  updatedBy: string | null;
}

export interface PurgeReport {
  dryRun: boolean;
  purged: number;
  accounts: Array<{ accountId: string; cutoff: number; purged: number; legalHold: boolean }>;
  /** The signed tombstone checkpoint naming the purged entries (null when nothing was purged). */
  tombstone: CheckpointRecord | null;
}

type Actor = NonNullable<AuditEntry['actor']>;

interface RetentionRow {
  account_id: string;
  retention_days: number;
  legal_hold: number;
  legal_hold_reason: string | null;
  updated_at: number;
  updated_by: string | null;
}

/**
 * Retention per account and legal hold. A purge removes the content of entries older than their
 * account's retention (never of an account on legal hold), keeps each entry's seq and hash so the
 * chain and every Merkle root still verify, and signs a tombstone checkpoint naming what went —
 * all in one transaction with its own audit entry. Entries with no account follow the
 * administration account's policy.
 */
export class AuditRetention {
  private readonly log: AuditLog;
  private readonly clock: Clock;

  constructor(log: AuditLog, clock: Clock) {
    this.log = log;
    this.clock = clock;
  }

  private get db() {
    return this.log.storage.db;
  }

  policy(accountId: string): RetentionPolicy {
    const row = this.db.prepare<[string], RetentionRow>('SELECT * FROM audit_retention WHERE account_id = ?').get(accountId);
    if (!row) return { accountId, retentionDays: defaultRetentionDays, legalHold: false, updatedAt: null, updatedBy: null };
    return { accountId, retentionDays: row.retention_days, legalHold: row.legal_hold === 1, updatedAt: row.updated_at, updatedBy: row.updated_by };
  }

  /**
   * Why the account is on hold: what a person typed, so it is sealed content of the
   * `audit.legalHold.set` entry that placed the hold (decrypted here; callers decide who sees it).
   * A reason stored in plaintext before reasons were sealed is returned until the hold changes.
   */
  legalHoldReason(accountId: string, options: { reveal: boolean }): { given: boolean; reason: string | null } {
    const row = this.db.prepare<[string], RetentionRow>('SELECT * FROM audit_retention WHERE account_id = ?').get(accountId);
    if (!row || row.legal_hold !== 1) return { given: false, reason: null };
    if (row.legal_hold_reason !== null) return { given: true, reason: options.reveal ? row.legal_hold_reason : null };
    const entry = this.holdEntry(accountId);
    if (!entry || entry.sealed === null) return { given: false, reason: null };
    if (!options.reveal) return { given: true, reason: null };
    const content = this.log.openContent(entry) as { reason?: unknown } | undefined;
    return { given: true, reason: typeof content?.reason === 'string' ? content.reason : null };
  }

  /** The entry that placed the account's current hold (holds cannot be purged, so it is there). */
  private holdEntry(accountId: string): AuditRow | undefined {
    return this.db.prepare<[string], AuditRow>("SELECT * FROM audit_log WHERE account_id = ? AND action = 'audit.legalHold.set' AND purged_at IS NULL ORDER BY seq DESC LIMIT 1").get(accountId);
  }

  setRetention(accountId: string, retentionDays: number, actor: Actor, requestId: string | null): RetentionPolicy {
    this.requireAccount(accountId);
    return durableTransaction(this.db, () => {
      const before = this.policy(accountId);
      this.upsert({ ...before, retentionDays }, this.legacyReason(accountId), actor.userId);
      this.log.append({ action: 'audit.retention.set', outcome: 'success', actor, requestId, resource: `account:${accountId}`, details: { retentionDays, previousDays: before.retentionDays } });
      return this.policy(accountId);
    });
  }

  /**
   * Places or releases a hold, each with its reason (required: a hold is evidence, and so is its
   * end). The reason is sealed into the entry's content (under the account's data key); plaintext
   * details say only that one was given, and a release names the seq of the entry that placed the hold.
   */
  setLegalHold(accountId: string, hold: boolean, reason: string, actor: Actor, requestId: string | null): RetentionPolicy {
    const why = reason.trim();
    if (why === '') throw new CoreError('ERR_INPUT_INVALID', `Give the reason the legal hold is ${hold ? 'placed' : 'released'}.`, { details: { issues: [{ path: 'reason', message: 'must not be blank' }] } });
    this.requireAccount(accountId);
    // Sealing inside the transaction needs the account's key ready before it opens.
    this.log.storage.scopeFor({ accountId }).prepareForWrite();
    return durableTransaction(this.db, () => {
      const before = this.policy(accountId);
      const placedBy = before.legalHold ? this.holdEntry(accountId)?.seq ?? null : null;
      this.upsert({ ...before, legalHold: hold }, null, actor.userId);
      if (hold) {
        this.log.append({ action: 'audit.legalHold.set', outcome: 'success', actor, requestId, resource: `account:${accountId}`, details: { reasonGiven: true }, content: { reason: why } });
      } else {
        this.log.append({ action: 'audit.legalHold.release', outcome: 'success', actor, requestId, resource: `account:${accountId}`, details: { placedBy, reasonGiven: true }, content: { reason: why } });
      }
      return this.policy(accountId);
    });
  }

  /** Purges entries past retention in the given accounts (every account with `all`). */
  purge(accounts: readonly string[] | 'all', actor: Actor, requestId: string | null, options: { dryRun?: boolean; retentionDays?: number } = {}): PurgeReport {
    if (options.retentionDays !== undefined && options.dryRun !== true) throw new CoreError('ERR_INPUT_INVALID', 'A purge follows the retention that is set; count with another retention only in a dry run.');
    const administration = administrationAccountId(this.log.storage);
    const ids = accounts === 'all' ? this.log.storage.accounts.list({ includeDeleted: true }).map((account) => account.id) : [...accounts];
    const now = this.clock.now();
    const run = (): PurgeReport => {
      const report: PurgeReport = { dryRun: options.dryRun === true, purged: 0, accounts: [], tombstone: null };
      const purgedSeqs: number[] = [];
      for (const accountId of ids) {
        const policy = this.policy(accountId);
        const cutoff = now - (options.retentionDays ?? policy.retentionDays) * dayMs;
        const orNoAccount = accountId === administration ? ' OR account_id IS NULL' : '';
        const seqs = this.db.prepare<[string, number], number>(`SELECT seq FROM audit_log WHERE (account_id = ?${orNoAccount}) AND at < ? AND purged_at IS NULL ORDER BY seq`).pluck().all(accountId, cutoff);
        report.accounts.push({ accountId, cutoff, purged: policy.legalHold ? 0 : seqs.length, legalHold: policy.legalHold });
        if (!policy.legalHold) purgedSeqs.push(...seqs);
      }
      purgedSeqs.sort((a, b) => a - b);
      report.purged = purgedSeqs.length;
      if (options.dryRun) return report;
      const redact = this.db.prepare(
        'UPDATE audit_log SET actor_user_id = NULL, actor_account_id = NULL, actor_roles = NULL, action = NULL, resource = NULL, outcome = NULL, request_id = NULL, details = NULL, sealed = NULL, purged_at = ? WHERE seq = ?',
      );
      for (const seq of purgedSeqs) redact.run(now, seq);
      this.log.append({
        action: 'audit.purge',
        outcome: 'success',
        actor,
        requestId,
        accountId: accounts === 'all' ? null : (ids.length === 1 ? ids[0]! : null),
        details: { purged: purgedSeqs.length, accounts: report.accounts.map((a) => `${a.accountId}:${a.purged}${a.legalHold ? ':held' : ''}`) },
      });
      if (purgedSeqs.length > 0) report.tombstone = this.log.checkpoint('tombstone', toRanges(purgedSeqs));
      return report;
    };
    return durableTransaction(this.db, run);
  }

  /** A plaintext reason from before reasons were sealed, kept until the hold itself changes. */
  private legacyReason(accountId: string): string | null {
    return this.db.prepare<[string], string | null>('SELECT legal_hold_reason FROM audit_retention WHERE account_id = ?').pluck().get(accountId) ?? null;
  }

  private upsert(policy: RetentionPolicy, legalHoldReason: string | null, updatedBy: string | null): void {
    this.db
      .prepare(
        `INSERT INTO audit_retention (account_id, retention_days, legal_hold, legal_hold_reason, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET retention_days = excluded.retention_days, legal_hold = excluded.legal_hold, legal_hold_reason = excluded.legal_hold_reason, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      )
      .run(policy.accountId, policy.retentionDays, policy.legalHold ? 1 : 0, legalHoldReason, this.clock.now(), updatedBy);
  }

  private requireAccount(accountId: string): void {
    const account = this.log.storage.accounts.byId(accountId);
    if (!account || account.deletedAt !== null) throw new CoreError('ERR_NOT_FOUND', 'The account does not exist or was deleted.');
  }
}
