import { describe, expect, it } from 'vitest';
import { accountLabel, actorLabel, actorMatchWording, auditStateFromParams, auditStateToParams, describeAuditFilter, emptyFilter, exportBlockedByActor, fieldsFromFilter, resourceHref, resourceText, retentionWording, toApiFilter } from './filters.ts';

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

describe('people and things by name', () => {
  const anna = { userId: 'u-anna', displayName: 'Anna Analyst', email: 'anna@bank.example' };
  const anne = { userId: 'u-anne', displayName: 'Anne Auditor', email: null };

  it('says whom the actor filter matched, and what entries by an unknown id are', () => {
    expect(actorMatchWording({ query: 'ann', exactId: false, people: [anna, anne], total: 2 }, 5)).toBe('2 people match “ann”: Anna Analyst <anna@bank.example>, Anne Auditor.');
    expect(actorMatchWording({ query: 'anna@', exactId: false, people: [anna], total: 1 }, 5)).toBe('1 person matches “anna@”: Anna Analyst <anna@bank.example>.');
    expect(actorMatchWording({ query: 'a', exactId: false, people: [anna, anne], total: 30 }, 5)).toMatch(/^30 people match “a”: .* and 28 more\.$/);
    expect(actorMatchWording({ query: 'u-anna', exactId: true, people: [anna], total: 1 }, 5)).toBe('User id of Anna Analyst <anna@bank.example>.');
    expect(actorMatchWording({ query: 'zed', exactId: false, people: [], total: 0 }, 0)).toBe('Nobody you can see has a name, email or user id matching “zed”.');
    expect(actorMatchWording({ query: 'u-gone', exactId: false, people: [], total: 0 }, 3)).toMatch(/these entries are by the user id “u-gone”/);
  });

  it('exports one person: names them in the scope, and holds back a filter that matched several', () => {
    const one = { query: 'anna', exactId: false, people: [anna], total: 1 };
    expect(describeAuditFilter({ actor: 'anna' }, () => undefined, one)).toBe('actor Anna Analyst <anna@bank.example>');
    expect(describeAuditFilter({ actor: 'anna' }, () => undefined)).toBe('actor anna');
    const several = { query: 'ann', exactId: false, people: [anna, anne], total: 2 };
    expect(exportBlockedByActor({ actor: 'ann' }, several)).toBe(true);
    expect(exportBlockedByActor({ actor: 'anna' }, one)).toBe(false);
    expect(exportBlockedByActor({}, null)).toBe(false);
  });

  it('names resources, keeps ids in full, and links only what the API says may be opened', () => {
    expect(resourceText('account:a-1', { kind: 'account', id: 'a-1', name: 'Alpha Credit', open: null })).toBe('account Alpha Credit');
    expect(resourceText('user:u-x', { kind: 'user', id: 'u-x', name: null, open: null })).toBe('person u-x');
    expect(resourceText('run:r-1', { kind: 'run', id: 'r-1', name: null, open: { page: 'run', id: 'r-1' } })).toBe('run r-1');
    expect(resourceText('model:m-1', { kind: 'model', id: 'm-1', name: null, open: null })).toBe('model m-1');
    expect(resourceText('installation:trace-push', { kind: 'other', id: 'installation:trace-push', name: null, open: null })).toBe('installation:trace-push');
    expect(resourceText(null, null)).toBe('—');
    expect(resourceHref({ kind: 'run', id: 'r-1', name: null, open: { page: 'run', id: 'r-1' } })).toBe('/workflows/runs/r-1');
    expect(resourceHref({ kind: 'run', id: 'r-1', name: null, open: { page: 'trace', id: 't-1' } })).toBe('/traces/t-1');
    expect(resourceHref({ kind: 'span', id: 't-1/s-1', name: null, open: { page: 'trace', id: 't-1', spanId: 's-1' } })).toBe('/traces/t-1?span=s-1');
    expect(resourceHref({ kind: 'draft', id: 'd/1', name: null, open: { page: 'draft', id: 'd/1' } })).toBe('/drafts/d%2F1');
    expect(resourceHref({ kind: 'run', id: 'r-2', name: null, open: null })).toBeNull();
  });
});
