import { describe, expect, it } from 'vitest';
import type { Span } from '../../../../core/contracts/index.ts';
import { ancestorIds, buildSpanTree, parentIds, visibleRows } from './spanTree.ts';
import { barGeometry, formatMillis, minimumBarPercent, niceStep, timeTicks, traceBounds } from './waterfall.ts';

const id = (n: number) => n.toString(16).padStart(16, '0');

function span(n: number, parent: number | null, startUs: number, endUs: number | null, name = `span ${n}`): Span {
  return {
    traceId: 'a'.repeat(32), spanId: id(n), parentSpanId: parent === null ? null : id(parent), kind: 'step', name, path: '',
    startTime: new Date(startUs / 1000).toISOString(), startUs, endUs, durationMs: endUs === null ? null : (endUs - startUs) / 1000,
    status: 'ok', errorCode: null, errorMessage: null, attributes: {},
  };
}

const names = (rows: ReturnType<typeof visibleRows>) => rows.map((row) => `${'  '.repeat(row.level - 1)}${row.node.span.name}`);

describe('span tree', () => {
  // A run: a workflow root, a map whose two items run in parallel (item 2 starts first), each
  // item a sub-workflow with a model call; spans arrive out of order, as a batch writer stores them.
  const spans = [
    span(5, 3, 1_300, 1_900, 'draft (item 1)'),
    span(1, null, 1_000, 5_000, 'kyc-periodic-review'),
    span(3, 2, 1_200, 2_000, 'item 1'),
    span(2, 1, 1_100, 4_000, 'sections'),
    span(4, 2, 1_150, 3_900, 'item 2'),
    span(6, 4, 1_160, 3_800, 'draft (item 2)'),
    span(7, 1, 4_100, 4_900, 'summary'),
  ];

  it('nests spans under their parents, siblings in start order, parallel children side by side', () => {
    const tree = buildSpanTree(spans);
    expect(tree.roots).toHaveLength(1);
    expect(names(visibleRows(tree, new Set()))).toEqual([
      'kyc-periodic-review',
      '  sections',
      '    item 2',
      '      draft (item 2)',
      '    item 1',
      '      draft (item 1)',
      '  summary',
    ]);
  });

  it('gives each row its level, position among siblings and open state', () => {
    const rows = visibleRows(buildSpanTree(spans), new Set());
    expect(rows.map((r) => [r.node.span.name, r.level, r.posInSet, r.setSize, r.expanded])).toEqual([
      ['kyc-periodic-review', 1, 1, 1, true],
      ['sections', 2, 1, 2, true],
      ['item 2', 3, 1, 2, true],
      ['draft (item 2)', 4, 1, 1, null],
      ['item 1', 3, 2, 2, true],
      ['draft (item 1)', 4, 1, 1, null],
      ['summary', 2, 2, 2, null],
    ]);
  });

  it('hides what is under a collapsed span, and finds the ancestors to open for a deep one', () => {
    const tree = buildSpanTree(spans);
    expect(names(visibleRows(tree, new Set([id(2)])))).toEqual(['kyc-periodic-review', '  sections', '  summary']);
    expect(visibleRows(tree, new Set([id(2)]))[1]!.expanded).toBe(false);
    expect(ancestorIds(tree, id(5))).toEqual([id(3), id(2), id(1)]);
    expect(ancestorIds(tree, id(1))).toEqual([]);
    expect([...parentIds(tree)].sort()).toEqual([id(1), id(2), id(3), id(4)]);
    expect(visibleRows(tree, parentIds(tree))).toHaveLength(1);
  });

  it('shows spans whose parent was lost as marked roots, and survives a parent cycle', () => {
    const incomplete = buildSpanTree([span(1, null, 0, 10), span(8, 99, 5, 6, 'orphan')]);
    expect(incomplete.roots.map((n) => [n.span.name, n.orphan])).toEqual([['span 1', false], ['orphan', true]]);
    const cyclic = buildSpanTree([span(1, 2, 0, 10, 'a'), span(2, 1, 1, 9, 'b'), span(3, null, 2, 3, 'c')]);
    const rows = visibleRows(cyclic, new Set());
    expect(rows.map((r) => r.node.span.name).sort()).toEqual(['a', 'b', 'c']);
    expect(names(rows)).toEqual(['a', '  b', 'c']);
  });

  it('builds and flattens a 10,000-span trace without recursion limits', () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => span(i + 1, i === 0 ? null : i, i, i + 1));
    const rows = visibleRows(buildSpanTree(chain), new Set());
    expect(rows).toHaveLength(10_000);
    expect(rows.at(-1)!.level).toBe(10_000);
  });
});

describe('waterfall geometry', () => {
  it('spans the trace from the earliest start to the latest end; open spans reach now if given', () => {
    expect(traceBounds([span(1, null, 1_000, 5_000), span(2, 1, 2_000, 6_000)])).toEqual({ startUs: 1_000, endUs: 6_000 });
    expect(traceBounds([span(1, null, 1_000, null), span(2, 1, 2_000, 3_000)], 9_000)).toEqual({ startUs: 1_000, endUs: 9_000 });
    expect(traceBounds([span(1, null, 1_000, null)])).toEqual({ startUs: 1_000, endUs: 1_000 });
    expect(traceBounds([])).toEqual({ startUs: 0, endUs: 0 });
  });

  it('places bars by start and end relative to the trace start', () => {
    const bounds = { startUs: 1_000, endUs: 5_000 };
    expect(barGeometry(span(1, null, 1_000, 5_000), bounds)).toEqual({ offsetPercent: 0, widthPercent: 100, open: false });
    expect(barGeometry(span(2, 1, 2_000, 3_000), bounds)).toEqual({ offsetPercent: 25, widthPercent: 25, open: false });
    expect(barGeometry(span(3, 1, 4_000, null), bounds)).toEqual({ offsetPercent: 75, widthPercent: 25, open: true });
  });

  it('keeps instant spans visible and everything inside the track', () => {
    const bounds = { startUs: 0, endUs: 1_000_000 };
    expect(barGeometry(span(1, null, 500_000, 500_000), bounds).widthPercent).toBe(minimumBarPercent);
    const atEnd = barGeometry(span(2, null, 1_000_000, 1_000_000), bounds);
    expect(atEnd.offsetPercent + atEnd.widthPercent).toBeLessThanOrEqual(100);
    expect(barGeometry(span(3, null, -50, 2_000_000), bounds)).toEqual({ offsetPercent: 0, widthPercent: 100, open: false });
  });

  it('puts gridlines at round steps', () => {
    expect(niceStep(0.7)).toBe(1);
    expect(niceStep(1_300)).toBe(2_000);
    expect(niceStep(4_100)).toBe(5_000);
    expect(timeTicks(10_000)).toEqual([0, 2_000, 4_000, 6_000, 8_000, 10_000]);
    expect(timeTicks(0)).toEqual([0]);
  });

  it('formats durations for people', () => {
    expect(formatMillis(null)).toBe('—');
    expect(formatMillis(0.25)).toBe('250 µs');
    expect(formatMillis(4.5)).toBe('4.5 ms');
    expect(formatMillis(120)).toBe('120 ms');
    expect(formatMillis(1_250)).toBe('1.25 s');
    expect(formatMillis(125_000)).toBe('2 min 5 s');
  });
});
