import type { GbnfJsonSchema } from 'node-llama-cpp';
import { z } from 'zod';
import { CoreError } from '../../base/index.ts';

/**
 * Turns a JSON Schema (from `z.toJSONSchema` or a tool's parameters) into the subset
 * node-llama-cpp's `createGrammarForJsonSchema` understands. The grammar only has to keep output
 * *shaped* right; what it cannot express (patterns, numeric bounds, most formats) is dropped here
 * and enforced afterwards by zod, with one repair attempt. Two tightenings make the grammar
 * stricter than the library would by default:
 * - an integer with a small closed range becomes an `enum`, so the bound holds during sampling;
 * - a number or integer with a lower bound of 0 (or 1, for integers) is generated without a minus
 *   sign (or a zero): amounts, counts and ratios of a bank's schemas are mostly non-negative, and a
 *   random or small model otherwise writes `-3` often enough to fail whole runs. The library has
 *   no such rule, so the property is marked with a sentinel `const` here and its rule rewritten in
 *   the generated GBNF by `tightenNumberRules`;
 * - every declared property is generated (the library ignores `required` anyway), which is valid
 *   for optional properties too.
 */
export function toGrammarSchema(schema: unknown, modelId: string): GbnfJsonSchema {
  const root = asObject(schema);
  const defsSource = asObject(root.$defs ?? root.definitions ?? {});
  const converted = convert(root, modelId);
  const defs = Object.fromEntries(Object.entries(defsSource).map(([name, definition]) => [name, convert(definition, modelId)]));
  if (Object.keys(defs).length === 0) return converted;
  return { ...converted, $defs: defs } as GbnfJsonSchema;
}

/** Sentinel consts standing for number rules the library cannot express; see tightenNumberRules. */
const numberSentinels = {
  nonNegativeNumber: 'strongroom-grammar:non-negative-number',
  nonNegativeInteger: 'strongroom-grammar:non-negative-integer',
  positiveInteger: 'strongroom-grammar:positive-integer',
} as const;

const INTEGER_DIGITS = '("0" | [1-9] [0-9]{0,14})';
const FRACTIONAL_DIGITS = '("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?';
const sentinelRules: Record<string, string> = {
  [numberSentinels.nonNegativeNumber]: FRACTIONAL_DIGITS,
  [numberSentinels.nonNegativeInteger]: INTEGER_DIGITS,
  [numberSentinels.positiveInteger]: '[1-9] [0-9]{0,14}',
};

/**
 * node-llama-cpp's number rules allow 16-digit exponents (`1e9999999` parses to Infinity, which
 * no schema accepts) and exponents on integers (`1e20` is not a safe integer). Rewrite them:
 * integers get at most 15 digits and no exponent, so they are always safe integers; fractional
 * numbers keep their digits but get a two-digit exponent, so they are always finite.
 */
export function tightenNumberRules(gbnf: string): string {
  let tightened = gbnf
    .replace(/^integer-number-rule ::= .*$/m, `integer-number-rule ::= "-"? ${INTEGER_DIGITS}`)
    .replace(/^fractional-number-rule ::= .*$/m, `fractional-number-rule ::= "-"? ${FRACTIONAL_DIGITS}`);
  // A sentinel const is its own rule, `val3 ::= "\"strongroom-grammar:…\""`: give it the number rule.
  for (const [sentinel, rule] of Object.entries(sentinelRules)) {
    tightened = tightened.replaceAll(`"\\"${sentinel}\\""`, `(${rule})`);
  }
  if (tightened.includes('strongroom-grammar:')) throw new Error('a number sentinel was left in the grammar: node-llama-cpp changed how it writes consts');
  return tightened;
}

/** The JSON Schema of a zod schema, as the output half of a model call sees it. */
export function zodToJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' });
}

const ENUMERABLE_INTEGER_RANGE = 256;
/** llama.cpp's MAX_REPETITION_THRESHOLD: a grammar repetition must stay below it. */
export const GRAMMAR_REPETITION_LIMIT = 2_000;
const immutableTypes = new Set(['string', 'number', 'integer', 'boolean', 'null']);
type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function unsupported(modelId: string, construct: string): CoreError {
  return new CoreError('ERR_MODEL_UNSUPPORTED', `The output schema uses ${construct}, which a local model's grammar cannot express.`, {
    details: { model: modelId, cause: `schema construct not supported locally: ${construct}` },
  });
}

/** Any JSON value, for `{}` / `z.unknown()`. */
const anyJson: GbnfJsonSchema = {
  oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'object', additionalProperties: true }, { type: 'array' }],
};

