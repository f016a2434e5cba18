import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import type { TraceFilter, TraceSummary } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { TestModelBadge } from '../../app/TestModelBadge.tsx';
import { useApiEvent } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { formatCount, ShortId, TraceStatusBadge } from './badges.tsx';
import { activeFilterCount, filterFromParams, filterToParams, toLocalInput } from './filters.ts';
import { TraceExportByTime } from './TraceExportByTime.tsx';
import { TraceFilters } from './TraceFilters.tsx';
import type { FilterSuggestions } from './TraceFilters.tsx';
import { tracePageSize, useTraceListing } from './useTraceListing.ts';
import { formatMillis } from './waterfall.ts';

/** Row height in pixels; fixed, so the virtualizer never measures (and 100,000 rows cost nothing). */
const rowHeight = 36;
/** Fetch the next page once the last rendered row is this close to the end of what is loaded. */
const prefetchRows = 40;

const columns = ['Started', 'Workflow', 'Status', 'Duration', 'Spans', 'Tokens in/out', 'Model', 'User', 'Feedback', 'Flag'] as const;

function suggestionsFrom(traces: readonly TraceSummary[]): FilterSuggestions {
  const distinct = (pick: (trace: TraceSummary) => string | null) => [...new Set(traces.map(pick).filter((v): v is string => v !== null))].sort().slice(0, 50);
  const names = new Map(traces.map((t) => [t.userId, t.userName] as const));
  return { workflows: distinct((t) => t.workflowId), models: distinct((t) => t.modelId), users: distinct((t) => t.userId).map((value) => ({ value, label: names.get(value) ?? null })) };
}

/**
 * `/traces`: every trace of the account, newest first, filtered by the URL's query string. The
 * rows are a virtualized ARIA grid (only those in view are in the DOM), fetched a page at a time
 * from the server's cursor as the reader scrolls. Arrow keys, Page Up/Down, Home and End move
 * between rows; Enter opens the trace.
 */
export function TraceList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const { can } = useAuth();
  const { filter, problems } = useMemo(() => filterFromParams(searchParams), [searchParams]);
  const filterKey = filterToParams(filter).toString();
  const { listing, loadMore, reload } = useTraceListing(filter);
  const [fresh, setFresh] = useState(false);
  const [seen, setSeen] = useState(filterKey);
  if (seen !== filterKey) {
    // A new filter starts at the top with no "new traces" notice.
    setSeen(filterKey);
    setFresh(false);
  }

  const traces = listing.status === 'ok' ? listing.traces : [];
  const hasMore = listing.status === 'ok' && listing.nextCursor !== null;
  const onFirstPage = traces.length <= tracePageSize;

  // New traces: refresh at once while only the first page is loaded; deeper in, offer a button
  // rather than moving rows under the reader.
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => { if (refreshTimer.current) clearTimeout(refreshTimer.current); }, []);
  useApiEvent('traces.recorded', useCallback(() => {
    if (!onFirstPage) {
      setFresh(true);
      return;
    }
    if (!refreshTimer.current) refreshTimer.current = setTimeout(() => { refreshTimer.current = null; reload(); }, 1000);
  }, [onFirstPage, reload]));

  const apply = (next: TraceFilter) => setSearchParams(filterToParams(next));

  return (
    <div className="trace-list-page">
      <TraceFilters key={filterKey} filter={filter} suggestions={suggestionsFrom(traces)} onApply={apply} />
      {can('traces.export') && <TraceExportByTime key={`export-${filter.from ?? ''}-${filter.to ?? ''}`} {...(filter.from ? { from: filter.from } : {})} {...(filter.to ? { to: filter.to } : {})} />}
      {problems.length > 0 && (
        <div className="warning-panel" role="note" data-testid="trace-filter-problems">
          <p>Some filters in this link were not understood and are not applied:</p>
          <ul>{problems.map((problem) => <li key={problem.param}>{problem.message}</li>)}</ul>
        </div>
      )}
      {listing.status === 'loading' && <p className="notice" role="status">Loading traces…</p>}
      {listing.status === 'error' && <ApiErrorView error={listing.error} onRetry={reload} />}
      {listing.status === 'ok' && (
        <>
          <div className="trace-list-summary">
            <p className="trace-total" aria-live="polite" data-testid="trace-total">
              {formatCount(listing.total)} {listing.total === 1 ? 'trace' : 'traces'}
              {activeFilterCount(filter) > 0 ? (listing.total === 1 ? ' matches the filters' : ' match the filters') : ' in this account'}
            </p>
            <p className="hint">{formatCount(traces.length)} loaded{hasMore ? '; more load as you scroll' : ''}.</p>
            {fresh && <button type="button" onClick={() => { setFresh(false); reload(); }}>New traces recorded — refresh the list</button>}
          </div>
          {traces.length === 0
            ? <p className="notice" data-testid="trace-list-empty">{activeFilterCount(filter) > 0 ? 'No trace matches these filters.' : 'No traces yet: every workflow run records one.'}</p>
            : <TraceGrid traces={traces} total={listing.total} hasMore={hasMore} loadingMore={listing.loadingMore} loadMore={loadMore} onOpen={(traceId) => void navigate(`/traces/${traceId}`, { state: { listSearch: location.search } })} listSearch={location.search} />}
          {listing.moreError && <ApiErrorView error={listing.moreError} onRetry={loadMore} />}
        </>
      )}
    </div>
  );
}

