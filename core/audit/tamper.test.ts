import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localOperator } from '../api/index.ts';
import type { Core } from '../createCore.ts';
import { writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { verifyBytes, verifyFileParallel } from '../../scripts/verify-audit.mjs';
import { MemorySink } from './exportJsonl.ts';
import type { AuditFilter } from './query.ts';
import { apiAs, manualClock, openCore, tempDir } from './testing.ts';
import { verifyExportBytes } from './verifyExport.ts';

// 1,000 random tamperings of real exports — a complete one (with purged entries and tombstones)
// and filtered ones (inclusion proofs) — must each be detected by both verifiers. The generator is
// seeded, so a failure names a case that can be replayed exactly.

const seed = Number(process.env.AUDIT_TAMPER_SEED ?? 20_261_121);
const cases = 1_000;

/** mulberry32: a small, well-distributed seeded generator. */
function generator(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const dir = tempDir('tamper');
const clock = manualClock();
let core: Core;
const exports = new Map<string, Buffer>();

async function exportOf(filter: AuditFilter): Promise<Buffer> {
  const sink = new MemorySink();
  await core.auditService!.export(localOperator(), filter, 'jsonl', sink);
  return Buffer.from(sink.text(), 'utf8');
}

beforeAll(async () => {
  core = await openCore(dir.path, { clock, every: 16 });
  const ops = apiAs(core);
  const alpha = await ops.call('admin.accounts.create', { name: 'Alpha Credit' });
  const beta = await ops.call('admin.accounts.create', { name: 'Beta HR' });
  await ops.call('audit.retention.set', { accountId: beta.id, retentionDays: 30 });
  for (let i = 0; i < 120; i += 1) {
    const accountId = i % 3 === 0 ? beta.id : alpha.id;
    core.audit!.append({
      action: i % 5 === 0 ? 'auth.signIn' : 'runs.answer',
      outcome: i % 7 === 0 ? 'failure' : 'success',
      actor: { userId: `user-${i % 4}`, accountId, roles: ['analyst'] },
      resource: `run:${i}`,
      requestId: `req-${i}`,
      details: { step: i, note: i % 11 === 0 ? 'naïve “quotes” \u2028 and \\ escapes' : 'plain' },
      ...(i % 9 === 0 ? { content: { answer: `answer ${i}` } } : {}),
    });
    clock.advance(86_400_000);
  }
  // Beta's old entries are purged: the complete export carries purged stubs and a tombstone.
  const purge = await ops.call('audit.purge', { accountId: beta.id });
  expect(purge.purged).toBeGreaterThan(10);
  exports.set('complete', await exportOf({}));
  exports.set('by account', await exportOf({ accountId: alpha.id }));
  exports.set('by action', await exportOf({ action: 'auth.signIn' }));
  exports.set('by time and outcome', await exportOf({ from: Date.UTC(2026, 1, 1), outcome: 'success' }));
}, 120_000);
afterAll(async () => {
  await core.dispose();
  dir.cleanup();
});

type Tampering = { kind: string; where: string; bytes: Buffer };

function lines(bytes: Buffer): string[] {
  return bytes.toString('utf8').split('\n').slice(0, -1);
}
const join = (parts: string[]) => Buffer.from(`${parts.join('\n')}\n`, 'utf8');
const isEntry = (line: string) => line.startsWith('{"v":1,');

/** One random tampering of `original`; never returns the original bytes. */
function tamper(original: Buffer, random: () => number): Tampering {
  const pick = (n: number) => Math.floor(random() * n);
  const all = lines(original);
  const entryIndexes = all.map((line, index) => (isEntry(line) ? index : -1)).filter((index) => index >= 0);
  const kinds = ['byte', 'byte', 'field', 'delete entry', 'delete line', 'reorder', 'swap adjacent entries', 'insert duplicate', 'insert forged entry', 'insert foreign line', 'truncate'] as const;
  const kind = kinds[pick(kinds.length)]!;
  switch (kind) {
    case 'byte': {
      const bytes = Buffer.from(original);
      const at = pick(bytes.length);
      bytes[at] = (bytes[at]! + 1 + pick(255)) % 256;
      return { kind, where: `@${at}`, bytes };
    }
    case 'field': {
      const index = entryIndexes[pick(entryIndexes.length)]!;
      const entry = JSON.parse(all[index]!) as Record<string, unknown>;
      const fields = Object.keys(entry).filter((key) => key !== 'v');
      const field = fields[pick(fields.length)]!;
      const value = entry[field];
      entry[field] = typeof value === 'number' ? value + 1 : typeof value === 'string' ? `${value.slice(0, -1)}${value.endsWith('0') ? '1' : '0'}` : value === null ? 'x' : { edited: true };
      const edited = [...all];
      edited[index] = JSON.stringify(entry);
      return { kind, where: `${field} of line ${index + 1}`, bytes: join(edited) };
    }
    case 'delete entry': {
      const index = entryIndexes[pick(entryIndexes.length)]!;
      return { kind, where: `line ${index + 1}`, bytes: join(all.filter((_, i) => i !== index)) };
    }
    case 'delete line': {
      const index = pick(all.length);
      return { kind, where: `${index + 1}`, bytes: join(all.filter((_, i) => i !== index)) };
    }
    case 'reorder': {
      const a = pick(all.length);
      let b = pick(all.length - 1);
      if (b >= a) b += 1;
      const swapped = [...all];
      [swapped[a], swapped[b]] = [swapped[b]!, swapped[a]!];
      return { kind, where: `lines ${a + 1} and ${b + 1}`, bytes: join(swapped) };
    }
    case 'swap adjacent entries': {
      const position = pick(entryIndexes.length - 1);
      const [a, b] = [entryIndexes[position]!, entryIndexes[position + 1]!];
      const swapped = [...all];
      [swapped[a], swapped[b]] = [swapped[b]!, swapped[a]!];
      return { kind, where: `lines ${a + 1} and ${b + 1}`, bytes: join(swapped) };
    }
    case 'insert duplicate': {
      const from = pick(all.length);
      const at = 1 + pick(all.length);
      const inserted = [...all];
      inserted.splice(at, 0, all[from]!);
      return { kind, where: `of line ${from + 1} at ${at + 1}`, bytes: join(inserted) };
    }
    case 'insert forged entry': {
      const index = entryIndexes[pick(entryIndexes.length)]!;
      const forged = all[index]!.replace(/"seq":(\d+)/, (_, seq: string) => `"seq":${Number(seq) + 1}`).replace('"success"', '"denied"');
      const inserted = [...all];
      inserted.splice(index + 1, 0, forged);
      return { kind, where: `after line ${index + 1}`, bytes: join(inserted) };
    }
    case 'insert foreign line': {
      // A genuine line of another export of the same installation (an entry, proof or checkpoint).
      const others = [...exports.values()].filter((bytes) => bytes !== original);
      const other = lines(others[pick(others.length)]!);
      const line = other[1 + pick(other.length - 1)]!;
      const at = 1 + pick(all.length);
      const inserted = [...all];
      inserted.splice(at, 0, line);
      if (join(inserted).equals(original)) return tamper(original, random);
      return { kind, where: `at ${at + 1}`, bytes: join(inserted) };
    }
    case 'truncate': {
      const at = pick(original.length);
      return { kind, where: `at byte ${at}`, bytes: original.subarray(0, at) };
    }
  }
}

describe('tamper evidence', () => {
  it('the untouched exports verify with both verifiers', () => {
    for (const [name, bytes] of exports) {
      expect(verifyExportBytes(bytes).ok, name).toBe(true);
      expect(verifyBytes(bytes).ok, name).toBe(true);
    }
    expect(lines(exports.get('complete')!).some((line) => line.includes('"purged":'))).toBe(true);
    expect(lines(exports.get('by account')!).some((line) => line.startsWith('{"proof"'))).toBe(true);
  });

  it(`${cases} random tamperings (bytes, fields, deleted, reordered, inserted lines, truncation) are all detected by both verifiers, which report the same first problem`, () => {
    const random = generator(seed);
    const names = [...exports.keys()];
    const kinds = new Map<string, number>();
    const missed: string[] = [];
    const differ: string[] = [];
    for (let i = 0; i < cases; i += 1) {
      const name = names[i % names.length]!;
      const original = exports.get(name)!;
      const { kind, where, bytes } = tamper(original, random);
      expect(bytes.equals(original)).toBe(false);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const core = verifyExportBytes(bytes);
      const standalone = verifyBytes(bytes);
      if (core.ok) missed.push(`#${i} ${name}: ${kind} ${where} (core verifier)`);
      if (standalone.ok) missed.push(`#${i} ${name}: ${kind} ${where} (scripts/verify-audit.mjs)`);
      if (!core.ok) expect(core.firstProblem!.line).toBeGreaterThan(0);
      // Two implementations, one report: the same first line, entry and words.
      if (!core.ok && !standalone.ok && JSON.stringify(core.firstProblem) !== JSON.stringify(standalone.firstProblem)) differ.push(`#${i} ${name}: ${kind} ${where}: core ${JSON.stringify(core.firstProblem)}, standalone ${JSON.stringify(standalone.firstProblem)}`);
    }
    expect(differ, `seed ${seed}`).toEqual([]);
    expect(missed, `seed ${seed}`).toEqual([]);
    // Every kind of tampering was exercised many times.
    expect(kinds.size).toBe(10);
    expect(Math.min(...kinds.values())).toBeGreaterThan(40);
  });

  it('the standalone verifier’s threads, reading the file in small ranges, report exactly what its one-thread path reports', async () => {
    // Ranges of 1-8 KiB split lines, runs and checkpoints anywhere; truncations leave a last line
    // without its newline in any range. 0-2 workers: the calling thread scans ranges too.
    const random = generator(seed + 2);
    const names = [...exports.keys()];
    const file = joinPath(dir.path, 'ranges.jsonl');
    for (let i = 0; i < 60; i += 1) {
      const original = exports.get(names[i % names.length]!)!;
      const bytes = i < 4 ? original : tamper(original, random).bytes;
      writeFileSync(file, bytes);
      const threaded = await verifyFileParallel(file, {}, { workers: i % 3, chunkBytes: 1_024 + Math.floor(random() * 7_168) });
      expect(threaded, `case ${i}`).toEqual(verifyBytes(bytes));
    }
  }, 120_000);
});

describe('tamper evidence in long exports (the standalone verifier’s aligned subtrees and worker threads)', () => {
  it('a 1,300-entry export verifies the same on one thread and on two workers with tiny reads, and every tampered entry is caught by all paths', async () => {
    // The default checkpoint interval (1,000), so long linked runs form aligned subtrees in the complete export too.
    const longDir = tempDir('tamper-long');
    const long = await openCore(longDir.path);
    const exportLong = async (filter: AuditFilter) => {
      const sink = new MemorySink();
      await long.auditService!.export(localOperator(), filter, 'jsonl', sink);
      return Buffer.from(sink.text(), 'utf8');
    };
    for (let i = 0; i < 1_300; i += 1) long.audit!.append({ action: i % 5 === 0 ? 'runs.start' : 'runs.step', outcome: 'success', actor: { userId: `u-${i % 3}`, accountId: null }, details: { i } });
    const complete = await exportLong({});
    const filtered = await exportLong({ action: 'runs.step' });
    await long.dispose();
    longDir.cleanup();
    const random = generator(seed + 1);
    const file = joinPath(dir.path, 'long.jsonl');
    const parallel = async (bytes: Buffer) => {
      writeFileSync(file, bytes);
      return verifyFileParallel(file, {}, { workers: 2, chunkBytes: 4_096 });
    };
    for (const bytes of [complete, filtered]) {
      expect(verifyBytes(bytes).ok).toBe(true);
      expect((await parallel(bytes)).ok).toBe(true);
    }
    for (let i = 0; i < 60; i += 1) {
      const original = i % 2 === 0 ? complete : filtered;
      const all = lines(original);
      const entries = all.map((line, index) => (isEntry(line) ? index : -1)).filter((index) => index > 0);
      const target = entries[Math.floor(random() * entries.length)]!;
      const edited = [...all];
      const kind = i % 3;
      if (kind === 0) edited[target] = edited[target]!.replace(/"(prev|purged)":"([0-9a-f])/, (_, field: string, digit: string) => `"${field}":"${digit === '0' ? '1' : '0'}`);
      else if (kind === 1) edited.splice(target, 1);
      else [edited[target], edited[target + 1]] = [edited[target + 1]!, edited[target]!];
      const bytes = join(edited);
      expect(bytes.equals(original)).toBe(false);
      const sequential = verifyBytes(bytes);
      const threaded = await parallel(bytes);
      expect(sequential.ok, `case ${i}`).toBe(false);
      expect(threaded, `case ${i}`).toMatchObject({ ok: false, firstProblem: sequential.firstProblem });
      expect(verifyExportBytes(bytes).ok, `case ${i}`).toBe(false);
    }
  }, 120_000);
});
