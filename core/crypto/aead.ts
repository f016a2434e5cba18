import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { SealContext } from './sealed.ts';

/**
 * Ciphertext layout, format 1 (AES-256-GCM, random 96-bit nonce):
 *
 *   byte 0       format version — lets a later release change algorithm or layout
 *   bytes 1–4    data key id, uint32 big-endian (which key, hence which version, to open with)
 *   bytes 5–16   nonce
 *   bytes 17…    ciphertext
 *   last 16      GCM tag
 *
 * The AAD is the 5 header bytes followed by the SealContext (table, row id, column, account), so a
 * value copied to another row, column, table or account — or relabelled with another key id —
 * fails authentication.
 *
 * Speed: node:crypto costs ~3.5 µs of CPU per seal or open however little we add (a native
 * cipher object, five native calls, a fresh malloc'd output per call whose external memory also
 * brings on V8 mark-compacts, dearer the bigger the heap), so this file adds as little as it can
 * on top: the AAD is written into a reused buffer from pieces encoded once per table, column and
 * account (no string building), the IV and tag go through reused scratch buffers, and the one
 * options object is shared. The bytes are exactly those of the straightforward encoding; the
 * tests check both against each other, against WebCrypto, and against vectors written by the
 * first implementation.
 */
export const formatVersion = 1;
export const headerLength = 5;
export const nonceLength = 12;
export const tagLength = 16;
export const overhead = headerLength + nonceLength + tagLength;
const bodyStart = headerLength + nonceLength;

const algorithm = 'aes-256-gcm';
/** Also when decrypting: setAuthTag then accepts only full 16-byte tags. */
const gcmOptions = { authTagLength: tagLength };

// Scratch buffers. node:crypto copies the IV, the AAD and the tag when it is handed them, and the
// process is single-threaded, so one of each serves every call.
const ivScratch = Buffer.alloc(nonceLength);
const tagScratch = Buffer.alloc(tagLength);
let aadScratch = Buffer.allocUnsafe(512);
/** The last AAD view handed out; reused while the AAD length repeats (it does for uuid row ids). */
let aadView = aadScratch.subarray(0, 0);

/**
 * The parts of the AAD that depend only on table, column and account, UTF-8 encoded once:
 * head = `${table.length}:${table}`, tail = `${column.length}:${column}${accountId.length}:${accountId}`.
 */
interface AadTemplate {
  table: string;
  column: string;
  accountId: string;
  head: Buffer;
  tail: Buffer;
}

const maxTemplates = 4096;
/** accountId → table → column → template; nested so a lookup builds no key string. */
const templates = new Map<string, Map<string, Map<string, AadTemplate>>>();
let templateCount = 0;
let lastTemplate: AadTemplate | undefined;

function templateFor(context: SealContext): AadTemplate {
  const last = lastTemplate;
  if (last !== undefined && last.column === context.column && last.table === context.table && last.accountId === context.accountId) return last;
  let byTable = templates.get(context.accountId);
  let byColumn = byTable?.get(context.table);
  let template = byColumn?.get(context.column);
  if (template === undefined) {
    if (templateCount >= maxTemplates) {
      templates.clear();
      templateCount = 0;
      byTable = undefined;
      byColumn = undefined;
    }
    if (byTable === undefined) templates.set(context.accountId, (byTable = new Map<string, Map<string, AadTemplate>>()));
    if (byColumn === undefined) byTable.set(context.table, (byColumn = new Map<string, AadTemplate>()));
    const { table, column, accountId } = context;
    template = {
      table,
      column,
      accountId,
      head: Buffer.from(`${table.length}:${table}`, 'utf8'),
      tail: Buffer.from(`${column.length}:${column}${accountId.length}:${accountId}`, 'utf8'),
    };
    byColumn.set(column, template);
    templateCount += 1;
  }
  lastTemplate = template;
  return template;
}

