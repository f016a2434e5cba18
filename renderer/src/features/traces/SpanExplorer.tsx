import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { formatCount, SpanKindBadge } from './badges.tsx';
import { ancestorIds, parentIds, visibleRows } from './spanTree.ts';
import type { SpanTree, VisibleRow } from './spanTree.ts';
import { barGeometry, formatMicros, formatMillis, timeTicks } from './waterfall.ts';
import type { TraceBounds } from './waterfall.ts';

const rowHeight = 30;
/** Deeper levels stop indenting further (a 10,000-deep chain would otherwise run off the page). */
const maxIndentLevels = 24;

/**
 * The trace's spans as a collapsible tree beside a waterfall, one ARIA treegrid whose rows are
 * virtualized together, so the tree and its bars always line up and a 10,000-span trace keeps
 * only a screenful of rows in the DOM. Keyboard: ↑/↓, Page Up/Down, Home/End move; → opens or
 * goes to the first child; ← closes or goes to the parent; Enter or Space shows the span.
 */
export function SpanExplorer({ tree, bounds, selectedId, onSelect }: { tree: SpanTree; bounds: TraceBounds; selectedId: string | null; onSelect: (spanId: string) => void }) {
  // Open everything above the span a link selected, once; after that the reader decides.
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const rows = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed]);
  const indexOf = useMemo(() => new Map(rows.map((row, index) => [row.node.span.spanId, index])), [rows]);
  const [activeId, setActiveId] = useState<string | null>(selectedId);
  const activeIndex = Math.max(0, activeId === null ? 0 : (indexOf.get(activeId) ?? 0));
  const scroller = useRef<HTMLDivElement>(null);
  /** The span a key press moved to, until its row has focus (the virtualizer may render it a frame later). */
  const focusTarget = useRef<string | null>(null);
  // initialRect: rows on the first render instead of after the first resize observation (a frame later).
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual returns new functions each render; this app does not use the React Compiler, so nothing memoizes them wrongly.
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan: 15, initialRect: { width: 0, height: 512 } });
  const duration = bounds.endUs - bounds.startUs;
  const ticks = useMemo(() => timeTicks(duration), [duration]);

  // A selected span (from the URL) starts in view.
  const initialSelection = useRef(selectedId);
  useEffect(() => {
    const index = initialSelection.current === null ? undefined : indexOf.get(initialSelection.current);
    initialSelection.current = null;
    if (index !== undefined && index > 0) virtualizer.scrollToIndex(index, { align: 'center' });
  }, [indexOf, virtualizer]);

  // Kept by span, not by "the active row": the virtualizer can render (while scrolling) before
  // the move is committed, and focusing the row active then would drop it.
  useEffect(() => {
    if (focusTarget.current === null) return;
    const row = scroller.current?.querySelector<HTMLElement>(`[data-testid="span-row-${focusTarget.current}"]`);
    if (row) {
      focusTarget.current = null;
      row.focus({ preventScroll: true });
    }
  });

  const toggle = (spanId: string, open?: boolean) => {
    setCollapsed((current) => {
      const next = new Set(current);
      const shouldOpen = open ?? next.has(spanId);
      if (shouldOpen) next.delete(spanId);
      else next.add(spanId);
      return next;
    });
  };

  const moveTo = (index: number) => {
    const clamped = Math.max(0, Math.min(rows.length - 1, index));
    const row = rows[clamped];
    if (!row) return;
    setActiveId(row.node.span.spanId);
    focusTarget.current = row.node.span.spanId;
    virtualizer.scrollToIndex(clamped, { align: 'auto' });
  };

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>): void {
    const row = rows[activeIndex];
    if (!row) return;
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? rowHeight * 10) / rowHeight) - 2);
    const spanId = row.node.span.spanId;
    switch (event.key) {
      case 'ArrowDown': moveTo(activeIndex + 1); break;
      case 'ArrowUp': moveTo(activeIndex - 1); break;
      case 'PageDown': moveTo(activeIndex + page); break;
      case 'PageUp': moveTo(activeIndex - page); break;
      case 'Home': moveTo(0); break;
      case 'End': moveTo(rows.length - 1); break;
      case 'ArrowRight':
        if (row.expanded === false) toggle(spanId, true);
        else if (row.expanded === true) moveTo(activeIndex + 1);
        break;
      case 'ArrowLeft': {
        if (row.expanded === true) {
          toggle(spanId, false);
          break;
        }
        const parent = tree.parentOf.get(spanId);
        const parentIndex = parent ? indexOf.get(parent.span.spanId) : undefined;
        if (parentIndex !== undefined) moveTo(parentIndex);
        break;
      }
      case 'Enter':
      case ' ':
        onSelect(spanId);
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  const showSpan = (spanId: string) => {
    const hidden = ancestorIds(tree, spanId).filter((id) => collapsed.has(id));
    if (hidden.length > 0) setCollapsed((current) => new Set([...current].filter((id) => !hidden.includes(id))));
    setActiveId(spanId);
    onSelect(spanId);
  };

  return (
    <div className="span-explorer">
      <div className="span-toolbar">
        <button type="button" onClick={() => setCollapsed(new Set())}>Expand all</button>
        <button type="button" onClick={() => setCollapsed(parentIds(tree))}>Collapse all</button>
        <p className="hint">{formatCount(tree.byId.size)} spans over {formatMicros(duration)}; {formatCount(rows.length)} shown.</p>
        {selectedId !== null && indexOf.get(selectedId) === undefined && tree.byId.has(selectedId) && (
          <button type="button" onClick={() => showSpan(selectedId)}>Reveal the selected span</button>
        )}
      </div>
      <div
        ref={scroller}
        className="span-grid"
        role="treegrid"
        aria-label="Spans: tree and timeline"
        aria-rowcount={rows.length + 1}
        aria-colcount={2}
        data-testid="span-tree"
        onKeyDown={onKeyDown}
      >
        <div role="rowgroup" className="span-grid-head">
          <div role="row" aria-rowindex={1} className="span-row span-row-head">
            <div role="columnheader" className="span-cell-name">Span</div>
            <div role="columnheader" className="span-cell-timeline" data-testid="waterfall-axis">
              <span className="visually-hidden">Timeline from the trace start, {formatMicros(duration)} in all</span>
              <span className="span-axis" aria-hidden="true">
                {ticks.map((tick) => (
                  <span key={tick} className="span-tick" style={{ left: `${duration > 0 ? (tick / duration) * 100 : 0}%` }}>{formatMicros(tick)}</span>
                ))}
              </span>
            </div>
          </div>
        </div>
        <div role="rowgroup" className="span-grid-body" style={{ height: virtualizer.getTotalSize() }}>
          <div className="span-gridlines" aria-hidden="true">
            {ticks.map((tick) => <span key={tick} className="span-gridline" style={{ left: `${duration > 0 ? (tick / duration) * 100 : 0}%` }} />)}
          </div>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            return (
              <SpanRow
                key={row.node.span.spanId}
                row={row}
                index={item.index}
                top={item.start}
                bounds={bounds}
                active={item.index === activeIndex}
                selected={row.node.span.spanId === selectedId}
                onToggle={() => toggle(row.node.span.spanId)}
                onClick={() => { setActiveId(row.node.span.spanId); onSelect(row.node.span.spanId); }}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

function SpanRow({ row, index, top, bounds, active, selected, onToggle, onClick }: {
  row: VisibleRow; index: number; top: number; bounds: TraceBounds; active: boolean; selected: boolean; onToggle: () => void; onClick: () => void;
}) {
  const { span, orphan } = row.node;
  const bar = barGeometry(span, bounds);
  const offsetUs = Math.max(0, span.startUs - bounds.startUs);
  const failed = span.status === 'error';
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-level={row.level}
      aria-posinset={row.posInSet}
      aria-setsize={row.setSize}
      aria-expanded={row.expanded ?? undefined}
      aria-selected={selected}
      tabIndex={active ? 0 : -1}
      data-row-index={index}
      data-testid={`span-row-${span.spanId}`}
      data-kind={span.kind}
      className={`span-row${selected ? ' span-row-selected' : ''}${failed ? ' span-row-error' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      onClick={onClick}
    >
      <div role="gridcell" className="span-cell-name" style={{ paddingLeft: `${Math.min(row.level - 1, maxIndentLevels) * 0.9 + 0.3}rem` }}>
        {row.expanded === null
          ? <span className="span-twisty" aria-hidden="true" />
          : <span className="span-twisty span-twisty-button" aria-hidden="true" onClick={(event) => { event.stopPropagation(); onToggle(); }}>{row.expanded ? '▾' : '▸'}</span>}
        <SpanKindBadge kind={span.kind} compact />
        <span className="span-name" title={span.path || span.name}>{span.name}</span>
        {row.level > maxIndentLevels && <span className="hint"> (level {row.level})</span>}
        {orphan && <span className="tag" title="Its parent span was lost">parent lost</span>}
        {failed && <span className="trace-status trace-status-failed">error</span>}
      </div>
      <div role="gridcell" className="span-cell-timeline">
        <span className="visually-hidden">starts at +{formatMicros(offsetUs)}, {span.endUs === null ? 'still open' : `lasts ${formatMillis(span.durationMs)}`}</span>
        <span className="span-bar-track" aria-hidden="true">
          <span className={`span-bar span-bar-${span.kind}${failed ? ' span-bar-error' : ''}${bar.open ? ' span-bar-open' : ''}`} style={{ left: `${bar.offsetPercent}%`, width: `${bar.widthPercent}%` }} />
        </span>
        <span className="span-duration" aria-hidden="true">{span.endUs === null ? 'open' : formatMillis(span.durationMs)}</span>
      </div>
    </div>
  );
}
