import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, readKeyId } from './aead.ts';
import { NonceSource } from './random.ts';
import { codecs, decodePlaintext, encodePlaintext, undecodable, wipePlaintext } from './sealed.ts';
import type { Codec, SealContext } from './sealed.ts';

const keyBytes = Buffer.from('030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', 'hex');
const key = createSecretKey(keyBytes);

/**
 * Format-1 values written by the first implementation (string-built AAD, Buffer per step). The
 * allocation-free one must produce these bytes exactly and open them: the format did not change.
 */
const vectors: { keyId: number; nonce: string; codec: Codec; value: unknown; context: SealContext; sealed: string; opensAs?: string }[] = [
  {
    keyId: 1, nonce: '000102030405060708090a0b', codec: codecs.text, value: 'confidential memo ✓',
    context: { table: 'notes', rowId: '3f2c1d9e-8a7b-4c6d-9e0f-1a2b3c4d5e6f', column: 'body', accountId: 'acct-a' },
    sealed: '0100000001000102030405060708090a0bcd821da80bf0d38905efcbfda54859a5baad435953ad712f0f9d120cef31b8729544435a4268',
  },
  {
    keyId: 7, nonce: 'ffeeddccbbaa998877665544', codec: codecs.json, value: { a: [1, 'x'], b: null },
    context: { table: 'spans', rowId: 42, column: 'payload', accountId: '0b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' },
    sealed: '0100000007ffeeddccbbaa9988776655446a5f98e5182ae522a0ffd46f1fcff3177046c454c1d613e391f711dd029c47e1ca0559c41e68ff',
  },
  {
    keyId: 0xfffffffe, nonce: '0f0e0d0c0b0a090807060504', codec: codecs.bytes, value: Buffer.from([0, 1, 255]),
    context: { table: 't', rowId: 2n ** 63n - 1n, column: 'c', accountId: 'a' },
    sealed: '01fffffffe0f0e0d0c0b0a090807060504f252ef091cc7480cccbcbee6bd8513b82fe9ab3e',
  },
  {
    keyId: 3, nonce: '111111111111111111111111', codec: codecs.text, value: 'ünïcödé 😀',
    context: { table: 'tâble', rowId: 'řádek-😀', column: 'cølumn', accountId: '账户' },
    sealed: '0100000003111111111111111111111111c259a4db764ba8f4719893fa148b71677fd469751ab708b5f853b3c4aba7554cdd',
  },
  {
    keyId: 4, nonce: '222222222222222222222222', codec: codecs.bytes, value: Buffer.alloc(0),
    context: { table: 'x', rowId: '', column: 'y', accountId: 'z' },
    sealed: '0100000004222222222222222222222222efe7701a8a5c561897c61f0e6c54e0405b',
  },
  {
    keyId: 5, nonce: '333333333333333333333333', codec: codecs.text, value: 'lone \ud800 surrogate',
    context: { table: 'a\udfff', rowId: '\ud800x\ud83d', column: '\udc00', accountId: 'acct' },
    sealed: '0100000005333333333333333333333333f1409535a502672422852f452fd2eed36353e3548925feed234bc06e0724c04705f817',
    opensAs: 'lone \ufffd surrogate', // UTF-8 has no lone surrogates; it always came back as U+FFFD
  },
];

/** The format written the plain way — one AAD string, one Buffer per step — as an independent reference. */
function referenceAad(keyId: number, context: SealContext): Buffer {
  const header = Buffer.alloc(5);
  header[0] = 1;
  header.writeUInt32BE(keyId, 1);
  const rowId = String(context.rowId);
  const text = `${context.table.length}:${context.table}${rowId.length}:${rowId}${context.column.length}:${context.column}${context.accountId.length}:${context.accountId}`;
  return Buffer.concat([header, Buffer.from(text, 'utf8')]);
}

