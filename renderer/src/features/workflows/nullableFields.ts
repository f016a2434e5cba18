import type { JsonSchema } from './schemaValues.ts';
import { typeOf } from './schemaValues.ts';

/** A field whose type allows null (`type: [number, 'null']`): "no value" is an answer. */
export function isNullable(schema: JsonSchema): boolean {
  return Array.isArray(schema.type) && schema.type.includes('null');
}

/**
 * The schema the generated form is drawn from: a required field that may be null is not required
 * *in the browser*, or its empty control (a sample's `null`) would block the form with "Please fill
 * out this field" although null is a valid answer. `restoreNulls` puts the nulls back.
 */
export function relaxNullable(schema: JsonSchema): JsonSchema {
  const relaxed: JsonSchema = { ...schema };
  if (schema.properties) {
    relaxed.properties = Object.fromEntries(Object.entries(schema.properties).map(([key, sub]) => [key, relaxNullable(sub)]));
    if (schema.required) relaxed.required = schema.required.filter((key) => !(schema.properties?.[key] && isNullable(schema.properties[key])));
  }
  if (schema.items) relaxed.items = relaxNullable(schema.items);
  return relaxed;
}

/**
 * The form's value as the workflow expects it: a required nullable field the form left out (an
 * empty number is dropped before sending) is sent as null, everything else as it is.
 */
export function restoreNulls(schema: JsonSchema, value: unknown): unknown {
  const type = typeOf(schema);
  if (type === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    const object: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (key in object) object[key] = restoreNulls(sub, object[key]);
      else if ((schema.required ?? []).includes(key) && isNullable(sub)) object[key] = null;
    }
    return object;
  }
  if (type === 'array' && Array.isArray(value)) return value.map((item) => restoreNulls(schema.items ?? {}, item));
  return value;
}
