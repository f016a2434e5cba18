import { diffWordsWithSpace } from 'diff';

/** One run of a word diff: text both versions share, or text only one of them has. */
export interface DiffPart {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** A long unchanged stretch left out of a condensed diff, with how many words it held. */
export interface DiffGap {
  kind: 'gap';
  words: number;
}

export interface DiffStats {
  addedWords: number;
  removedWords: number;
}

const countWords = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/**
 * The word-level difference from `before` (the model's draft) to `after` (the analyst's text).
 * Whitespace counts as a token so a changed paragraph break shows; a removal always comes before
 * the addition that replaces it.
 */
export function wordDiff(before: string, after: string): DiffPart[] {
  const parts: DiffPart[] = [];
  for (const change of diffWordsWithSpace(before, after)) {
    const kind = change.added ? 'added' : change.removed ? 'removed' : 'same';
    const last = parts[parts.length - 1];
    if (last && last.kind === kind) last.text += change.value;
    else parts.push({ kind, text: change.value });
  }
  return parts;
}

/** Words added and removed: the summary beside the diff. */
export function diffStats(parts: readonly DiffPart[]): DiffStats {
  let addedWords = 0;
  let removedWords = 0;
  for (const part of parts) {
    if (part.kind === 'added') addedWords += countWords(part.text);
    if (part.kind === 'removed') removedWords += countWords(part.text);
  }
  return { addedWords, removedWords };
}

/** Whether the two texts differ other than in whitespace. */
export function hasChanges(parts: readonly DiffPart[]): boolean {
  return parts.some((part) => part.kind !== 'same' && part.text.trim() !== '');
}

/**
 * Keeps the changes readable in a long section: an unchanged stretch longer than twice `context`
 * words keeps `context` words each side of it (none at the very start or end) and becomes a gap.
 */
export function condense(parts: readonly DiffPart[], context = 12): Array<DiffPart | DiffGap> {
  const result: Array<DiffPart | DiffGap> = [];
  parts.forEach((part, index) => {
    if (part.kind !== 'same') {
      result.push(part);
      return;
    }
    const tokens = part.text.split(/(\s+)/).filter((token) => token !== '');
    const words = tokens.filter((token) => token.trim() !== '');
    const keepBefore = index === 0 ? 0 : context;
    const keepAfter = index === parts.length - 1 ? 0 : context;
    if (words.length <= keepBefore + keepAfter + 1) {
      result.push(part);
      return;
    }
    // Walk the tokens keeping whole words (and the spaces between them) at either end.
    const head: string[] = [];
    let seen = 0;
    for (const token of tokens) {
      if (token.trim() !== '') seen += 1;
      if (seen > keepBefore) break;
      head.push(token);
    }
    const tail: string[] = [];
    seen = 0;
    for (const token of [...tokens].reverse()) {
      if (token.trim() !== '') seen += 1;
      if (seen > keepAfter) break;
      tail.unshift(token);
    }
    if (head.length > 0) result.push({ kind: 'same', text: head.join('') });
    result.push({ kind: 'gap', words: words.length - keepBefore - keepAfter });
    if (tail.length > 0) result.push({ kind: 'same', text: tail.join('') });
  });
  return result;
}
