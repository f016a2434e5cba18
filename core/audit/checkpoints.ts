import { isHash } from './merkle.ts';

/**
 * Why a checkpoint was made: `periodic` (every N entries or T minutes), `export` (an export's
 * anchor), `tombstone` (a retention purge: it names the entries whose content was removed).
 */
export type CheckpointKind = 'periodic' | 'export' | 'tombstone';

/** Inclusive seq ranges, ascending and disjoint. */
export type SeqRanges = ReadonlyArray<readonly [number, number]>;

/** What a checkpoint signs (FORMAT.md, "Checkpoint"). */
export interface CheckpointBody {
  installationId: string;
  kind: CheckpointKind;
  size: number;
  root: string;
  at: number;
  /** Tombstones only: the entries a purge removed (their hashes stay in the tree). */
  purged?: SeqRanges;
}

const checkpointHeader = 'strongroom-audit-checkpoint/v1';

export function encodeRanges(ranges: SeqRanges): string {
  return ranges.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(',');
}

export function parseRanges(text: string): Array<[number, number]> | undefined {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) return undefined;
  const ranges: Array<[number, number]> = [];
  let last = 0;
  for (const part of text.split(',')) {
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || to < from || from <= last) return undefined;
    ranges.push([from, to]);
    last = to;
  }
  return ranges;
}

/** Sorted seqs → inclusive ranges. */
export function toRanges(seqs: readonly number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const seq of seqs) {
    const last = ranges[ranges.length - 1];
    if (last && seq === last[1] + 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges;
}

/** The exact text a checkpoint's signature covers: `key value` lines under a versioned first line. */
export function encodeCheckpointBody(body: CheckpointBody): string {
  const lines = [checkpointHeader, `installation ${body.installationId}`, `kind ${body.kind}`, `size ${body.size}`, `root ${body.root}`, `time ${new Date(body.at).toISOString()}`];
  if (body.purged) lines.push(`purged ${encodeRanges(body.purged)}`);
  return `${lines.join('\n')}\n`;
}

/** Parses a checkpoint body; undefined unless it is exactly what encodeCheckpointBody would write. */
export function parseCheckpointBody(text: string): CheckpointBody | undefined {
  const fields = parseFields(text, checkpointHeader);
  if (!fields) return undefined;
  const kind = fields.get('kind');
  const size = Number(fields.get('size'));
  const root = fields.get('root');
  const at = Date.parse(fields.get('time') ?? '');
  if ((kind !== 'periodic' && kind !== 'export' && kind !== 'tombstone') || !Number.isSafeInteger(size) || size < 0 || !isHash(root) || Number.isNaN(at)) return undefined;
  const purgedText = fields.get('purged');
  const purged = purgedText === undefined ? undefined : parseRanges(purgedText);
  if (purgedText !== undefined && !purged) return undefined;
  if ((kind === 'tombstone') !== (purged !== undefined)) return undefined;
  const body: CheckpointBody = { installationId: fields.get('installation') ?? '', kind, size, root, at, ...(purged ? { purged } : {}) };
  return encodeCheckpointBody(body) === text ? body : undefined;
}

/** The signed first line of a JSONL export (FORMAT.md, "Export"). */
export interface ExportManifest {
  installationId: string;
  exportId: string;
  at: number;
  /** `complete`: every entry from seq 1, with every checkpoint; `filtered`: matching entries with proofs. */
  scope: 'complete' | 'filtered';
  /** The filters, as canonical JSON. */
  filter: string;
  entries: number;
  checkpoints: number;
  treeSize: number;
  treeRoot: string;
}

const exportHeader = 'strongroom-audit-export/v1';

export function encodeManifest(manifest: ExportManifest): string {
  return `${[
    exportHeader,
    `installation ${manifest.installationId}`,
    `export ${manifest.exportId}`,
    `time ${new Date(manifest.at).toISOString()}`,
    `scope ${manifest.scope}`,
    `filter ${manifest.filter}`,
    `entries ${manifest.entries}`,
    `checkpoints ${manifest.checkpoints}`,
    `tree ${manifest.treeSize} ${manifest.treeRoot}`,
  ].join('\n')}\n`;
}

export function parseManifest(text: string): ExportManifest | undefined {
  const fields = parseFields(text, exportHeader);
  if (!fields) return undefined;
  const scope = fields.get('scope');
  const [sizeText, root] = (fields.get('tree') ?? '').split(' ');
  const manifest: ExportManifest = {
    installationId: fields.get('installation') ?? '',
    exportId: fields.get('export') ?? '',
    at: Date.parse(fields.get('time') ?? ''),
    scope: scope === 'complete' ? 'complete' : 'filtered',
    filter: fields.get('filter') ?? '',
    entries: Number(fields.get('entries')),
    checkpoints: Number(fields.get('checkpoints')),
    treeSize: Number(sizeText),
    treeRoot: root ?? '',
  };
  if ((scope !== 'complete' && scope !== 'filtered') || Number.isNaN(manifest.at) || !isHash(manifest.treeRoot)) return undefined;
  if (![manifest.entries, manifest.checkpoints, manifest.treeSize].every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
  return encodeManifest(manifest) === text ? manifest : undefined;
}

function parseFields(text: string, header: string): Map<string, string> | undefined {
  if (!text.endsWith('\n')) return undefined;
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== header) return undefined;
  const fields = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const space = line.indexOf(' ');
    if (space <= 0) return undefined;
    const key = line.slice(0, space);
    if (fields.has(key)) return undefined;
    fields.set(key, line.slice(space + 1));
  }
  return fields;
}
