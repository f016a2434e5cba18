import { hash, randomUUID } from 'node:crypto';
import { CoreError, isCoreError } from '../base/index.ts';
import type { Clock } from '../base/index.ts';
import type { Principal } from '../api/index.ts';
import type { JsonValue } from '../crypto/index.ts';
import { durableTransaction } from '../storage/index.ts';
import { toStoredEntry } from './auditLog.ts';
import type { AuditLog, AuditRow, CheckpointRecord, StoredAuditEntry } from './auditLog.ts';
import { writeCsvExport } from './exportCsv.ts';
import { MemorySink, writeJsonlExport } from './exportJsonl.ts';
import type { ExportSink } from './exportJsonl.ts';
import { writePdfSummary } from './exportPdf.ts';
import { ResourceLabeler } from './labels.ts';
import type { ResourceLabel } from './labels.ts';
import { AuditPeople } from './people.ts';
import type { AuditPerson } from './people.ts';
import { describeFilter, filterSql } from './query.ts';
import type { AuditFilter } from './query.ts';
import type { AuditRetention, PurgeReport, RetentionPolicy } from './retention.ts';
import { administrationAccountId } from './signing.ts';
import { verifyDatabase } from './verifyDatabase.ts';
import type { VerificationReport } from './verifyDatabase.ts';

export type ExportFormat = 'jsonl' | 'csv' | 'pdf';

export const exportMediaTypes: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
  pdf: 'application/pdf',
};

/** An export held in memory, as the API returns it. */
export interface ExportedFile {
  fileName: string;
  mediaType: string;
  encoding: 'utf8' | 'base64';
  content: string;
  entries: number;
  bytes: number;
  sha256: string;
}

export interface AuditServiceOptions {
  log: AuditLog;
  retention: AuditRetention;
  clock: Clock;
  /** A user's display name for the CSV and PDF exports; the identity area supplies it (listings name people through `AuditPeople`). */
  displayName?: (userId: string) => string | undefined;
  /** Exports returned through the API hold at most this many entries (default 100,000); the CLI has no limit. */
  maxApiExportEntries?: number;
}

const actorOf = (principal: Principal) => ({ userId: principal.userId, accountId: principal.accountId, roles: principal.roles });
/** Sealed content (what people typed or models wrote) is shown only with `traces.content`: never to auditors. */
const readsContent = (principal: Principal) => principal.permissions.has('traces.content');

/** Whom an actor filter matched, for the page to say ("2 people match: …"). */
export interface ActorMatch {
  query: string;
  /** The query is the user id of the one person listed. */
  exactId: boolean;
  /** Every person it matched, by name. */
  people: AuditPerson[];
}

/** Names and links for a page of entries, each looked up once for the whole page. */
export interface EntryLabels {
  account(accountId: string | null): { name: string | null; deleted: boolean };
  actorName(userId: string | null): string | null;
  resource(resource: string | null): ResourceLabel | null;
}

/** A retention policy as principals see it: the legal hold's reason only for those who read content. */
export interface RetentionView extends RetentionPolicy {
  legalHoldReason: string | null;
  /** On hold with a reason this principal may not read. */
  legalHoldReasonWithheld: boolean;
}

/**
 * The audit log as the API and the CLI use it. The router has checked the permission; this class
 * scopes every read to what the principal may see — its own account's entries, or all of them for
 * an installation administrator — and records exports, retention changes and purges.
 */
export class AuditService {
  readonly log: AuditLog;
  readonly retention: AuditRetention;
  private readonly clock: Clock;
  private readonly displayName: (userId: string) => string | undefined;
  private readonly maxApiExportEntries: number;
  private readonly people: AuditPeople;
  private readonly labeler: ResourceLabeler;

  constructor(options: AuditServiceOptions) {
    this.log = options.log;
    this.people = new AuditPeople(options.log.storage);
    this.labeler = new ResourceLabeler(options.log.storage, this.people);
    this.retention = options.retention;
    this.clock = options.clock;
    this.displayName = options.displayName ?? (() => undefined);
    this.maxApiExportEntries = options.maxApiExportEntries ?? 100_000;
  }

  /** The filter narrowed to what the principal may see; another account's id is refused. */
  scoped(principal: Principal, filter: AuditFilter): AuditFilter {
    if (principal.installationAdmin) return filter;
    if (principal.accountId === null) throw new CoreError('ERR_AUTH_FORBIDDEN', 'You do not have permission to do this.');
    if (filter.accountId !== undefined && filter.accountId !== principal.accountId) throw new CoreError('ERR_AUTH_FORBIDDEN', 'You do not have permission to do this.');
    return { ...filter, accountId: principal.accountId };
  }

  /** The account a retention call targets: the given one (installation administrators) or the caller's. */
  targetAccount(principal: Principal, accountId: string | undefined): string {
    if (accountId === undefined) return principal.accountId ?? administrationAccountId(this.log.storage);
    if (accountId !== principal.accountId && !principal.installationAdmin) throw new CoreError('ERR_AUTH_FORBIDDEN', 'You do not have permission to do this.');
    return accountId;
  }

