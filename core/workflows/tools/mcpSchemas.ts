import { z } from 'zod';

/** What an MCP tool call returns to a workflow: the result's content blocks and structured content. */
export const McpToolResultSchema = z.object({
  content: z.array(z.looseObject({ type: z.string() })),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
});
export type McpToolResult = z.infer<typeof McpToolResultSchema>;

/** MCP's rule for tool names (SEP-986), which also keeps `<server>.<tool>` unambiguous to parse. */
export const mcpToolName = /^[A-Za-z0-9_.-]{1,128}$/;
const maxSchemaChars = 64 * 1024;
export const maxDescriptionChars = 2000;

/**
 * A zod schema from an MCP tool's JSON Schema (zod 4's converter, which refuses remote `$ref`s);
 * undefined if it is too large or uses what the converter does not support.
 */
export function zodFromJsonSchema(jsonSchema: unknown): z.ZodType | undefined {
  if (typeof jsonSchema !== 'object' || jsonSchema === null) return undefined;
  if (JSON.stringify(jsonSchema).length > maxSchemaChars) return undefined;
  try {
    return z.fromJSONSchema(jsonSchema as z.core.JSONSchema.JSONSchema);
  } catch {
    return undefined;
  }
}

/** The output schema: structured content typed by the tool's outputSchema when it declares one. */
export function resultSchemaFor(outputSchema: unknown): z.ZodType<McpToolResult> {
  if (outputSchema === undefined) return McpToolResultSchema;
  const structured = zodFromJsonSchema(outputSchema);
  if (structured === undefined) return McpToolResultSchema;
  return McpToolResultSchema.extend({ structuredContent: structured.optional() }) as z.ZodType<McpToolResult>;
}
