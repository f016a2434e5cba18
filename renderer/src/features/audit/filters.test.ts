import { describe, expect, it } from 'vitest';
import { actorLabel, emptyFilter, toApiFilter } from './filters.ts';

describe('audit filter form', () => {
  it('drops blank fields and turns local times into ISO-8601 UTC', () => {
    expect(toApiFilter(emptyFilter)).toEqual({});
    const filter = toApiFilter({ ...emptyFilter, from: '2026-03-01T09:30', action: ' auth.* ', outcome: 'failure', text: '  ' });
    expect(filter).toEqual({ from: new Date('2026-03-01T09:30').toISOString(), action: 'auth.*', outcome: 'failure' });
    expect(filter.from).toMatch(/Z$/);
  });
});

describe('the actor column', () => {
  it('names the person, says when Strongroom acted on its own, and shows a dash for nobody', () => {
    expect(actorLabel({ actor: { userId: 'u-1', displayName: 'Dana Auditor' }, details: {} })).toBe('Dana Auditor');
    expect(actorLabel({ actor: { userId: 'u-1', displayName: null }, details: {} })).toBe('u-1');
    expect(actorLabel({ actor: { userId: null, displayName: null }, details: { automatic: true, traces: 3 } })).toBe('Strongroom (automatic)');
    expect(actorLabel({ actor: { userId: null, displayName: null }, details: { errorCode: 'ERR_AUTH_UNAUTHENTICATED' } })).toBe('—');
  });
});
