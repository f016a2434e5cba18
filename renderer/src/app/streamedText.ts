/**
 * Text a model is still writing, kept by path (a run step, a draft section). Pieces arrive as
 * events with the `offset` they start at; the text so far also comes in the page's snapshot
 * (`RunDetail.live`, `DraftDetail.live`) when it loads or reloads mid-step. The two travel on
 * different channels, so either may arrive first: placing each piece at its offset means nothing
 * is shown twice and nothing already shown is lost.
 */
export function placePiece(current: string | undefined, text: string, offset: number | undefined): string {
  const base = current ?? '';
  // An older server sends no offset, and a piece past the end means earlier ones were missed
  // (the page subscribed late): append, and the next snapshot puts the text right.
  if (offset === undefined || offset > base.length) return base + text;
  if (offset + text.length <= base.length) return base;
  return base.slice(0, offset) + text;
}

/** Takes a snapshot's text where it holds more than the events have brought so far. */
export function withSnapshot(current: ReadonlyMap<string, string>, live: ReadonlyArray<{ path: string; text: string }>): ReadonlyMap<string, string> {
  let next: Map<string, string> | undefined;
  for (const { path, text } of live) {
    if (text.length > (current.get(path)?.length ?? 0)) (next ??= new Map(current)).set(path, text);
  }
  return next ?? current;
}
