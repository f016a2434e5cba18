#!/usr/bin/env node
// Standalone verifier for Strongroom audit-log exports (JSONL). It needs nothing but Node.js 22 or
// later — no npm packages, no Strongroom installation — so an auditor can copy this one file and
// check an export offline:
//
//   node verify-audit.mjs EXPORT.jsonl [--public-key KEY.pem]... [--threads N] [--json]
//
// It checks the signed manifest, every entry's hash link to the entry before it, every Merkle root
// (RFC 6962; recomputed for a complete export, through inclusion proofs for a filtered one), every
// Ed25519 signature, and the counts the manifest signs. It prints the first broken line and exits
// 1 on any failure, 0 when everything verifies, 2 on a usage error. Pin the installation's public
// key with --public-key (from `strongroom audit public-key`); without it the keys embedded in the
// export are used and the report says so. The format is specified in core/audit/FORMAT.md.
//
// Written independently of Strongroom's own verifier (core/audit/verifyExport.ts) on purpose: the
// tests run both against the same tampered files, so a bug in one does not hide in the other.

import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createPublicKey, hash, verify } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const ENTRY_PREFIX = Buffer.from('{"v":1,"seq":');
const PREV_MARKER = Buffer.from(',"prev":"');
const PURGED_MARKER = Buffer.from(',"purged":"');
const HEX64 = /^[0-9a-f]{64}$/;

class Broken extends Error {
  constructor(reason, seq) {
    super(reason);
    this.seq = seq;
  }
}

// ── Merkle trees (RFC 6962 / RFC 9162) ─────────────────────────────────────────

const scratch = Buffer.alloc(65);
scratch[0] = 1;
function node(left, right) {
  scratch.write(left, 1, 32, 'hex');
  scratch.write(right, 33, 32, 'hex');
  return hash('sha256', scratch, 'hex');
}

/** RFC 9162 §2.1.3.2 inclusion proof verification. */
function included(index, size, leaf, path, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r === root;
}

// ── Signed bodies ──────────────────────────────────────────────────────────────

function fields(text, header) {
  if (typeof text !== 'string' || !text.endsWith('\n')) return undefined;
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== header) return undefined;
  const map = new Map();
  for (const line of lines.slice(1)) {
    const space = line.indexOf(' ');
    if (space <= 0 || map.has(line.slice(0, space))) return undefined;
    map.set(line.slice(0, space), line.slice(space + 1));
  }
  return map;
}

const count = (text) => (/^(0|[1-9]\d{0,14})$/.test(text ?? '') ? Number(text) : undefined);
const isoTime = (text) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(text ?? '') && !Number.isNaN(Date.parse(text));

function parseRanges(text) {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) return undefined;
  const ranges = [];
  let last = 0;
  for (const part of text.split(',')) {
    const [from, to = from] = part.split('-').map(Number);
    if (from < 1 || to < from || from <= last) return undefined;
    ranges.push([from, to]);
    last = to;
  }
  return ranges;
}

function parseCheckpoint(text) {
  const f = fields(text, 'strongroom-audit-checkpoint/v1');
  if (!f) return undefined;
  const keys = [...f.keys()].join(' ');
  const kind = f.get('kind');
  if (keys !== 'installation kind size root time' && keys !== 'installation kind size root time purged') return undefined;
  if (!['periodic', 'export', 'tombstone'].includes(kind) || (kind === 'tombstone') !== f.has('purged')) return undefined;
  const size = count(f.get('size'));
  const purged = f.has('purged') ? parseRanges(f.get('purged')) : [];
  if (size === undefined || !HEX64.test(f.get('root')) || !isoTime(f.get('time')) || !purged) return undefined;
  return { installation: f.get('installation'), kind, size, root: f.get('root'), purged };
}

function parseManifest(text) {
  const f = fields(text, 'strongroom-audit-export/v1');
  if (!f || [...f.keys()].join(' ') !== 'installation export time scope filter entries checkpoints tree') return undefined;
  const [sizeText, root, extra] = f.get('tree').split(' ');
  const manifest = {
    installation: f.get('installation'),
    scope: f.get('scope'),
    entries: count(f.get('entries')),
    checkpoints: count(f.get('checkpoints')),
    treeSize: count(sizeText),
    treeRoot: root,
  };
  if (!['complete', 'filtered'].includes(manifest.scope) || !isoTime(f.get('time')) || extra !== undefined || !HEX64.test(root ?? '')) return undefined;
  if (manifest.entries === undefined || manifest.checkpoints === undefined || manifest.treeSize === undefined) return undefined;
  return manifest;
}

function ed25519FromRaw(base64) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(base64, 'base64').toString('base64url') }, format: 'jwk' });
}

function keyId(key) {
  const raw = Buffer.from(key.export({ format: 'jwk' }).x, 'base64url');
  return hash('sha256', raw, 'hex').slice(0, 16);
}

/** A key to trust: PEM (SPKI) or the raw 32 bytes in base64. */
export function trustedKey(text) {
  const trimmed = text.trim();
  const key = trimmed.startsWith('-----BEGIN') ? createPublicKey(trimmed) : ed25519FromRaw(trimmed);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return { id: keyId(key), key };
}

