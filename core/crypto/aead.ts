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
 */
export const formatVersion = 1;
export const headerLength = 5;
export const nonceLength = 12;
export const tagLength = 16;
export const overhead = headerLength + nonceLength + tagLength;

const algorithm = 'aes-256-gcm';
/** Reused for every AAD; setAAD copies it, and the process is single-threaded. */
let aadScratch = Buffer.allocUnsafe(1024);

function contextAad(header: Buffer, context: SealContext): Buffer {
  // Length-prefixed fields, so ("a|b","c") and ("a","b|c") never produce the same AAD.
  const rowId = String(context.rowId);
  const text = `${context.table.length}:${context.table}${rowId.length}:${rowId}${context.column.length}:${context.column}${context.accountId.length}:${context.accountId}`;
  const needed = headerLength + Buffer.byteLength(text, 'utf8');
  if (needed > aadScratch.length) aadScratch = Buffer.allocUnsafe(needed * 2);
  header.copy(aadScratch, 0, 0, headerLength);
  aadScratch.write(text, headerLength, 'utf8');
  return aadScratch.subarray(0, needed);
}

/** Reads the header of a stored value; undefined when it is not a format-1 ciphertext. */
export function readHeader(blob: Uint8Array): { keyId: number } | undefined {
  if (blob.length < overhead || blob[0] !== formatVersion) return undefined;
  return { keyId: Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).readUInt32BE(1) };
}

export function encrypt(key: KeyObject, keyId: number, nonce: Uint8Array, plaintext: Buffer, context: SealContext): Buffer {
  const out = Buffer.allocUnsafe(overhead + plaintext.length);
  out[0] = formatVersion;
  out.writeUInt32BE(keyId, 1);
  out.set(nonce, headerLength);
  const cipher = createCipheriv(algorithm, key, nonce, { authTagLength: tagLength });
  cipher.setAAD(contextAad(out, context));
  const body = cipher.update(plaintext);
  body.copy(out, headerLength + nonceLength);
  cipher.final();
  cipher.getAuthTag().copy(out, headerLength + nonceLength + plaintext.length);
  return out;
}

/** Opens a format-1 ciphertext; undefined when authentication fails (tampered, moved, wrong key). */
export function decrypt(key: KeyObject, blob: Buffer, context: SealContext): Buffer | undefined {
  const tagStart = blob.length - tagLength;
  try {
    const decipher = createDecipheriv(algorithm, key, blob.subarray(headerLength, headerLength + nonceLength), { authTagLength: tagLength });
    decipher.setAAD(contextAad(blob, context));
    decipher.setAuthTag(blob.subarray(tagStart));
    const plaintext = decipher.update(blob.subarray(headerLength + nonceLength, tagStart));
    decipher.final();
    return plaintext;
  } catch {
    return undefined;
  }
}
