import { closeSync, openSync, readSync } from 'node:fs';
import { createPublicKey, hash, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { parseCheckpointBody, parseManifest } from './checkpoints.ts';
import type { ExportManifest, SeqRanges } from './checkpoints.ts';
import { binarySpelling, Frontier, isHash, verifyInclusion } from './merkle.ts';
import { keyIdOf, publicKeyFromRaw } from './signing.ts';

/** The result of checking an export file. */
export interface ExportVerification {
  ok: boolean;
  scope: 'complete' | 'filtered' | null;
  entries: number;
  checkpoints: number;
  treeSize: number | null;
  treeRoot: string | null;
  /** Ids of the keys whose signatures were checked. */
  keyIds: string[];
  /** Whether the keys were pinned by the caller or taken from the export itself. */
  keysPinned: boolean;
  /** The first problem: its 1-based line, the entry's seq when it is an entry, and why. */
  firstProblem: { line: number; seq?: number; reason: string } | null;
}

export interface VerifyExportOptions {
  /** Public keys to trust (PEM SPKI or raw base64). Without them the export's own keys are used and the report says so. */
  trustedKeys?: readonly string[];
}

class Broken extends Error {
  readonly seq: number | undefined;
  constructor(reason: string, seq?: number) {
    super(reason);
    this.seq = seq;
  }
}

const entryPrefix = Buffer.from('{"v":1,"seq":');
const prevMarker = Buffer.from(',"prev":"');
const purgedMarker = Buffer.from(',"purged":"');

/**
 * Whether buffer[at, end) starts with `marker`. A plain loop: Buffer#compare is a native call whose
 * fixed cost outweighs comparing 9-13 bytes, and it runs once or twice per line.
 */
function startsWith(buffer: Buffer, at: number, end: number, marker: Buffer): boolean {
  if (end - at < marker.length) return false;
  for (let k = 0; k < marker.length; k += 1) if (buffer[at + k] !== marker[k]) return false;
  return true;
}

// Hashes on the hot path are 32-byte binary (latin1) strings, not hex: a hex digest costs more to
// make, and each inner node would decode two of them again. Hex appears only where a line has it.
const binaryOf = (hex: string): string => Buffer.from(hex, 'hex').toString('latin1');
const hexOf = (binary: string): string => Buffer.from(binary, 'latin1').toString('hex');
const genesis = '\0'.repeat(32);

// The two lowercase hex digits of each byte value as they read from a line: (low << 8) | high.
const hexDigits = new Uint16Array(256);
for (let byte = 0; byte < 256; byte += 1) hexDigits[byte] = '0123456789abcdef'.charCodeAt(byte >> 4) | ('0123456789abcdef'.charCodeAt(byte & 15) << 8);

/** Whether buffer[at, at + 64), within the line ending at `end`, spells the binary hash in lowercase hex. */
function spells(buffer: Buffer, at: number, end: number, binary: string): boolean {
  if (end - at < 64) return false;
  for (let k = 0; k < 32; k += 1) if ((buffer[at + 2 * k]! | (buffer[at + 2 * k + 1]! << 8)) !== hexDigits[binary.charCodeAt(k)]) return false;
  return true;
}

/** Parses a trusted key given as PEM (SPKI) or as the raw 32 bytes in base64. */
export function parseTrustedKey(text: string): { id: string; key: KeyObject } {
  const trimmed = text.trim();
  const key = trimmed.startsWith('-----BEGIN') ? createPublicKey(trimmed) : publicKeyFromRaw(trimmed);
  const raw = Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url');
  if (key.asymmetricKeyType !== 'ed25519' || raw.length !== 32) throw new Error('not an Ed25519 public key');
  return { id: keyIdOf(raw), key };
}

/**
 * Checks a JSONL export (FORMAT.md): the signed manifest, every entry's link to the one before it,
 * every Merkle root (recomputed for a complete export, through inclusion proofs for a filtered one),
 * every signature, and the counts the manifest signs — so an edited byte or field, a deleted,
 * reordered or inserted line, or a truncation is reported at the first line where it shows.
 * Entry lines are hashed as read, never re-encoded, so this runs near the speed of SHA-256.
 */
export class ExportVerifier {
  private readonly trusted: Map<string, KeyObject> | undefined;
  private keys = new Map<string, KeyObject>();
  private manifest: ExportManifest | undefined;
  private line = 0;
  private entries = 0;
  private checkpoints = 0;
  private lastSeq = 0;
  /** The last entry's hash, binary. */
  private lastHash = genesis;
  private runOpen = false;
  private finalCheckpointSeen = false;
  private readonly frontier = new Frontier(binarySpelling);
  private readonly stubs: number[] = [];
  private readonly tombstones: Array<readonly [number, number]> = [];

  constructor(options: VerifyExportOptions = {}) {
    if (options.trustedKeys) this.trusted = new Map(options.trustedKeys.map((text) => {
      const parsed = parseTrustedKey(text);
      return [parsed.id, parsed.key];
    }));
  }

  /** Feeds one line (without its newline). `buffer[start - 1]` must be writable scratch. */
  private onLine(buffer: Buffer, start: number, end: number): void {
    this.line += 1;
    if (this.line === 1) return this.onManifest(buffer.toString('utf8', start, end));
    if (!this.manifest) throw new Broken('the export has no manifest');
    if (this.finalCheckpointSeen && this.manifest.scope === 'filtered') throw new Broken('lines follow the final checkpoint');
    if (end - start > entryPrefix.length && startsWith(buffer, start, end, entryPrefix)) return this.onEntry(buffer, start, end);
    let value: unknown;
    try {
      value = JSON.parse(buffer.toString('utf8', start, end));
    } catch {
      throw new Broken('a line is not valid JSON');
    }
    if (isRecord(value) && 'checkpoint' in value) return this.onCheckpoint(value);
    if (isRecord(value) && 'proof' in value) return this.onProof(value);
    throw new Broken('a line is neither an entry, a checkpoint nor a proof');
  }

  private onManifest(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Broken('the manifest line is not valid JSON');
    }
    if (!isRecord(value) || !hasExactly(value, ['export', 'key', 'signature', 'keys']) || typeof value.export !== 'string' || !Array.isArray(value.keys)) throw new Broken('the first line is not an export manifest');
    for (const entry of value.keys as unknown[]) {
      const raw = isRecord(entry) ? strictBase64(entry.publicKey) : undefined;
      if (!isRecord(entry) || !hasExactly(entry, ['id', 'publicKey']) || typeof entry.id !== 'string' || raw?.length !== 32) throw new Broken('the manifest lists a malformed key');
      let key: KeyObject;
      try {
        key = publicKeyFromRaw(raw.toString('base64'));
      } catch {
        throw new Broken(`key ${entry.id} is not an Ed25519 public key`);
      }
      if (keyIdOf(raw) !== entry.id) throw new Broken(`key ${entry.id} does not match its id`);
      this.keys.set(entry.id, key);
    }
    if (this.trusted) this.keys = this.trusted;
    this.checkSignature(value.export, value.key, value.signature, 'the manifest');
    const manifest = parseManifest(value.export);
    if (!manifest) throw new Broken('the manifest body is malformed');
    this.manifest = manifest;
  }

  private checkSignature(body: string, keyId: unknown, signature: unknown, what: string): void {
    const key = typeof keyId === 'string' ? this.keys.get(keyId) : undefined;
    // Worded as scripts/verify-audit.mjs words it (the tamper test holds both to one report); the
    // key id is not echoed: it comes from the file being checked and may be anything.
    if (!key) throw new Broken(`${what} is signed by a key that is not ${this.trusted ? 'pinned' : 'in the export'}`);
    const bytes = strictBase64(signature);
    if (!bytes || !verify(null, Buffer.from(body, 'utf8'), key, bytes)) throw new Broken(`${what}'s signature is not valid`);
  }

  private onEntry(buffer: Buffer, start: number, end: number): void {
    const manifest = this.manifest!;
    let position = start + entryPrefix.length;
    let seq = 0;
    const digitsStart = position;
    while (position < end && buffer[position]! >= 48 && buffer[position]! <= 57) seq = seq * 10 + buffer[position++]! - 48;
    if (position === digitsStart || (buffer[digitsStart] === 48) || position - digitsStart > 15) throw new Broken('an entry has a malformed seq');
    let linked: boolean | undefined; // whether its prev is the last entry's hash; undefined for a purged stub
    let leaf: string;
    if (startsWith(buffer, position, end, prevMarker)) {
      linked = spells(buffer, position + prevMarker.length, end, this.lastHash);
      buffer[start - 1] = 0;
      leaf = hash('sha256', buffer.subarray(start - 1, end), 'binary');
    } else if (startsWith(buffer, position, end, purgedMarker) && end === position + purgedMarker.length + 66 && buffer.toString('latin1', end - 2, end) === '"}') {
      const hex = buffer.toString('latin1', position + purgedMarker.length, end - 2);
      if (!isHash(hex)) throw new Broken(`purged entry ${seq} has a malformed hash`, seq);
      if (manifest.scope === 'filtered') throw new Broken(`a filtered export holds purged entry ${seq}`, seq);
      this.stubs.push(seq);
      leaf = binaryOf(hex);
    } else {
      throw new Broken(`entry ${seq} is malformed`, seq);
    }
    if (manifest.scope === 'complete') {
      if (seq !== this.lastSeq + 1) throw new Broken(seq <= this.lastSeq ? `entry ${seq} is out of order or repeated` : `entries ${this.lastSeq + 1}–${seq - 1} are missing`, seq);
      if (linked === false) throw new Broken(`entry ${seq} does not link to entry ${seq - 1}: one of them was altered`, seq);
      this.frontier.append(leaf);
    } else {
      if (seq <= this.lastSeq) throw new Broken(`entry ${seq} is out of order or repeated`, seq);
      if (this.runOpen) {
        if (seq !== this.lastSeq + 1) throw new Broken(`entries after ${this.lastSeq} were removed: its proof is missing`, seq);
        if (linked !== true) throw new Broken(`entry ${seq} does not link to entry ${seq - 1}: one of them was altered`, seq);
      }
      if (seq > manifest.treeSize) throw new Broken(`entry ${seq} lies beyond the signed tree of ${manifest.treeSize}`, seq);
      this.runOpen = true;
    }
    this.lastSeq = seq;
    this.lastHash = leaf;
    this.entries += 1;
  }

  private onCheckpoint(value: Record<string, unknown>): void {
    const manifest = this.manifest!;
    if (!hasExactly(value, ['checkpoint', 'key', 'signature']) || typeof value.checkpoint !== 'string') throw new Broken('a checkpoint line is malformed');
    this.checkSignature(value.checkpoint, value.key, value.signature, 'a checkpoint');
    const body = parseCheckpointBody(value.checkpoint);
    if (!body) throw new Broken('a checkpoint body is malformed');
    if (body.installationId !== manifest.installationId) throw new Broken('a checkpoint belongs to another installation');
    this.checkpoints += 1;
    if (manifest.scope === 'complete') {
      if (body.size !== this.frontier.size) throw new Broken(`a checkpoint of ${body.size} entries stands after entry ${this.frontier.size}`, this.lastSeq);
      if (body.root !== hexOf(this.frontier.root())) throw new Broken(`the Merkle root over entries 1–${body.size} does not match its signed checkpoint: an entry was altered`, this.lastSeq);
      if (body.purged) this.tombstones.push(...body.purged);
      if (body.size === manifest.treeSize && body.root === manifest.treeRoot) this.finalCheckpointSeen = true;
    } else {
      if (this.runOpen) throw new Broken(`entry ${this.lastSeq} has no inclusion proof`, this.lastSeq);
      if (body.size !== manifest.treeSize || body.root !== manifest.treeRoot) throw new Broken('the checkpoint is not the one the manifest names');
      this.finalCheckpointSeen = true;
    }
  }

  private onProof(value: Record<string, unknown>): void {
    const manifest = this.manifest!;
    const proof = value.proof;
    if (manifest.scope !== 'filtered' || !hasExactly(value, ['proof']) || !isRecord(proof) || !hasExactly(proof, ['seq', 'size', 'path'])) throw new Broken('a proof line is malformed');
    const { seq, size, path } = proof;
    if (!this.runOpen || seq !== this.lastSeq) throw new Broken(`a proof for entry ${String(seq)} does not follow that entry`, this.lastSeq);
    if (size !== manifest.treeSize || !Array.isArray(path) || !path.every(isHash)) throw new Broken(`the proof for entry ${this.lastSeq} is malformed`, this.lastSeq);
    if (!verifyInclusion(this.lastSeq - 1, manifest.treeSize, hexOf(this.lastHash), path, manifest.treeRoot)) throw new Broken(`entry ${this.lastSeq} (or one linked before it) is not in the signed tree: it was altered`, this.lastSeq);
    this.runOpen = false;
  }

  private finish(): void {
    const manifest = this.manifest;
    if (!manifest) throw new Broken('the export is empty');
    if (this.runOpen) throw new Broken(`entry ${this.lastSeq} has no inclusion proof`, this.lastSeq);
    if (this.entries !== manifest.entries) throw new Broken(`the export holds ${this.entries} entries; its manifest signs ${manifest.entries}`);
    if (this.checkpoints !== manifest.checkpoints) throw new Broken(`the export holds ${this.checkpoints} checkpoints; its manifest signs ${manifest.checkpoints}`);
    if (!this.finalCheckpointSeen) throw new Broken('the checkpoint the manifest names is missing');
    if (manifest.scope === 'complete') {
      if (this.frontier.size !== manifest.treeSize) throw new Broken(`the export ends after entry ${this.frontier.size}; its manifest signs ${manifest.treeSize}`);
      const ranges = [...this.tombstones].sort((a, b) => a[0] - b[0]);
      const uncovered = this.stubs.find((seq) => !covers(ranges, seq));
      if (uncovered !== undefined) throw new Broken(`entry ${uncovered} was removed without a signed tombstone`, uncovered);
    }
  }

  private report(problem: ExportVerification['firstProblem']): ExportVerification {
    return {
      ok: problem === null,
      scope: this.manifest?.scope ?? null,
      entries: this.entries,
      checkpoints: this.checkpoints,
      treeSize: this.manifest?.treeSize ?? null,
      treeRoot: this.manifest?.treeRoot ?? null,
      keyIds: [...this.keys.keys()],
      keysPinned: this.trusted !== undefined,
      firstProblem: problem,
    };
  }

  /** Verifies bytes read through `read` (like fs.readSync into buffer at offset); one pass, bounded memory. */
  run(read: (buffer: Buffer, offset: number, length: number) => number, sizeHint = Number.POSITIVE_INFINITY): ExportVerification {
    const chunk = Math.min(8 << 20, Math.max(1 << 16, sizeHint));
    let buffer = Buffer.allocUnsafe(1 + chunk);
    let carry = 0;
    try {
      for (;;) {
        if (buffer.length < 1 + carry + chunk) {
          const grown = Buffer.allocUnsafe(2 * (1 + carry + chunk));
          buffer.copy(grown, 1, 1, 1 + carry);
          buffer = grown;
        }
        const count = read(buffer, 1 + carry, chunk);
        const end = 1 + carry + count;
        const view = buffer.subarray(0, end);
        let start = 1;
        for (let newline = view.indexOf(10, start); newline !== -1; newline = view.indexOf(10, start)) {
          this.onLine(buffer, start, newline);
          start = newline + 1;
        }
        if (count === 0) {
          if (start < end) {
            this.line += 1;
            throw new Broken('the last line has no newline: the export was cut short or appended to');
          }
          break;
        }
        carry = end - start;
        buffer.copy(buffer, 1, start, end);
      }
      this.finish();
      return this.report(null);
    } catch (error) {
      if (!(error instanceof Broken)) throw error;
      return this.report({ line: this.line, ...(error.seq !== undefined ? { seq: error.seq } : {}), reason: error.message });
    }
  }
}