// Node's base64 decoder skips stray characters and the unused bits of the last digit; accept only
// the one canonical spelling, so an edited signature or key cannot decode to the same bytes.
function strictBase64(value) {
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes : undefined;
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const exactly = (value, keys) => Object.keys(value).length === keys.length && keys.every((key) => Object.hasOwn(value, key));

// ── Scanning: lines → records ─────────────────────────────────────────────────
// Hashing every entry is most of the work, and entries hash independently, so with --threads N
// the file is cut into ranges that N - 1 worker threads (this same file) and the main thread read
// and scan, while the main thread checks links, counts and Merkle roots in order. Otherwise the
// same code scans it inline.

const KIND_ENTRY = 0;
const KIND_STUB = 1;
const KIND_TEXT = 2;
const KIND_BAD = 3;

const HEX_VALUE = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i += 1) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i += 1) HEX_VALUE[97 + i] = 10 + i;

/** Decodes 64 lowercase hex digits at buffer[from] into target[at..at+32); false if any is not one. */
function hexInto(buffer, from, target, at) {
  for (let k = 0; k < 32; k += 1) {
    const high = HEX_VALUE[buffer[from + 2 * k]];
    const low = HEX_VALUE[buffer[from + 2 * k + 1]];
    if (high > 15 || low > 15) return false;
    target[at + k] = high * 16 + low;
  }
  return true;
}

// Two hex digits of each byte value as they read from a line, little-endian: (low digit << 8) | high digit.
const HEX_TEXT = new Uint16Array(256);
for (let b = 0; b < 256; b += 1) HEX_TEXT[b] = '0123456789abcdef'.charCodeAt(b >> 4) | ('0123456789abcdef'.charCodeAt(b & 15) << 8);

/** Whether the 64 hex digits at text[at] spell the 32 bytes hashes[from..from+32). */
function spells(text, at, hashes, from) {
  for (let k = 0; k < 32; k += 2) {
    if (text.getUint32(at + 2 * k, true) !== (HEX_TEXT[hashes[from + k]] | (HEX_TEXT[hashes[from + k + 1]] << 16))) return false;
  }
  return true;
}

// The markers every entry line has, as little-endian 32-bit words of their first 12 and 8 bytes.
const wordsOf = (bytes) => Array.from({ length: bytes.length >> 2 }, (_, k) => bytes.readUInt32LE(4 * k));
const [ENTRY_0, ENTRY_1, ENTRY_2] = wordsOf(ENTRY_PREFIX); // {"v":1,"seq":  (then ':')
const [PREV_0, PREV_1] = wordsOf(PREV_MARKER); // ,"prev":"  (then '"')

/** Whether buffer[at..] starts with `bytes` (a JS loop: Buffer#compare's native call costs more for a few bytes). */
function startsWith(buffer, at, bytes, end) {
  if (end - at < bytes.length) return false;
  for (let k = 0; k < bytes.length; k += 1) if (buffer[at + k] !== bytes[k]) return false;
  return true;
}

/**
 * Scans the whole lines in buffer[start, end) (each ends with \n; buffer[start - 1] is scratch).
 * Entry lines are hashed as they are (SHA-256 over 0x00 ‖ line, the RFC 6962 leaf) and their seq
 * and prev read; other lines are kept as text. With `keys` (id → public key), checkpoint
 * signatures are checked here too, so the thread that checks order need not.
 */