function TraceGrid({ traces, total, hasMore, loadingMore, loadMore, onOpen, listSearch }: {
  traces: TraceSummary[]; total: number; hasMore: boolean; loadingMore: boolean; loadMore: () => void; onOpen: (traceId: string) => void; listSearch: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  /** The row a key press moved to, until its link has focus (the virtualizer may render it a frame later). */
  const focusTarget = useRef<number | null>(null);
  const count = traces.length + (hasMore ? 1 : 0);
  // initialRect: rows on the first render instead of after the first resize observation (a frame later).
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual returns new functions each render; this app does not use the React Compiler, so nothing memoizes them wrongly.
  const virtualizer = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan: 12, initialRect: { width: 0, height: 640 } });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  const activeIndex = Math.min(active, traces.length - 1);

  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= traces.length - prefetchRows) loadMore();
  }, [hasMore, loadingMore, lastIndex, traces.length, loadMore]);

  // After a key press moved the active row, focus its link once the virtualizer has rendered it.
  // The target is kept by index: the virtualizer can render (while scrolling) before the new
  // active row is committed, and focusing whatever row is active then would drop the move.
  useEffect(() => {
    if (focusTarget.current === null) return;
    const link = scroller.current?.querySelector<HTMLElement>(`[data-row-index="${focusTarget.current}"] a`);
    if (link) {
      focusTarget.current = null;
      link.focus({ preventScroll: true });
    }
  });

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>): void {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? rowHeight * 10) / rowHeight) - 1);
    const moves: Record<string, number> = { ArrowDown: activeIndex + 1, ArrowUp: activeIndex - 1, PageDown: activeIndex + page, PageUp: activeIndex - page, Home: 0, End: traces.length - 1 };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const next = Math.max(0, Math.min(traces.length - 1, target));
    setActive(next);
    focusTarget.current = next;
    virtualizer.scrollToIndex(next, { align: 'auto' });
  }

  return (
    <div
      ref={scroller}
      className="trace-grid"
      role="grid"
      aria-label="Traces, newest first"
      aria-rowcount={total + 1}
      aria-colcount={columns.length}
      data-testid="trace-list"
      onKeyDown={onKeyDown}
    >
      <div role="rowgroup" className="trace-grid-head">
        <div role="row" aria-rowindex={1} className="trace-row trace-row-head">
          {columns.map((column) => <div key={column} role="columnheader" className="trace-cell">{column}</div>)}
        </div>
      </div>
      <div role="rowgroup" className="trace-grid-body" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const trace = traces[item.index];
          if (!trace) {
            return (
              <div key="more" role="row" aria-rowindex={item.index + 2} className="trace-row trace-row-more" style={{ transform: `translateY(${item.start}px)` }}>
                <div role="gridcell" className="trace-cell">{loadingMore ? 'Loading more traces…' : 'More traces…'}</div>
              </div>
            );
          }
          return (
            <div
              key={trace.traceId}
              role="row"
              aria-rowindex={item.index + 2}
              aria-selected={item.index === activeIndex}
              data-row-index={item.index}
              data-testid={`trace-row-${trace.traceId}`}
              className={`trace-row${item.index === activeIndex ? ' trace-row-active' : ''}`}
              style={{ transform: `translateY(${item.start}px)` }}
              onClick={(event) => {
                // A click anywhere on the row opens it, like the link does.
                if ((event.target as HTMLElement).closest('a')) return;
                onOpen(trace.traceId);
              }}
            >
              <div role="gridcell" className="trace-cell"><time dateTime={trace.startedAt} title={new Date(trace.startedAt).toLocaleString()}>{toLocalInput(trace.startedAt).replace('T', ' ')}</time></div>
              <div role="gridcell" className="trace-cell">
                <Link to={`/traces/${trace.traceId}`} state={{ listSearch }} tabIndex={item.index === activeIndex ? 0 : -1} onFocus={() => setActive(item.index)}>
                  {trace.workflowId ?? 'Trace'} <ShortId id={trace.traceId} length={6} />
                </Link>
                {trace.incomplete && <span className="tag trace-tag-incomplete" title="Some spans were lost in a crash">incomplete</span>}
              </div>
              <div role="gridcell" className="trace-cell"><TraceStatusBadge status={trace.status} /></div>
              <div role="gridcell" className="trace-cell trace-cell-number">{formatMillis(trace.durationMs)}</div>
              <div role="gridcell" className="trace-cell trace-cell-number">{formatCount(trace.spanCount)}</div>
              <div role="gridcell" className="trace-cell trace-cell-number">{formatCount(trace.inputTokens)} / {formatCount(trace.outputTokens)}</div>
              <div role="gridcell" className="trace-cell">{trace.modelId ?? '—'}{trace.testModel && <TestModelBadge compact />}</div>
              <div role="gridcell" className="trace-cell">{trace.userId === null ? '—' : (trace.userName ?? trace.userId)}</div>
              <div role="gridcell" className="trace-cell trace-cell-number">{trace.feedbackCount > 0 ? formatCount(trace.feedbackCount) : '—'}</div>
              <div role="gridcell" className="trace-cell">{trace.flagged ? <span className="trace-flag"><span aria-hidden="true">⚑</span><span className="visually-hidden">flagged</span></span> : <span className="visually-hidden">not flagged</span>}</div>
            </div>
          );
        })}
      </div>
    </div>
  );
}