function convert(input: unknown, modelId: string): GbnfJsonSchema {
  if (input === true) return anyJson;
  const schema = asObject(input);

  if (typeof schema.$ref === 'string') {
    const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(schema.$ref);
    if (match?.[1] === undefined) throw unsupported(modelId, `$ref ${schema.$ref}`);
    return { $ref: `#/$defs/${match[1]}` } as GbnfJsonSchema;
  }
  if ('const' in schema) {
    if (isScalar(schema.const)) return { const: schema.const };
    throw unsupported(modelId, 'a non-scalar const');
  }
  if (Array.isArray(schema.enum)) {
    if (schema.enum.every(isScalar)) return { enum: schema.enum };
    throw unsupported(modelId, 'a non-scalar enum');
  }
  const alternatives = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (Array.isArray(alternatives)) {
    const options = alternatives.map((alternative) => convert(alternative, modelId));
    return options.length === 1 && options[0] !== undefined ? options[0] : { oneOf: options };
  }
  if (Array.isArray(schema.allOf)) return convertAllOf(schema.allOf, modelId);

  const type = schema.type;
  if (Array.isArray(type)) {
    const types = type.filter((item): item is string => typeof item === 'string');
    if (types.every((item) => immutableTypes.has(item)) && !types.includes('string') && !types.includes('integer')) {
      return { type: types as ('number' | 'boolean' | 'null')[] };
    }
    return { oneOf: types.map((item) => convert({ ...schema, type: item }, modelId)) };
  }
  switch (type) {
    case 'string':
      return convertString(schema);
    case 'integer':
      return convertInteger(schema);
    case 'number':
      return lowerBound(schema) >= 0 ? { const: numberSentinels.nonNegativeNumber } : { type };
    case 'boolean':
    case 'null':
      return { type };
    case 'array':
      return convertArray(schema, modelId);
    case 'object':
      return convertObject(schema, modelId);
    case undefined:
      if (schema.properties !== undefined || schema.additionalProperties !== undefined) return convertObject(schema, modelId);
      if (schema.items !== undefined || schema.prefixItems !== undefined) return convertArray(schema, modelId);
      if (Object.keys(schema).every((key) => ['description', 'title', 'default', 'examples', '$schema', '$defs', 'definitions'].includes(key))) return anyJson;
      throw unsupported(modelId, 'a schema without a type');
    default:
      throw unsupported(modelId, `type ${String(type)}`);
  }
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function convertString(schema: Json): GbnfJsonSchema {
  if (schema.format === 'date-time' || schema.format === 'date' || schema.format === 'time') {
    return { type: 'string', format: schema.format };
  }
  const result: { type: 'string'; minLength?: number; maxLength?: number } = { type: 'string' };
  // llama.cpp's grammar parser refuses a repetition of 2,000 or more characters ("Failed to parse
  // grammar" for exactly {0,2000}; larger bounds silently become unbounded). Longer bounds are
  // left to zod's check after generation, like every other constraint the grammar cannot hold.
  if (typeof schema.minLength === 'number' && schema.minLength < GRAMMAR_REPETITION_LIMIT) result.minLength = schema.minLength;
  if (typeof schema.maxLength === 'number' && schema.maxLength < GRAMMAR_REPETITION_LIMIT) result.maxLength = schema.maxLength;
  return result;
}

function convertInteger(schema: Json): GbnfJsonSchema {
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : undefined;
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - 1 : undefined;
  if (minimum !== undefined && maximum !== undefined && maximum >= minimum && maximum - minimum < ENUMERABLE_INTEGER_RANGE) {
    const values: number[] = [];
    for (let value = Math.ceil(minimum); value <= maximum; value++) values.push(value);
    return { enum: values };
  }
  if (minimum !== undefined && minimum >= 1) return { const: numberSentinels.positiveInteger };
  if (minimum !== undefined && minimum > -1) return { const: numberSentinels.nonNegativeInteger };
  return { type: 'integer' };
}

/** The least value a number schema allows (exclusive bounds count as their bound), or -Infinity. */
function lowerBound(schema: Json): number {
  if (typeof schema.minimum === 'number') return schema.minimum;
  if (typeof schema.exclusiveMinimum === 'number') return schema.exclusiveMinimum;
  return Number.NEGATIVE_INFINITY;
}

function convertArray(schema: Json, modelId: string): GbnfJsonSchema {
  const result: {
    type: 'array';
    items?: GbnfJsonSchema;
    prefixItems?: GbnfJsonSchema[];
    minItems?: number;
    maxItems?: number;
  } = { type: 'array' };
  if (schema.items !== undefined && schema.items !== false) result.items = convert(schema.items, modelId);
  if (Array.isArray(schema.prefixItems)) result.prefixItems = schema.prefixItems.map((item) => convert(item, modelId));
  if (typeof schema.minItems === 'number') result.minItems = schema.minItems;
  if (typeof schema.maxItems === 'number') result.maxItems = schema.maxItems;
  return result as GbnfJsonSchema;
}

function convertObject(schema: Json, modelId: string): GbnfJsonSchema {
  const properties = Object.fromEntries(Object.entries(asObject(schema.properties)).map(([key, value]) => [key, convert(value, modelId)]));
  const hasProperties = Object.keys(properties).length > 0;
  let additionalProperties: boolean | GbnfJsonSchema;
  if (schema.additionalProperties === false) additionalProperties = false;
  else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) additionalProperties = convert(schema.additionalProperties, modelId);
  else additionalProperties = !hasProperties;
  const result: Record<string, unknown> = { type: 'object', properties, additionalProperties };
  if (typeof schema.minProperties === 'number') result.minProperties = schema.minProperties;
  if (typeof schema.maxProperties === 'number') result.maxProperties = schema.maxProperties;
  return result as GbnfJsonSchema;
}

/** zod emits `allOf` for intersections; objects merge, anything else is beyond the grammar. */
function convertAllOf(parts: unknown[], modelId: string): GbnfJsonSchema {
  if (parts.length === 1) return convert(parts[0], modelId);
  const objects = parts.map(asObject);
  if (!objects.every((part) => part.type === 'object' || part.properties !== undefined)) throw unsupported(modelId, 'allOf of non-objects');
  const merged: Json = { type: 'object', properties: {}, additionalProperties: false };
  for (const part of objects) Object.assign(merged.properties as Json, asObject(part.properties));
  return convertObject(merged, modelId);
}
