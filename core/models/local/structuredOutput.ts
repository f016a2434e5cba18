import type { GbnfJsonSchema } from 'node-llama-cpp';
import type { z } from 'zod';
import { formatIssuePath } from '../../contracts/index.ts';
import type { ToolDefinition } from '../provider.ts';
import { toGrammarSchema, zodToJsonSchema } from './grammarSchema.ts';

/**
 * Structured output for local models. A request with `output` is constrained to that schema's
 * grammar; a request with `tools` is constrained to a JSON envelope, either a reply or tool calls:
 *   {"type":"message","content":<reply, or the output value>}
 *   {"type":"tool_calls","calls":[{"name":"<tool>","arguments":{...}}]}
 * We chose the envelope over node-llama-cpp's native function calling because it works with every
 * chat template (the generated test model has none that supports functions), it makes the
 * choice between answering and calling a tool a grammar decision rather than text sniffing, and
 * it is testable on a random-weight model. A model trained on its own tool-call syntax may do
 * somewhat better with native calling; that can be added behind the same interface.
 */
export interface OutputPlan {
  grammarSchema: GbnfJsonSchema | undefined;
  tools: readonly ToolDefinition[];
  output: z.ZodType | undefined;
  toolChoice: 'auto' | 'required' | 'none';
}

export interface ParsedCall {
  name: string;
  arguments: unknown;
}

export type ParseResult =
  | { ok: true; value: unknown; text: string; calls: ParsedCall[] }
  | { ok: false; issues: { path: string; message: string }[] };

const MAX_CALLS = 8;

export function planOutput(
  modelId: string,
  output: z.ZodType | undefined,
  tools: readonly ToolDefinition[] | undefined,
  toolChoice: 'auto' | 'required' | 'none' = 'auto',
): OutputPlan {
  const toolList = toolChoice === 'none' ? [] : (tools ?? []);
  const content: GbnfJsonSchema | undefined = output === undefined ? undefined : toGrammarSchema(zodToJsonSchema(output), modelId);
  if (toolList.length === 0) return { grammarSchema: content, tools: toolList, output, toolChoice };
  const callSchemas = toolList.map((tool) => ({
    type: 'object',
    properties: { name: { const: tool.name }, arguments: toGrammarSchema(tool.parameters, modelId) },
    additionalProperties: false,
  }));
  const toolCalls = {
    type: 'object',
    properties: {
      type: { const: 'tool_calls' },
      calls: { type: 'array', minItems: 1, maxItems: MAX_CALLS, items: callSchemas.length === 1 ? callSchemas[0] : { oneOf: callSchemas } },
    },
    additionalProperties: false,
  };
  const message = { type: 'object', properties: { type: { const: 'message' }, content: content ?? { type: 'string' } }, additionalProperties: false };
  const grammarSchema = (toolChoice === 'required' ? toolCalls : { oneOf: [message, toolCalls] }) as unknown as GbnfJsonSchema;
  return { grammarSchema, tools: toolList, output, toolChoice };
}

/** Parses and validates generated text against the plan; issues name paths, never values. */
export function parseOutput(plan: OutputPlan, raw: string): ParseResult {
  if (plan.grammarSchema === undefined) return { ok: true, value: undefined, text: raw, calls: [] };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, issues: [{ path: '(root)', message: 'not complete JSON (the output may have hit the token limit)' }] };
  }
  let content: unknown = json;
  if (plan.tools.length > 0) {
    const envelope = json as { type?: unknown; content?: unknown; calls?: unknown };
    if (envelope.type === 'tool_calls' && Array.isArray(envelope.calls)) {
      const names = new Set(plan.tools.map((tool) => tool.name));
      const calls = (envelope.calls as { name?: unknown; arguments?: unknown }[]).map((call) => ({ name: String(call.name), arguments: call.arguments }));
      const unknown = calls.findIndex((call) => !names.has(call.name));
      if (unknown >= 0) return { ok: false, issues: [{ path: `calls[${unknown}].name`, message: 'not one of the offered tools' }] };
      return { ok: true, value: undefined, text: '', calls };
    }
    if (envelope.type !== 'message') return { ok: false, issues: [{ path: 'type', message: 'expected "message" or "tool_calls"' }] };
    content = envelope.content;
    if (plan.output === undefined) return { ok: true, value: undefined, text: typeof content === 'string' ? content : JSON.stringify(content), calls: [] };
  }
  if (plan.output === undefined) return { ok: true, value: json, text: raw, calls: [] };
  const result = plan.output.safeParse(content);
  if (!result.success) {
    return { ok: false, issues: result.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message })) };
  }
  return { ok: true, value: result.data, text: plan.tools.length > 0 ? JSON.stringify(content) : raw, calls: [] };
}

/** The user turn of the one repair attempt: what was wrong, by path, without echoing content. */
export function repairMessage(issues: readonly { path: string; message: string }[]): string {
  const list = issues.slice(0, 10).map((issue) => `- ${issue.path}: ${issue.message}`).join('\n');
  return `Your previous answer did not match the required JSON schema:\n${list}\nAnswer again with only the corrected JSON.`;
}
