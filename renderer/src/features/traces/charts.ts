import type { MethodOutput } from '../../../../core/contracts/index.ts';
import { niceStep } from './waterfall.ts';

export type StatsPoint = MethodOutput<'traces.stats'>['series'][number];

/** Workflows present in the series, alphabetically. */
export function workflowsOf(series: readonly StatsPoint[]): string[] {
  return [...new Set(series.map((point) => point.workflowId))].sort();
}

/** One workflow's points in time order. */
export function latencyPoints(series: readonly StatsPoint[], workflowId: string): StatsPoint[] {
  return series.filter((point) => point.workflowId === workflowId).sort((a, b) => Date.parse(a.bucketStart) - Date.parse(b.bucketStart));
}

export interface TokenBucket {
  bucketStart: string;
  /** Input + output tokens per workflow in this bucket (0 when it had no runs). */
  byWorkflow: Record<string, number>;
  total: number;
}

/** Tokens (input + output) per workflow per bucket, buckets in time order: a stacked bar each. */
export function tokenBuckets(series: readonly StatsPoint[]): { workflows: string[]; buckets: TokenBucket[] } {
  const workflows = workflowsOf(series);
  const buckets = new Map<string, TokenBucket>();
  for (const point of series) {
    let bucket = buckets.get(point.bucketStart);
    if (!bucket) {
      bucket = { bucketStart: point.bucketStart, byWorkflow: Object.fromEntries(workflows.map((w) => [w, 0])), total: 0 };
      buckets.set(point.bucketStart, bucket);
    }
    const tokens = point.inputTokens + point.outputTokens;
    bucket.byWorkflow[point.workflowId] = (bucket.byWorkflow[point.workflowId] ?? 0) + tokens;
    bucket.total += tokens;
  }
  return { workflows, buckets: [...buckets.values()].sort((a, b) => Date.parse(a.bucketStart) - Date.parse(b.bucketStart)) };
}

/** A y axis from 0 to a round maximum at or above `max`, with its gridline values. */
export function valueAxis(max: number, intervals = 4): { max: number; ticks: number[] } {
  if (!(max > 0)) return { max: 1, ticks: [0, 1] };
  const step = niceStep(max / intervals);
  const top = Number((Math.ceil(max / step - 1e-9) * step).toPrecision(12));
  const ticks: number[] = [];
  for (let value = 0; value <= top + step * 1e-9; value += step) ticks.push(Number(value.toPrecision(12)));
  return { max: top, ticks };
}

/** A linear map from a domain onto a range (pixels); a zero-width domain maps to the range's middle. */
export function scaleLinear(domain: readonly [number, number], range: readonly [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/** An SVG path through the points, in order. */
export function linePath(points: ReadonlyArray<{ x: number; y: number }>): string {
  return points.map((point, index) => `${index === 0 ? 'M' : 'L'}${point.x.toFixed(1)},${point.y.toFixed(1)}`).join(' ');
}

/** A bucket's start as a short label: the date for days, date and hour for hours (UTC). */
export function bucketLabel(iso: string, bucket: 'hour' | 'day'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const day = date.toISOString().slice(0, 10);
  return bucket === 'day' ? day : `${day} ${date.toISOString().slice(11, 16)} UTC`;
}

/** Large counts short: 950, 12.3k, 4.5M. */
export function compactNumber(value: number): string {
  if (Math.abs(value) < 1000) return String(Math.round(value));
  if (Math.abs(value) < 1_000_000) return `${trimZero((value / 1000).toFixed(1))}k`;
  return `${trimZero((value / 1_000_000).toFixed(1))}M`;
}

const trimZero = (text: string) => text.replace(/\.0$/, '');
