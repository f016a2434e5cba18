import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, encodeEntry, encodePurgedEntry, entryHash, genesisHash, subjectAccount } from './canonical.ts';
import { encodeCheckpointBody, encodeManifest, parseCheckpointBody, parseManifest, parseRanges, toRanges } from './checkpoints.ts';

describe('canonical encoding', () => {
  it('writes details as RFC 8785: keys sorted by UTF-16 code units, ECMAScript numbers and strings, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], A: { d: 2.5, c: -0 } })).toBe('{"A":{"c":0,"d":2.5},"a":[true,null,"x"],"b":1}');
    // RFC 8785 §3.2.3's ordering example: code units, so U+20AC sorts after U+00E9 and before the surrogate pair.
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4, '\u00e9': 5 })).toBe('{"\\r":2,"1":4,"é":5,"€":1,"😀":3}');
    expect(canonicalJson({ big: 1e21, small: 1e-7, int: 100, text: 'line\n"quoted"\u2028' })).toBe('{"big":1e+21,"int":100,"small":1e-7,"text":"line\\n\\"quoted\\"\u2028"}');
    expect(canonicalJson({ skipped: undefined, kept: 1 })).toBe('{"kept":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
  });

  it('encodes an entry as one line with a fixed field order, hashed as an RFC 6962 leaf (FORMAT.md test vector)', () => {
    const line = encodeEntry({
      seq: 1,
      prev: genesisHash,
      at: Date.UTC(2026, 10, 21, 9, 59, 57, 123),
      accountId: 'acc-1',
      actorUserId: 'user-1',
      actorAccountId: 'acc-1',
      actorRoles: ['admin'],
      action: 'auth.signIn',
      resource: null,
      outcome: 'success',
      requestId: 'req-1',
      details: { method: 'local' },
      sealed: null,
    });
    expect(line).toBe(
      '{"v":1,"seq":1,"prev":"0000000000000000000000000000000000000000000000000000000000000000","at":"2026-11-21T09:59:57.123Z","account":"acc-1","actor":{"user":"user-1","account":"acc-1","roles":["admin"]},"action":"auth.signIn","resource":null,"outcome":"success","request":"req-1","details":{"method":"local"},"sealed":null}',
    );
    expect(entryHash(line)).toBe(createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(line)])).digest('hex'));
    expect(entryHash(line)).toBe('ee89265430b54c64176dc34057fbbf8d811dbc1b4baa5d1348318f70437115cb');
    expect(JSON.parse(line)).toMatchObject({ v: 1, seq: 1, details: { method: 'local' } });
    expect(encodePurgedEntry(7, genesisHash)).toBe(`{"v":1,"seq":7,"purged":"${genesisHash}"}`);
  });

  it('assigns an entry to the account it concerns', () => {
    expect(subjectAccount('explicit', 'account:other', 'actor')).toBe('explicit');
    expect(subjectAccount(null, 'account:other', 'actor')).toBeNull();
    expect(subjectAccount(undefined, 'account:other', 'actor')).toBe('other');
    expect(subjectAccount(undefined, 'idp:https://x', 'actor')).toBe('actor');
    expect(subjectAccount(undefined, null, null)).toBeNull();
  });

  it('round-trips checkpoint and manifest bodies and refuses anything not in their exact form', () => {
    const body = { installationId: 'inst', kind: 'tombstone' as const, size: 10, root: 'a'.repeat(64), at: 0, purged: [[1, 3], [5, 5]] as Array<[number, number]> };
    const text = encodeCheckpointBody(body);
    expect(text).toBe(`strongroom-audit-checkpoint/v1\ninstallation inst\nkind tombstone\nsize 10\nroot ${'a'.repeat(64)}\ntime 1970-01-01T00:00:00.000Z\npurged 1-3,5\n`);
    expect(parseCheckpointBody(text)).toEqual(body);
    expect(parseCheckpointBody(text.replace('size 10', 'size 010'))).toBeUndefined();
    expect(parseCheckpointBody(text.replace('kind tombstone', 'kind periodic'))).toBeUndefined();
    expect(parseCheckpointBody(`${text}extra 1\n`)).toBeUndefined();
    expect(parseRanges('3-1')).toBeUndefined();
    expect(parseRanges('1,1')).toBeUndefined();
    expect(toRanges([1, 2, 3, 7, 9, 10])).toEqual([[1, 3], [7, 7], [9, 10]]);
    const manifest = { installationId: 'inst', exportId: 'e', at: 0, scope: 'filtered' as const, filter: '{"action":"auth.*"}', entries: 2, checkpoints: 1, treeSize: 9, treeRoot: 'b'.repeat(64) };
    expect(parseManifest(encodeManifest(manifest))).toEqual(manifest);
    expect(parseManifest(encodeManifest(manifest).replace('entries 2', 'entries 2.0'))).toBeUndefined();
  });
});
