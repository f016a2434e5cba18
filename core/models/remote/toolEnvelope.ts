import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { InputIssue } from '../../contracts/index.ts';
import type { ChatMessage, ToolCall, ToolDefinition } from '../provider.ts';
import type { ResponseFormat } from './chatProtocol.ts';
import { validateOutput } from './structuredOutput.ts';

/**
 * Tool calling through `response_format` instead of the server's native `tools`, for a model
 * whose chat template or server has no tool-call parser (vLLM without
 * `--enable-auto-tool-choice`, a llama-server template without tool syntax). The model answers
 * with one JSON envelope, the same one the local provider constrains its grammar to:
 *   {"type":"message","content":<reply, or the output value>}
 *   {"type":"tool_calls","calls":[{"name":"<tool>","arguments":{...}}]}
 */
const MAX_CALLS = 8;

export type ToolChoice = 'auto' | 'required' | 'none';

export function envelopeFormat(tools: readonly ToolDefinition[], content: Record<string, unknown> | undefined, toolChoice: ToolChoice): ResponseFormat {
  const calls = tools.map((tool) => ({
    type: 'object',
    properties: { name: { const: tool.name }, arguments: tool.parameters },
    required: ['name', 'arguments'],
    additionalProperties: false,
  }));
  const toolCalls = {
    type: 'object',
    properties: {
      type: { const: 'tool_calls' },
      calls: { type: 'array', minItems: 1, maxItems: MAX_CALLS, items: calls.length === 1 ? calls[0] : { anyOf: calls } },
    },
    required: ['type', 'calls'],
    additionalProperties: false,
  };
  const message = {
    type: 'object',
    properties: { type: { const: 'message' }, content: content ?? { type: 'string' } },
    required: ['type', 'content'],
    additionalProperties: false,
  };
  const schema = toolChoice === 'required' ? toolCalls : { anyOf: [message, toolCalls] };
  return { type: 'json_schema', json_schema: { name: 'reply_or_tool_calls', schema, strict: true } };
}

function instructions(tools: readonly ToolDefinition[], toolChoice: ToolChoice): string {
  const lines = tools.map((tool) => `- ${tool.name}: ${tool.description}\n  arguments (JSON Schema): ${JSON.stringify(tool.parameters)}`);
  return [
    'You can call these tools:',
    ...lines,
    'Answer with one JSON object. To call tools: {"type":"tool_calls","calls":[{"name":"<tool>","arguments":{...}}]}.',
    ...(toolChoice === 'required' ? [] : ['To reply to the user: {"type":"message","content":<your reply>}.']),
  ].join('\n');
}

/**
 * The conversation as an envelope-speaking model sees it: tool instructions in the system
 * message, earlier tool calls as envelopes, tool results as user turns (templates without tool
 * support have no `tool` role).
 */
export function envelopeMessages(messages: readonly ChatMessage[], tools: readonly ToolDefinition[], toolChoice: ToolChoice): ChatMessage[] {
  const names = new Map<string, string>();
  const out: ChatMessage[] = [];
  const toolText = instructions(tools, toolChoice);
  const first = messages[0];
  if (first?.role === 'system') out.push({ role: 'system', content: `${first.content}\n\n${toolText}` });
  else out.push({ role: 'system', content: toolText });
  for (const message of first?.role === 'system' ? messages.slice(1) : messages) {
    if (message.role === 'assistant' && message.toolCalls !== undefined && message.toolCalls.length > 0) {
      for (const call of message.toolCalls) names.set(call.id, call.name);
      const calls = message.toolCalls.map((call) => ({ name: call.name, arguments: call.arguments }));
      out.push({ role: 'assistant', content: JSON.stringify({ type: 'tool_calls', calls }) });
    } else if (message.role === 'tool') {
      const name = message.toolCallId === undefined ? undefined : names.get(message.toolCallId);
      const id = message.toolCallId === undefined ? '' : ` (${message.toolCallId})`;
      out.push({ role: 'user', content: `Result of tool ${name ?? 'call'}${id}:\n${message.content}` });
    } else {
      out.push({ role: message.role, content: message.content });
    }
  }
  return out;
}

export type EnvelopeResult<T> =
  | { ok: true; calls: ToolCall[]; text: string; value: T | undefined }
  | { ok: false; cause: 'not_json' | 'schema_mismatch'; issues: InputIssue[] };

/** Reads an envelope; a message's content is validated against `output` when one was asked for. */
export function parseEnvelope<T>(text: string, tools: readonly ToolDefinition[], output: z.ZodType<T> | undefined): EnvelopeResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, cause: 'not_json', issues: [{ path: '(root)', message: 'not complete JSON (the output may have hit the token limit)' }] };
  }
  const envelope = (typeof json === 'object' && json !== null ? json : {}) as { type?: unknown; content?: unknown; calls?: unknown };
  if (envelope.type === 'tool_calls' && Array.isArray(envelope.calls) && envelope.calls.length > 0) {
    const offered = new Set(tools.map((tool) => tool.name));
    const calls: ToolCall[] = [];
    for (const [index, raw] of (envelope.calls as unknown[]).entries()) {
      const call = (typeof raw === 'object' && raw !== null ? raw : {}) as { name?: unknown; arguments?: unknown };
      if (typeof call.name !== 'string' || !offered.has(call.name)) {
        return { ok: false, cause: 'schema_mismatch', issues: [{ path: `calls[${index}].name`, message: 'not one of the offered tools' }] };
      }
      calls.push({ id: `call_${randomUUID().slice(0, 8)}`, name: call.name, arguments: call.arguments ?? {} });
    }
    return { ok: true, calls, text: '', value: undefined };
  }
  if (envelope.type !== 'message') return { ok: false, cause: 'schema_mismatch', issues: [{ path: 'type', message: 'expected "message" or "tool_calls"' }] };
  if (output === undefined) {
    if (typeof envelope.content !== 'string') return { ok: false, cause: 'schema_mismatch', issues: [{ path: 'content', message: 'expected a string' }] };
    return { ok: true, calls: [], text: envelope.content, value: undefined };
  }
  const validation = validateOutput(output, JSON.stringify(envelope.content ?? null));
  if (!validation.ok) return { ok: false, cause: validation.cause, issues: validation.issues.map((issue) => ({ ...issue, path: issue.path === '(root)' ? 'content' : `content.${issue.path}` })) };
  return { ok: true, calls: [], text: JSON.stringify(envelope.content), value: validation.value };
}
