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

export function encodePlaintext(codec: Codec, value: unknown): Buffer {
  if (codec === codecs.bytes) {
    const bytes = value as Uint8Array;
    const out = Buffer.allocUnsafe(bytes.length + 1);
    out[0] = codec;
    out.set(bytes, 1);
    return out;
  }
  const text = codec === codecs.text ? (value as string) : JSON.stringify(value);
  // One allocation: the hot path seals thousands of values a second.
  const out = Buffer.allocUnsafe(Buffer.byteLength(text, 'utf8') + 1);
  out[0] = codec;
  out.write(text, 1, 'utf8');
  return out;
}

/** Decodes a plaintext made by encodePlaintext; returns undefined for an unknown codec byte. */
export function decodePlaintext(plaintext: Buffer): { ok: true; value: unknown } | { ok: false } {
  const body = plaintext.subarray(1);
  switch (plaintext[0]) {
    case codecs.text:
      return { ok: true, value: body.toString('utf8') };
    case codecs.json:
      return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
    case codecs.bytes:
      return { ok: true, value: Buffer.from(body) };
    default:
      return { ok: false };
  }
}
