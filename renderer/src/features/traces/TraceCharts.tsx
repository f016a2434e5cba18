import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { formatCount } from './badges.tsx';
import { bucketLabel, compactNumber, latencyPoints, linePath, scaleLinear, tokenBuckets, valueAxis, workflowsOf } from './charts.ts';
import type { StatsPoint, TokenBucket } from './charts.ts';
import { formatMillis } from './waterfall.ts';

type Bucket = 'hour' | 'day';
interface StatsQuery { workflowId?: string; from?: string; to?: string; bucket: Bucket }

const width = 720;
const height = 260;
const margin = { top: 14, right: 18, bottom: 46, left: 70 };
const plotRight = width - margin.right;
const plotBottom = height - margin.bottom;
const seriesClasses = 8;

const dayInput = (date: Date) => date.toISOString().slice(0, 10);
const daysAgo = (days: number) => dayInput(new Date(Date.now() - days * 86_400_000));

/**
 * `/traces/charts`: latency percentiles (p50/p90/p99) of a workflow and tokens per workflow over
 * time, from `traces.stats`. Plain SVG drawn from a few pure helpers (charts.ts); each chart has
 * a spoken summary and its numbers as a table.
 */
export function TraceCharts() {
  const id = useId();
  const [fields, setFields] = useState({ workflowId: '', from: daysAgo(30), to: '', bucket: 'day' as Bucket });
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState<StatsQuery>(() => toQuery(fields));
  const stats = useApiQuery('traces.stats', query);

  function apply(event: FormEvent): void {
    event.preventDefault();
    if (fields.from && fields.to && fields.from > fields.to) {
      setError('“Until” must not be before “From”.');
      return;
    }
    setError(null);
    setQuery(toQuery(fields));
  }

  const series = stats.state.status === 'ok' ? stats.state.value.series : [];
  const bucket = stats.state.status === 'ok' ? stats.state.value.bucket : query.bucket;
  return (
    <div className="trace-charts">
      <form className="trace-filters" onSubmit={apply} aria-label="Chart range" noValidate>
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-workflow`}>Workflow</label>
            <input id={`${id}-workflow`} value={fields.workflowId} placeholder="all workflows" onChange={(e) => setFields({ ...fields, workflowId: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-from`}>From</label>
            <input id={`${id}-from`} type="date" value={fields.from} onChange={(e) => setFields({ ...fields, from: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-to`}>Until</label>
            <input id={`${id}-to`} type="date" value={fields.to} {...(error ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-to-error` } : {})} onChange={(e) => setFields({ ...fields, to: e.target.value })} />
            {error && <p id={`${id}-to-error`} className="field-error">{error}</p>}
          </div>
          <div className="field">
            <label htmlFor={`${id}-bucket`}>Per</label>
            <select id={`${id}-bucket`} value={fields.bucket} onChange={(e) => setFields({ ...fields, bucket: e.target.value as Bucket })}>
              <option value="day">Day</option>
              <option value="hour">Hour</option>
            </select>
          </div>
          <div className="field trace-filter-buttons"><button type="submit" className="primary">Show</button></div>
        </div>
      </form>
      {stats.state.status === 'loading' && <p className="notice" role="status">Loading statistics…</p>}
      {stats.state.status === 'error' && <ApiErrorView error={stats.state.error} onRetry={stats.reload} />}
      {stats.state.status === 'ok' && (series.length === 0
        ? <p className="notice" data-testid="charts-empty">No finished runs in this range.</p>
        : (
          <>
            <LatencyChart series={series} bucket={bucket} />
            <TokensChart series={series} bucket={bucket} />
          </>
        ))}
    </div>
  );
}

function toQuery(fields: { workflowId: string; from: string; to: string; bucket: Bucket }): StatsQuery {
  // Dates are whole UTC days: from the start of `from` to the end of `to`.
  return {
    bucket: fields.bucket,
    ...(fields.workflowId.trim() ? { workflowId: fields.workflowId.trim() } : {}),
    ...(fields.from ? { from: `${fields.from}T00:00:00.000Z` } : {}),
    ...(fields.to ? { to: `${fields.to}T23:59:59.999Z` } : {}),
  };
}

const percentiles = [
  { key: 'p50Ms', label: 'p50 (median)', className: 'line-p50' },
  { key: 'p90Ms', label: 'p90', className: 'line-p90' },
  { key: 'p99Ms', label: 'p99', className: 'line-p99' },
] as const;