function scan(buffer, start, end, firstLineIsText, keys) {
  let capacity = ((end - start) >> 9) + 16; // entries run ~300-600 bytes; more lines grow the arrays
  let kinds = new Uint8Array(capacity);
  let seqs = new Float64Array(capacity);
  let leaves = Buffer.from(new ArrayBuffer(capacity * 32));
  let prevs = Buffer.from(new ArrayBuffer(capacity * 32));
  let prevValid = new Uint8Array(capacity);
  let leafWords = new Int32Array(leaves.buffer);
  const texts = [];
  const signatures = [];
  const bad = [];
  const runs = []; // [first, last] line pairs of linked entries
  const memory = buffer.buffer;
  const base = buffer.byteOffset;
  const text = new DataView(memory, base, buffer.length);
  let runStart = -1;
  let i = 0;
  for (let s = start; s < end; i += 1) {
    if (i === capacity) {
      capacity *= 2;
      kinds = grow(kinds, new Uint8Array(capacity));
      seqs = grow(seqs, new Float64Array(capacity));
      leaves = Buffer.from(grow(leaves, new Uint8Array(capacity * 32)).buffer);
      prevs = Buffer.from(grow(prevs, new Uint8Array(capacity * 32)).buffer);
      prevValid = grow(prevValid, new Uint8Array(capacity));
      leafWords = new Int32Array(leaves.buffer);
    }
    const e = buffer.indexOf(10, s);
    let kind = KIND_BAD;
    if ((i === 0 && firstLineIsText) || e - s <= ENTRY_PREFIX.length || text.getUint32(s, true) !== ENTRY_0 || text.getUint32(s + 4, true) !== ENTRY_1 || text.getUint32(s + 8, true) !== ENTRY_2 || buffer[s + 12] !== ENTRY_PREFIX[12]) {
      kind = KIND_TEXT;
      const line = buffer.toString('utf8', s, e);
      texts.push(line);
      if (keys) signatures.push(checkpointSignature(line, keys));
    } else {
      let p = s + ENTRY_PREFIX.length;
      const digits = p;
      let seq = 0;
      while (p < e && buffer[p] >= 48 && buffer[p] <= 57) seq = seq * 10 + buffer[p++] - 48;
      seqs[i] = seq;
      if (p === digits || buffer[digits] === 48 || p - digits > 15) {
        bad.push({ reason: 'an entry has a malformed seq' });
      } else if (e - p >= PREV_MARKER.length && text.getUint32(p, true) === PREV_0 && text.getUint32(p + 4, true) === PREV_1 && buffer[p + 8] === PREV_MARKER[8]) {
        kind = KIND_ENTRY;
        buffer[s - 1] = 0; // RFC 6962 leaf prefix, written over the previous line's newline
        leaves.write(hash('sha256', new Uint8Array(memory, base + s - 1, e - s + 1), 'latin1'), i * 32, 32, 'latin1');
        const at = p + PREV_MARKER.length;
        const room = e - at >= 64;
        if (room && runStart >= 0 && seq === seqs[i - 1] + 1 && spells(text, at, leaves, i * 32 - 32)) {
          prevValid[i] = 2; // its prev is the leaf of the line before: the run goes on
        } else {
          prevValid[i] = room && hexInto(buffer, at, prevs, i * 32) ? 1 : 0;
          if (runStart >= 0 && runStart < i - 1) runs.push(runStart, i - 1);
          runStart = i;
        }
      } else if (startsWith(buffer, p, PURGED_MARKER, e) && e === p + PURGED_MARKER.length + 66 && buffer[e - 2] === 34 && buffer[e - 1] === 125) {
        if (hexInto(buffer, p + PURGED_MARKER.length, leaves, i * 32)) kind = KIND_STUB;
        else bad.push({ reason: `purged entry ${seq} has a malformed hash`, seq });
      } else {
        bad.push({ reason: `entry ${seq} is malformed`, seq });
      }
    }
    kinds[i] = kind;
    if (kind !== KIND_ENTRY) {
      if (runStart >= 0 && runStart < i - 1) runs.push(runStart, i - 1);
      runStart = -1;
    }
    s = e + 1;
  }
  if (runStart >= 0 && runStart < i - 1) runs.push(runStart, i - 1);
  const groups = groupRuns(runs, seqs, leafWords);
  return { count: i, kinds, seqs, leaves, prevs, prevValid, texts, signatures, bad, ...groups };
}

function grow(from, to) {
  to.set(from);
  return to;
}

/** 1 or 0 when `text` is a checkpoint line whose signature can be checked with `keys`; -1 otherwise. */
function checkpointSignature(text, keys) {
  if (!text.startsWith('{"checkpoint":')) return -1;
  let value;
  try { value = JSON.parse(text); } catch { return -1; }
  if (!isObject(value) || typeof value.checkpoint !== 'string' || typeof value.key !== 'string') return -1;
  const key = keys.get(value.key);
  const bytes = strictBase64(value.signature);
  if (!key || !bytes) return -1;
  return verify(null, Buffer.from(value.checkpoint, 'utf8'), key, bytes) ? 1 : 0;
}

/**
 * Splits each run of adjacent entry lines whose seqs follow on and whose prev links hold into
 * aligned subtrees (leaf index seq - 1 a multiple of 2^height), with their Merkle roots — so the
 * thread that checks order only has to check a group's first entry and append one subtree. Lines
 * are only grouped when every link inside holds: a broken one is left for the checker to find and
 * report at its own line.
 */
function groupRuns(runs, seqs, leafWords) {
  const lines = [];
  const heights = [];
  const hashes = [];
  for (let r = 0; r < runs.length; r += 2) {
    let line = runs[r];
    const last = runs[r + 1];
    while (line < last) {
      const index = seqs[line] - 1;
      let height = 0;
      while (height < 30 && index % 2 ** (height + 1) === 0 && line + 2 ** (height + 1) - 1 <= last) height += 1;
      if (height > 0) {
        lines.push(line);
        heights.push(height);
        hashes.push(subtreeRoot(leafWords, line, height));
      }
      line += 2 ** height;
    }
  }
  return { groupLines: Uint32Array.from(lines), groupHeights: Uint8Array.from(heights), groupHashes: hashes };
}

// Inner nodes are hashed in place: record k holds 0x01 ‖ left ‖ right (starting at byte 68k + 3,
// so both halves are 4-byte aligned), and each node's hash is written straight into its parent's
// record, which the level below has already used.
let records = Buffer.alloc(0);
let recordWords = new Int32Array(0);
let recordViews = [];

