import { describe, expect, it } from 'vitest';
import { fieldIssues, plainIssue } from './serverIssues.ts';

describe('the API’s refusal of a form, said beside each field', () => {
  it('keys each issue by its field’s path under the form’s value, first problem of a field only', () => {
    const issues = fieldIssues({
      code: 'ERR_INPUT_INVALID',
      message: 'The input does not match workflow sar.',
      details: { issues: [
        { path: 'input.customer.bsaId', message: 'Too big: expected string to have <=20 characters' },
        { path: 'input.customer.bsaId', message: 'Invalid string: must match pattern /^BSA-[0-9]{6}$/' },
        { path: 'input.years.0.fiscalYear', message: 'Too small: expected number to be >=1990' },
        { path: 'input', message: 'Invalid input: expected object, received undefined' },
        { path: 'answer.other', message: 'not this form' },
      ] },
    }, 'input');
    expect([...issues]).toEqual([
      ['customer.bsaId', 'Too long: at most 20 characters.'],
      ['years.0.fiscalYear', 'Must be at least 1990.'],
      ['', 'Required.'],
    ]);
    expect(fieldIssues({ code: 'ERR_AUTH_FORBIDDEN', message: 'no', details: { issues: [{ path: 'input.a', message: 'x' }] } }, 'input').size).toBe(0);
    expect(fieldIssues(null, 'answer').size).toBe(0);
  });

  it('says zod’s common refusals for people, and leaves others as they are', () => {
    expect(plainIssue('Too small: expected string to have >=2 characters')).toBe('Too short: at least 2 characters.');
    expect(plainIssue('Too big: expected array to have <=1 items')).toBe('Too many rows: at most 1 row.');
    expect(plainIssue('Too small: expected array to have >=3 items')).toBe('Too few rows: at least 3 rows.');
    expect(plainIssue('Too big: expected number to be <=300')).toBe('Must be at most 300.');
    expect(plainIssue('Too small: expected number to be >0')).toBe('Must be above 0.');
    expect(plainIssue('Invalid input: expected int, received number')).toBe('Must be a whole number.');
    expect(plainIssue('Invalid option: expected one of "low"|"high"')).toBe('Choose one of the options.');
    expect(plainIssue('Unrecognized key: "extra"')).toBe('Unrecognized key: "extra"');
  });
});
