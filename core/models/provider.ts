import type { z } from 'zod';

/**
 * The one interface every model sits behind, local (node-llama-cpp) or remote
 * (OpenAI-compatible). Workflow steps, evaluators and the Models page use only this.
 */
export interface ModelProvider {
  /** The manifest id, e.g. `credit-llama-8b-q4`. */
  readonly id: string;
  readonly kind: 'local' | 'remote';
  /** Chat completion; streams text through `request.onDelta` as it is generated. */
  chat<T = unknown>(request: ChatRequest<T>): Promise<ChatResult<T>>;
  /** One vector per input text. */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<EmbeddingResult>;
  /** Tokens the model would use for this text. */
  countTokens(text: string): Promise<number>;
  /** Reachability and readiness, without generating text. */
  health(options?: { signal?: AbortSignal }): Promise<ModelHealth>;
  /** Releases contexts, sockets and loaded weights. */
  dispose(): Promise<void>;
}

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** On `assistant` messages: the tool calls the model made. */
  toolCalls?: readonly ToolCall[];
  /** On `tool` messages: which call this is the result of. */
  toolCallId?: string;
}

export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: unknown;
}

export interface ChatRequest<T = unknown> {
  messages: readonly ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: readonly string[];
  /**
   * Constrain the output to this schema: a grammar locally, `response_format` remotely. The result
   * is validated with the schema; one repair attempt, then `ERR_MODEL_OUTPUT_INVALID`.
   */
  output?: z.ZodType<T>;
  /** Tools the model may call; the result then carries `toolCalls`. */
  tools?: readonly ToolDefinition[];
  /**
   * Whether the model may answer instead of calling a tool: `auto` (default) lets it choose,
   * `required` forces at least one tool call, `none` ignores `tools` for this request.
   */
  toolChoice?: 'auto' | 'required' | 'none';
  signal?: AbortSignal;
  onDelta?: (text: string) => void;
  /**
   * Told when the request has to wait for the model (a local model's sequences are all busy with
   * other requests): how many requests are ahead of it, again as that changes, and `null` once it
   * has the model. Not called when the model is free at once. Remote servers queue out of sight.
   */
  onQueue?: (ahead: number | null) => void;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'cancelled';

export interface Usage {
  inputTokens: number;
  /**
   * Of `inputTokens`, how many were served from an already-evaluated prompt prefix (a local
   * model's KV cache, or a server's prompt cache when it reports one). 0 when nothing was reused.
   */
  cachedInputTokens?: number;
  outputTokens: number;
  /** Milliseconds from the request to the first generated token. */
  timeToFirstTokenMs: number;
  totalMs: number;
  /** Output tokens per second of generation (after the first token). */
  tokensPerSecond: number;
}

export interface ChatResult<T = unknown> {
  text: string;
  /** Present when `output` was given: the parsed, validated value. */
  value?: T;
  toolCalls: readonly ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** The model that answered (the manifest id, or the server's model name for remote). */
  model: string;
}

export interface EmbeddingResult {
  vectors: number[][];
  inputTokens: number;
}

export interface ModelHealth {
  status: 'ok' | 'degraded' | 'failed';
  detail?: string;
  latencyMs?: number;
}
