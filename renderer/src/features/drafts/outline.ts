import type { DraftSection, SectionStatus } from '../../../../core/contracts/index.ts';

/** How far a group of sections has got: drafting (has text) and review (accepted or edited). */
export interface SectionCounts {
  /** Sections with text of their own (containers are not counted). */
  total: number;
  /** The model has produced them: drafted, accepted, edited or rejected. */
  drafted: number;
  /** An analyst has accepted or edited them. */
  reviewed: number;
  running: number;
  rejected: number;
  failed: number;
}

/** One heading of the document: a section and the sections nested under it. */
export interface OutlineNode {
  section: DraftSection;
  children: OutlineNode[];
  /** Over this section (unless it is a container) and everything below it. */
  counts: SectionCounts;
}

const draftedStatuses: ReadonlySet<SectionStatus> = new Set(['drafted', 'accepted', 'edited', 'rejected']);
const reviewedStatuses: ReadonlySet<SectionStatus> = new Set(['accepted', 'edited']);

function emptyCounts(): SectionCounts {
  return { total: 0, drafted: 0, reviewed: 0, running: 0, rejected: 0, failed: 0 };
}

function add(into: SectionCounts, from: SectionCounts): void {
  into.total += from.total;
  into.drafted += from.drafted;
  into.reviewed += from.reviewed;
  into.running += from.running;
  into.rejected += from.rejected;
  into.failed += from.failed;
}

/** The counts one section contributes on its own: nothing for a container, which has no text. */
export function ownCounts(section: DraftSection): SectionCounts {
  const counts = emptyCounts();
  if (section.container) return counts;
  counts.total = 1;
  if (draftedStatuses.has(section.status)) counts.drafted = 1;
  if (reviewedStatuses.has(section.status)) counts.reviewed = 1;
  if (section.status === 'running') counts.running = 1;
  if (section.status === 'rejected') counts.rejected = 1;
  if (section.status === 'failed') counts.failed = 1;
  return counts;
}

/**
 * The document's heading tree from its flat, document-ordered sections: each section goes under
 * the one its `parentPath` names (a section whose parent is missing stays at the top, so nothing
 * is hidden), with counts summed upwards.
 */
export function buildOutline(sections: readonly DraftSection[]): OutlineNode[] {
  const nodes = new Map<string, OutlineNode>();
  const roots: OutlineNode[] = [];
  for (const section of sections) nodes.set(section.path, { section, children: [], counts: emptyCounts() });
  for (const section of sections) {
    const node = nodes.get(section.path)!;
    const parent = section.parentPath === null ? undefined : nodes.get(section.parentPath);
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const sum = (node: OutlineNode): SectionCounts => {
    node.counts = ownCounts(node.section);
    for (const child of node.children) add(node.counts, sum(child));
    return node.counts;
  };
  for (const root of roots) sum(root);
  return roots;
}

/** The whole document's counts. */
export function totalCounts(outline: readonly OutlineNode[]): SectionCounts {
  const counts = emptyCounts();
  for (const node of outline) add(counts, node.counts);
  return counts;
}

/** Sections in reading order (what j/k walk through): every section with text of its own. */
export function readingOrder(outline: readonly OutlineNode[]): DraftSection[] {
  const result: DraftSection[] = [];
  const walk = (nodes: readonly OutlineNode[]) => {
    for (const node of nodes) {
      if (!node.section.container) result.push(node.section);
      walk(node.children);
    }
  };
  walk(outline);
  return result;
}

/**
 * The HTML heading level for a section: the page has its h1 (Drafts) and the draft title as h2,
 * so a level-1 section is an h3. Levels past 6 are given to ARIA (`aria-level`) instead.
 */
export function headingLevel(sectionLevel: number): number {
  return sectionLevel + 2;
}

/** "3 of 7" as a percentage for a progress bar; 0 when there is nothing yet. */
export function percent(done: number, total: number): number {
  return total === 0 ? 0 : Math.round((done / total) * 100);
}

/**
 * A DOM id for a section (outline links jump to it). Paths hold `.`, `/`, `[`, `]` and `#`; every
 * character but a–z, 0–9 and `-` is written as `_` and its hex code, so different paths never collide.
 */
export function sectionDomId(path: string): string {
  return `section-${path.replace(/[^a-z0-9-]/g, (char) => `_${char.charCodeAt(0).toString(16)}`)}`;
}