function subtreeRoot(leafWords, first, height) {
  const pairs = 2 ** (height - 1);
  if (recordViews.length < pairs) {
    const size = Math.max(pairs, 256);
    records = Buffer.from(new ArrayBuffer(size * 68));
    recordWords = new Int32Array(records.buffer);
    recordViews = [];
    for (let k = 0; k < size; k += 1) {
      records[68 * k + 3] = 1;
      recordViews.push(new Uint8Array(records.buffer, 68 * k + 3, 65));
    }
  }
  const words = recordWords;
  for (let k = 0; k < pairs; k += 1) {
    const from = (first + 2 * k) * 8;
    const to = 17 * k + 1;
    for (let w = 0; w < 16; w += 1) words[to + w] = leafWords[from + w];
  }
  for (let width = pairs; width > 1; width /= 2) {
    for (let k = 0; k < width; k += 1) records.write(hash('sha256', recordViews[k], 'latin1'), 68 * (k >> 1) + 4 + 32 * (k & 1), 32, 'latin1');
  }
  return hash('sha256', recordViews[0], 'latin1');
}

// ── The checker: records → verdict, strictly in file order ─────────────────────

const latin1OfHex = (hex) => Buffer.from(hex, 'hex').toString('latin1');
const hexOfLatin1 = (binary) => Buffer.from(binary, 'latin1').toString('hex');

const binaryScratch = Buffer.alloc(65);
binaryScratch[0] = 1;
/** SHA-256(0x01 ‖ left ‖ right) over 32-byte hashes held as latin1 strings. */
function nodeBinary(left, right) {
  binaryScratch.write(left, 1, 32, 'latin1');
  binaryScratch.write(right, 33, 32, 'latin1');
  return hash('sha256', binaryScratch, 'latin1');
}

/** The prev hash of entry line i as a latin1 string, or undefined when it is not 64 hex digits. */
function prevOf({ prevs, prevValid, leaves }, i) {
  if (prevValid[i] === 1) return prevs.toString('latin1', i * 32, i * 32 + 32);
  if (prevValid[i] === 2) return leaves.toString('latin1', i * 32 - 32, i * 32);
  return undefined;
}

class BinaryFrontier {
  constructor() {
    this.hashes = [];
    this.heights = [];
    this.size = 0;
  }
  /** Appends a leaf, or (with height h, when the size is a multiple of 2^h) a whole subtree. */
  push(node, height = 0) {
    let current = node;
    let level = height;
    while (this.heights.length > 0 && this.heights[this.heights.length - 1] === level) {
      this.heights.pop();
      current = nodeBinary(this.hashes.pop(), current);
      level += 1;
    }
    this.hashes.push(current);
    this.heights.push(level);
    this.size += 2 ** height;
  }
  root() {
    if (this.hashes.length === 0) return hash('sha256', Buffer.alloc(0), 'latin1');
    let root = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i -= 1) root = nodeBinary(this.hashes[i], root);
    return root;
  }
}

class Checker {
  constructor(options = {}) {
    this.pinned = options.trustedKeys ? new Map(options.trustedKeys.map((text) => { const k = trustedKey(text); return [k.id, k.key]; })) : undefined;
    this.keys = new Map();
    this.manifest = undefined;
    this.line = 0;
    this.entries = 0;
    this.checkpoints = 0;
    this.lastSeq = 0;
    this.lastHash = '\0'.repeat(32);
    this.runOpen = false;
    this.finalSeen = false;
    this.frontier = new BinaryFrontier();
    this.stubs = [];
    this.tombstones = [];
  }

  /** `checked` is the scanner's verdict on this signature with these keys (1 or 0), or -1. */
  checkSignature(body, id, signature, what, checked = -1) {
    const key = typeof id === 'string' ? this.keys.get(id) : undefined;
    if (!key) throw new Broken(`${what} is signed by a key that is not ${this.pinned ? 'pinned' : 'in the export'}`);
    const bytes = strictBase64(signature);
    if (!bytes || !(checked === -1 ? verify(null, Buffer.from(body, 'utf8'), key, bytes) : checked === 1)) throw new Broken(`${what}'s signature is not valid`);
  }

  onManifest(text) {
    let value;
    try { value = JSON.parse(text); } catch { throw new Broken('the manifest line is not valid JSON'); }
    if (!isObject(value) || !exactly(value, ['export', 'key', 'signature', 'keys']) || typeof value.export !== 'string' || !Array.isArray(value.keys)) throw new Broken('the first line is not an export manifest');
    for (const item of value.keys) {
      if (!isObject(item) || !exactly(item, ['id', 'publicKey']) || strictBase64(item.publicKey)?.length !== 32) throw new Broken('the manifest lists a malformed key');
      let key;
      try { key = ed25519FromRaw(item.publicKey); } catch { throw new Broken('the manifest lists a key that is not Ed25519'); }
      if (keyId(key) !== item.id) throw new Broken(`key ${String(item.id)} does not match its id`);
      this.keys.set(item.id, key);
    }
    if (this.pinned) this.keys = this.pinned;
    this.checkSignature(value.export, value.key, value.signature, 'the manifest');
    this.manifest = parseManifest(value.export);
    if (!this.manifest) throw new Broken('the manifest body is malformed');
    this.treeRoot = latin1OfHex(this.manifest.treeRoot);
  }

