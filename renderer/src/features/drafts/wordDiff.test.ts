import { describe, expect, it } from 'vitest';
import { condense, diffStats, hasChanges, wordDiff } from './wordDiff.ts';

describe('wordDiff', () => {
  it('marks added and removed words and keeps the shared text', () => {
    const parts = wordDiff('The borrower has strong liquidity.', 'The borrower has adequate liquidity and a covenant breach.');
    expect(parts.filter((part) => part.kind === 'removed').map((part) => part.text.trim())).toEqual(['strong']);
    expect(parts.filter((part) => part.kind === 'added').map((part) => part.text).join('')).toContain('adequate');
    expect(parts.filter((part) => part.kind === 'added').map((part) => part.text).join('')).toContain('covenant breach');
    // Reassembling the shared and added parts gives the new text; shared and removed, the old.
    expect(parts.filter((part) => part.kind !== 'removed').map((part) => part.text).join('')).toBe('The borrower has adequate liquidity and a covenant breach.');
    expect(parts.filter((part) => part.kind !== 'added').map((part) => part.text).join('')).toBe('The borrower has strong liquidity.');
  });

  it('merges neighbouring runs of the same kind', () => {
    const parts = wordDiff('a b c', 'x y z');
    for (let index = 1; index < parts.length; index += 1) expect(parts[index]!.kind).not.toBe(parts[index - 1]!.kind);
  });

  it('counts words, not characters', () => {
    expect(diffStats(wordDiff('one two three', 'one four five six three'))).toEqual({ addedWords: 3, removedWords: 1 });
  });

  it('sees no change in identical text', () => {
    const parts = wordDiff('Same text.\n\nTwo paragraphs.', 'Same text.\n\nTwo paragraphs.');
    expect(hasChanges(parts)).toBe(false);
    expect(parts).toEqual([{ kind: 'same', text: 'Same text.\n\nTwo paragraphs.' }]);
  });

  it('handles an empty side', () => {
    expect(wordDiff('', 'new text')).toEqual([{ kind: 'added', text: 'new text' }]);
    expect(diffStats(wordDiff('old text', ''))).toEqual({ addedWords: 0, removedWords: 2 });
  });
});

describe('condense', () => {
  const words = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');

  it('folds a long unchanged stretch between changes, keeping context either side', () => {
    const before = `${words(3, 'a')} old ${words(40, 'm')} gone ${words(3, 'z')}`;
    const after = `${words(3, 'a')} new ${words(40, 'm')} here ${words(3, 'z')}`;
    const result = condense(wordDiff(before, after), 5);
    const gap = result.find((part) => part.kind === 'gap');
    expect(gap).toEqual({ kind: 'gap', words: 30 });
    const text = result.map((part) => (part.kind === 'gap' ? '…' : part.text)).join('');
    expect(text).toContain('m0 m1 m2 m3 m4');
    expect(text).toContain('m35 m36 m37 m38 m39');
    expect(text).not.toContain('m20');
  });

  it('keeps no leading or trailing context before the first or after the last change', () => {
    const before = `${words(30, 'a')} old`;
    const after = `${words(30, 'a')} new`;
    const result = condense(wordDiff(before, after), 5);
    expect(result[0]).toEqual({ kind: 'gap', words: 25 });
  });

  it('leaves short texts alone', () => {
    const parts = wordDiff('a b c', 'a x c');
    expect(condense(parts)).toEqual(parts);
  });
});
