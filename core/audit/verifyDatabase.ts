import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { verify } from 'node:crypto';
import { canonicalOf } from './auditLog.ts';
import type { AuditLog, AuditRow } from './auditLog.ts';
import { encodeEntry, entryHash, genesisHash } from './canonical.ts';
import { parseCheckpointBody } from './checkpoints.ts';
import { Frontier } from './merkle.ts';
import { publicKeyFromRaw } from './signing.ts';

/** What a verification found: counts, the last signed checkpoint, and the first problem if any. */
export interface VerificationReport {
  ok: boolean;
  entries: number;
  purged: number;
  checkpoints: number;
  lastCheckpoint: { size: number; root: string; at: number; keyId: string } | null;
  /** The first broken entry or checkpoint: `seq` for entries, `checkpoint` for checkpoints. */
  firstProblem: { seq?: number; checkpoint?: number; line?: number; reason: string } | null;
}

/**
 * Verifies the log in the database: every entry's hash over its canonical encoding, every link to
 * the previous entry, every checkpoint's signature and its Merkle root over the entries before it,
 * and that every purged entry is named by a signed tombstone. Reads in batches between which the
 * event loop runs, so a server keeps answering while a large log is checked.
 */
export async function verifyDatabase(log: AuditLog, options: { batchSize?: number } = {}): Promise<VerificationReport> {
  const db = log.storage.db;
  const batchSize = options.batchSize ?? 5_000;
  const head = log.currentHead();
  const keys = new Map(log.signer.publicKeys().map((key) => [key.keyId, publicKeyFromRaw(key.publicKey)]));
  const checkpoints = log.checkpoints().filter((checkpoint) => checkpoint.size <= head.seq);
  const report: VerificationReport = { ok: true, entries: 0, purged: 0, checkpoints: 0, lastCheckpoint: null, firstProblem: null };
  const fail = (problem: NonNullable<VerificationReport['firstProblem']>): VerificationReport => ({ ...report, ok: false, firstProblem: problem });

  const purgedSeqs: number[] = [];
  const covered: Array<readonly [number, number]> = [];
  const frontier = new Frontier();
  let prev = genesisHash;
  let nextCheckpoint = 0;
  const select = db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ' + String(batchSize));

  const checkCheckpointsAt = (size: number): VerificationReport | undefined => {
    while (nextCheckpoint < checkpoints.length && checkpoints[nextCheckpoint]!.size === size) {
      const checkpoint = checkpoints[nextCheckpoint]!;
      nextCheckpoint += 1;
      const body = parseCheckpointBody(checkpoint.body);
      const key = keys.get(checkpoint.keyId);
      if (!key || !verify(null, Buffer.from(checkpoint.body, 'utf8'), key, Buffer.from(checkpoint.signature, 'base64'))) {
        return fail({ checkpoint: checkpoint.id, reason: `checkpoint ${checkpoint.id} (size ${checkpoint.size}) has no valid signature` });
      }
      if (!body || body.size !== checkpoint.size || body.root !== checkpoint.root || body.kind !== checkpoint.kind || body.installationId !== log.installationId) {
        return fail({ checkpoint: checkpoint.id, reason: `checkpoint ${checkpoint.id} does not match its signed body` });
      }
      if (body.root !== frontier.root()) {
        return fail({ checkpoint: checkpoint.id, seq: size, reason: `checkpoint ${checkpoint.id}'s Merkle root over ${size} entries does not match the entries` });
      }
      if (body.purged) covered.push(...body.purged);
      report.checkpoints += 1;
      report.lastCheckpoint = { size: checkpoint.size, root: checkpoint.root, at: checkpoint.at, keyId: checkpoint.keyId };
    }
    return undefined;
  };

  const early = checkCheckpointsAt(0);
  if (early) return early;
  let after = 0;
  for (;;) {
    const rows = select.all(after, head.seq);
    for (const row of rows) {
      if (row.seq !== after + 1) return fail({ seq: after + 1, reason: `entry ${after + 1} is missing` });
      after = row.seq;
      if (row.hash === null) return fail({ seq: row.seq, reason: `entry ${row.seq} has no hash` });
      if (row.prev !== prev) return fail({ seq: row.seq, reason: `entry ${row.seq} does not link to entry ${row.seq - 1}` });
      if (row.purged_at === null) {
        if (entryHash(encodeEntry(canonicalOf(row))) !== row.hash) return fail({ seq: row.seq, reason: `entry ${row.seq} was altered: its hash does not match its content` });
        report.entries += 1;
      } else {
        purgedSeqs.push(row.seq);
        report.purged += 1;
      }
      prev = row.hash;
      frontier.append(row.hash);
      const problem = checkCheckpointsAt(row.seq);
      if (problem) return problem;
    }
    if (rows.length < batchSize) break;
    await yieldToEventLoop();
  }
  if (after !== head.seq) return fail({ seq: after + 1, reason: `entry ${after + 1} is missing` });
  const uncovered = purgedSeqs.find((seq) => !covered.some(([from, to]) => seq >= from && seq <= to));
  if (uncovered !== undefined) return fail({ seq: uncovered, reason: `entry ${uncovered} was removed without a signed tombstone` });
  return report;
}