  onEntry(kind, seq, leaf, prev) {
    const manifest = this.manifest;
    if (kind === KIND_STUB) {
      if (manifest.scope !== 'complete') throw new Broken(`a filtered export holds purged entry ${seq}`, seq);
      this.stubs.push(seq);
    }
    if (manifest.scope === 'complete') {
      if (seq !== this.lastSeq + 1) throw new Broken(seq <= this.lastSeq ? `entry ${seq} is out of order or repeated` : `entries ${this.lastSeq + 1}–${seq - 1} are missing`, seq);
      if (kind === KIND_ENTRY && prev !== this.lastHash) throw new Broken(`entry ${seq} does not link to entry ${seq - 1}: one of them was altered`, seq);
      this.frontier.push(leaf);
    } else {
      if (seq <= this.lastSeq) throw new Broken(`entry ${seq} is out of order or repeated`, seq);
      if (this.runOpen && seq !== this.lastSeq + 1) throw new Broken(`entries after ${this.lastSeq} were removed: its proof is missing`, seq);
      if (this.runOpen && prev !== this.lastHash) throw new Broken(`entry ${seq} does not link to entry ${seq - 1}: one of them was altered`, seq);
      if (seq > manifest.treeSize) throw new Broken(`entry ${seq} lies beyond the signed tree`, seq);
      this.runOpen = true;
    }
    this.lastSeq = seq;
    this.lastHash = leaf;
    this.entries += 1;
  }

  /** 2^height linked entries from `seq` at once; false when its first entry needs the one-by-one path (to report it). */
  onGroup(seq, prev, height, subtree, lastLeaf) {
    const manifest = this.manifest;
    const size = 2 ** height;
    const last = seq + size - 1;
    if (manifest.scope === 'complete') {
      if (seq !== this.lastSeq + 1 || prev !== this.lastHash || this.frontier.size % size !== 0) return false;
      this.frontier.push(subtree, height);
    } else {
      if (seq <= this.lastSeq || (this.runOpen && (seq !== this.lastSeq + 1 || prev !== this.lastHash)) || last > manifest.treeSize) return false;
      this.runOpen = true;
    }
    this.lastSeq = last;
    this.lastHash = lastLeaf;
    this.entries += size;
    return true;
  }

  onCheckpoint(value, checked) {
    const manifest = this.manifest;
    if (!exactly(value, ['checkpoint', 'key', 'signature']) || typeof value.checkpoint !== 'string') throw new Broken('a checkpoint line is malformed');
    this.checkSignature(value.checkpoint, value.key, value.signature, 'a checkpoint', checked);
    const body = parseCheckpoint(value.checkpoint);
    if (!body) throw new Broken('a checkpoint body is malformed');
    if (body.installation !== manifest.installation) throw new Broken('a checkpoint belongs to another installation');
    this.checkpoints += 1;
    if (manifest.scope === 'complete') {
      if (body.size !== this.frontier.size) throw new Broken(`a checkpoint of ${body.size} entries stands after entry ${this.frontier.size}`, this.lastSeq);
      if (body.root !== hexOfLatin1(this.frontier.root())) throw new Broken(`the Merkle root over entries 1–${body.size} does not match its signed checkpoint: an entry was altered`, this.lastSeq);
      this.tombstones.push(...body.purged);
      if (body.size === manifest.treeSize && body.root === manifest.treeRoot) this.finalSeen = true;
    } else {
      if (this.runOpen) throw new Broken(`entry ${this.lastSeq} has no inclusion proof`, this.lastSeq);
      if (body.size !== manifest.treeSize || body.root !== manifest.treeRoot) throw new Broken('the checkpoint is not the one the manifest names');
      this.finalSeen = true;
    }
  }

  onProof(value) {
    const manifest = this.manifest;
    const proof = value.proof;
    if (manifest.scope !== 'filtered' || !exactly(value, ['proof']) || !isObject(proof) || !exactly(proof, ['seq', 'size', 'path'])) throw new Broken('a proof line is malformed');
    if (!this.runOpen || proof.seq !== this.lastSeq) throw new Broken(`a proof for entry ${String(proof.seq)} does not follow that entry`, this.lastSeq);
    if (proof.size !== manifest.treeSize || !Array.isArray(proof.path) || !proof.path.every((h) => typeof h === 'string' && HEX64.test(h))) throw new Broken(`the proof for entry ${this.lastSeq} is malformed`, this.lastSeq);
    if (!included(this.lastSeq - 1, manifest.treeSize, hexOfLatin1(this.lastHash), proof.path, manifest.treeRoot)) throw new Broken(`entry ${this.lastSeq} (or one linked before it) is not in the signed tree: it was altered`, this.lastSeq);
    this.runOpen = false;
  }

  onText(text, checked) {
    if (this.line === 1) return this.onManifest(text);
    if (this.manifest.scope === 'filtered' && this.finalSeen) throw new Broken('lines follow the final checkpoint');
    let value;
    try { value = JSON.parse(text); } catch { throw new Broken('a line is not valid JSON'); }
    if (isObject(value) && 'checkpoint' in value) return this.onCheckpoint(value, checked);
    if (isObject(value) && 'proof' in value) return this.onProof(value);
    throw new Broken('a line is neither an entry, a checkpoint nor a proof');
  }