function timeScale(points: readonly { bucketStart: string }[]) {
  const times = points.map((p) => Date.parse(p.bucketStart));
  const inset = 14;
  return scaleLinear([Math.min(...times), Math.max(...times)], [margin.left + inset, plotRight - inset]);
}

/** Up to three labels along the x axis (first, middle, last) so they never overlap. */
function xLabels<T extends { bucketStart: string }>(points: readonly T[]): T[] {
  if (points.length <= 3) return [...points];
  return [points[0]!, points[Math.floor(points.length / 2)]!, points[points.length - 1]!];
}

/** The first label starts at its point and the last ends at it, so neither leaves the chart. */
function anchorOf(index: number, count: number): 'start' | 'middle' | 'end' {
  if (count < 2) return 'middle';
  return index === 0 ? 'start' : index === count - 1 ? 'end' : 'middle';
}

function YAxis({ ticks, y, format }: { ticks: number[]; y: (value: number) => number; format: (value: number) => string }) {
  return (
    <g className="chart-axis" aria-hidden="true">
      {ticks.map((tick) => (
        <g key={tick}>
          <line x1={margin.left} x2={plotRight} y1={y(tick)} y2={y(tick)} className="chart-grid" />
          <text x={margin.left - 8} y={y(tick)} dy="0.32em" textAnchor="end">{format(tick)}</text>
        </g>
      ))}
    </g>
  );
}

