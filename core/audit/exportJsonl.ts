import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { canonicalOf } from './auditLog.ts';
import type { AuditLog, AuditRow, CheckpointRecord } from './auditLog.ts';
import { canonicalJson, encodeEntry, encodePurgedEntry } from './canonical.ts';
import { encodeManifest } from './checkpoints.ts';
import type { ExportManifest } from './checkpoints.ts';
import { MerkleTree } from './merkle.ts';
import { describeFilter, filterSql, isEmptyFilter } from './query.ts';
import type { AuditFilter } from './query.ts';

/** Where an export's text goes: memory (API) or a file (CLI). */
export interface ExportSink {
  write(text: string): void;
}

/** Collects an export in memory, refusing to grow past `maxBytes`. */
export class MemorySink implements ExportSink {
  private readonly parts: string[] = [];
  private bytes = 0;
  private readonly maxBytes: number;

  constructor(maxBytes = Number.POSITIVE_INFINITY) {
    this.maxBytes = maxBytes;
  }

  write(text: string): void {
    this.bytes += Buffer.byteLength(text, 'utf8');
    if (this.bytes > this.maxBytes) throw new RangeError('export too large');
    this.parts.push(text);
  }

  text(): string {
    return this.parts.join('');
  }
}

/** Writes to a new file (never overwrites) in 1 MiB blocks, fsynced on close. */
export class FileSink implements ExportSink {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingLength = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'wx', 0o600);
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingLength = 0;
  }

  close(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

/** The manifest plus what a signer must add: the line is `{"export":…,"key":…,"signature":…,"keys":[…]}`. */
function manifestLine(log: AuditLog, manifest: ExportManifest, usedKeys: ReadonlySet<string>): string {
  const body = encodeManifest(manifest);
  const { keyId, signature } = log.signer.sign(body);
  const keys = log.signer.publicKeys().filter((key) => usedKeys.has(key.keyId) || key.keyId === keyId).map((key) => ({ id: key.keyId, publicKey: key.publicKey }));
  return `${JSON.stringify({ export: body, key: keyId, signature, keys })}\n`;
}

export function checkpointLine(checkpoint: CheckpointRecord): string {
  return `${JSON.stringify({ checkpoint: checkpoint.body, key: checkpoint.keyId, signature: checkpoint.signature })}\n`;
}

const entryLine = (row: AuditRow): string => `${row.purged_at === null ? encodeEntry(canonicalOf(row)) : encodePurgedEntry(row.seq, row.hash ?? '')}\n`;

/**
 * Writes a JSONL export anchored at `anchor` (a checkpoint made for this export). With no filter it
 * is complete — every entry from seq 1 and every checkpoint, so a verifier recomputes each Merkle
 * root; filtered, it holds the matching entries and, after each run of consecutive entries, an
 * inclusion proof of the run's last entry in the anchor's tree (FORMAT.md, "Export").
 */
export function writeJsonlExport(log: AuditLog, filter: AuditFilter, anchor: CheckpointRecord, sink: ExportSink, options: { exportId: string; at: number }): ExportManifest {
  const db = log.storage.db;
  const size = anchor.size;
  const complete = isEmptyFilter(filter);
  // One read transaction: a consistent snapshot even if the app appends meanwhile.
  return db.transaction(() => {
    const { where, params } = filterSql(filter);
    const checkpoints = complete ? log.checkpoints({ maxId: anchor.id }) : [anchor];
    const entries = complete ? size : (db.prepare(`SELECT count(*) FROM audit_log WHERE ${where} AND seq <= ?`).pluck().get(...params, size) as number);
    const manifest: ExportManifest = {
      installationId: log.installationId,
      exportId: options.exportId,
      at: options.at,
      scope: complete ? 'complete' : 'filtered',
      filter: canonicalJson(describeFilter(filter)),
      entries,
      checkpoints: checkpoints.length,
      treeSize: size,
      treeRoot: anchor.root,
    };
    sink.write(manifestLine(log, manifest, new Set(checkpoints.map((checkpoint) => checkpoint.keyId))));
    if (complete) {
      let next = 0;
      while (next < checkpoints.length && checkpoints[next]!.size === 0) sink.write(checkpointLine(checkpoints[next++]!));
      for (const row of db.prepare<[number], AuditRow>('SELECT * FROM audit_log WHERE seq <= ? ORDER BY seq').iterate(size)) {
        sink.write(entryLine(row));
        while (next < checkpoints.length && checkpoints[next]!.size === row.seq) sink.write(checkpointLine(checkpoints[next++]!));
      }
      return manifest;
    }
    const tree = new MerkleTree(db.prepare<[number], string>('SELECT hash FROM audit_log WHERE seq <= ? ORDER BY seq').pluck().all(size));
    let previous: AuditRow | undefined;
    const closeRun = (row: AuditRow): void => {
      sink.write(`${JSON.stringify({ proof: { seq: row.seq, size, path: tree.inclusionProof(row.seq - 1) } })}\n`);
    };
    for (const row of db.prepare<Array<string | number>, AuditRow>(`SELECT * FROM audit_log WHERE ${where} AND seq <= ? ORDER BY seq`).iterate(...params, size)) {
      if (previous && row.seq !== previous.seq + 1) closeRun(previous);
      sink.write(entryLine(row));
      previous = row;
    }
    if (previous) closeRun(previous);
    sink.write(checkpointLine(anchor));
    return manifest;
  })();
}
