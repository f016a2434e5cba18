import { z } from 'zod';
import type { ChatMessage, ChatRequest, FinishReason, ToolCall, ToolDefinition } from '../provider.ts';
import { StreamFormatError } from './sse.ts';

/** OpenAI `response_format` for constrained output (vLLM, llama-server, Ollama, TGI all read it). */
export interface ResponseFormat {
  type: 'json_schema';
  json_schema: { name: string; schema: Record<string, unknown>; strict: true };
}

/** The JSON Schema the server constrains generation with; zod 4 generates it from `output`. */
export function responseFormatFor(schema: z.ZodType): ResponseFormat {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema) as Record<string, unknown>;
  return { type: 'json_schema', json_schema: { name: 'output', schema: jsonSchema, strict: true } };
}

function toWireMessage(message: ChatMessage): Record<string, unknown> {
  const wire: Record<string, unknown> = { role: message.role, content: message.content };
  if (message.toolCalls !== undefined && message.toolCalls.length > 0) {
    wire.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
  }
  if (message.toolCallId !== undefined) wire.tool_call_id = message.toolCallId;
  return wire;
}

function toWireTool(tool: ToolDefinition): Record<string, unknown> {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/** The `POST /v1/chat/completions` body: always streamed. */
export function chatBody(
  model: string,
  request: ChatRequest,
  plan: { messages: readonly ChatMessage[]; responseFormat: ResponseFormat | undefined; nativeTools: boolean; toolChoice: string | undefined },
  streamUsage: boolean,
): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: plan.messages.map(toWireMessage), stream: true };
  if (streamUsage) body.stream_options = { include_usage: true };
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
  if (plan.nativeTools && request.tools !== undefined) body.tools = request.tools.map(toWireTool);
  if (plan.nativeTools && plan.toolChoice !== undefined) body.tool_choice = plan.toolChoice;
  if (plan.responseFormat !== undefined) body.response_format = plan.responseFormat;
  return body;
}

const ToolCallDeltaSchema = z.object({
  index: z.number().int().nonnegative().optional(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

const ChunkSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({ content: z.string().nullish(), tool_calls: z.array(ToolCallDeltaSchema).nullish() })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .optional(),
  usage: z
    .object({
      prompt_tokens: z.number(),
      completion_tokens: z.number(),
      prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
    })
    .nullish(),
  error: z.object({ type: z.string().optional(), code: z.union([z.string(), z.number()]).optional() }).passthrough().optional(),
});

export type StreamChunk = z.infer<typeof ChunkSchema>;

/** One JSON chunk of the stream, or StreamFormatError. */
export function parseChunk(data: string): StreamChunk {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    throw new StreamFormatError('invalid_json', { cause: error });
  }
  const parsed = ChunkSchema.safeParse(json);
  if (!parsed.success) throw new StreamFormatError('unexpected_chunk', { cause: parsed.error });
  return parsed.data;
}

interface PartialToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Builds the result from streamed chunks: text, tool calls assembled by index, finish, usage. */
export class ChatAssembler {
  text = '';
  model: string | undefined;
  finishReason: string | undefined;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number | undefined } | undefined;
  /** Chunks that carried a token: the output count when the server reports no usage. */
  tokenChunks = 0;
  private readonly calls = new Map<number, PartialToolCall>();

  /** Applies a chunk; returns the text it added (for `onDelta`) and whether it carried a token. */
  apply(chunk: StreamChunk): { text: string; token: boolean } {
    if (chunk.model !== undefined && chunk.model !== '') this.model = chunk.model;
    if (chunk.usage) {
      const cached = chunk.usage.prompt_tokens_details?.cached_tokens;
      this.usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens, cachedInputTokens: cached ?? undefined };
    }
    const choice = chunk.choices?.[0];
    if (choice === undefined) return { text: '', token: false };
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    const text = choice.delta?.content ?? '';
    this.text += text;
    const toolDeltas = choice.delta?.tool_calls ?? [];
    toolDeltas.forEach((delta, position) => {
      const index = delta.index ?? position;
      const call = this.calls.get(index) ?? { id: '', name: '', arguments: '' };
      if (delta.id) call.id = delta.id;
      // The name arrives whole in the first delta; some servers repeat it, so it is not appended.
      if (delta.function?.name && call.name === '') call.name = delta.function.name;
      call.arguments += delta.function?.arguments ?? '';
      this.calls.set(index, call);
    });
    const token = text !== '' || toolDeltas.length > 0;
    if (token) this.tokenChunks += 1;
    return { text, token };
  }

  /** The tool calls in index order; arguments that are not JSON are reported by name. */
  toolCalls(): { calls: ToolCall[]; invalid: string[] } {
    const calls: ToolCall[] = [];
    const invalid: string[] = [];
    for (const [index, call] of [...this.calls.entries()].sort(([a], [b]) => a - b)) {
      try {
        calls.push({ id: call.id || `call_${index}`, name: call.name, arguments: call.arguments.trim() === '' ? {} : JSON.parse(call.arguments) });
      } catch {
        invalid.push(call.name);
      }
    }
    return { calls, invalid };
  }

  finish(hasToolCalls: boolean): FinishReason {
    if (hasToolCalls || this.finishReason === 'tool_calls' || this.finishReason === 'function_call') return 'tool_calls';
    return this.finishReason === 'length' ? 'length' : 'stop';
  }
}