function referenceEncrypt(keyId: number, nonce: Buffer, plaintext: Buffer, context: SealContext): Buffer {
  const cipher = createCipheriv('aes-256-gcm', keyBytes, nonce, { authTagLength: 16 });
  cipher.setAAD(referenceAad(keyId, context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([referenceAad(keyId, context).subarray(0, 5), nonce, body, cipher.getAuthTag()]);
}

function referenceDecrypt(sealed: Buffer, context: SealContext): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', keyBytes, sealed.subarray(5, 17), { authTagLength: 16 });
  decipher.setAAD(referenceAad(sealed.readUInt32BE(1), context));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(17, sealed.length - 16)), decipher.final()]);
}

/** Random strings that include multi-byte characters, surrogate pairs and lone surrogates. */
function randomText(maxLength: number): string {
  const pieces = ['a', 'Z', '0', ':', '-', 'é', '✓', '账', '😀', '\ud800', '\udfff', '\u0000'];
  let text = '';
  const length = Math.floor(Math.random() * (maxLength + 1));
  for (let i = 0; i < length; i += 1) text += pieces[Math.floor(Math.random() * pieces.length)];
  return text;
}

function randomContext(): SealContext {
  const kind = Math.random();
  const rowId = kind < 0.2 ? Math.floor(Math.random() * 1e12) : kind < 0.3 ? BigInt(Math.floor(Math.random() * 1e15)) * 1000n : kind < 0.35 ? randomText(400) : randomText(40);
  return { table: randomText(12), rowId, column: randomText(12), accountId: randomText(40) };
}

describe('AES-256-GCM format 1', () => {
  it('writes exactly the bytes of the first implementation and opens them', () => {
    for (const vector of vectors) {
      const plaintext = encodePlaintext(vector.codec, vector.value);
      const sealed = encrypt(key, vector.keyId, Buffer.from(vector.nonce, 'hex'), plaintext, vector.context);
      wipePlaintext(plaintext);
      expect(sealed.toString('hex')).toBe(vector.sealed);
      const opened = decrypt(key, Buffer.from(vector.sealed, 'hex'), vector.context);
      expect(opened).toBeDefined();
      expect(decodePlaintext(opened!)).toEqual(vector.opensAs ?? vector.value);
      expect(readKeyId(sealed)).toBe(vector.keyId);
    }
  });

  it('matches a plain reference implementation both ways, for awkward contexts and sizes', () => {
    for (let i = 0; i < 3000; i += 1) {
      // Switch table, column and account often, and now and then repeat the previous one.
      const context = randomContext();
      const plaintext = randomBytes(Math.floor(Math.random() * (i % 50 === 0 ? 70_000 : 2_000)));
      const nonce = randomBytes(12);
      const keyId = Math.floor(Math.random() * 0xffffffff);
      const ours = encrypt(key, keyId, nonce, plaintext, context);
      expect(ours.equals(referenceEncrypt(keyId, nonce, plaintext, context))).toBe(true);
      expect(referenceDecrypt(ours, context).equals(plaintext)).toBe(true);
      expect(decrypt(key, referenceEncrypt(keyId, nonce, plaintext, context), context)?.equals(plaintext)).toBe(true);
      // Same account and table, other column: the cached AAD pieces must not leak across.
      expect(decrypt(key, ours, { ...context, column: `${context.column}x` })).toBeUndefined();
    }
  });

  it('keeps AADs right past the template cache limit', () => {
    const sealed: [Buffer, SealContext][] = [];
    for (let i = 0; i < 5000; i += 1) {
      const context: SealContext = { table: 'notes', rowId: i, column: `c${i % 7}`, accountId: `acct-${i}` };
      sealed.push([encrypt(key, 1, randomBytes(12), Buffer.from([1, i & 0xff]), context), context]);
    }
    for (const [value, context] of sealed) {
      expect(referenceDecrypt(value, context)[1]).toBe(Number(context.rowId) & 0xff);
      expect(decrypt(key, value, context)?.[1]).toBe(Number(context.rowId) & 0xff);
    }
  });

  it('is standard AES-256-GCM: WebCrypto opens it with the same AAD', async () => {
    const context: SealContext = { table: 'notes', rowId: 'row-1', column: 'body', accountId: 'acct-a' };
    const plaintext = encodePlaintext(codecs.text, 'opened by another implementation ✓');
    const copy = Buffer.from(plaintext);
    wipePlaintext(plaintext);
    const sealed = encrypt(key, 9, randomBytes(12), copy, context);
    const webKey = await webcrypto.subtle.importKey('raw', keyBytes, 'AES-GCM', false, ['decrypt', 'encrypt']);
    const opened = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.subarray(5, 17), additionalData: referenceAad(9, context), tagLength: 128 }, webKey, sealed.subarray(17));
    expect(Buffer.from(opened).equals(copy)).toBe(true);
    // And the other way: WebCrypto's output, framed as format 1, opens here.
    const nonce = randomBytes(12);
    const webSealed = Buffer.from(await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: referenceAad(9, context), tagLength: 128 }, webKey, copy));
    const framed = Buffer.concat([referenceAad(9, context).subarray(0, 5), nonce, webSealed]);
    expect(decrypt(key, framed, context)?.equals(copy)).toBe(true);
  });

  it('rejects altered, truncated and relabelled values', () => {
    const context: SealContext = { table: 'notes', rowId: 'row-1', column: 'body', accountId: 'acct-a' };
    const sealed = encrypt(key, 1, randomBytes(12), Buffer.from('\u0001secret'), context);
    for (let index = 0; index < sealed.length; index += 1) {
      const flipped = Buffer.from(sealed);
      flipped[index]! ^= 0x01;
      expect(decrypt(key, flipped, context)).toBeUndefined();
    }
    expect(decrypt(key, sealed.subarray(0, sealed.length - 1), context)).toBeUndefined();
    expect(decrypt(key, Buffer.concat([sealed, Buffer.from([0])]), context)).toBeUndefined();
    expect(decrypt(key, sealed.subarray(0, 32), context)).toBeUndefined();
    expect(readKeyId(Buffer.from([2, 0, 0, 0, 1, ...randomBytes(40)]))).toBe(-1);
    expect(readKeyId(sealed.subarray(0, 32))).toBe(-1);
    expect(decrypt(key, sealed, context)?.toString('utf8', 1)).toBe('secret');
  });
});

