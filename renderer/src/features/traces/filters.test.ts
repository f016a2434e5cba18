import { describe, expect, it } from 'vitest';
import { TraceStatusSchema } from '../../../../core/contracts/index.ts';
import { activeFilterCount, fieldsFromFilter, filterFromFields, filterFromParams, filterToParams, traceStatuses } from './filters.ts';
import type { FilterFields } from './filters.ts';

const blank: FilterFields = { workflowId: '', version: '', modelId: '', status: '', userId: '', from: '', to: '', hasFeedback: '', flagged: '' };

describe('trace filters in the URL', () => {
  it('round-trips every filter through the query string, in a stable order', () => {
    const filter = {
      workflowId: 'kyc-periodic-review', version: 'abc123', modelId: 'strongroom-test', status: 'failed' as const, userId: 'u-1',
      from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z', hasFeedback: true, flagged: false,
    };
    const params = filterToParams(filter);
    expect(params.toString()).toBe('workflow=kyc-periodic-review&version=abc123&model=strongroom-test&status=failed&user=u-1&from=2026-03-01T00%3A00%3A00.000Z&to=2026-03-02T00%3A00%3A00.000Z&feedback=yes&flagged=no');
    expect(filterFromParams(params)).toEqual({ filter, problems: [] });
    expect(activeFilterCount(filter)).toBe(9);
  });

  it('opens a mangled link with what is valid and names what was left out', () => {
    const { filter, problems } = filterFromParams(new URLSearchParams('workflow=credit-memo&status=exploded&flagged=maybe&from=yesterday&page=2'));
    expect(filter).toEqual({ workflowId: 'credit-memo' });
    expect(problems.map((p) => p.param)).toEqual(['status', 'from', 'flagged']);
    expect(problems.find((p) => p.param === 'flagged')!.message).toBe('flagged must be yes or no');
  });

  it('drops an upper bound before the lower one', () => {
    const { filter, problems } = filterFromParams(new URLSearchParams('from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z'));
    expect(filter).toEqual({ from: '2026-03-02T00:00:00Z' });
    expect(problems).toEqual([{ param: 'to', message: 'to is before from, so it was left out' }]);
  });

  it('offers exactly the statuses the contract knows', () => {
    for (const status of traceStatuses) expect(TraceStatusSchema.safeParse(status).success).toBe(true);
    expect(TraceStatusSchema.safeParse('paused').success).toBe(false);
    expect(new Set(traceStatuses).size).toBe(6);
  });
});

describe('trace filter form', () => {
  it('drops blanks, trims text and turns local times into UTC instants', () => {
    const result = filterFromFields({ ...blank, workflowId: '  credit-memo ', from: '2026-03-01T09:30', hasFeedback: 'yes', flagged: 'no' });
    expect(result).toEqual({ ok: true, filter: { workflowId: 'credit-memo', from: new Date('2026-03-01T09:30').toISOString(), hasFeedback: true, flagged: false } });
    expect(filterFromFields(blank)).toEqual({ ok: true, filter: {} });
  });

  it('round-trips through the form (local times to the minute)', () => {
    const fields: FilterFields = { ...blank, status: 'waiting', from: '2026-03-01T09:30', to: '2026-03-04T18:05', flagged: 'yes' };
    const result = filterFromFields(fields);
    expect(result.ok).toBe(true);
    if (result.ok) expect(fieldsFromFilter(result.filter)).toEqual(fields);
  });

  it('names the fields to fix: a range the wrong way round, a bad date, an overlong id', () => {
    const result = filterFromFields({ ...blank, from: '2026-03-04T00:00', to: '2026-03-01T00:00', version: 'v'.repeat(65), userId: 'x' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.to).toBe('Must not be before From.');
      expect(result.errors.version).toMatch(/64/);
      expect(result.errors.userId).toBeUndefined();
    }
    const badDate = filterFromFields({ ...blank, from: 'not a date' });
    expect(badDate).toEqual({ ok: false, errors: { from: 'Enter a date and a time.' } });
  });
});
