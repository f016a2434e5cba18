import { describe, expect, it } from 'vitest';
import { bucketLabel, compactNumber, latencyPoints, linePath, scaleLinear, tokenBuckets, valueAxis, workflowsOf } from './charts.ts';
import type { StatsPoint } from './charts.ts';

const point = (workflowId: string, bucketStart: string, p50Ms: number, inputTokens: number, outputTokens: number): StatsPoint => ({
  workflowId, bucketStart, runs: 1, p50Ms, p90Ms: p50Ms * 2, p99Ms: p50Ms * 3, inputTokens, outputTokens,
});

const series = [
  point('sar-narrative', '2026-03-02T00:00:00.000Z', 900, 10, 5),
  point('credit-memo', '2026-03-02T00:00:00.000Z', 2_000, 100, 50),
  point('credit-memo', '2026-03-01T00:00:00.000Z', 1_500, 80, 20),
];

describe('chart data', () => {
  it('lists workflows and one workflow\'s latency points in time order', () => {
    expect(workflowsOf(series)).toEqual(['credit-memo', 'sar-narrative']);
    expect(latencyPoints(series, 'credit-memo').map((p) => p.p50Ms)).toEqual([1_500, 2_000]);
  });

  it('stacks tokens per workflow per bucket, with zeros where a workflow did not run', () => {
    expect(tokenBuckets(series)).toEqual({
      workflows: ['credit-memo', 'sar-narrative'],
      buckets: [
        { bucketStart: '2026-03-01T00:00:00.000Z', byWorkflow: { 'credit-memo': 100, 'sar-narrative': 0 }, total: 100 },
        { bucketStart: '2026-03-02T00:00:00.000Z', byWorkflow: { 'credit-memo': 150, 'sar-narrative': 15 }, total: 165 },
      ],
    });
  });

  it('rounds axes up to round numbers and maps values to pixels', () => {
    expect(valueAxis(165)).toEqual({ max: 200, ticks: [0, 50, 100, 150, 200] });
    expect(valueAxis(0)).toEqual({ max: 1, ticks: [0, 1] });
    expect(valueAxis(0.3)).toEqual({ max: 0.3, ticks: [0, 0.1, 0.2, 0.3] });
    const y = scaleLinear([0, 200], [100, 0]);
    expect(y(50)).toBe(75);
    expect(scaleLinear([5, 5], [0, 10])(5)).toBe(5);
    expect(linePath([{ x: 0, y: 10 }, { x: 5.55, y: 2 }])).toBe('M0.0,10.0 L5.5,2.0');
  });

  it('labels buckets and large numbers', () => {
    expect(bucketLabel('2026-03-01T00:00:00Z', 'day')).toBe('2026-03-01');
    expect(bucketLabel('2026-03-01T13:00:00Z', 'hour')).toBe('2026-03-01 13:00 UTC');
    expect(compactNumber(950)).toBe('950');
    expect(compactNumber(12_345)).toBe('12.3k');
    expect(compactNumber(4_000_000)).toBe('4M');
  });
});
