import { describe, expect, it } from 'vitest';
import { placePiece, withSnapshot } from './streamedText.ts';
import type { Piece, Streamed } from './streamedText.ts';

const pieces = (list: Piece[], start?: Streamed): Streamed | undefined => list.reduce<Streamed | undefined>((entry, piece) => placePiece(entry, piece), start);
const textOf = (entry: Streamed | undefined): string => entry?.text ?? '';

describe('text still being written', () => {
  it('places pieces at their offsets, whichever of snapshot and event came first', () => {
    expect(textOf(pieces([{ text: 'The borrower ', offset: 0, stream: 1 }, { text: 'repaid.', offset: 13, stream: 1 }]))).toBe('The borrower repaid.');
    // The snapshot already holds a piece that arrives afterwards as an event: not shown twice.
    const snapshot = withSnapshot(new Map(), [{ path: 'write', text: 'The borrower ', stream: 1 }]);
    expect(textOf(placePiece(snapshot.get('write'), { text: 'borrower ', offset: 4, stream: 1 }))).toBe('The borrower ');
    // A piece that overlaps the end of what is there extends it without repeating.
    expect(textOf(pieces([{ text: 'repaid.', offset: 13, stream: 1 }], { stream: 1, text: 'The borrower re', early: [] }))).toBe('The borrower repaid.');
    // No offset (an older server): appended.
    expect(textOf(pieces([{ text: 'The ' }, { text: 'borrower' }]))).toBe('The borrower');
  });

  it('keeps a piece that arrives before the snapshot it continues, and places it when the snapshot comes', () => {
    // The page asked for the run when 13 characters were written; the piece at 13 came first.
    const early = new Map([['write', placePiece(undefined, { text: 'repaid ', offset: 13, stream: 7 })]]);
    expect(textOf(early.get('write'))).toBe('');
    const loaded = withSnapshot(early, [{ path: 'write', text: 'The borrower ', stream: 7 }]);
    expect(textOf(loaded.get('write'))).toBe('The borrower repaid ');
    expect(textOf(placePiece(loaded.get('write'), { text: 'in full.', offset: 20, stream: 7 }))).toBe('The borrower repaid in full.');
  });

  it('starts again when a retry or regeneration streams the same path, and ignores late pieces of the old one', () => {
    const first = pieces([{ text: 'The borrower has adequate liquidity', offset: 0, stream: 10 }]);
    const again = pieces([{ text: 'Covenant ', offset: 0, stream: 11 }, { text: 'breached in 2024.', offset: 9, stream: 11 }], first);
    expect(textOf(again)).toBe('Covenant breached in 2024.');
    expect(textOf(placePiece(again, { text: ' and more', offset: 35, stream: 10 }))).toBe('Covenant breached in 2024.');
    // A reload during the retry: the snapshot's shorter, newer text wins over the old attempt's.
    const reloaded = withSnapshot(new Map([['write', first!]]), [{ path: 'write', text: 'Covenant', stream: 11 }]);
    expect(textOf(reloaded.get('write'))).toBe('Covenant');
  });

  it('keeps what the events brought when the snapshot holds less of the same stream, and changes nothing when it has nothing new', () => {
    const current = new Map([['write', { stream: 3, text: 'The borrower', early: [] }], ['other', { stream: 3, text: 'Collateral is', early: [] }]]);
    const merged = withSnapshot(current, [{ path: 'write', text: 'The borrower repaid', stream: 3 }, { path: 'other', text: 'Coll', stream: 3 }, { path: 'new', text: 'Exposure', stream: 4 }]);
    expect([...merged].map(([path, entry]) => [path, entry.text])).toEqual([['write', 'The borrower repaid'], ['other', 'Collateral is'], ['new', 'Exposure']]);
    // Nothing new: the same map, so React does not render again.
    expect(withSnapshot(merged, [{ path: 'write', text: 'The', stream: 3 }])).toBe(merged);
  });
});