describe('plaintext encoding', () => {
  it('round-trips every codec at sizes around the scratch buffer limits, and wipes after use', () => {
    const values: [Codec, unknown][] = [
      [codecs.text, ''],
      [codecs.text, 'x'.repeat(5_461)],
      [codecs.text, '€'.repeat(6_000)], // 18,000 bytes: past the first scratch size
      [codecs.text, '😀'.repeat(40_000)], // 160,000 bytes
      [codecs.text, 'a'.repeat(300_000)], // past the scratch limit: a buffer of its own
      [codecs.json, { nested: ['ü', 1, null, true], big: 'é'.repeat(10_000) }],
      [codecs.bytes, randomBytes(100)],
      [codecs.bytes, randomBytes(300_000)],
    ];
    for (const [codec, value] of values) {
      const plaintext = encodePlaintext(codec, value);
      expect(decodePlaintext(plaintext)).toEqual(value);
      const copy = Buffer.from(plaintext);
      wipePlaintext(plaintext);
      expect(plaintext.every((byte) => byte === 0)).toBe(true);
      expect(decodePlaintext(copy)).toEqual(value);
    }
    expect(decodePlaintext(Buffer.from([9, 1, 2]))).toBe(undecodable);
  });
});

describe('NonceSource', () => {
  it('hands out distinct 12-byte nonces without allocating, and refuses a short random source', () => {
    const source = new NonceSource((size) => randomBytes(size));
    const seen = new Set<string>();
    const target = Buffer.alloc(12);
    for (let i = 0; i < 10_000; i += 1) {
      source.nextInto(target);
      seen.add(target.toString('hex'));
    }
    seen.add(source.next().toString('hex'));
    expect(seen.size).toBe(10_001);
    expect(() => new NonceSource(() => Buffer.alloc(12)).nextInto(target)).toThrow(/fewer bytes/);
  });
});