  /**
   * A page of entries, newest first. The filter's `actorUserId` is what the person typed: a user
   * id, or part of a name or email, matched among the people the principal may know about
   * (`AuditPeople`) — entries by any of them, or by that exact id, are listed.
   */
  list(principal: Principal, filter: AuditFilter, page: { beforeSeq?: number; limit: number }): { entries: StoredAuditEntry[]; nextBeforeSeq: number | null; actorMatch: ActorMatch | null } {
    let search = this.scoped(principal, filter);
    let actorMatch: ActorMatch | null = null;
    if (search.actorUserId !== undefined) {
      const { actorUserId: query, ...rest } = search;
      actorMatch = { query, ...this.people.match(principal, query) };
      search = { ...rest, actorUserIds: actorMatch.exactId ? [query] : [query, ...actorMatch.people.map((person) => person.userId)] };
    }
    const { where, params } = filterSql(search);
    const rows = this.log.storage.db
      .prepare<Array<string | number>, AuditRow>(`SELECT * FROM audit_log WHERE ${where} AND seq < ? ORDER BY seq DESC LIMIT ?`)
      .all(...params, page.beforeSeq ?? Number.MAX_SAFE_INTEGER, page.limit + 1);
    const entries = rows.slice(0, page.limit).map(toStoredEntry);
    return { entries, nextBeforeSeq: rows.length > page.limit ? entries[entries.length - 1]!.seq : null, actorMatch };
  }

  /**
   * The actor an export names, from what the person typed: the user id of the one person it
   * matches, else the text itself as a user id (someone no longer known, as before). Several
   * people are refused — the export's manifest records one actor id, never a name fragment.
   */
  exportActor(principal: Principal, query: string): string {
    const { people, exactId } = this.people.match(principal, query);
    if (exactId || people.length === 1) return people[0]!.userId;
    if (people.length === 0) return query;
    throw new CoreError('ERR_INPUT_INVALID', `The actor filter matches ${people.length} people; an export is of one person's entries: choose one, or give their user id or whole email.`, {
      details: { reason: 'ambiguous-actor', people: people.length, issues: [{ path: 'actor', message: `matches ${people.length} people: choose one` }] },
    });
  }

  /** Names and links for the entries of one page: a query per kind of thing named, not per entry. */
  labels(principal: Principal, entries: readonly StoredAuditEntry[]): EntryLabels {
    const accounts = new Map<string | null, { name: string | null; deleted: boolean }>();
    const actors = this.people.actorNames([...new Set(entries.map((entry) => entry.actorUserId).filter((id) => id !== null))]);
    const resources = this.labeler.label(principal, entries.map((entry) => entry.resource));
    return {
      account: (accountId) => {
        let account = accounts.get(accountId);
        if (account === undefined) accounts.set(accountId, (account = this.account(accountId)));
        return account;
      },
      actorName: (userId) => (userId === null ? null : (actors.get(userId) ?? null)),
      resource: (resource) => (resource === null ? null : (resources.get(resource) ?? null)),
    };
  }

  /** One entry the principal may see; its content only with `traces.content` (auditors never see content). */
  get(principal: Principal, seq: number): { entry: StoredAuditEntry; content?: JsonValue; contentStatus: 'none' | 'shown' | 'withheld' | 'destroyed' } {
    const row = this.log.row(seq);
    const visible = row && row.purged_at === null && (principal.installationAdmin || (row.account_id !== null && row.account_id === principal.accountId));
    // One answer for an entry of another account, a purged one and none at all; the router audits
    // the refusal as denied, naming the entry asked for, so a probe of other accounts' entries is on record.
    if (!row || !visible) throw new CoreError('ERR_NOT_FOUND', 'There is no such audit entry.', { deniedResource: `audit:${seq}` });
    const entry = toStoredEntry(row);
    if (row.sealed === null) return { entry, contentStatus: 'none' };
    if (!readsContent(principal)) return { entry, contentStatus: 'withheld' };
    try {
      return { entry, content: this.log.openContent(row), contentStatus: 'shown' };
    } catch (error) {
      if (isCoreError(error) && (error.code === 'ERR_STORAGE_KEY_DESTROYED' || error.code === 'ERR_NOT_FOUND')) return { entry, contentStatus: 'destroyed' };
      throw error;
    }
  }

  now(): number {
    return this.clock.now();
  }

  verify(): Promise<VerificationReport> {
    return verifyDatabase(this.log);
  }