  /** Checks one scanned block of lines, in order. */
  consume(records) {
    const { count, kinds, seqs, leaves, texts, signatures, bad, groupLines, groupHeights, groupHashes } = records;
    let text = 0;
    let group = 0;
    for (let i = 0; i < count; i += 1) {
      this.line += 1;
      const kind = kinds[i];
      if (group < groupLines.length && groupLines[group] === i) {
        const height = groupHeights[group];
        const subtree = groupHashes[group];
        const size = 2 ** height;
        group += 1;
        // The scanner proved entries i+1..i+size-1 follow on and link; check entry i as usual.
        if (this.manifest.scope === 'filtered' && this.finalSeen) throw new Broken('lines follow the final checkpoint');
        const prev = prevOf(records, i) ?? null;
        if (this.onGroup(seqs[i], prev, height, subtree, leaves.toString('latin1', (i + size - 1) * 32, (i + size) * 32))) {
          this.line += size - 1;
          i += size - 1;
          continue;
        }
      }
      if (kind === KIND_TEXT) {
        this.onText(texts[text], signatures.length > text ? signatures[text] : -1);
        text += 1;
        continue;
      }
      if (kind === KIND_BAD) {
        const problem = bad[0]; // the first bad line of the block: checking stops there
        throw new Broken(problem.reason, problem.seq);
      }
      if (this.manifest.scope === 'filtered' && this.finalSeen) throw new Broken('lines follow the final checkpoint');
      this.onEntry(kind, seqs[i], leaves.toString('latin1', i * 32, i * 32 + 32), kind === KIND_ENTRY ? (prevOf(records, i) ?? null) : undefined);
    }
  }

  finish() {
    const manifest = this.manifest;
    if (!manifest) throw new Broken('the export is empty');
    if (this.runOpen) throw new Broken(`entry ${this.lastSeq} has no inclusion proof`, this.lastSeq);
    if (this.entries !== manifest.entries) throw new Broken(`the export holds ${this.entries} entries; its manifest signs ${manifest.entries}`);
    if (this.checkpoints !== manifest.checkpoints) throw new Broken(`the export holds ${this.checkpoints} checkpoints; its manifest signs ${manifest.checkpoints}`);
    if (!this.finalSeen) throw new Broken('the checkpoint the manifest names is missing');
    if (manifest.scope === 'complete') {
      if (this.frontier.size !== manifest.treeSize) throw new Broken(`the export ends after entry ${this.frontier.size}; its manifest signs ${manifest.treeSize}`);
      const ranges = [...this.tombstones].sort((a, b) => a[0] - b[0]);
      for (const seq of this.stubs) {
        let low = 0;
        let high = ranges.length - 1;
        let found = false;
        while (low <= high && !found) {
          const mid = (low + high) >> 1;
          if (seq < ranges[mid][0]) high = mid - 1;
          else if (seq > ranges[mid][1]) low = mid + 1;
          else found = true;
        }
        if (!found) throw new Broken(`entry ${seq} was removed without a signed tombstone`, seq);
      }
    }
  }

  report(problem) {
    return {
      ok: problem === null,
      scope: this.manifest?.scope ?? null,
      entries: this.entries,
      checkpoints: this.checkpoints,
      treeSize: this.manifest?.treeSize ?? null,
      treeRoot: this.manifest?.treeRoot ?? null,
      keyIds: [...this.keys.keys()],
      keysPinned: this.pinned !== undefined,
      firstProblem: problem,
    };
  }

  fail(error) {
    if (!(error instanceof Broken)) throw error;
    return this.report({ line: this.line, ...(error.seq !== undefined ? { seq: error.seq } : {}), reason: error.message });
  }
}

// ── Reading ────────────────────────────────────────────────────────────────────

/**
 * Verifies an export on this thread. `read(buffer, offset, length)` fills the buffer like
 * fs.readSync and returns the count (0 at the end). Returns { ok, scope, entries, checkpoints,
 * treeSize, treeRoot, keyIds, keysPinned, firstProblem: { line, seq?, reason } | null }.
 */
export function verifyStream(read, options = {}, sizeHint = Infinity) {
  const checker = new Checker(options);
  const chunk = Math.min(8 << 20, Math.max(1 << 16, sizeHint));
  let buffer = Buffer.allocUnsafe(1 + chunk);
  let carry = 0;
  let first = true;
  try {
    for (;;) {
      if (buffer.length < 1 + carry + chunk) {
        const grown = Buffer.allocUnsafe(2 * (1 + carry + chunk));
        buffer.copy(grown, 1, 1, 1 + carry);
        buffer = grown;
      }
      const got = read(buffer, 1 + carry, chunk);
      const end = 1 + carry + got;
      const last = buffer.subarray(0, end).lastIndexOf(10);
      if (last >= 1) {
        checker.consume(scan(buffer, 1, last + 1, first));
        first = false;
      }
      const start = last >= 1 ? last + 1 : 1;
      if (got === 0) {
        if (start < end) {
          checker.line += 1;
          throw new Broken('the last line has no newline: the export was cut short or appended to');
        }
        break;
      }
      carry = end - start;
      buffer.copy(buffer, 1, start, end);
    }
    checker.finish();
    return checker.report(null);
  } catch (error) {
    return checker.fail(error);
  }
}