function LatencyChart({ series, bucket }: { series: StatsPoint[]; bucket: Bucket }) {
  const id = useId();
  const workflows = workflowsOf(series);
  const [chosen, setChosen] = useState(workflows[0] ?? '');
  const workflowId = workflows.includes(chosen) ? chosen : (workflows[0] ?? '');
  const points = latencyPoints(series, workflowId);
  const axis = valueAxis(Math.max(...points.map((p) => p.p99Ms), 0));
  const y = scaleLinear([0, axis.max], [plotBottom, margin.top]);
  const x = timeScale(points);
  const medians = points.map((p) => p.p50Ms);
  const summary = points.length === 0 ? 'No data.' : `${workflowId}, ${points.length} ${bucket === 'day' ? 'days' : 'hours'} from ${bucketLabel(points[0]!.bucketStart, bucket)} to ${bucketLabel(points.at(-1)!.bucketStart, bucket)}: median latency between ${formatMillis(Math.min(...medians))} and ${formatMillis(Math.max(...medians))}; p99 at most ${formatMillis(Math.max(...points.map((p) => p.p99Ms)))}.`;

  return (
    <section className="chart" aria-labelledby={`${id}-title`} data-testid="latency-chart">
      <h3 id={`${id}-title`}>Latency percentiles</h3>
      <div className="field">
        <label htmlFor={`${id}-workflow`}>Workflow shown</label>
        <select id={`${id}-workflow`} value={workflowId} onChange={(e) => setChosen(e.target.value)}>
          {workflows.map((workflow) => <option key={workflow} value={workflow}>{workflow}</option>)}
        </select>
      </div>
      <svg viewBox={`0 0 ${width} ${height}`} className="chart-svg" role="img" aria-labelledby={`${id}-svg-title ${id}-svg-desc`}>
        <title id={`${id}-svg-title`}>Latency percentiles per {bucket}</title>
        <desc id={`${id}-svg-desc`}>{summary}</desc>
        <YAxis ticks={axis.ticks} y={y} format={(v) => (v === 0 ? '0' : formatMillis(v))} />
        {percentiles.map((percentile) => (
          <g key={percentile.key} className={`chart-line ${percentile.className}`}>
            <path d={linePath(points.map((p) => ({ x: x(Date.parse(p.bucketStart)), y: y(p[percentile.key]) })))} />
            {points.map((p) => <circle key={p.bucketStart} cx={x(Date.parse(p.bucketStart))} cy={y(p[percentile.key])} r={3} />)}
          </g>
        ))}
        <g className="chart-axis" aria-hidden="true">
          {xLabels(points).map((p, i, shown) => <text key={p.bucketStart} x={x(Date.parse(p.bucketStart))} y={plotBottom + 20} textAnchor={anchorOf(i, shown.length)}>{bucketLabel(p.bucketStart, bucket)}</text>)}
        </g>
      </svg>
      <ul className="chart-legend" aria-label="Lines">
        {percentiles.map((percentile) => <li key={percentile.key}><span className={`chart-swatch-line ${percentile.className}`} aria-hidden="true" />{percentile.label}</li>)}
      </ul>
      <details className="chart-table">
        <summary>Show the numbers</summary>
        <table className="table">
          <caption>Latency of {workflowId} per {bucket}</caption>
          <thead><tr><th scope="col">{bucket === 'day' ? 'Day' : 'Hour'}</th><th scope="col">Runs</th><th scope="col">p50</th><th scope="col">p90</th><th scope="col">p99</th></tr></thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.bucketStart}><th scope="row">{bucketLabel(p.bucketStart, bucket)}</th><td>{formatCount(p.runs)}</td><td>{formatMillis(p.p50Ms)}</td><td>{formatMillis(p.p90Ms)}</td><td>{formatMillis(p.p99Ms)}</td></tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

function TokensChart({ series, bucket }: { series: StatsPoint[]; bucket: Bucket }) {
  const id = useId();
  const { workflows, buckets } = tokenBuckets(series);
  const axis = valueAxis(Math.max(...buckets.map((b) => b.total), 0));
  const y = scaleLinear([0, axis.max], [plotBottom, margin.top]);
  const band = (plotRight - margin.left) / Math.max(1, buckets.length);
  const barWidth = Math.max(2, Math.min(48, band * 0.7));
  const xOf = (index: number) => margin.left + band * index + (band - barWidth) / 2;
  const total = buckets.reduce((sum, b) => sum + b.total, 0);
  const busiest = buckets.reduce<TokenBucket | null>((best, b) => (best === null || b.total > best.total ? b : best), null);
  const summary = `${formatCount(total)} tokens in ${buckets.length} ${bucket === 'day' ? 'days' : 'hours'} across ${workflows.length} ${workflows.length === 1 ? 'workflow' : 'workflows'}${busiest ? `; the most in ${bucketLabel(busiest.bucketStart, bucket)} (${formatCount(busiest.total)})` : ''}. ${workflows.map((w) => `${w}: ${formatCount(buckets.reduce((sum, b) => sum + (b.byWorkflow[w] ?? 0), 0))}`).join('; ')}.`;

  return (
    <section className="chart" aria-labelledby={`${id}-title`} data-testid="tokens-chart">
      <h3 id={`${id}-title`}>Tokens per workflow</h3>
      <svg viewBox={`0 0 ${width} ${height}`} className="chart-svg" role="img" aria-labelledby={`${id}-svg-title ${id}-svg-desc`}>
        <title id={`${id}-svg-title`}>Tokens (input and output) per workflow per {bucket}</title>
        <desc id={`${id}-svg-desc`}>{summary}</desc>
        <YAxis ticks={axis.ticks} y={y} format={compactNumber} />
        {buckets.map((b, index) => {
          let base = 0;
          return (
            <g key={b.bucketStart}>
              {workflows.map((workflow, w) => {
                const value = b.byWorkflow[workflow] ?? 0;
                if (value === 0) return null;
                const top = y(base + value);
                const bottom = y(base);
                base += value;
                return <rect key={workflow} x={xOf(index)} y={top} width={barWidth} height={Math.max(0.5, bottom - top)} className={`chart-series-${w % seriesClasses}`}><title>{`${workflow}, ${bucketLabel(b.bucketStart, bucket)}: ${formatCount(value)} tokens`}</title></rect>;
              })}
            </g>
          );
        })}
        <g className="chart-axis" aria-hidden="true">
          {xLabels(buckets.map((b, index) => ({ ...b, index }))).map((b, i, shown) => <text key={b.bucketStart} x={xOf(b.index) + (shown.length < 2 ? barWidth / 2 : i === 0 ? 0 : i === shown.length - 1 ? barWidth : barWidth / 2)} y={plotBottom + 20} textAnchor={anchorOf(i, shown.length)}>{bucketLabel(b.bucketStart, bucket)}</text>)}
        </g>
      </svg>
      <ul className="chart-legend" aria-label="Workflows">
        {workflows.map((workflow, w) => <li key={workflow}><span className={`chart-swatch chart-series-${w % seriesClasses}`} aria-hidden="true" />{workflow}</li>)}
      </ul>
      <details className="chart-table">
        <summary>Show the numbers</summary>
        <table className="table">
          <caption>Tokens (input + output) per workflow per {bucket}</caption>
          <thead><tr><th scope="col">{bucket === 'day' ? 'Day' : 'Hour'}</th>{workflows.map((w) => <th key={w} scope="col">{w}</th>)}<th scope="col">Total</th></tr></thead>
          <tbody>
            {buckets.map((b) => (
              <tr key={b.bucketStart}><th scope="row">{bucketLabel(b.bucketStart, bucket)}</th>{workflows.map((w) => <td key={w}>{formatCount(b.byWorkflow[w] ?? 0)}</td>)}<td>{formatCount(b.total)}</td></tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
