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

import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
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
// Hashing every entry is most of the work, and entries hash independently, so with --threads a
// file is scanned by worker threads (this same file) while the main thread checks links, counts
// and Merkle roots in order. Otherwise the same code scans it inline.

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

/** Whether buffer[at..] starts with `bytes` (a JS loop: Buffer#compare's native call costs more for a few bytes). */
function startsWith(buffer, at, bytes, end) {
  if (end - at < bytes.length) return false;
  for (let k = 0; k < bytes.length; k += 1) if (buffer[at + k] !== bytes[k]) return false;
  return true;
}

/**
 * Scans the whole lines in buffer[start, end) (each ends with \n; buffer[start - 1] is scratch).
 * Entry lines are hashed as they are (SHA-256 over 0x00 ‖ line, the RFC 6962 leaf) and their seq
 * and prev read; other lines are kept as text.
 */
function scan(buffer, start, end, firstLineIsText) {
  let count = 0;
  const view = buffer.subarray(0, end);
  for (let nl = view.indexOf(10, start); nl !== -1; nl = view.indexOf(10, nl + 1)) count += 1;
  const kinds = new Uint8Array(count);
  const seqs = new Float64Array(count);
  const leaves = Buffer.from(new ArrayBuffer(count * 32));
  const prevs = Buffer.from(new ArrayBuffer(count * 32));
  const prevValid = new Uint8Array(count);
  const texts = [];
  const bad = [];
  let s = start;
  for (let i = 0; i < count; i += 1) {
    const e = view.indexOf(10, s);
    if ((i === 0 && firstLineIsText) || e - s <= ENTRY_PREFIX.length || !startsWith(buffer, s, ENTRY_PREFIX, e)) {
      kinds[i] = KIND_TEXT;
      texts.push(buffer.toString('utf8', s, e));
    } else {
      let p = s + ENTRY_PREFIX.length;
      const digits = p;
      let seq = 0;
      while (p < e && buffer[p] >= 48 && buffer[p] <= 57) seq = seq * 10 + buffer[p++] - 48;
      seqs[i] = seq;
      if (p === digits || buffer[digits] === 48 || p - digits > 15) {
        kinds[i] = KIND_BAD;
        bad.push({ reason: 'an entry has a malformed seq' });
      } else if (startsWith(buffer, p, PREV_MARKER, e)) {
        kinds[i] = KIND_ENTRY;
        prevValid[i] = e - p >= PREV_MARKER.length + 64 && hexInto(buffer, p + PREV_MARKER.length, prevs, i * 32) ? 1 : 0;
        buffer[s - 1] = 0; // RFC 6962 leaf prefix, written over the previous line's newline
        leaves.write(hash('sha256', buffer.subarray(s - 1, e), 'latin1'), i * 32, 32, 'latin1');
      } else if (startsWith(buffer, p, PURGED_MARKER, e) && e === p + PURGED_MARKER.length + 66 && buffer[e - 2] === 34 && buffer[e - 1] === 125) {
        if (hexInto(buffer, p + PURGED_MARKER.length, leaves, i * 32)) {
          kinds[i] = KIND_STUB;
        } else {
          kinds[i] = KIND_BAD;
          bad.push({ reason: `purged entry ${seq} has a malformed hash`, seq });
        }
      } else {
        kinds[i] = KIND_BAD;
        bad.push({ reason: `entry ${seq} is malformed`, seq });
      }
    }
    s = e + 1;
  }
  const blocks = hashBlocks(count, kinds, seqs, leaves, prevs, prevValid);
  return { count, kinds, seqs, leaves, prevs, prevValid, texts, bad, blockLines: blocks.lines, blockHashes: blocks.hashes };
}

const BLOCK_HEIGHT = 8;
const BLOCK = 1 << BLOCK_HEIGHT;

/**
 * Within runs of adjacent entry lines whose seqs follow on and whose prev links hold, the Merkle
 * root of each aligned block of 256 leaves — so the thread that checks order only has to check a
 * block's first entry and append one subtree. Lines are only grouped when every link inside holds:
 * a broken one is left for the checker to find and report at its own line.
 */
