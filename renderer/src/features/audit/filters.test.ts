import { describe, expect, it } from 'vitest';
import { accountLabel, actorLabel, auditStateFromParams, auditStateToParams, describeAuditFilter, emptyFilter, fieldsFromFilter, retentionWording, toApiFilter } from './filters.ts';

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

describe('the filters and the open entry in the URL', () => {
  it('round-trips a filter and an entry through the query string, in a fixed order', () => {
    const filter = { action: 'auth.*', outcome: 'failure' as const, accountId: 'acc-1', from: '2026-03-01T08:30:00.000Z', text: 'run:17', actor: 'u-1' };
    const params = auditStateToParams(filter, 42);
    expect(params.toString()).toBe('from=2026-03-01T08%3A30%3A00.000Z&actor=u-1&account=acc-1&action=auth.*&outcome=failure&text=run%3A17&entry=42');
    expect(auditStateFromParams(params)).toEqual({ filter, entry: 42, problems: [] });
    expect(auditStateFromParams(new URLSearchParams(''))).toEqual({ filter: {}, entry: null, problems: [] });
  });

  it('names what it cannot use and applies the rest, never throwing', () => {
    const { filter, entry, problems } = auditStateFromParams(new URLSearchParams('action=auth.signIn&outcome=maybe&from=yesterday&entry=abc&account=acc-1'));
    expect(filter).toEqual({ action: 'auth.signIn', accountId: 'acc-1' });
    expect(entry).toBeNull();
    expect(problems.map((problem) => problem.param)).toEqual(['from', 'outcome', 'entry']);
    expect(problems.find((problem) => problem.param === 'entry')?.message).toMatch(/entry number/);
    const swapped = auditStateFromParams(new URLSearchParams('from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z&entry=0'));
    expect(swapped.filter).toEqual({ from: '2026-03-02T00:00:00Z' });
    expect(swapped.problems.map((problem) => problem.param)).toEqual(['to', 'entry']);
    expect(auditStateFromParams(new URLSearchParams('action=a%20b%3Cscript%3E')).problems).toHaveLength(1);
  });

  it('fills the form from the URL’s filter', () => {
    expect(fieldsFromFilter({})).toEqual(emptyFilter);
    const fields = fieldsFromFilter({ action: 'auth.*', from: new Date('2026-03-01T09:30').toISOString() });
    expect(fields).toMatchObject({ action: 'auth.*', from: '2026-03-01T09:30' });
    expect(toApiFilter(fields)).toEqual({ action: 'auth.*', from: new Date('2026-03-01T09:30').toISOString() });
  });
});

describe('accounts by name', () => {
  it('names the account of an entry, a deleted one with its id', () => {
    expect(accountLabel({ accountId: null, accountName: null, accountDeleted: false })).toBe('Installation');
    expect(accountLabel({ accountId: 'acc-1', accountName: 'Alpha Credit', accountDeleted: false })).toBe('Alpha Credit');
    expect(accountLabel({ accountId: 'acc-2', accountName: 'Gamma Leasing', accountDeleted: true })).toBe('Gamma Leasing (deleted account acc-2)');
    expect(accountLabel({ accountId: 'acc-3', accountName: null, accountDeleted: true })).toBe('deleted account acc-3');
    expect(accountLabel({ accountId: 'acc-4' }, (id) => (id === 'acc-4' ? 'Delta' : undefined))).toBe('Delta');
  });

  it('describes an export’s filter with the account’s name, not its id', () => {
    const names = (id: string) => (id === '46626652-aaaa' ? 'Alpha Credit' : undefined);
    expect(describeAuditFilter({}, names)).toBe('every entry you can see');
    const text = describeAuditFilter({ accountId: '46626652-aaaa', action: 'auth.*', text: 'x' }, names);
    expect(text).toBe('account Alpha Credit, action auth.*, containing “x”');
    expect(text).not.toContain('accountId');
    expect(describeAuditFilter({ accountId: 'gone-1' }, names)).toBe('account gone-1');
  });
});

describe('retention in words', () => {
  it('says 1 day, not "1 days (about 0.0 years)"', () => {
    expect(retentionWording(1)).toBe('1 day');
    expect(retentionWording(30)).toBe('30 days');
    expect(retentionWording(90)).toBe('90 days (about 3 months)');
    expect(retentionWording(400)).toBe('400 days (about 1.1 years)');
    expect(retentionWording(2557)).toBe('2557 days (about 7 years)');
    expect(retentionWording(365)).toBe('365 days (about 1 year)');
  });
});
