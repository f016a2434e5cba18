#!/usr/bin/env node
// Standalone verifier for Strongroom audit-log exports (JSONL). It needs nothing but Node.js 22 or
// later — no npm packages, no Strongroom installation — so an auditor can copy this one file and
// check an export offline:
//
//   node verify-audit.mjs EXPORT.jsonl [--public-key KEY.pem]... [--json]
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

const GENESIS = '0'.repeat(64);
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

/** Perfect-subtree roots, largest first; the root folds them from the right. */
class Frontier {
  constructor() {
    this.hashes = [];
    this.heights = [];
    this.size = 0;
  }
  push(leaf) {
    let current = leaf;
    let height = 0;
    while (this.heights.length > 0 && this.heights[this.heights.length - 1] === height) {
      this.heights.pop();
      current = node(this.hashes.pop(), current);
      height += 1;
    }
    this.hashes.push(current);
    this.heights.push(height);
    this.size += 1;
  }
  root() {
    if (this.hashes.length === 0) return hash('sha256', Buffer.alloc(0), 'hex');
    let root = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i -= 1) root = node(this.hashes[i], root);
    return root;
  }
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

// ── The verifier ───────────────────────────────────────────────────────────────

/**
 * Verifies an export. `read(buffer, offset, length)` fills the buffer like fs.readSync and returns
 * the count (0 at the end). Returns { ok, scope, entries, checkpoints, treeSize, treeRoot, keyIds,
 * keysPinned, firstProblem: { line, seq?, reason } | null }.
 */