/** Verifies an export file on this thread. */
export function verifyFile(path, options = {}) {
  const fd = openSync(path, 'r');
  try {
    return verifyStream((buffer, offset, length) => readSync(fd, buffer, offset, length, null), options);
  } finally {
    closeSync(fd);
  }
}

/** Verifies an export held in memory. */
export function verifyBytes(bytes, options = {}) {
  let offset = 0;
  return verifyStream((buffer, at, length) => {
    const n = Math.min(length, bytes.length - offset);
    buffer.set(bytes.subarray(offset, offset + n), at);
    offset += n;
    return n;
  }, options, bytes.length + 1);
}

/**
 * Verifies an export file with `workers` worker threads (default 1) reading and scanning ranges of
 * it (hashing entries, checking checkpoint signatures), while this thread reads the manifest,
 * checks the records in order and, whenever the next range in order is not ready, scans one itself:
 * the same verdict and first broken line as verifyFile. Faster only when the machine has idle
 * cores; bench/audit.bench.ts measures it (one worker is best on two cores).
 */
export async function verifyFileParallel(path, options = {}, tuning = {}) {
  const workers = Math.max(0, tuning.workers ?? 1);
  const chunk = Math.max(1024, tuning.chunkBytes ?? 2 << 20);
  const checker = new Checker(options);
  const fd = openSync(path, 'r');
  // Started first: a worker takes tens of milliseconds to load while this thread reads line 1.
  const pool = Array.from({ length: workers }, () => new Worker(new URL(import.meta.url), { workerData: { role: 'verify-audit-scan', fd } }));
  try {
    const size = fstatSync(fd).size;
    // Line 1, the manifest: its keys check every checkpoint, so the workers need them.
    let head = Buffer.allocUnsafe(1 + Math.min(size, 1 << 16));
    let got = 0;
    let newline = -1;
    while (newline === -1 && got < size) {
      if (1 + got === head.length) head = grow(head, Buffer.allocUnsafe(2 * head.length));
      const n = readSync(fd, head, 1 + got, head.length - 1 - got, got);
      if (n === 0) break;
      newline = head.subarray(0, 1 + got + n).indexOf(10, 1 + got);
      got += n;
    }
    if (newline === -1) return verifyFile(path, options); // not one whole line: that path reports it
    checker.consume(scan(head, 1, newline + 1, true));
    const keys = [...checker.keys];
    for (const worker of pool) worker.postMessage({ keys });

    // Then the rest in ranges; each worker scans the lines that start in its range.
    const from = newline; // file offset of line 2
    const jobs = Math.ceil((size - from) / chunk);
    const results = new Map();
    const state = { buffer: Buffer.allocUnsafe(0) };
    const keyMap = new Map(keys);
    // A worker gets ranges once it has loaded (tens of ms); meanwhile this thread scans the first
    // ones itself, in order, instead of scanning ahead and then waiting for the worker's first.
    const busy = new Array(workers).fill(0);
    const ready = new Array(workers).fill(false);
    let failure;
    let wake;
    pool.forEach((worker, w) => {
      worker.on('message', (message) => {
        if (message.ready) {
          ready[w] = true;
          dispatch();
        } else {
          results.set(message.id, message);
          busy[w] -= 1;
        }
        wake?.();
      });
      worker.on('error', (error) => { failure = error; wake?.(); });
    });
    let sent = 0;
    let done = 0;
    const window = 4 * workers + 12; // ranges scanned ahead of the check: ~0.3 MB of records each
    const dispatch = () => {
      for (let w = 0; w < workers; w += 1) {
        while (ready[w] && busy[w] < 2 && sent < jobs && sent < done + window) {
          const start = from + sent * chunk;
          pool[w].postMessage({ id: sent, from: start, to: Math.min(size, start + chunk), size });
          busy[w] += 1;
          sent += 1;
        }
      }
    };
    dispatch();
    while (done < jobs) {
      if (failure) throw failure;
      const records = results.get(done);
      if (!records && sent < jobs && sent < done + window) {
        // Nothing to check yet: scan the next range here, then let the workers' answers in.
        const start = from + sent * chunk;
        results.set(sent, scanRange(fd, start, Math.min(size, start + chunk), size, keyMap, state));
        sent += 1;
        if (workers > 0) await new Promise((resolve) => { setImmediate(resolve); });
        continue;
      }
      if (!records) {
        await new Promise((resolve) => { wake = resolve; });
        wake = undefined;
        continue;
      }
      results.delete(done);
      done += 1;
      dispatch();
      checker.consume({ ...records, leaves: Buffer.from(records.leaves.buffer), prevs: Buffer.from(records.prevs.buffer) });
      if (records.unterminated) {
        checker.line += 1;
        throw new Broken('the last line has no newline: the export was cut short or appended to');
      }
    }
    checker.finish();
    return checker.report(null);
  } catch (error) {
    return checker.fail(error);
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
    closeSync(fd);
  }
}

