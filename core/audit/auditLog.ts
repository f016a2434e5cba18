import { CoreError } from '../base/index.ts';
import type { Clock, Logger } from '../base/index.ts';
import type { JsonValue, Sealed } from '../crypto/index.ts';
import { commitsDurably, durableTransaction } from '../storage/index.ts';
import type { Storage } from '../storage/index.ts';
import { canonicalJson, encodeEntry, entryHash, genesisHash, subjectAccount } from './canonical.ts';
import type { AuditOutcome, CanonicalEntry } from './canonical.ts';
import { encodeCheckpointBody } from './checkpoints.ts';
import type { CheckpointKind, SeqRanges } from './checkpoints.ts';
import { Frontier } from './merkle.ts';
import { AuditSigner } from './signing.ts';

export type { AuditOutcome } from './canonical.ts';

/** A value in an entry's plaintext details: metadata only (ids, names, reasons, counts). */
export type AuditDetailValue = JsonValue | readonly string[];

/** One security-relevant fact, as services append it. */
export interface AuditEntry {
  action: string;
  outcome: AuditOutcome;
  actor?: { userId: string | null; accountId: string | null; roles?: readonly string[] } | null;
  resource?: string | null;
  requestId?: string | null;
  /** Plaintext metadata — ids, names, reasons. Never content or secrets: put those in `content`. */
  details?: Record<string, AuditDetailValue>;
  /** The account the entry concerns; default: an `account:<id>` resource, else the actor's account. */
  accountId?: string | null;
  /**
   * Content the entry must keep (what a user typed or a model wrote): sealed with the account's
   * data key before it is hashed. The caller's transaction must have been opened through
   * AccountRepository.transaction (or scope.prepareForWrite() called before it).
   */
  content?: JsonValue;
}

/** An entry as stored (purged entries are not listed). */
export interface StoredAuditEntry {
  seq: number;
  at: number;
  accountId: string | null;
  actorUserId: string | null;
  actorAccountId: string | null;
  actorRoles: readonly string[];
  action: string;
  resource: string | null;
  outcome: AuditOutcome;
  requestId: string | null;
  details: Readonly<Record<string, unknown>>;
  hasContent: boolean;
  prev: string;
  hash: string;
}

/** One row of audit_log, as SQLite returns it. */
export interface AuditRow {
  seq: number;
  at: number;
  account_id: string | null;
  actor_user_id: string | null;
  actor_account_id: string | null;
  actor_roles: string | null;
  action: string | null;
  resource: string | null;
  outcome: AuditOutcome | null;
  request_id: string | null;
  details: string | null;
  sealed: string | null;
  prev: string | null;
  hash: string | null;
  purged_at: number | null;
}

/** A signed checkpoint as stored. */
export interface CheckpointRecord {
  id: number;
  kind: CheckpointKind;
  size: number;
  root: string;
  at: number;
  keyId: string;
  body: string;
  signature: string;
}

export interface AuditLogOptions {
  storage: Storage;
  clock: Clock;
  logger?: Logger;
  /** A periodic checkpoint every this many entries (default 1,000). */
  checkpointEvery?: number;
  /** …or when this long has passed since the last one and there are new entries (default 15 minutes). */
  checkpointIntervalMs?: number;
}

/** Where an entry's sealed content lives; its AAD binds it to the entry and the account. */
export const contentColumn = (seq: number) => ({ table: 'audit_log', rowId: seq, column: 'sealed' });

/** The fields of a stored, unpurged row as they are hashed. */
export function canonicalOf(row: AuditRow): CanonicalEntry {
  return {
    seq: row.seq,
    prev: row.prev ?? genesisHash,
    at: row.at,
    accountId: row.account_id,
    actorUserId: row.actor_user_id,
    actorAccountId: row.actor_account_id,
    actorRoles: row.actor_roles ? (JSON.parse(row.actor_roles) as string[]) : [],
    action: row.action ?? '',
    resource: row.resource,
    outcome: row.outcome ?? 'failure',
    requestId: row.request_id,
    details: row.details ? (JSON.parse(row.details) as Record<string, JsonValue>) : {},
    sealed: row.sealed,
  };
}

