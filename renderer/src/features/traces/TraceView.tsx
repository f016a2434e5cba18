import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import type { ApiError, Feedback, MethodOutput, TraceSummary } from '../../../../core/contracts/index.ts';
import { TraceIdSchema } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { TestModelBadge } from '../../app/TestModelBadge.tsx';
import { useApiEvent, useApiQuery, useBridge } from '../../bridge/context.tsx';
import { saveFile } from '../audit/download.ts';
import { useAuth } from '../auth/AuthContext.tsx';
import { formatCount, ShortId, TraceStatusBadge } from './badges.tsx';
import { SpanDetail } from './SpanDetail.tsx';
import { SpanExplorer } from './SpanExplorer.tsx';
import { buildSpanTree } from './spanTree.ts';
import { formatMillis, traceBounds } from './waterfall.ts';

type TraceDetail = MethodOutput<'traces.get'>;

/**
 * `/traces/:traceId`: the trace's facts, flag and export, its spans as a tree beside a waterfall,
 * and the selected span (`?span=`, so a link reopens it) with its content and feedback. Refreshes
 * when the recorder writes more of this trace.
 */
export function TraceView() {
  const { traceId = '' } = useParams();
  if (!TraceIdSchema.safeParse(traceId).success) {
    return (
      <div className="trace-view">
        <BackLink />
        <p className="error-panel" role="alert">“{traceId}” is not a trace id: a trace id is 32 lowercase hexadecimal characters.</p>
      </div>
    );
  }
  return <LoadedTrace key={traceId} traceId={traceId} />;
}

function BackLink() {
  const location = useLocation();
  const listSearch = (location.state as { listSearch?: string } | null)?.listSearch ?? '';
  return <p><Link to={`/traces${listSearch}`}>← All traces</Link></p>;
}

function LoadedTrace({ traceId }: { traceId: string }) {
  const { state, reload } = useApiQuery('traces.get', { traceId });
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => { if (pending.current) clearTimeout(pending.current); }, []);
  // A running trace grows: coalesce the recorder's batches into one refetch.
  useApiEvent('traces.recorded', useCallback((event) => {
    if (!event.traceIds.includes(traceId) || pending.current) return;
    pending.current = setTimeout(() => { pending.current = null; reload(); }, 500);
  }, [traceId, reload]));

  if (state.status === 'loading') return <div className="trace-view"><BackLink /><p className="notice" role="status">Loading trace…</p></div>;
  if (state.status === 'error') return <div className="trace-view"><BackLink /><ApiErrorView error={state.error} onRetry={reload} /></div>;
  return <TraceBody detail={state.value} />;
}

