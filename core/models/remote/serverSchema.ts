import { GRAMMAR_REPETITION_LIMIT } from '../local/grammarSchema.ts';

/** Upper bounds on repetitions: always left to zod. */
const upperBounds = new Set(['maxLength', 'maxItems']);
/** Lower bounds on repetitions: kept while a grammar can hold them (`minItems: 1` is cheap and useful). */
const lowerBounds = new Set(['minLength', 'minItems']);
/** Keywords holding one schema (or, for `items` in older drafts, a list of them). */
const schemaKeywords = new Set(['items', 'additionalItems', 'additionalProperties', 'unevaluatedItems', 'unevaluatedProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else']);
/** Keywords holding a list of schemas. */
const schemaListKeywords = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);
/** Keywords holding schemas by name (a property called `maxLength` is a name, not a bound). */
const schemaMapKeywords = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/**
 * The JSON Schema a server builds its sampling grammar from (`response_format`). As
 * `local/grammarSchema.ts` does for a local model's grammar, what the grammar should not hold is
 * dropped here and enforced afterwards by zod on the full schema, with the one repair turn.
 *
 * That is repetition bounds. llama-server expands a bounded repetition into one grammar rule per
 * repetition and refuses the grammar once a repetition (or nested ones, multiplied) reaches
 * llama.cpp's limit of 2,000 — `maxLength: 2000` on one string is enough ("failed to parse
 * grammar"), which stopped the shipped SAR and KYC workflows there. A bound it does accept cuts a
 * long string off mid-sentence instead of letting zod ask for a shorter one. So every
 * `maxLength`/`maxItems` goes, and a `minLength`/`minItems` only from the repetition limit up.
 * Everything else (types, enums, required, patterns, numeric bounds) is sent as it is.
 */
export function serverGrammarSchema(schema: Record<string, unknown>): Record<string, unknown> {
  return relax(schema) as Record<string, unknown>;
}

function relax(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (typeof value === 'number' && (upperBounds.has(key) || (lowerBounds.has(key) && value >= GRAMMAR_REPETITION_LIMIT))) continue;
    if (schemaKeywords.has(key)) result[key] = Array.isArray(value) ? value.map(relax) : relax(value);
    else if (schemaListKeywords.has(key) && Array.isArray(value)) result[key] = value.map(relax);
    else if (schemaMapKeywords.has(key) && typeof value === 'object' && value !== null) {
      result[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, inner]) => [name, relax(inner)]));
    } else result[key] = value;
  }
  return result;
}
