import { describe, expect, it } from 'vitest';
import type { JsonSchema } from './schemaValues.ts';
import { pruneBlank } from './schemaValues.ts';
import { isNullable, relaxNullable, restoreNulls } from './nullableFields.ts';

// The credit memo's shape: guarantors with a nullable limit, facilities with nullable amortization.
const schema: JsonSchema = {
  type: 'object',
  required: ['guarantors', 'memoDate'],
  properties: {
    memoDate: { type: 'string' },
    guarantors: {
      type: 'array',
      items: { type: 'object', required: ['name', 'limitUsd'], properties: { name: { type: 'string' }, limitUsd: { type: ['number', 'null'] } } },
    },
  },
};

describe('nullable fields in the generated form', () => {
  it('knows a nullable type', () => {
    expect(isNullable({ type: ['integer', 'null'] })).toBe(true);
    expect(isNullable({ type: 'number' })).toBe(false);
  });

  it('does not make the browser require a field that may be null, at any depth', () => {
    const relaxed = relaxNullable(schema);
    expect(relaxed.required).toEqual(['guarantors', 'memoDate']);
    expect(relaxed.properties?.guarantors?.items?.required).toEqual(['name']);
    // The original is untouched: it still says what the workflow needs.
    expect(schema.properties?.guarantors?.items?.required).toEqual(['name', 'limitUsd']);
  });

  it('sends a required nullable field left empty as null, and keeps given values', () => {
    const fromForm = pruneBlank(relaxNullable(schema), { memoDate: '2025-04-22', guarantors: [{ name: 'A', limitUsd: null }, { name: 'B', limitUsd: 5 }] });
    expect(restoreNulls(schema, fromForm)).toEqual({ memoDate: '2025-04-22', guarantors: [{ name: 'A', limitUsd: null }, { name: 'B', limitUsd: 5 }] });
  });

  it('leaves a value that is not an object alone', () => {
    expect(restoreNulls(schema, 'text')).toBe('text');
  });
});
