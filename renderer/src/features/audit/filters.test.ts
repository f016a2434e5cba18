import { describe, expect, it } from 'vitest';
import { emptyFilter, toApiFilter } from './filters.ts';

describe('audit filter form', () => {
  it('drops blank fields and turns local times into ISO-8601 UTC', () => {
    expect(toApiFilter(emptyFilter)).toEqual({});
    const filter = toApiFilter({ ...emptyFilter, from: '2026-03-01T09:30', action: ' auth.* ', outcome: 'failure', text: '  ' });
    expect(filter).toEqual({ from: new Date('2026-03-01T09:30').toISOString(), action: 'auth.*', outcome: 'failure' });
    expect(filter.from).toMatch(/Z$/);
  });
});