function hashBlocks(count, kinds, seqs, leaves, prevs, prevValid) {
  const lines = [];
  const hashes = [];
  const level = Buffer.allocUnsafe(BLOCK * 32);
  // Both buffers own their whole ArrayBuffer from offset 0, so 32-bit views line up with hashes.
  const prevWords = new Int32Array(prevs.buffer, 0, count * 8);
  const leafWords = new Int32Array(leaves.buffer, 0, count * 8);
  const linked = (i) => {
    for (let k = 0; k < 8; k += 1) if (prevWords[i * 8 + k] !== leafWords[(i - 1) * 8 + k]) return false;
    return true;
  };
  let runStart = 0;
  for (let i = 0; i < count; i += 1) {
    const continues = i > runStart && kinds[i] === KIND_ENTRY && kinds[i - 1] === KIND_ENTRY && seqs[i] === seqs[i - 1] + 1 && prevValid[i] === 1 && linked(i);
    if (!continues) runStart = i;
    if (kinds[i] !== KIND_ENTRY) {
      runStart = i + 1;
      continue;
    }
    // A block ends here when its first leaf index (seq - 1) is aligned and it lies wholly in the run.
    const first = i - (BLOCK - 1);
    if (first >= runStart && (seqs[first] - 1) % BLOCK === 0 && (kinds[first] === KIND_ENTRY)) {
      leaves.copy(level, 0, first * 32, (i + 1) * 32);
      for (let width = BLOCK; width > 1; width /= 2) {
        for (let k = 0; k < width / 2; k += 1) {
          level.copy(binaryScratch, 1, 2 * k * 32, 2 * k * 32 + 64);
          level.write(hash('sha256', binaryScratch, 'latin1'), k * 32, 32, 'latin1');
        }
      }
      lines.push(first);
      hashes.push(level.toString('latin1', 0, 32));
    }
  }
  return { lines: Uint32Array.from(lines), hashes };
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

  checkSignature(body, id, signature, what) {
    const key = typeof id === 'string' ? this.keys.get(id) : undefined;
    if (!key) throw new Broken(`${what} is signed by a key that is not ${this.pinned ? 'pinned' : 'in the export'}`);
    const bytes = strictBase64(signature);
    if (!bytes || !verify(null, Buffer.from(body, 'utf8'), key, bytes)) throw new Broken(`${what}'s signature is not valid`);
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
      if (seq !== this.lastSeq + 1) throw new Broken(seq <= this.lastSeq ? `entry ${seq} is out of order or repeated` : `entries ${this.lastSeq + 1}-${seq - 1} are missing`, seq);
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

  /** 256 linked entries from `seq` at once; false when its first entry needs the one-by-one path (to report it). */
  onBlock(seq, prev, subtree, lastLeaf) {
    const manifest = this.manifest;
    const last = seq + BLOCK - 1;
    if (manifest.scope === 'complete') {
      if (seq !== this.lastSeq + 1 || prev !== this.lastHash || this.frontier.size % BLOCK !== 0) return false;
      this.frontier.push(subtree, BLOCK_HEIGHT);
    } else {
      if (seq <= this.lastSeq || (this.runOpen && (seq !== this.lastSeq + 1 || prev !== this.lastHash)) || last > manifest.treeSize) return false;
      this.runOpen = true;
    }
    this.lastSeq = last;
    this.lastHash = lastLeaf;
    this.entries += BLOCK;
    return true;
  }

  onCheckpoint(value) {
    const manifest = this.manifest;
    if (!exactly(value, ['checkpoint', 'key', 'signature']) || typeof value.checkpoint !== 'string') throw new Broken('a checkpoint line is malformed');
    this.checkSignature(value.checkpoint, value.key, value.signature, 'a checkpoint');
    const body = parseCheckpoint(value.checkpoint);
    if (!body) throw new Broken('a checkpoint body is malformed');
    if (body.installation !== manifest.installation) throw new Broken('a checkpoint belongs to another installation');
    this.checkpoints += 1;
    if (manifest.scope === 'complete') {
      if (body.size !== this.frontier.size) throw new Broken(`a checkpoint of ${body.size} entries stands after entry ${this.frontier.size}`, this.lastSeq);
      if (body.root !== hexOfLatin1(this.frontier.root())) throw new Broken(`the Merkle root over entries 1-${body.size} does not match its signed checkpoint: an entry was altered`, this.lastSeq);
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

  onText(text) {
    if (this.line === 1) return this.onManifest(text);
    if (this.manifest.scope === 'filtered' && this.finalSeen) throw new Broken('lines follow the final checkpoint');
    let value;
    try { value = JSON.parse(text); } catch { throw new Broken('a line is not valid JSON'); }
    if (isObject(value) && 'checkpoint' in value) return this.onCheckpoint(value);
    if (isObject(value) && 'proof' in value) return this.onProof(value);
    throw new Broken('a line is neither an entry, a checkpoint nor a proof');
  }

  /** Checks one scanned block of lines, in order. */
  consume(records) {
    const { count, kinds, seqs, leaves, prevs, prevValid, texts, bad, blockLines, blockHashes } = records;
    let text = 0;
    let block = 0;
    for (let i = 0; i < count; i += 1) {
      this.line += 1;
      const kind = kinds[i];
      if (block < blockLines.length && blockLines[block] === i) {
        const subtree = blockHashes[block];
        block += 1;
        // The scanner proved entries i+1..i+255 follow on and link; check entry i as usual.
        if (this.manifest.scope === 'filtered' && this.finalSeen) throw new Broken('lines follow the final checkpoint');
        const prev = prevValid[i] === 1 ? prevs.toString('latin1', i * 32, i * 32 + 32) : null;
        if (this.onBlock(seqs[i], prev, subtree, leaves.toString('latin1', (i + BLOCK - 1) * 32, (i + BLOCK) * 32))) {
          this.line += BLOCK - 1;
          i += BLOCK - 1;
          continue;
        }
      }
      if (kind === KIND_TEXT) {
        this.onText(texts[text++]);
        continue;
      }
      if (kind === KIND_BAD) {
        const problem = bad[0]; // the first bad line of the block: checking stops there
        throw new Broken(problem.reason, problem.seq);
      }
      if (this.manifest.scope === 'filtered' && this.finalSeen) throw new Broken('lines follow the final checkpoint');
      const prev = kind === KIND_ENTRY && prevValid[i] === 1 ? prevs.toString('latin1', i * 32, i * 32 + 32) : undefined;
      this.onEntry(kind, seqs[i], leaves.toString('latin1', i * 32, i * 32 + 32), kind === KIND_ENTRY ? (prev ?? null) : undefined);
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
 * Verifies an export file with `workers` threads hashing entries while this thread checks them in
 * order: the same verdict and first broken line as verifyFile. Faster only when the machine has
 * idle cores; bench/audit.bench.ts measures it.
 */
export async function verifyFileParallel(path, options = {}, tuning = {}) {
  const workers = Math.max(1, tuning.workers ?? 2);
  const chunk = Math.max(1024, tuning.chunkBytes ?? 4 << 20);
  const checker = new Checker(options);
  const pool = Array.from({ length: workers }, () => new Worker(new URL(import.meta.url), { workerData: { role: 'verify-audit-scan' } }));
  const waiting = new Map();
  let nextId = 0;
  for (const worker of pool) {
    worker.on('message', (message) => { waiting.get(message.id)?.resolve(message); waiting.delete(message.id); });
    worker.on('error', (error) => { for (const entry of waiting.values()) entry.reject(error); waiting.clear(); });
  }
  const submit = (buffer, end, first) => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    pool[id % workers].postMessage({ id, buffer: buffer.buffer, end, first }, [buffer.buffer]);
  });
  const revive = (m) => ({ ...m, leaves: Buffer.from(m.leaves.buffer), prevs: Buffer.from(m.prevs.buffer) });
  const fd = openSync(path, 'r');
  const inFlight = [];
  try {
    let carry = Buffer.alloc(0);
    let first = true;
    for (;;) {
      const buffer = Buffer.from(new ArrayBuffer(1 + carry.length + chunk));
      carry.copy(buffer, 1);
      const got = readSync(fd, buffer, 1 + carry.length, chunk, null);
      const end = 1 + carry.length + got;
      if (got === 0) {
        while (inFlight.length > 0) checker.consume(revive(await inFlight.shift()));
        if (carry.length > 0) {
          checker.line += 1;
          throw new Broken('the last line has no newline: the export was cut short or appended to');
        }
        break;
      }
      const last = buffer.subarray(0, end).lastIndexOf(10);
      if (last < 1) {
        carry = Buffer.from(buffer.subarray(1, end));
        continue;
      }
      carry = Buffer.from(buffer.subarray(last + 1, end));
      inFlight.push(submit(buffer, last + 1, first));
      first = false;
      while (inFlight.length >= 2 * workers) checker.consume(revive(await inFlight.shift()));
    }
    checker.finish();
    return checker.report(null);
  } catch (error) {
    return checker.fail(error);
  } finally {
    closeSync(fd);
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
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
    // so they are asked for, not assumed.
    result = threads > 1 ? await verifyFileParallel(files[0], options, { workers: threads }) : verifyFile(files[0], options);
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
  parentPort.on('message', ({ id, buffer, end, first }) => {
    const records = scan(Buffer.from(buffer), 1, end, first);
    parentPort.postMessage({ id, ...records }, [records.kinds.buffer, records.seqs.buffer, records.leaves.buffer, records.prevs.buffer, records.prevValid.buffer, records.blockLines.buffer]);
  });
} else if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = await main(process.argv.slice(2));
}