export function verifyStream(read, options = {}, sizeHint = Infinity) {
  const pinned = options.trustedKeys ? new Map(options.trustedKeys.map((text) => { const k = trustedKey(text); return [k.id, k.key]; })) : undefined;
  let keys = new Map();
  let manifest;
  let line = 0;
  let entries = 0;
  let checkpoints = 0;
  let lastSeq = 0;
  let lastHash = GENESIS;
  let runOpen = false;
  let finalSeen = false;
  const frontier = new Frontier();
  const stubs = [];
  const tombstones = [];

  const checkSignature = (body, id, signature, what) => {
    const key = typeof id === 'string' ? keys.get(id) : undefined;
    if (!key) throw new Broken(`${what} is signed by a key that is not ${pinned ? 'pinned' : 'in the export'}`);
    const bytes = strictBase64(signature);
    if (!bytes || !verify(null, Buffer.from(body, 'utf8'), key, bytes)) throw new Broken(`${what}'s signature is not valid`);
  };

  const onManifest = (text) => {
    let value;
    try { value = JSON.parse(text); } catch { throw new Broken('the manifest line is not valid JSON'); }
    if (!isObject(value) || !exactly(value, ['export', 'key', 'signature', 'keys']) || typeof value.export !== 'string' || !Array.isArray(value.keys)) throw new Broken('the first line is not an export manifest');
    for (const item of value.keys) {
      if (!isObject(item) || !exactly(item, ['id', 'publicKey']) || strictBase64(item.publicKey)?.length !== 32) throw new Broken('the manifest lists a malformed key');
      let key;
      try { key = ed25519FromRaw(item.publicKey); } catch { throw new Broken('the manifest lists a key that is not Ed25519'); }
      if (keyId(key) !== item.id) throw new Broken(`key ${String(item.id)} does not match its id`);
      keys.set(item.id, key);
    }
    if (pinned) keys = pinned;
    checkSignature(value.export, value.key, value.signature, 'the manifest');
    manifest = parseManifest(value.export);
    if (!manifest) throw new Broken('the manifest body is malformed');
  };

  const onEntry = (buffer, start, end) => {
    let p = start + ENTRY_PREFIX.length;
    const digits = p;
    let seq = 0;
    while (p < end && buffer[p] >= 48 && buffer[p] <= 57) seq = seq * 10 + buffer[p++] - 48;
    if (p === digits || buffer[digits] === 48 || p - digits > 15) throw new Broken('an entry has a malformed seq');
    let prev;
    let leaf;
    if (buffer.compare(PREV_MARKER, 0, PREV_MARKER.length, p, p + PREV_MARKER.length) === 0) {
      prev = buffer.toString('latin1', p + PREV_MARKER.length, p + PREV_MARKER.length + 64);
      buffer[start - 1] = 0; // RFC 6962 leaf prefix, written over the previous line's newline
      leaf = hash('sha256', buffer.subarray(start - 1, end), 'hex');
    } else if (buffer.compare(PURGED_MARKER, 0, PURGED_MARKER.length, p, p + PURGED_MARKER.length) === 0 && end === p + PURGED_MARKER.length + 66 && buffer[end - 2] === 34 && buffer[end - 1] === 125) {
      leaf = buffer.toString('latin1', p + PURGED_MARKER.length, end - 2);
      if (!HEX64.test(leaf)) throw new Broken(`purged entry ${seq} has a malformed hash`, seq);
      if (manifest.scope !== 'complete') throw new Broken(`a filtered export holds purged entry ${seq}`, seq);
      stubs.push(seq);
    } else {
      throw new Broken(`entry ${seq} is malformed`, seq);
    }
    if (manifest.scope === 'complete') {
      if (seq !== lastSeq + 1) throw new Broken(seq <= lastSeq ? `entry ${seq} is out of order or repeated` : `entries ${lastSeq + 1}-${seq - 1} are missing`, seq);
      if (prev !== undefined && prev !== lastHash) throw new Broken(`entry ${seq} does not link to entry ${seq - 1}: one of them was altered`, seq);
      frontier.push(leaf);
    } else {
      if (seq <= lastSeq) throw new Broken(`entry ${seq} is out of order or repeated`, seq);
      if (runOpen && seq !== lastSeq + 1) throw new Broken(`entries after ${lastSeq} were removed: its proof is missing`, seq);
      if (runOpen && prev !== lastHash) throw new Broken(`entry ${seq} does not link to entry ${seq - 1}: one of them was altered`, seq);
      if (seq > manifest.treeSize) throw new Broken(`entry ${seq} lies beyond the signed tree`, seq);
      runOpen = true;
    }
    lastSeq = seq;
    lastHash = leaf;
    entries += 1;
  };

  const onCheckpoint = (value) => {
    if (!exactly(value, ['checkpoint', 'key', 'signature']) || typeof value.checkpoint !== 'string') throw new Broken('a checkpoint line is malformed');
    checkSignature(value.checkpoint, value.key, value.signature, 'a checkpoint');
    const body = parseCheckpoint(value.checkpoint);
    if (!body) throw new Broken('a checkpoint body is malformed');
    if (body.installation !== manifest.installation) throw new Broken('a checkpoint belongs to another installation');
    checkpoints += 1;
    if (manifest.scope === 'complete') {
      if (body.size !== frontier.size) throw new Broken(`a checkpoint of ${body.size} entries stands after entry ${frontier.size}`, lastSeq);
      if (body.root !== frontier.root()) throw new Broken(`the Merkle root over entries 1-${body.size} does not match its signed checkpoint: an entry was altered`, lastSeq);
      tombstones.push(...body.purged);
      if (body.size === manifest.treeSize && body.root === manifest.treeRoot) finalSeen = true;
    } else {
      if (runOpen) throw new Broken(`entry ${lastSeq} has no inclusion proof`, lastSeq);
      if (body.size !== manifest.treeSize || body.root !== manifest.treeRoot) throw new Broken('the checkpoint is not the one the manifest names');
      finalSeen = true;
    }
  };

  const onProof = (value) => {
    const proof = value.proof;
    if (manifest.scope !== 'filtered' || !exactly(value, ['proof']) || !isObject(proof) || !exactly(proof, ['seq', 'size', 'path'])) throw new Broken('a proof line is malformed');
    if (!runOpen || proof.seq !== lastSeq) throw new Broken(`a proof for entry ${String(proof.seq)} does not follow that entry`, lastSeq);
    if (proof.size !== manifest.treeSize || !Array.isArray(proof.path) || !proof.path.every((h) => typeof h === 'string' && HEX64.test(h))) throw new Broken(`the proof for entry ${lastSeq} is malformed`, lastSeq);
    if (!included(lastSeq - 1, manifest.treeSize, lastHash, proof.path, manifest.treeRoot)) throw new Broken(`entry ${lastSeq} (or one linked before it) is not in the signed tree: it was altered`, lastSeq);
    runOpen = false;
  };

  const onLine = (buffer, start, end) => {
    line += 1;
    if (line === 1) return onManifest(buffer.toString('utf8', start, end));
    if (manifest.scope === 'filtered' && finalSeen) throw new Broken('lines follow the final checkpoint');
    if (end - start > ENTRY_PREFIX.length && buffer.compare(ENTRY_PREFIX, 0, ENTRY_PREFIX.length, start, start + ENTRY_PREFIX.length) === 0) return onEntry(buffer, start, end);
    let value;
    try { value = JSON.parse(buffer.toString('utf8', start, end)); } catch { throw new Broken('a line is not valid JSON'); }
    if (isObject(value) && 'checkpoint' in value) return onCheckpoint(value);
    if (isObject(value) && 'proof' in value) return onProof(value);
    throw new Broken('a line is neither an entry, a checkpoint nor a proof');
  };

  const finish = () => {
    if (!manifest) throw new Broken('the export is empty');
    if (runOpen) throw new Broken(`entry ${lastSeq} has no inclusion proof`, lastSeq);
    if (entries !== manifest.entries) throw new Broken(`the export holds ${entries} entries; its manifest signs ${manifest.entries}`);
    if (checkpoints !== manifest.checkpoints) throw new Broken(`the export holds ${checkpoints} checkpoints; its manifest signs ${manifest.checkpoints}`);
    if (!finalSeen) throw new Broken('the checkpoint the manifest names is missing');
    if (manifest.scope === 'complete') {
      if (frontier.size !== manifest.treeSize) throw new Broken(`the export ends after entry ${frontier.size}; its manifest signs ${manifest.treeSize}`);
      tombstones.sort((a, b) => a[0] - b[0]);
      for (const seq of stubs) {
        let low = 0;
        let high = tombstones.length - 1;
        let found = false;
        while (low <= high && !found) {
          const mid = (low + high) >> 1;
          if (seq < tombstones[mid][0]) high = mid - 1;
          else if (seq > tombstones[mid][1]) low = mid + 1;
          else found = true;
        }
        if (!found) throw new Broken(`entry ${seq} was removed without a signed tombstone`, seq);
      }
    }
  };

  const report = (problem) => ({
    ok: problem === null,
    scope: manifest?.scope ?? null,
    entries,
    checkpoints,
    treeSize: manifest?.treeSize ?? null,
    treeRoot: manifest?.treeRoot ?? null,
    keyIds: [...keys.keys()],
    keysPinned: pinned !== undefined,
    firstProblem: problem,
  });

  const CHUNK = Math.min(8 << 20, Math.max(1 << 16, sizeHint));
  let buffer = Buffer.allocUnsafe(1 + CHUNK);
  let carry = 0;
  try {
    for (;;) {
      if (buffer.length < 1 + carry + CHUNK) {
        const grown = Buffer.allocUnsafe(2 * (1 + carry + CHUNK));
        buffer.copy(grown, 1, 1, 1 + carry);
        buffer = grown;
      }
      const got = read(buffer, 1 + carry, CHUNK);
      const end = 1 + carry + got;
      const view = buffer.subarray(0, end);
      let start = 1;
      for (let nl = view.indexOf(10, start); nl !== -1; nl = view.indexOf(10, start)) {
        onLine(buffer, start, nl);
        start = nl + 1;
      }
      if (got === 0) {
        if (start < end) {
          line += 1;
          throw new Broken('the last line has no newline: the export was cut short or appended to');
        }
        break;
      }
      carry = end - start;
      buffer.copy(buffer, 1, start, end);
    }
    finish();
    return report(null);
  } catch (error) {
    if (!(error instanceof Broken)) throw error;
    return report({ line, ...(error.seq !== undefined ? { seq: error.seq } : {}), reason: error.message });
  }
}

/** Verifies an export file. */
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

function main(argv) {
  const usage = 'usage: node verify-audit.mjs EXPORT.jsonl [--public-key KEY.pem]... [--json]';
  const files = [];
  const keyFiles = [];
  let json = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--public-key' && i + 1 < argv.length) keyFiles.push(argv[++i]);
    else if (arg === '--help' || arg === '-h') { process.stdout.write(`${usage}\n`); return 0; }
    else if (arg.startsWith('-')) { process.stderr.write(`${usage}\n`); return 2; }
    else files.push(arg);
  }
  if (files.length !== 1) { process.stderr.write(`${usage}\n`); return 2; }
  let result;
  try {
    result = verifyFile(files[0], keyFiles.length > 0 ? { trustedKeys: keyFiles.map((file) => readFileSync(file, 'utf8')) } : {});
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

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) process.exitCode = main(process.argv.slice(2));
