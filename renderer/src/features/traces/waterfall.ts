import type { Span } from '../../../../core/contracts/index.ts';

/** The time a trace covers, in Unix microseconds. */
export interface TraceBounds {
  startUs: number;
  endUs: number;
}

type Timed = Pick<Span, 'startUs' | 'endUs'>;

/**
 * From the earliest start to the latest end. A span still open (no end) reaches `openUntilUs`
 * when given (now, for a running trace), else the latest end known, so it draws to the edge.
 */
export function traceBounds(spans: readonly Timed[], openUntilUs?: number): TraceBounds {
  if (spans.length === 0) return { startUs: 0, endUs: 0 };
  let startUs = Infinity;
  let endUs = -Infinity;
  let open = false;
  for (const span of spans) {
    if (span.startUs < startUs) startUs = span.startUs;
    if (span.endUs === null) open = true;
    const end = span.endUs ?? span.startUs;
    if (end > endUs) endUs = end;
  }
  if (open && openUntilUs !== undefined && openUntilUs > endUs) endUs = openUntilUs;
  return { startUs, endUs: Math.max(endUs, startUs) };
}

/** Where a span's bar sits, as percentages of the trace's width. */
export interface BarGeometry {
  offsetPercent: number;
  widthPercent: number;
  /** Still running (or never closed): drawn to the trace's end, hatched. */
  open: boolean;
}

/** A zero-length span still gets a visible sliver. */
export const minimumBarPercent = 0.25;

/** A span's bar relative to the trace start; clamped inside [0, 100]. */
export function barGeometry(span: Timed, bounds: TraceBounds): BarGeometry {
  const total = Math.max(1, bounds.endUs - bounds.startUs);
  const open = span.endUs === null;
  const start = Math.min(Math.max(span.startUs - bounds.startUs, 0), total);
  const end = Math.min(Math.max((span.endUs ?? bounds.endUs) - bounds.startUs, start), total);
  let offsetPercent = (start / total) * 100;
  let widthPercent = ((end - start) / total) * 100;
  if (widthPercent < minimumBarPercent) {
    widthPercent = minimumBarPercent;
    offsetPercent = Math.min(offsetPercent, 100 - minimumBarPercent);
  }
  return { offsetPercent: round(offsetPercent), widthPercent: round(widthPercent), open };
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * Gridline offsets (µs from the trace start) at a round step — 1, 2 or 5 × 10ⁿ µs — giving
 * about `count` intervals across `durationUs`. Always starts at 0.
 */
export function timeTicks(durationUs: number, count = 5): number[] {
  if (!(durationUs > 0)) return [0];
  const step = niceStep(durationUs / count);
  const ticks: number[] = [];
  for (let at = 0; at <= durationUs + step * 1e-9; at += step) ticks.push(Math.round(at));
  return ticks;
}

/** The smallest 1, 2 or 5 × 10ⁿ that is at least `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 5, 10]) if (factor * magnitude >= rough * (1 - 1e-9)) return factor * magnitude;
  return 10 * magnitude;
}

/** A duration in microseconds as people read it: `0 µs`, `850 µs`, `12.5 ms`, `1.25 s`, `2 min 5 s`. */
export function formatMicros(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  return formatMillis(us / 1000);
}

/** A duration in milliseconds as people read it; `—` when unknown. */
export function formatMillis(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 10) return `${trim(ms.toFixed(2))} ms`;
  if (ms < 1000) return `${trim(ms.toFixed(ms < 100 ? 1 : 0))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${trim(seconds.toFixed(seconds < 10 ? 2 : 1))} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  if (minutes < 60) return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes - hours * 60} min`;
}

const trim = (fixed: string) => (fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed);
