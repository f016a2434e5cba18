import { describe, expect, it } from 'vitest';
import { constraintHint, constraintProblem, patternInWords } from './constraints.ts';

describe('form field constraints, said before submitting', () => {
  it('reads simple anchored patterns out in words, and leaves the rest as they are', () => {
    expect(patternInWords('^CUST-[0-9]{6}$')).toBe('CUST- then 6 digits');
    expect(patternInWords('^[0-9]{6}$')).toBe('6 digits');
    expect(patternInWords('^FIU-[0-9]{4}-[0-9]{5}$')).toBe('FIU- then 4 digits then - then 5 digits');
    expect(patternInWords('^[A-Z]{2}\\d{2}[A-Z0-9]{1,30}$')).toBe('2 capital letters then 2 digits then 1 to 30 capital letters or digits');
    // Groups, alternatives, optional parts, unanchored: not read out.
    expect(patternInWords('^[a-z][a-z0-9_]{0,63}$')).toBeUndefined();
    expect(patternInWords('^(EUR|USD)$')).toBeUndefined();
    expect(patternInWords('[0-9]+')).toBeUndefined();
    expect(constraintHint({ type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' }, 'string')).toBe('Must match the pattern ^[a-z][a-z0-9_]{0,63}$.');
    expect(constraintHint({ type: 'string', pattern: '^CUST-[0-9]{6}$' }, 'string')).toBe('Format: CUST- then 6 digits.');
  });

  it('says row counts and ranges', () => {
    expect(constraintHint({ type: 'array', minItems: 1, maxItems: 20 }, 'array')).toBe('1 to 20 rows.');
    expect(constraintHint({ type: 'array', minItems: 2 }, 'array')).toBe('At least 2 rows.');
    expect(constraintHint({ type: 'array', maxItems: 1 }, 'array')).toBe('Up to 1 row.');
    expect(constraintHint({ type: 'array' }, 'array')).toBeUndefined();
    expect(constraintHint({ type: 'integer', minimum: 0, maximum: 300 }, 'integer')).toBe('A whole number from 0 to 300.');
    expect(constraintHint({ type: 'number', exclusiveMinimum: 0 }, 'number')).toBe('A number above 0.');
  });

  it('says text lengths before anyone types', () => {
    expect(constraintHint({ type: 'string', maxLength: 1500 }, 'string')).toBe('Up to 1,500 characters.');
    expect(constraintHint({ type: 'string', minLength: 10, maxLength: 20 }, 'string')).toBe('10 to 20 characters.');
    expect(constraintHint({ type: 'string', minLength: 8, maxLength: 8 }, 'string')).toBe('Exactly 8 characters.');
    expect(constraintHint({ type: 'string', minLength: 3 }, 'string')).toBe('At least 3 characters.');
    expect(constraintHint({ type: 'string', pattern: '^CUST-[0-9]{6}$', maxLength: 11 }, 'string')).toBe('Format: CUST- then 6 digits. Up to 11 characters.');
    expect(constraintHint({ type: 'string', minLength: 1 }, 'string')).toBeUndefined();
  });

  it('names a number out of its range beside the field', () => {
    const score = { type: 'integer', minimum: 0, maximum: 300 };
    expect(constraintProblem(score, 'integer', 301)).toBe('Must be at most 300.');
    expect(constraintProblem(score, 'integer', -1)).toBe('Must be at least 0.');
    expect(constraintProblem(score, 'integer', 2.5)).toBe('Must be a whole number.');
    expect(constraintProblem(score, 'integer', 300)).toBeUndefined();
    expect(constraintProblem(score, 'integer', null)).toBeUndefined();
    expect(constraintProblem({ type: 'number', exclusiveMinimum: 0 }, 'number', 0)).toBe('Must be above 0.');
    expect(constraintProblem({ type: 'number', exclusiveMaximum: 1 }, 'number', 1)).toBe('Must be below 1.');
  });

  it('names a value that already breaks its rule, and leaves empty values to the required check', () => {
    const customer = { type: 'string', pattern: '^CUST-[0-9]{6}$' };
    expect(constraintProblem(customer, 'string', 'CUST-12')).toBe('This does not have the format yet.');
    expect(constraintProblem(customer, 'string', 'CUST-123456')).toBeUndefined();
    expect(constraintProblem(customer, 'string', '')).toBeUndefined();
    expect(constraintProblem({ type: 'array', minItems: 2 }, 'array', [{}])).toBe('Add 1 more row.');
    expect(constraintProblem({ type: 'array', maxItems: 1 }, 'array', [{}, {}, {}])).toBe('Remove 2 rows.');
    expect(constraintProblem({ type: 'array', minItems: 1 }, 'array', [{}])).toBeUndefined();
    expect(constraintProblem({ type: 'array', minItems: 1 }, 'array', [])).toBeUndefined();
  });
});
