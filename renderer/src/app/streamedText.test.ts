import { describe, expect, it } from 'vitest';
import { placePiece, withSnapshot } from './streamedText.ts';

describe('text still being written', () => {
  it('places pieces at their offsets, whichever of snapshot and event came first', () => {
    // Events only.
    expect(placePiece(placePiece(undefined, 'The borrower ', 0), 'repaid.', 13)).toBe('The borrower repaid.');
    // The snapshot already holds a piece that arrives afterwards as an event: not shown twice.
    expect(placePiece('The borrower ', 'borrower ', 4)).toBe('The borrower ');
    // A piece that overlaps the end of the snapshot extends it without repeating.
    expect(placePiece('The borrower re', 'repaid.', 13)).toBe('The borrower repaid.');
    // No offset (an older server) or a gap (pieces missed before the page subscribed): appended.
    expect(placePiece('The ', 'borrower', undefined)).toBe('The borrower');
    expect(placePiece('The ', 'repaid.', 13)).toBe('The repaid.');
  });

  it('takes the snapshot where it is ahead of the events, and keeps the events where they are ahead', () => {
    const current = new Map([['write', 'The borrower'], ['other', 'Collateral is']]);
    const merged = withSnapshot(current, [{ path: 'write', text: 'The borrower repaid' }, { path: 'other', text: 'Coll' }, { path: 'new', text: 'Exposure' }]);
    expect([...merged]).toEqual([['write', 'The borrower repaid'], ['other', 'Collateral is'], ['new', 'Exposure']]);
    // Nothing new: the same map, so React does not render again.
    expect(withSnapshot(merged, [{ path: 'write', text: 'The' }])).toBe(merged);
  });
});
