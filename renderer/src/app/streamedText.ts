/**
 * Text a model is still writing, kept by path (a run step, a draft section). Pieces arrive as
 * events with the `offset` they start at and the `stream` (generation) they belong to; the text so
 * far also comes in the page's snapshot (`RunDetail.live`, `DraftDetail.live`) when it loads or
 * reloads mid-step. Snapshot and events travel on different channels, so either may arrive first,
 * and a retry or a regeneration starts the same path again at offset 0 under a larger stream id:
 *
 * * a piece is placed at its offset: what the snapshot already holds is not shown twice;
 * * a piece past the end waits until the text before it arrives (from the snapshot or a piece);
 * * a later stream replaces the path's text, and pieces of an earlier one are ignored.
 */
export interface Streamed {
  /** The generation this text belongs to; undefined for a server that sends none. */
  stream: number | undefined;
  text: string;
  /** Pieces that arrived before the text they continue. */
  early: ReadonlyArray<{ offset: number; text: string }>;
}

export interface Piece {
  text: string;
  offset?: number | undefined;
  stream?: number | undefined;
}

const empty = (stream: number | undefined): Streamed => ({ stream, text: '', early: [] });

/** Places what is waiting once the text before it is there. */
function settle(entry: Streamed): Streamed {
  let { text } = entry;
  let early = [...entry.early];
  for (let placed = true; placed && early.length > 0; ) {
    placed = false;
    for (const piece of early) {
      if (piece.offset > text.length) continue;
      text = piece.offset + piece.text.length <= text.length ? text : text.slice(0, piece.offset) + piece.text;
      early = early.filter((other) => other !== piece);
      placed = true;
      break;
    }
  }
  return text === entry.text && early.length === entry.early.length ? entry : { stream: entry.stream, text, early };
}

/** The path's text after one more piece. */
export function placePiece(current: Streamed | undefined, piece: Piece): Streamed {
  let entry = current ?? empty(piece.stream);
  if (piece.stream !== undefined && entry.stream !== undefined) {
    if (piece.stream < entry.stream) return entry; // a late piece of an earlier generation
    if (piece.stream > entry.stream) entry = empty(piece.stream); // a retry or a regeneration began
  }
  // An older server sends no offset: append.
  if (piece.offset === undefined) return { ...entry, text: entry.text + piece.text };
  return settle({ ...entry, early: [...entry.early, { offset: piece.offset, text: piece.text }] });
}

/** Takes the snapshot's text where it is newer or longer than what the events brought so far. */
export function withSnapshot(current: ReadonlyMap<string, Streamed>, live: ReadonlyArray<{ path: string; text: string; stream?: number | undefined }>): ReadonlyMap<string, Streamed> {
  let next: Map<string, Streamed> | undefined;
  for (const { path, text, stream } of live) {
    const entry = current.get(path);
    const newer = entry === undefined || (stream !== undefined && entry.stream !== undefined && stream > entry.stream);
    const same = entry !== undefined && (stream === undefined || entry.stream === undefined || stream === entry.stream);
    if (!newer && !(same && text.length > entry.text.length)) continue;
    const merged = settle({ stream: stream ?? entry?.stream, text, early: same ? entry.early : [] });
    (next ??= new Map(current)).set(path, merged);
  }
  return next ?? current;
}
