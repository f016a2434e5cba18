import { describe, expect, it } from 'vitest';
import type { JsonSchema } from './schemaValues.ts';
import { pruneBlank } from './schemaValues.ts';

// The SAR investigator's form: required free-text facts, an optional note, a choice.
const schema: JsonSchema = {
  type: 'object',
  required: ['facts', 'subject'],
  properties: {
    facts: { type: 'string', maxLength: 4000 },
    subject: { type: 'string', maxLength: 200 },
    note: { type: 'string' },
    outcome: { type: 'string', enum: ['filed', ' spaced '] },
    parties: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
  },
};

describe('what a generated form sends', () => {
  it('trims text, so a required field holding only spaces is sent blank and the API names it', () => {
    expect(pruneBlank(schema, { facts: '   ', subject: '\n\t ', note: '  ', parties: [{ name: '  ' }] })).toEqual({ facts: '', subject: '', parties: [{ name: '' }] });
  });

  it('keeps what was written between the ends, line breaks included, and enum values as they are', () => {
    expect(pruneBlank(schema, { facts: '  Cash deposits\n\n  below 10,000 USD.  ', subject: 'J. Doe', outcome: ' spaced ' })).toEqual({ facts: 'Cash deposits\n\n  below 10,000 USD.', subject: 'J. Doe', outcome: ' spaced ' });
  });
});

describe('how generated forms name things', () => {
  it('writes keys and enum values in words, abbreviations in capitals, and leaves other values alone', async () => {
    const { labelFor, optionLabel } = await import('./schemaValues.ts');
    expect(labelFor('priorSar', {})).toBe('Prior SAR');
    expect(labelFor('bsaId', {})).toBe('BSA ID');
    expect(labelFor('averageMonthlyCashDepositsPrior12mUsd', {})).toBe('Average monthly cash deposits prior12m USD');
    expect(labelFor('bsaId', { title: 'BSA officer' })).toBe('BSA officer');
    expect(optionLabel('explanation_received')).toBe('Explanation received');
    expect(optionLabel('none_known')).toBe('None known');
    expect(optionLabel('personal_unlimited')).toBe('Personal unlimited');
    // Codes and numbers are shown as they are.
    expect(optionLabel('CUST-000123')).toBe('CUST-000123');
    expect(optionLabel('USD')).toBe('USD');
    expect(optionLabel(3)).toBe('3');
  });
});
