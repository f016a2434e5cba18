/** A JSON Schema as workflow definitions write it (the subset the generated forms understand). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
}

export function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return 'enum';
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type) return type;
  if (schema.properties) return 'object';
  return 'unknown';
}

/** The value a new form (or a new array row) starts with. */
export function initialValue(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  switch (typeOf(schema)) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, sub]) => [key, initialValue(sub)]));
    case 'array':
      return [];
    case 'boolean':
      return false;
    case 'number':
    case 'integer':
      return null;
    default:
      return '';
  }
}

/**
 * What is sent: text is trimmed at both ends, so spaces alone are blank; optional fields left
 * blank are dropped (a blank is not an answer), and numbers left empty are omitted — a required
 * one left blank is sent empty or missing, so the API names it.
 */
export function pruneBlank(schema: JsonSchema, value: unknown): unknown {
  const type = typeOf(schema);
  if (type === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    const required = new Set(schema.required ?? []);
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([key, v]) => [key, pruneBlank(schema.properties?.[key] ?? {}, v)] as const)
      .filter(([key, v]) => v !== undefined && !(v === '' && !required.has(key)));
    return Object.fromEntries(entries);
  }
  if (type === 'array' && Array.isArray(value)) return value.map((v) => pruneBlank(schema.items ?? {}, v));
  if (value === null && (type === 'number' || type === 'integer')) return undefined;
  if (typeof value === 'string' && type === 'string') return value.trim();
  return value;
}

/** Sets `value` at `path` (keys and indexes) in a copy of `root`. */
export function setIn(root: unknown, path: ReadonlyArray<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (typeof head === 'number') {
    const list = Array.isArray(root) ? [...(root as unknown[])] : [];
    list[head] = setIn(list[head], rest, value);
    return list;
  }
  const object = root && typeof root === 'object' && !Array.isArray(root) ? { ...(root as Record<string, unknown>) } : {};
  object[head!] = setIn(object[head!], rest, value);
  return object;
}

/** Abbreviations the shipped workflows' keys use, written as people write them. */
const acronyms = new Set(['id', 'ids', 'sar', 'bsa', 'kyc', 'aml', 'cdd', 'edd', 'pep', 'ofac', 'fiu', 'ctr', 'usd', 'eur', 'gbp', 'chf', 'naics', 'iban', 'lei', 'ubo', 'rm', 'url', 'dscr', 'ltv', 'ebitda']);

/** Words from a key or an enum value: camelCase and snake_case split, abbreviations in capitals, the first letter capitalised. */
export function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase().split(' ').map((word) => (acronyms.has(word) ? word.toUpperCase() : word)).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A field's label: its title, else its key in words. */
export function labelFor(key: string, schema: JsonSchema): string {
  return schema.title ?? humanize(key);
}

/** How an enum value is shown: a snake_case or camelCase identifier in words; anything else as it is. The value sent is unchanged. */
export function optionLabel(value: unknown): string {
  const text = String(value);
  return /^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*$/.test(text) && /[_a-z]/.test(text) ? humanize(text) : text;
}