/**
 * Base64 decoding that accepts one spelling per value: Node's decoder ignores stray characters and
 * the unused bits of the last digit, which would let an edited signature or key still decode alike.
 */
function strictBase64(value: unknown): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes : undefined;
}

function covers(sortedRanges: SeqRanges, seq: number): boolean {
  let low = 0;
  let high = sortedRanges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [from, to] = sortedRanges[middle]!;
    if (seq < from) high = middle - 1;
    else if (seq > to) low = middle + 1;
    else return true;
  }
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(value, key));
}

/** Verifies an export held in memory. */
export function verifyExportBytes(bytes: Uint8Array, options: VerifyExportOptions = {}): ExportVerification {
  let offset = 0;
  return new ExportVerifier(options).run((buffer, at, length) => {
    const count = Math.min(length, bytes.length - offset);
    buffer.set(bytes.subarray(offset, offset + count), at);
    offset += count;
    return count;
  }, bytes.length + 1);
}

/** Verifies an export file, reading it once in 8 MiB blocks. */
export function verifyExportFile(path: string, options: VerifyExportOptions = {}): ExportVerification {
  const fd = openSync(path, 'r');
  try {
    return new ExportVerifier(options).run((buffer, at, length) => readSync(fd, buffer, at, length, null));
  } finally {
    closeSync(fd);
  }
}
