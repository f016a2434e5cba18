declare const sealedBrand: unique symbol;

/**
 * Ciphertext of a content column whose plaintext is a `T`. Only the crypto area makes one, so a
 * repository whose column type is `Sealed<string>` cannot be handed plaintext by mistake; at run
 * time it is the bytes stored in the BLOB column.
 */
export type Sealed<T> = Buffer & { readonly [sealedBrand]: T };

/** What a content column may hold before sealing. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Where a ciphertext lives. All four parts are bound into the AAD. */
export interface SealContext {
  table: string;
  rowId: string | number | bigint;
  column: string;
  accountId: string;
}

/** The first plaintext byte says how to decode the rest (it is encrypted with it). */
export const codecs = { text: 1, json: 2, bytes: 3 } as const;
export type Codec = (typeof codecs)[keyof typeof codecs];

/**
 * Plaintexts are encoded into one reused buffer (and wiped after sealing) rather than a fresh one
 * per value: no allocation or byte-length pass on the hot path, and no plaintext left behind in
 * Buffer's shared allocation pool. Values above the limit get a buffer of their own, wiped too.
 */
const scratchLimit = 256 * 1024;
let scratch = Buffer.alloc(16 * 1024);

function bufferFor(size: number): Buffer {
  if (size <= scratch.length) return scratch;
  if (size > scratchLimit) return Buffer.allocUnsafeSlow(size);
  scratch.fill(0);
  scratch = Buffer.alloc(Math.min(scratchLimit, Math.max(size, 2 * scratch.length)));
  return scratch;
}

/**
 * Encodes a value as codec byte ‖ body. The result may be a view of a shared buffer that the next
 * call overwrites: use it at once and hand it to wipePlaintext afterwards.
 */
export function encodePlaintext(codec: Codec, value: unknown): Buffer {
  if (codec === codecs.bytes) {
    const bytes = value as Uint8Array;
    const out = bufferFor(bytes.length + 1);
    out[0] = codec;
    out.set(bytes, 1);
    return out.subarray(0, bytes.length + 1);
  }
  const text = codec === codecs.text ? (value as string) : JSON.stringify(value);
  // UTF-8 takes at most 3 bytes per UTF-16 unit; count exactly only when that bound is large.
  const out = bufferFor(3 * text.length <= scratch.length - 1 ? 3 * text.length + 1 : Buffer.byteLength(text, 'utf8') + 1);
  out[0] = codec;
  const written = text.length === 0 ? 0 : out.write(text, 1, 'utf8');
  return out.subarray(0, written + 1);
}

/** Zeroes a plaintext from encodePlaintext once it has been sealed. */
export function wipePlaintext(plaintext: Buffer): void {
  plaintext.fill(0);
}

/** What decodePlaintext returns for an unknown codec byte. */
export const undecodable: unique symbol = Symbol('undecodable');

/** Decodes a plaintext made by encodePlaintext; `undecodable` for an unknown codec byte. */
export function decodePlaintext(plaintext: Buffer): unknown {
  switch (plaintext[0]) {
    case codecs.text:
      return plaintext.toString('utf8', 1);
    case codecs.json:
      return JSON.parse(plaintext.toString('utf8', 1)) as unknown;
    case codecs.bytes:
      return Buffer.copyBytesFrom(plaintext, 1);
    default:
      return undecodable;
  }
}