export function toStoredEntry(row: AuditRow): StoredAuditEntry {
  // The canonical fields, less the sealed content itself: readers see only whether there is some.
  const { sealed, ...fields } = canonicalOf(row);
  return { ...fields, hasContent: sealed !== null, hash: row.hash ?? '' };
}

/**
 * The audit log: an append-only, hash-chained table with signed Merkle checkpoints.
 *
 * Services append inside the same synchronous (IMMEDIATE) transaction as the change an entry
 * describes, so there is never a change without its entry or an entry without its change. Each
 * append reads the chain's head inside that transaction — the write lock is held, so appends from
 * any number of callers and processes form one linear chain — and every N entries or T minutes
 * signs a checkpoint in the same transaction. The connection runs with synchronous=FULL: SQLite
 * cannot change the safety level inside a transaction, and entries ride in their callers' ones.
 */
export class AuditLog {
  readonly storage: Storage;
  readonly signer: AuditSigner;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly checkpointEvery: number;
  private readonly checkpointIntervalMs: number;
  private head = { seq: 0, hash: genesisHash };
  private frontier = new Frontier();
  private lastCheckpoint = { size: 0, at: Number.NEGATIVE_INFINITY };
  private readonly statements;

  constructor(options: AuditLogOptions) {
    this.storage = options.storage;
    this.clock = options.clock;
    this.logger = options.logger;
    this.checkpointEvery = options.checkpointEvery ?? 1_000;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 15 * 60_000;
    const db = this.storage.db;
    this.statements = {
      head: db.prepare<[], { seq: number; hash: string | null }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1'),
      insert: db.prepare(
        'INSERT INTO audit_log (seq, at, account_id, actor_user_id, actor_account_id, actor_roles, action, resource, outcome, request_id, details, sealed, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      lastCheckpoint: db.prepare<[], { size: number; at: number; frontier: string }>('SELECT size, at, frontier FROM audit_checkpoints ORDER BY size DESC, id DESC LIMIT 1'),
      hashesAfter: db.prepare<[number], string>('SELECT hash FROM audit_log WHERE seq > ? ORDER BY seq').pluck(),
      insertCheckpoint: db.prepare('INSERT INTO audit_checkpoints (kind, size, root, at, key_id, body, signature, frontier) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      row: db.prepare<[number], AuditRow>('SELECT * FROM audit_log WHERE seq = ?'),
    };
    this.signer = new AuditSigner(this.storage, this.clock);
    this.signer.ensureKey();
    this.chainLegacyEntries();
  }

  get installationId(): string {
    return this.storage.installationId;
  }

  /**
   * Runs a change and appends its success entry in one durable transaction — the way services
   * record what a person did. The account's keys are prepared before the transaction opens.
   */
  recordChange<T>(
    /** `actor` null: Strongroom acted on its own (a scheduled job), not on anyone's request. */
    context: { scope: { accountId: string; prepareForWrite(): void } | null; actor: NonNullable<AuditEntry['actor']> | null; requestId: string | null; action: string },
    change: () => T,
    describe: (result: T) => { resource: string; details?: Record<string, AuditDetailValue> },
  ): T {
    context.scope?.prepareForWrite();
    return durableTransaction(this.storage.db, () => {
      const result = change();
      const { resource, details } = describe(result);
      const actor = context.actor && { userId: context.actor.userId, accountId: context.actor.accountId, roles: context.actor.roles ?? [] };
      this.append({ action: context.action, outcome: 'success', actor, resource, requestId: context.requestId, ...(context.scope ? { accountId: context.scope.accountId } : {}), ...(details ? { details } : {}) });
      return result;
    });
  }

  /** Appends one entry and returns its seq. Call it inside the transaction of the change it records. */
  append(entry: AuditEntry): number {
    const db = this.storage.db;
    const accountId = subjectAccount(entry.accountId, entry.resource, entry.actor?.accountId);
    if (entry.content !== undefined) {
      if (accountId === null) throw new CoreError('ERR_INTERNAL', 'An audit entry with content needs an account to seal it for.');
      if (!db.inTransaction) this.storage.scopeFor({ accountId }).prepareForWrite();
    }
    const run = (): number => {
      this.syncHead();
      const seq = this.head.seq + 1;
      const sealed = entry.content === undefined ? null : this.storage.scopeFor({ accountId }).sealJson(contentColumn(seq), entry.content).toString('base64');
      const canonical: CanonicalEntry = {
        seq,
        prev: this.head.hash,
        at: this.clock.now(),
        accountId,
        actorUserId: entry.actor?.userId ?? null,
        actorAccountId: entry.actor?.accountId ?? null,
        actorRoles: entry.actor?.roles ?? [],
        action: entry.action,
        resource: entry.resource ?? null,
        outcome: entry.outcome,
        requestId: entry.requestId ?? null,
        details: (entry.details ?? {}) as Record<string, JsonValue>,
        sealed,
      };
      const hash = entryHash(encodeEntry(canonical));
      this.statements.insert.run(
        seq, canonical.at, accountId, canonical.actorUserId, canonical.actorAccountId, JSON.stringify(canonical.actorRoles), canonical.action,
        canonical.resource, canonical.outcome, canonical.requestId, canonicalJson(canonical.details), sealed, canonical.prev, hash,
      );
      this.head = { seq, hash };
      this.frontier.append(hash);
      if (seq % this.checkpointEvery === 0 || canonical.at - this.lastCheckpoint.at >= this.checkpointIntervalMs) this.writeCheckpoint('periodic');
      return seq;
    };
    if (db.inTransaction && !commitsDurably(db)) {
      throw new CoreError('ERR_INTERNAL', 'Audit entries are written inside a durable transaction (durableTransaction / Repository.durably), which commits with synchronous=FULL.');
    }
    return durableTransaction(db, run);
  }

  /** The chain's head: how many entries there are and the last one's hash. */
  currentHead(): { seq: number; hash: string } {
    return this.storage.db.transaction(() => {
      this.syncHead();
      return { ...this.head };
    })();
  }

  /** Signs a checkpoint over every entry so far (joins the caller's transaction, if any). */
  checkpoint(kind: CheckpointKind = 'periodic', purged?: SeqRanges): CheckpointRecord {
    const run = (): CheckpointRecord => {
      this.syncHead();
      return this.writeCheckpoint(kind, purged);
    };
    return durableTransaction(this.storage.db, run);
  }

  /** A periodic checkpoint if T minutes passed since the last one and entries arrived since; for a timer. */
  checkpointIfDue(): CheckpointRecord | undefined {
    return durableTransaction(this.storage.db, () => {
      this.syncHead();
      if (this.head.seq > this.lastCheckpoint.size && this.clock.now() - this.lastCheckpoint.at >= this.checkpointIntervalMs) return this.writeCheckpoint('periodic');
      return undefined;
    });
  }

  /** Entries in sequence order, optionally filtered by action prefix (purged entries are skipped). */
  list(options: { actionPrefix?: string; afterSeq?: number; limit?: number } = {}): StoredAuditEntry[] {
    return this.storage.db
      .prepare<[number, string, number], AuditRow>("SELECT * FROM audit_log WHERE seq > ? AND purged_at IS NULL AND action LIKE ? ESCAPE '\\' ORDER BY seq LIMIT ?")
      .all(options.afterSeq ?? 0, `${escapeLike(options.actionPrefix ?? '')}%`, options.limit ?? 10_000)
      .map(toStoredEntry);
  }

  row(seq: number): AuditRow | undefined {
    return this.statements.row.get(seq);
  }

  /** Decrypts an entry's sealed content (ERR_STORAGE_KEY_DESTROYED once its account was deleted). */
  openContent(row: AuditRow): JsonValue | undefined {
    if (row.sealed === null || row.account_id === null) return undefined;
    const sealed = Buffer.from(row.sealed, 'base64') as Sealed<JsonValue>;
    return this.storage.scopeFor({ accountId: row.account_id }).open(contentColumn(row.seq), sealed);
  }

  checkpoints(options: { maxId?: number } = {}): CheckpointRecord[] {
    return this.storage.db
      .prepare<[number], { id: number; kind: CheckpointKind; size: number; root: string; at: number; key_id: string; body: string; signature: string }>(
        'SELECT id, kind, size, root, at, key_id, body, signature FROM audit_checkpoints WHERE id <= ? ORDER BY size, id',
      )
      .all(options.maxId ?? Number.MAX_SAFE_INTEGER)
      .map((row) => ({ id: row.id, kind: row.kind, size: row.size, root: row.root, at: row.at, keyId: row.key_id, body: row.body, signature: row.signature }));
  }

  private writeCheckpoint(kind: CheckpointKind, purged?: SeqRanges): CheckpointRecord {
    const at = this.clock.now();
    const root = this.frontier.root();
    const body = encodeCheckpointBody({ installationId: this.installationId, kind, size: this.head.seq, root, at, ...(purged ? { purged } : {}) });
    const { keyId, signature } = this.signer.sign(body);
    const result = this.statements.insertCheckpoint.run(kind, this.head.seq, root, at, keyId, body, signature, JSON.stringify(this.frontier.subtreeRoots()));
    this.lastCheckpoint = { size: this.head.seq, at };
    this.logger?.debug({ kind, size: this.head.seq }, 'audit checkpoint signed');
    return { id: Number(result.lastInsertRowid), kind, size: this.head.seq, root, at, keyId, body, signature };
  }

  /**
   * Brings the cached head and frontier in line with the database: another process may have
   * appended, or a caller's transaction that appended may have rolled back.
   */
  private syncHead(): void {
    const last = this.statements.head.get();
    const seq = last?.seq ?? 0;
    const hash = last?.hash ?? genesisHash;
    if (seq === this.head.seq && hash === this.head.hash && this.frontier.size === seq) return;
    const checkpoint = this.statements.lastCheckpoint.get();
    this.frontier = checkpoint ? Frontier.from(checkpoint.size, JSON.parse(checkpoint.frontier) as string[]) : new Frontier();
    for (const leaf of this.statements.hashesAfter.all(this.frontier.size)) this.frontier.append(leaf);
    this.lastCheckpoint = checkpoint ? { size: checkpoint.size, at: checkpoint.at } : { size: 0, at: Number.NEGATIVE_INFINITY };
    this.head = { seq, hash };
  }

  /** Rows written before the hash chain existed (schema 3) get their account and hash, in order, once. */
  private chainLegacyEntries(): void {
    const db = this.storage.db;
    const legacy = db.prepare<[], AuditRow>('SELECT * FROM audit_log WHERE hash IS NULL ORDER BY seq').all();
    if (legacy.length === 0) return;
    const update = db.prepare('UPDATE audit_log SET account_id = ?, prev = ?, hash = ? WHERE seq = ?');
    db.transaction(() => {
      let prev = db.prepare<[number], string>('SELECT hash FROM audit_log WHERE seq < ? AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1').pluck().get(legacy[0]!.seq) ?? genesisHash;
      for (const row of legacy) {
        const accountId = subjectAccount(undefined, row.resource, row.actor_account_id);
        const hash = entryHash(encodeEntry({ ...canonicalOf(row), accountId, prev }));
        update.run(accountId, prev, hash, row.seq);
        prev = hash;
      }
    }).immediate();
    this.logger?.info({ entries: legacy.length }, 'audit entries from before the hash chain were chained');
  }
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
