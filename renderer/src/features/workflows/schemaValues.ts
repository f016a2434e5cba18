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

/** A field's label: its title, else its key with camelCase split into words. */
export function labelFor(key: string, schema: JsonSchema): string {
  if (schema.title) return schema.title;
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