function TraceBody({ detail }: { detail: TraceDetail }) {
  const { can } = useAuth();
  const [searchParams, setSearchParams] = useSearchParams();
  const [flagged, setFlagged] = useState<{ source: TraceSummary; value: boolean } | null>(null);
  const [feedbackAdded, setFeedbackAdded] = useState<{ source: TraceSummary; count: number } | null>(null);
  const trace = detail.trace;
  // A flag change or new feedback shows at once (without refetching every span); a refetched
  // trace (a new summary object) says what is stored.
  const isFlagged = flagged !== null && flagged.source === trace ? flagged.value : trace.flagged;
  const feedbackCount = trace.feedbackCount + (feedbackAdded !== null && feedbackAdded.source === trace ? feedbackAdded.count : 0);
  const onFeedbackSaved = (feedback: Feedback) => {
    if (feedback.version !== 1) return;
    setFeedbackAdded((current) => ({ source: trace, count: (current !== null && current.source === trace ? current.count : 0) + 1 }));
  };
  const tree = useMemo(() => buildSpanTree(detail.spans), [detail.spans]);
  const bounds = useMemo(() => traceBounds(detail.spans), [detail.spans]);
  const selectedId = searchParams.get('span');
  const selected = selectedId === null ? undefined : tree.byId.get(selectedId)?.span;

  const select = (spanId: string) => {
    setSearchParams((current) => {
      const next = new URLSearchParams(current);
      next.set('span', spanId);
      return next;
    }, { replace: true, preventScrollReset: true });
  };

  return (
    <div className="trace-view" data-testid="trace-view" data-status={trace.status}>
      <BackLink />
      <h2>
        {trace.workflowId ?? 'Trace'} <TraceStatusBadge status={trace.status} />
        {isFlagged && <span className="tag trace-flag-tag" data-testid="trace-flagged"><span aria-hidden="true">⚑</span> flagged</span>}
      </h2>
      {trace.incomplete && (
        <div className="warning-panel" role="note" data-testid="trace-incomplete">
          <p><strong>Incomplete trace.</strong> Some spans were lost in a crash; what is shown is intact.</p>
        </div>
      )}
      <dl className="facts trace-facts">
        <dt>Trace id</dt><dd><code>{trace.traceId}</code></dd>
        {trace.runId && <><dt>Run</dt><dd>{can('runs.read') ? <Link to={`/workflows/runs/${trace.runId}`}><ShortId id={trace.runId} /></Link> : <ShortId id={trace.runId} />}</dd></>}
        {trace.version && <><dt>Version</dt><dd><ShortId id={trace.version} length={12} /></dd></>}
        {trace.modelId && <><dt>Model</dt><dd><code>{trace.modelId}</code>{trace.testModel && <TestModelBadge />}</dd></>}
        {trace.userId && <><dt>User</dt><dd>{trace.userName ?? <code>{trace.userId}</code>}</dd></>}
        <dt>Started</dt><dd><time dateTime={trace.startedAt}>{new Date(trace.startedAt).toLocaleString()}</time></dd>
        <dt>Duration</dt><dd>{trace.endedAt === null ? 'still running' : formatMillis(trace.durationMs)}</dd>
        <dt>Spans</dt><dd>{formatCount(trace.spanCount)}</dd>
        <dt>Tokens</dt><dd>{formatCount(trace.inputTokens)} in · {formatCount(trace.outputTokens)} out</dd>
        <dt>Feedback</dt><dd data-testid="trace-feedback-count">{formatCount(feedbackCount)}</dd>
      </dl>
      <TraceActions trace={trace} flagged={isFlagged} onFlagged={(value) => setFlagged({ source: trace, value })} />

      <h3 className="visually-hidden">Spans</h3>
      {detail.spans.length === 0
        ? <p className="notice">No spans recorded yet.</p>
        : <SpanExplorer tree={tree} bounds={bounds} selectedId={selected ? selected.spanId : null} onSelect={select} />}
      {selected
        ? <SpanDetail key={selected.spanId} span={selected} traceStartUs={bounds.startUs} onFeedbackSaved={onFeedbackSaved} />
        : detail.spans.length > 0 && <p className="notice">Select a span (click it, or press Enter on it) to see its detail and feedback.</p>}
    </div>
  );
}

/** Flag or unflag (`traces.flag`, feedback.write) and export OTLP/JSON (`traces.export`). */
function TraceActions({ trace, flagged, onFlagged }: { trace: TraceSummary; flagged: boolean; onFlagged: (flagged: boolean) => void }) {
  const { can } = useAuth();
  const bridge = useBridge();
  const [busy, setBusy] = useState<'flag' | 'export' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [message, setMessage] = useState('');
  if (!can('feedback.write') && !can('traces.export')) return null;

  async function flag(): Promise<void> {
    setBusy('flag');
    setError(null);
    const result = await bridge.invoke('traces.flag', { traceId: trace.traceId, flagged: !flagged });
    setBusy(null);
    if (!result.ok) return setError(result.error);
    onFlagged(result.value.flagged);
    setMessage(result.value.flagged ? 'Trace flagged for attention.' : 'Flag removed.');
  }

  async function exportTrace(): Promise<void> {
    setBusy('export');
    setError(null);
    const result = await bridge.invoke('traces.export', { traceId: trace.traceId });
    setBusy(null);
    if (!result.ok) return setError(result.error);
    const fileName = `trace-${trace.traceId}.otlp.json`;
    saveFile({ fileName, mediaType: 'application/json', encoding: 'utf8', content: JSON.stringify(result.value.document, null, 2) });
    const unreadable = result.value.unreadableSpans > 0 ? ` Warning: the content of ${formatCount(result.value.unreadableSpans)} spans cannot be decrypted (altered, or copied from another row); they are in the file without content.` : '';
    setMessage(`Saved ${fileName}: ${formatCount(result.value.spans)} spans, ${result.value.contentIncluded ? 'content included' : 'metadata only (your role does not include content)'}.${unreadable}`);
  }

  return (
    <div className="trace-actions">
      <div className="button-row">
        {can('feedback.write') && (
          <button type="button" disabled={busy !== null} onClick={() => { void flag(); }}>
            {flagged ? 'Unflag trace' : 'Flag trace'}
          </button>
        )}
        {can('traces.export') && (
          <button type="button" disabled={busy !== null} onClick={() => { void exportTrace(); }}>
            {busy === 'export' ? 'Exporting…' : 'Export OTLP/JSON'}
          </button>
        )}
      </div>
      <p className="announcement" role="status" data-testid="trace-action-result">{message}</p>
      {error && <ApiErrorView error={error} />}
    </div>
  );
}
