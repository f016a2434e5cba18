let last = 0;

/**
 * An id for one model generation whose text streams to pages (a run step's attempt, a draft
 * section's regeneration). Increasing, across restarts too (microseconds of the clock, bumped when
 * two come in the same one): a page that holds a path's text from one generation replaces it when
 * a later one starts there, and ignores pieces of an earlier one that arrive late.
 */
export function nextStreamId(now: number = Date.now()): number {
  last = Math.max(now * 1000, last + 1);
  return last;
}