/** Writes a non-negative integer in decimal ASCII at `at`; returns the offset after it. */
function writeDecimal(target: Buffer, at: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  let rest = value;
  for (let index = at + digits - 1; index >= at; index -= 1) {
    target[index] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + digits;
}

/**
 * AAD = the 5 header bytes ‖ UTF-8 of
 * `${table.length}:${table}${rowId.length}:${rowId}${column.length}:${column}${accountId.length}:${accountId}`.
 * Length-prefixed fields, so ("a|b","c") and ("a","b|c") never produce the same AAD; lengths are
 * String.length (UTF-16 units). Encoding the pieces separately gives the same bytes as encoding
 * the joined string: each piece boundary has an ASCII digit on one side, so no surrogate pair is
 * split (a lone surrogate becomes U+FFFD either way).
 */
function contextAad(header: Uint8Array, context: SealContext): Buffer {
  const template = templateFor(context);
  const rowId = typeof context.rowId === 'string' ? context.rowId : String(context.rowId);
  // UTF-8 needs at most 3 bytes per UTF-16 unit; 16 digits and a colon cover any length prefix.
  const most = headerLength + template.head.length + 17 + 3 * rowId.length + template.tail.length;
  if (most > aadScratch.length) {
    aadScratch = Buffer.allocUnsafe(Math.max(most, 2 * aadScratch.length));
    aadView = aadScratch.subarray(0, 0);
  }
  const scratch = aadScratch;
  for (let index = 0; index < headerLength; index += 1) scratch[index] = header[index]!;
  let at = headerLength;
  scratch.set(template.head, at);
  at += template.head.length;
  at = writeDecimal(scratch, at, rowId.length);
  scratch[at] = 0x3a; // ':'
  at += 1;
  if (rowId.length > 0) at += scratch.write(rowId, at, 'utf8');
  scratch.set(template.tail, at);
  at += template.tail.length;
  if (aadView.length !== at) aadView = scratch.subarray(0, at);
  return aadView;
}

/** The data key id in a stored value's header; -1 when it is not a format-1 ciphertext. */
export function readKeyId(blob: Uint8Array): number {
  if (blob.length < overhead || blob[0] !== formatVersion) return -1;
  return ((blob[1]! << 24) | (blob[2]! << 16) | (blob[3]! << 8) | blob[4]!) >>> 0;
}

/** Seals plaintext; `nonce` is 12 fresh random bytes (it is copied, so a scratch buffer will do). */
export function encrypt(key: KeyObject, keyId: number, nonce: Uint8Array, plaintext: Uint8Array, context: SealContext): Buffer {
  const out = Buffer.allocUnsafe(overhead + plaintext.length);
  out[0] = formatVersion;
  out.writeUInt32BE(keyId, 1);
  out.set(nonce, headerLength);
  const cipher = createCipheriv(algorithm, key, nonce, gcmOptions);
  cipher.setAAD(contextAad(out, context));
  out.set(cipher.update(plaintext), bodyStart);
  cipher.final();
  out.set(cipher.getAuthTag(), bodyStart + plaintext.length);
  return out;
}

/** Opens a format-1 ciphertext; undefined when authentication fails (tampered, moved, wrong key). */
export function decrypt(key: KeyObject, blob: Buffer, context: SealContext): Buffer | undefined {
  if (blob.length < overhead) return undefined;
  const tagStart = blob.length - tagLength;
  for (let index = 0; index < nonceLength; index += 1) ivScratch[index] = blob[headerLength + index]!;
  for (let index = 0; index < tagLength; index += 1) tagScratch[index] = blob[tagStart + index]!;
  let plaintext: Buffer | undefined;
  try {
    const decipher = createDecipheriv(algorithm, key, ivScratch, gcmOptions);
    decipher.setAAD(contextAad(blob, context));
    decipher.setAuthTag(tagScratch);
    plaintext = decipher.update(blob.subarray(bodyStart, tagStart));
    decipher.final();
    return plaintext;
  } catch {
    // GCM hands out the plaintext before final() checks the tag; do not leave it lying around.
    plaintext?.fill(0);
    return undefined;
  }
}