  /**
   * Records the export (its entry and an `export` checkpoint, in one transaction) and writes it.
   * The entry is written first, so a complete export includes the record of itself.
   */
  async export(principal: Principal, filter: AuditFilter, format: ExportFormat, sink: ExportSink, options: { requestId?: string | null; limitEntries?: boolean } = {}): Promise<{ entries: number; anchor: CheckpointRecord; pdf?: Buffer }> {
    // The manifest and the export's own entry record the filter; a list of actors is not part of its format.
    if (filter.actorUserIds !== undefined) throw new CoreError('ERR_INPUT_INVALID', 'An export names one actor.');
    const scoped = this.scoped(principal, filter);
    if (options.limitEntries) {
      const { where, params } = filterSql(scoped);
      const count = this.log.storage.db.prepare(`SELECT count(*) FROM audit_log WHERE ${where}`).pluck().get(...params) as number;
      if (count > this.maxApiExportEntries) {
        throw new CoreError('ERR_CONFLICT', `This export would hold ${count} entries; the app exports up to ${this.maxApiExportEntries}. Narrow the filter, or run \`strongroom audit export\` on the installation.`, { details: { reason: 'too-large', entries: count, maxEntries: this.maxApiExportEntries } });
      }
    }
    const exportId = randomUUID();
    const at = this.clock.now();
    const anchor = durableTransaction(this.log.storage.db, () => {
      this.log.append({ action: 'audit.export', outcome: 'success', actor: actorOf(principal), requestId: options.requestId ?? null, details: { exportId, format, filter: canonicalFilter(scoped) } });
      return this.log.checkpoint('export');
    });
    if (format === 'jsonl') return { entries: writeJsonlExport(this.log, scoped, anchor, sink, { exportId, at }).entries, anchor };
    if (format === 'csv') return { entries: writeCsvExport(this.log, scoped, anchor.size, sink, (id) => this.displayName(id)), anchor };
    const summary = await writePdfSummary(this.log, scoped, anchor, { exportId, at, generatedBy: principal.displayName, displayName: (id) => this.displayName(id), account: (id) => this.account(id) });
    return { entries: summary.entries, anchor, pdf: summary.pdf };
  }

  /** An export for the API: in memory, bounded, with its name, type and SHA-256. */
  async exportForApi(principal: Principal, filter: AuditFilter, format: ExportFormat, requestId: string): Promise<ExportedFile> {
    const sink = new MemorySink();
    // What a person typed becomes the one user id it means (see exportActor); an id stays as it is.
    const exported = filter.actorUserId === undefined ? filter : { ...filter, actorUserId: this.exportActor(principal, filter.actorUserId) };
    const result = await this.export(principal, exported, format, sink, { requestId, limitEntries: true });
    const bytes = result.pdf ?? Buffer.from(sink.text(), 'utf8');
    const stamp = new Date(result.anchor.at).toISOString().replace(/[:.]/g, '-');
    return {
      fileName: `strongroom-audit-${stamp}.${format}`,
      mediaType: exportMediaTypes[format],
      encoding: result.pdf ? 'base64' : 'utf8',
      content: result.pdf ? result.pdf.toString('base64') : sink.text(),
      entries: result.entries,
      bytes: bytes.length,
      sha256: hash('sha256', bytes, 'hex'),
    };
  }

  policy(principal: Principal, accountId: string | undefined): RetentionView {
    return this.retentionView(principal, this.retention.policy(this.targetAccount(principal, accountId)));
  }

  setRetention(principal: Principal, accountId: string | undefined, days: number, requestId: string | null): RetentionView {
    return this.retentionView(principal, this.retention.setRetention(this.targetAccount(principal, accountId), days, actorOf(principal), requestId));
  }

  setLegalHold(principal: Principal, accountId: string | undefined, hold: boolean, reason: string, requestId: string | null): RetentionView {
    return this.retentionView(principal, this.retention.setLegalHold(this.targetAccount(principal, accountId), hold, reason, actorOf(principal), requestId));
  }

  /** The policy with the hold's reason — sealed content, so only for principals who read content. */
  private retentionView(principal: Principal, policy: RetentionPolicy): RetentionView {
    const reveal = readsContent(principal);
    const { given, reason } = this.retention.legalHoldReason(policy.accountId, { reveal });
    return { ...policy, legalHoldReason: reason, legalHoldReasonWithheld: given && !reveal };
  }

  /** Installation administrators purge one account or, without one, every account; others their own. */
  purge(principal: Principal, accountId: string | undefined, dryRun: boolean, requestId: string | null, options: { retentionDays?: number } = {}): PurgeReport {
    // Counting under another retention is about one account's policy: the caller's, or the one named.
    const accounts = accountId === undefined && principal.installationAdmin && options.retentionDays === undefined ? 'all' : [this.targetAccount(principal, accountId)];
    return this.retention.purge(accounts, actorOf(principal), requestId, { dryRun, ...(options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays }) });
  }

  /**
   * The account an entry concerns, for people: its name (kept after deletion) and whether it was
   * deleted; a record that is gone reads as deleted with no name.
   */
  account(accountId: string | null): { name: string | null; deleted: boolean } {
    if (accountId === null) return { name: null, deleted: false };
    const account = this.log.storage.accounts.byId(accountId);
    return account === undefined ? { name: null, deleted: true } : { name: account.name, deleted: account.deletedAt !== null };
  }
}

function canonicalFilter(filter: AuditFilter): Record<string, string> {
  return describeFilter(filter);
}