/**
 * In a worker: reads and scans the lines of the file that start in [from, to) — the first after
 * the newline at or after from - 1, the last ending at the newline at or after to - 1 — into the
 * same records scan() makes, plus whether the file ended before that newline.
 */
function scanRange(fd, from, to, size, keys, state) {
  const readAt = from - 1; // buffer[1 + k] holds file byte readAt + k; buffer[0] is scratch
  let want = Math.min(size, to + (1 << 16)) - readAt;
  let got = 0;
  const fill = () => {
    if (state.buffer.length < 1 + want) state.buffer = grow(state.buffer.subarray(0, 1 + got), Buffer.allocUnsafe(Math.max(1 + want, 2 * state.buffer.length)));
    while (got < want) {
      const n = readSync(fd, state.buffer, 1 + got, want - got, readAt + got);
      if (n === 0) break;
      got += n;
    }
  };
  fill();
  const limit = 1 + (to - 1 - readAt); // buffer index of file byte to - 1
  const first = state.buffer.subarray(0, Math.min(limit, 1 + got)).indexOf(10, 1);
  if (first === -1) return { ...scan(state.buffer, 0, 0, false), unterminated: false }; // no line starts here
  let end = -1;
  let unterminated = false;
  for (let search = limit; end === -1;) {
    const newline = state.buffer.subarray(0, 1 + got).indexOf(10, search);
    if (newline !== -1) {
      end = newline + 1;
    } else if (readAt + got >= size) {
      end = state.buffer.subarray(0, 1 + got).lastIndexOf(10) + 1;
      unterminated = true;
    } else {
      search = 1 + got;
      want = Math.min(size - readAt, 2 * want);
      fill();
    }
  }
  return { ...scan(state.buffer, first + 1, end, false, keys), unterminated };
}

async function main(argv) {
  const usage = 'usage: node verify-audit.mjs EXPORT.jsonl [--public-key KEY.pem]... [--threads N] [--json]';
  const files = [];
  const keyFiles = [];
  let json = false;
  let threads = 1;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--threads' && /^[1-9]\d?$/.test(argv[i + 1] ?? '')) threads = Number(argv[++i]);
    else if (arg === '--public-key' && i + 1 < argv.length) keyFiles.push(argv[++i]);
    else if (arg === '--help' || arg === '-h') { process.stdout.write(`${usage}\n`); return 0; }
    else if (arg.startsWith('-')) { process.stderr.write(`${usage}\n`); return 2; }
    else files.push(arg);
  }
  if (files.length !== 1) { process.stderr.write(`${usage}\n`); return 2; }
  let result;
  try {
    const options = keyFiles.length > 0 ? { trustedKeys: keyFiles.map((file) => readFileSync(file, 'utf8')) } : {};
    // Worker threads help only on cores nothing else is using (measured in bench/audit.bench.ts),
    // so they are asked for, not assumed. This thread scans too: N threads are N - 1 workers.
    result = threads > 1 ? await verifyFileParallel(files[0], options, { workers: threads - 1 }) : verifyFile(files[0], options);
  } catch (error) {
    process.stderr.write(`verify-audit: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (result.ok) {
    process.stdout.write(`OK: ${result.entries} entries and ${result.checkpoints} checkpoint(s) verify (${result.scope} export; tree of ${result.treeSize}, root ${result.treeRoot}).\n`);
    process.stdout.write(result.keysPinned ? `Signed by pinned key(s) ${result.keyIds.join(', ')}.\n` : `Signed by key(s) ${result.keyIds.join(', ')} taken from the export itself; pin the installation's key with --public-key to rule out a re-signed copy.\n`);
  } else {
    const where = `line ${result.firstProblem.line}${result.firstProblem.seq !== undefined ? `, entry ${result.firstProblem.seq}` : ''}`;
    process.stdout.write(`FAILED at ${where}: ${result.firstProblem.reason}\n`);
  }
  return result.ok ? 0 : 1;
}

if (!isMainThread && workerData?.role === 'verify-audit-scan') {
  // The main thread's descriptor (descriptors belong to the process): positioned reads only.
  const state = { buffer: Buffer.allocUnsafe(0) };
  let keys;
  parentPort.postMessage({ ready: true });
  parentPort.on('message', (message) => {
    if (message.keys) {
      keys = new Map(message.keys);
      return;
    }
    const records = scanRange(workerData.fd, message.from, message.to, message.size, keys, state);
    parentPort.postMessage({ id: message.id, ...records }, [records.kinds.buffer, records.seqs.buffer, records.leaves.buffer, records.prevs.buffer, records.prevValid.buffer, records.groupLines.buffer, records.groupHeights.buffer]);
  });
} else if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  // Output piped into a reader that stops early (`| head`): the verdict is in the exit code; end
  // quietly instead of dying on an unhandled EPIPE.
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
