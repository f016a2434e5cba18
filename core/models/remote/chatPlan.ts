import type { z } from 'zod';
import type { InputIssue } from '../../contracts/index.ts';
import type { ChatMessage, ChatRequest, ToolCall } from '../provider.ts';
import { responseFormatFor } from './chatProtocol.ts';
import type { ResponseFormat } from './chatProtocol.ts';
import { modelError } from './errors.ts';
import type { ErrorSubject } from './errors.ts';
import { serverGrammarSchema } from './serverSchema.ts';
import type { StreamedCompletion } from './streamChat.ts';
import { validateOutput } from './structuredOutput.ts';
import { envelopeFormat, envelopeMessages, parseEnvelope } from './toolEnvelope.ts';
import type { ToolChoice } from './toolEnvelope.ts';

/** How a model calls tools: the server's own `tools` support, or a `response_format` envelope. */
export type ToolCalling = 'native' | 'json-schema';

/**
 * `ChatRequest` plus what only remote servers take today. `toolChoice: 'required'` forces a
 * tool call (OpenAI `tool_choice`; in json-schema mode the envelope allows only tool calls).
 */
export interface RemoteChatRequest<T = unknown> extends ChatRequest<T> {
  toolChoice?: ToolChoice;
}

export type Interpretation<T> =
  | { ok: true; text: string; calls: ToolCall[]; value: T | undefined }
  | { ok: false; cause: 'not_json' | 'schema_mismatch'; issues: InputIssue[] };

/** What one chat request becomes on the wire, and how its answer is read back. */
export interface ChatPlan<T> {
  messages: ChatMessage[];
  responseFormat: ResponseFormat | undefined;
  nativeTools: boolean;
  toolChoice: ToolChoice | undefined;
  /** Envelope answers are JSON, not prose: they are not streamed to `onDelta`. */
  streamDeltas: boolean;
  interpret(completion: StreamedCompletion): Interpretation<T>;
}

/** The output schema as the server's grammar gets it (see serverGrammarSchema); zod checks the full one. */
function jsonSchemaOf(subject: ErrorSubject, output: z.ZodType): Record<string, unknown> {
  let schema: Record<string, unknown>;
  try {
    schema = responseFormatFor(output).json_schema.schema;
  } catch (error) {
    throw modelError('ERR_MODEL_UNSUPPORTED', subject, 'output_schema_not_representable', { error });
  }
  return serverGrammarSchema(schema);
}

export function planChat<T>(request: RemoteChatRequest<T>, toolCalling: ToolCalling, subject: ErrorSubject): ChatPlan<T> {
  const tools = request.toolChoice === 'none' ? [] : (request.tools ?? []);
  const outputSchema = request.output === undefined ? undefined : jsonSchemaOf(subject, request.output);
  if (tools.length > 0 && toolCalling === 'json-schema') {
    const toolChoice = request.toolChoice ?? 'auto';
    return {
      messages: envelopeMessages(request.messages, tools, toolChoice),
      // The instructions show the tools' full parameters; the grammar gets them relaxed, and the
      // engine validates the arguments of every call before it runs.
      responseFormat: envelopeFormat(tools.map((tool) => ({ ...tool, parameters: serverGrammarSchema(tool.parameters) })), outputSchema, toolChoice),
      nativeTools: false,
      toolChoice: undefined,
      streamDeltas: false,
      interpret: (completion) => parseEnvelope(completion.assembler.text, tools, request.output),
    };
  }
  const offered = new Set(tools.map((tool) => tool.name));
  return {
    messages: [...request.messages],
    responseFormat: outputSchema === undefined ? undefined : { type: 'json_schema', json_schema: { name: 'output', schema: outputSchema, strict: true } },
    nativeTools: tools.length > 0,
    toolChoice: tools.length > 0 ? request.toolChoice : undefined,
    streamDeltas: true,
    interpret: (completion) => {
      const { calls, invalid } = completion.assembler.toolCalls();
      if (invalid.length > 0) throw modelError('ERR_MODEL_OUTPUT_INVALID', subject, 'tool_arguments_not_json', { details: { tools: invalid } });
      const unknown = calls.filter((call) => !offered.has(call.name)).map((call) => call.name);
      if (unknown.length > 0) throw modelError('ERR_MODEL_OUTPUT_INVALID', subject, 'unknown_tool', { details: { tools: unknown } });
      const text = completion.assembler.text;
      if (request.output === undefined || calls.length > 0) return { ok: true, text, calls, value: undefined };
      const validation = validateOutput(request.output, text);
      return validation.ok ? { ok: true, text, calls, value: validation.value } : validation;
    },
  };
}
