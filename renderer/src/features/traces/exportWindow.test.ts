import { describe, expect, it } from 'vitest';
import { TraceExportInputSchema } from '../../../../core/contracts/index.ts';
import { exportFileName, exportInputFromFields } from './exportWindow.ts';

describe('the export-by-time form', () => {
  it('turns local times into an input the API accepts, until optional', () => {
    const open = exportInputFromFields({ since: '2026-03-01T09:00', until: '' });
    expect(open).toEqual({ ok: true, input: { since: new Date('2026-03-01T09:00').toISOString() } });
    const closed = exportInputFromFields({ since: '2026-03-01T09:00', until: '2026-03-02T00:00' });
    expect(closed.ok && closed.input.until).toBe(new Date('2026-03-02T00:00').toISOString());
    for (const result of [open, closed]) expect(result.ok && TraceExportInputSchema.safeParse(result.input).success).toBe(true);
  });

  it('names the field to fix: a missing start, an end not after it, a time that does not parse', () => {
    expect(exportInputFromFields({ since: '', until: '' })).toEqual({ ok: false, errors: { since: 'Enter the date and time the export starts from.' } });
    expect(exportInputFromFields({ since: '2026-03-02T00:00', until: '2026-03-01T00:00' })).toEqual({ ok: false, errors: { until: 'Must be after From.' } });
    expect(exportInputFromFields({ since: '2026-03-02T00:00', until: '2026-03-02T00:00' })).toEqual({ ok: false, errors: { until: 'Must be after From.' } });
    expect(exportInputFromFields({ since: 'soon', until: 'later' })).toEqual({ ok: false, errors: { since: 'Enter a date and a time.', until: 'Enter a date and a time, or leave it empty for now.' } });
  });

  it('puts the window in the file name', () => {
    expect(exportFileName({ since: '2026-03-01T09:00:00.000Z', until: '2026-03-02T00:00:00.000Z' })).toBe('traces-20260301T0900Z-20260302T0000Z.otlp.json');
    expect(exportFileName({ since: '2026-03-01T09:00:00.000Z' })).toBe('traces-20260301T0900Z-now.otlp.json');
  });
});
