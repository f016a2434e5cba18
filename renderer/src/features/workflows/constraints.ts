import type { JsonSchema } from './schemaValues.ts';

/**
 * What a field of a generated form must hold, said before anyone submits: a workflow's inputs
 * carry patterns (a customer id `^CUST-[0-9]{6}$`), row counts and ranges that the API enforces.
 * Said in words where the pattern is simple enough to read out, else shown as it is.
 */

const classWords: Record<string, [string, string]> = {
  '0-9': ['digit', 'digits'],
  '\\d': ['digit', 'digits'],
  'A-Z': ['capital letter', 'capital letters'],
  'a-z': ['lower-case letter', 'lower-case letters'],
  'A-Za-z': ['letter', 'letters'],
  'a-zA-Z': ['letter', 'letters'],
  'A-Z0-9': ['capital letter or digit', 'capital letters or digits'],
  'a-z0-9': ['lower-case letter or digit', 'lower-case letters or digits'],
  'A-Za-z0-9': ['letter or digit', 'letters or digits'],
};

function counted(count: string, [one, many]: [string, string]): string | undefined {
  const exact = /^\{(\d+)\}$/.exec(count);
  if (exact) return `${exact[1]} ${exact[1] === '1' ? one : many}`;
  const range = /^\{(\d+),(\d+)\}$/.exec(count);
  if (range) return `${range[1]} to ${range[2]} ${many}`;
  if (count === '+') return `one or more ${many}`;
  if (count === '') return `one ${one}`;
  return undefined;
}

/**
 * A simple anchored pattern in words — literal text and character classes with counts, e.g.
 * `^CUST-[0-9]{6}$` → "CUST- then 6 digits". Undefined when the pattern is anything more (groups,
 * alternatives, optional parts): then the hint shows the pattern itself.
 */
export function patternInWords(pattern: string): string | undefined {
  const body = /^\^(.*)\$$/.exec(pattern)?.[1];
  if (body === undefined) return undefined;
  const parts: string[] = [];
  let literal = '';
  const token = /\[([^\]]+)\]((?:\{\d+(?:,\d+)?\}|\+)?)|(\\d)((?:\{\d+(?:,\d+)?\}|\+)?)|\\([-.\\/ ])|([A-Za-z0-9 _:/-])/gy;
  let at = 0;
  for (let match = token.exec(body); match !== null && match.index === at; match = token.exec(body)) {
    at = token.lastIndex;
    const [, klass, klassCount, digit, digitCount, escaped, plain] = match;
    if (escaped !== undefined || plain !== undefined) {
      literal += escaped ?? plain;
      continue;
    }
    const words = classWords[klass ?? digit ?? ''];
    const said = words ? counted((klass !== undefined ? klassCount : digitCount) ?? '', words) : undefined;
    if (said === undefined) return undefined;
    if (literal) parts.push(literal);
    literal = '';
    parts.push(said);
  }
  if (at !== body.length) return undefined;
  if (literal) parts.push(literal);
  return parts.length === 0 ? undefined : parts.join(' then ');
}

const rows = (count: number): string => `${count} ${count === 1 ? 'row' : 'rows'}`;

/** The rule a field's value must keep, in words; undefined when the schema sets none worth saying. */
export function constraintHint(schema: JsonSchema, type: string): string | undefined {
  if (type === 'string') {
    const said: string[] = [];
    if (schema.pattern !== undefined) {
      const words = patternInWords(schema.pattern);
      said.push(words ? `Format: ${words}.` : `Must match the pattern ${schema.pattern}.`);
    }
    const { minLength: min, maxLength: max } = schema;
    const chars = (count: number): string => `${count.toLocaleString('en-US')} ${count === 1 ? 'character' : 'characters'}`;
    if (min !== undefined && min > 1 && max !== undefined) said.push(min === max ? `Exactly ${chars(min)}.` : `${min.toLocaleString('en-US')} to ${chars(max)}.`);
    else if (min !== undefined && min > 1) said.push(`At least ${chars(min)}.`);
    else if (max !== undefined) said.push(`Up to ${chars(max)}.`);
    return said.length > 0 ? said.join(' ') : undefined;
  }
  if (type === 'array') {
    const { minItems: min, maxItems: max } = schema;
    if (min !== undefined && min > 0 && max !== undefined) return min === max ? `Exactly ${rows(min)}.` : `${min} to ${rows(max)}.`;
    if (min !== undefined && min > 0) return `At least ${rows(min)}.`;
    if (max !== undefined) return `Up to ${rows(max)}.`;
    return undefined;
  }
  if (type === 'number' || type === 'integer') {
    const low = schema.minimum ?? schema.exclusiveMinimum;
    const high = schema.maximum ?? schema.exclusiveMaximum;
    const whole = type === 'integer' ? 'A whole number' : 'A number';
    if (low !== undefined && high !== undefined) return `${whole} from ${low}${schema.exclusiveMinimum !== undefined ? ' (excluded)' : ''} to ${high}${schema.exclusiveMaximum !== undefined ? ' (excluded)' : ''}.`;
    if (low !== undefined) return `${whole} ${schema.exclusiveMinimum !== undefined ? 'above' : 'of at least'} ${low}.`;
    if (high !== undefined) return `${whole} ${schema.exclusiveMaximum !== undefined ? 'below' : 'of at most'} ${high}.`;
    return undefined;
  }
  return undefined;
}

/**
 * Whether the value already breaks its rule, to say so beside the field as it is typed (the API
 * still decides on submit). Empty values are left to the required check.
 */
export function constraintProblem(schema: JsonSchema, type: string, value: unknown): string | undefined {
  if (type === 'string' && typeof value === 'string' && value !== '' && schema.pattern !== undefined) {
    let format: RegExp;
    try {
      format = new RegExp(schema.pattern, 'u');
    } catch {
      return undefined; // a pattern the browser cannot read: the API's check stands
    }
    if (!format.test(value)) return 'This does not have the format yet.';
  }
  if ((type === 'number' || type === 'integer') && typeof value === 'number' && Number.isFinite(value)) {
    // Said beside the field, not only in the browser's passing tooltip on submit.
    if (type === 'integer' && !Number.isInteger(value)) return 'Must be a whole number.';
    if (schema.minimum !== undefined && value < schema.minimum) return `Must be at least ${schema.minimum}.`;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return `Must be above ${schema.exclusiveMinimum}.`;
    if (schema.maximum !== undefined && value > schema.maximum) return `Must be at most ${schema.maximum}.`;
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return `Must be below ${schema.exclusiveMaximum}.`;
  }
  if (type === 'array' && Array.isArray(value)) {
    // A list nobody has started is left to the hint: no error on a fresh form.
    if (schema.minItems !== undefined && value.length > 0 && value.length < schema.minItems) return `Add ${schema.minItems - value.length} more ${schema.minItems - value.length === 1 ? 'row' : 'rows'}.`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `Remove ${value.length - schema.maxItems} ${value.length - schema.maxItems === 1 ? 'row' : 'rows'}.`;
  }
  return undefined;
}
