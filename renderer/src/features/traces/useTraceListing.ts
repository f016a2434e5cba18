import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiError, TraceFilter, TraceSummary } from '../../../../core/contracts/index.ts';
import { useBridge } from '../../bridge/context.tsx';

/** Rows per `traces.list` call: a few screens' worth, small enough to arrive at once. */
export const tracePageSize = 200;

export type Listing =
  | { status: 'loading' }
  | { status: 'error'; error: ApiError }
  | { status: 'ok'; traces: TraceSummary[]; total: number; nextCursor: string | null; loadingMore: boolean; moreError: ApiError | null };

type Keyed = Listing & { key: string };

/**
 * The trace list for one filter, paged by the server's cursor: the first page when the filter
 * changes (or `reload` is called), and `loadMore` appends the next one. Results that arrive for a
 * filter no longer shown are dropped.
 */
export function useTraceListing(filter: TraceFilter): { listing: Listing; loadMore: () => void; reload: () => void } {
  const bridge = useBridge();
  const key = JSON.stringify(filter);
  const [state, setState] = useState<Keyed>({ key: '', status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const loadingMore = useRef(false);

  useEffect(() => {
    let live = true;
    void bridge.invoke('traces.list', { ...(JSON.parse(key) as TraceFilter), limit: tracePageSize }).then((result) => {
      if (!live) return;
      setState(result.ok
        ? { key, status: 'ok', traces: result.value.traces, total: result.value.total, nextCursor: result.value.nextCursor, loadingMore: false, moreError: null }
        : { key, status: 'error', error: result.error });
    });
    return () => { live = false; };
  }, [bridge, key, generation]);

  const current: Listing = state.key === key ? state : { status: 'loading' };
  const cursor = current.status === 'ok' ? current.nextCursor : null;

  const loadMore = useCallback(() => {
    if (cursor === null || loadingMore.current) return;
    loadingMore.current = true;
    setState((previous) => (previous.status === 'ok' && previous.key === key ? { ...previous, loadingMore: true, moreError: null } : previous));
    void bridge.invoke('traces.list', { ...(JSON.parse(key) as TraceFilter), limit: tracePageSize, cursor }).then((result) => {
      loadingMore.current = false;
      setState((previous) => {
        if (previous.status !== 'ok' || previous.key !== key || previous.nextCursor !== cursor) return previous;
        if (!result.ok) return { ...previous, loadingMore: false, moreError: result.error };
        return { ...previous, traces: [...previous.traces, ...result.value.traces], total: result.value.total, nextCursor: result.value.nextCursor, loadingMore: false };
      });
    });
  }, [bridge, key, cursor]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { listing: current, loadMore, reload };
}
