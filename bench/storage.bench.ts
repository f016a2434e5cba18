// Encrypted storage vs plain better-sqlite3, same rows, same run (issue 3).
//   node bench/storage.bench.ts [rows]
// Inserts: 1 KiB span payloads in transactions of 1,000 rows — plaintext TEXT column vs a Sealed
// BLOB written through an AccountRepository (AES-256-GCM, per-row AAD). Reads: every span of
// every trace (32 per trace) with its payload decoded. Targets: encrypted inserts ≥ 0.7× plain
// and ≥ 20,000 rows/s; encrypted reads ≥ 0.7× plain. Best of 3 rounds each, alternating.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sealed } from '../core/crypto/index.ts';
import { MemorySecretStore } from '../core/secrets/index.ts';
import { AccountRepository, appMigrations, openDatabase, openStorage } from '../core/storage/index.ts';
import type { Migration, SqliteDatabase, Storage } from '../core/storage/index.ts';

const rows = Number(process.argv[2] ?? 50_000);
const batch = 1_000;
const spansPerTrace = 32;

const spanColumns = `id TEXT PRIMARY KEY, account_id TEXT NOT NULL, trace_id TEXT NOT NULL, parent_id TEXT, name TEXT NOT NULL,
  status TEXT NOT NULL, model_id TEXT, started_at INTEGER NOT NULL, ended_at INTEGER, input_tokens INTEGER, output_tokens INTEGER`;
const spanIndex = 'CREATE INDEX spans_trace ON spans (account_id, trace_id, started_at)';

interface Span {
  id: string;
  traceId: string;
  startedAt: number;
  payload: string;
}

function makeSpans(count: number): Span[] {
  return Array.from({ length: count }, (_, index) => ({
    id: randomUUID(),
    traceId: `trace-${Math.floor(index / spansPerTrace)}`,
    startedAt: 1_800_000_000_000 + index,
    payload: randomBytes(768).toString('base64'), // 1,024 characters of prompt/output-like text
  }));
}

const spansMigration: Migration = {
  version: appMigrations.length + 1,
  name: 'bench: spans',
  up: (db) => db.exec(`CREATE TABLE spans (${spanColumns}, payload BLOB NOT NULL) STRICT; ${spanIndex}`),
};

type SpanInsert = [string, string, string, null, string, string, string, number, number, number, number];

/** The encrypted side: a real AccountRepository sealing the payload. */
class SpansRepository extends AccountRepository {
  protected readonly table = 'spans';

  insertBatch(spans: readonly Span[]): void {
    const insert = this.statement<[...SpanInsert, Sealed<string>]>('INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.transaction(() => {
      for (const span of spans) {
        insert.run(span.id, this.accountId, span.traceId, null, 'llm.call', 'ok', 'model-x', span.startedAt, span.startedAt + 100, 120, 340, this.sealText('payload', span.id, span.payload));
      }
    });
  }

  readTrace(traceId: string): number {
    const select = this.statement<[string, string], { id: string; payload: Sealed<string> }>('SELECT * FROM spans WHERE account_id = ? AND trace_id = ? ORDER BY started_at');
    let bytes = 0;
    for (const row of select.all(this.accountId, traceId)) bytes += this.open('payload', row.id, row.payload).length;
    return bytes;
  }
}

function plainSide(dir: string): { insertBatch(spans: readonly Span[]): void; readTrace(traceId: string): number; db: SqliteDatabase } {
  const db = openDatabase(join(dir, 'plain.db'));
  db.exec(`CREATE TABLE spans (${spanColumns}, payload TEXT NOT NULL) STRICT; ${spanIndex}`);
  const insert = db.prepare<[...SpanInsert, string]>('INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const select = db.prepare<[string, string], { payload: string }>('SELECT * FROM spans WHERE account_id = ? AND trace_id = ? ORDER BY started_at');
  const insertBatch = db.transaction((spans: readonly Span[]) => {
    for (const span of spans) insert.run(span.id, 'account-1', span.traceId, null, 'llm.call', 'ok', 'model-x', span.startedAt, span.startedAt + 100, 120, 340, span.payload);
  });
  return {
    db,
    insertBatch: (spans) => insertBatch.immediate(spans),
    readTrace: (traceId) => select.all('account-1', traceId).reduce((bytes, row) => bytes + row.payload.length, 0),
  };
}

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

interface Side {
  insertBatch(spans: readonly Span[]): void;
  readTrace(traceId: string): number;
}

function measure(side: Side, spans: readonly Span[]): { insertRate: number; readRate: number } {
  const insertMs = time(() => {
    for (let start = 0; start < spans.length; start += batch) side.insertBatch(spans.slice(start, start + batch));
  });
  const traces = Math.ceil(spans.length / spansPerTrace);
  let bytes = 0;
  const readMs = time(() => {
    for (let trace = 0; trace < traces; trace += 1) bytes += side.readTrace(`trace-${trace}`);
  });
  if (bytes !== spans.length * 1024) throw new Error(`read ${bytes} payload bytes, expected ${spans.length * 1024}`);
  return { insertRate: (spans.length / insertMs) * 1000, readRate: (spans.length / readMs) * 1000 };
}

const rounds = 3;
const best = { plain: { insertRate: 0, readRate: 0 }, encrypted: { insertRate: 0, readRate: 0 } };
for (let round = 0; round < rounds; round += 1) {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-bench-'));
  let storage: Storage | undefined;
  let plain: ReturnType<typeof plainSide> | undefined;
  try {
    const spans = makeSpans(rows);
    storage = await openStorage({ dataDir: join(dir, 'encrypted'), secrets: new MemorySecretStore(), migrations: [...appMigrations, spansMigration], sealedTables: [{ table: 'spans', idColumn: 'id', accountColumn: 'account_id', columns: ['payload'] }] });
    const encrypted = new SpansRepository(storage.scopeFor({ accountId: storage.accounts.list()[0]!.id }));
    plain = plainSide(dir);
    // Alternate which side goes first so neither always gets the warmer cache.
    const order: ['plain' | 'encrypted', Side][] = round % 2 === 0 ? [['plain', plain], ['encrypted', encrypted]] : [['encrypted', encrypted], ['plain', plain]];
    for (const [name, side] of order) {
      const result = measure(side, spans);
      best[name].insertRate = Math.max(best[name].insertRate, result.insertRate);
      best[name].readRate = Math.max(best[name].readRate, result.readRate);
    }
  } finally {
    plain?.db.close();
    await storage?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (rate: number): string => `${Math.round(rate).toLocaleString('en-US')} rows/s`;
const insertRatio = best.encrypted.insertRate / best.plain.insertRate;
const readRatio = best.encrypted.readRate / best.plain.readRate;
const verdict = (ok: boolean): string => (ok ? 'meets target' : 'BELOW TARGET');
console.log(`storage bench: ${rows.toLocaleString('en-US')} spans × 1 KiB payload, ${batch} rows per transaction, best of ${rounds} rounds`);
console.log(`inserts  plain ${fmt(best.plain.insertRate)}  encrypted ${fmt(best.encrypted.insertRate)}  ratio ${insertRatio.toFixed(2)}× (target ≥ 0.70×: ${verdict(insertRatio >= 0.7)}; ≥ 20,000 rows/s: ${verdict(best.encrypted.insertRate >= 20_000)})`);
console.log(`reads    plain ${fmt(best.plain.readRate)}  encrypted ${fmt(best.encrypted.readRate)}  ratio ${readRatio.toFixed(2)}× (target ≥ 0.70×: ${verdict(readRatio >= 0.7)})`);
