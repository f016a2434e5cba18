// The models area's public door (CONVENTIONS 2): named exports only.
export type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChatRole,
  EmbeddingResult,
  FinishReason,
  ModelHealth,
  ModelProvider,
  ToolCall,
  ToolDefinition,
  Usage,
} from './provider.ts';
export { writeGguf } from './gguf/GgufWriter.ts';
export type { GgufFile, GgufTensor, GgufValue, GgufWriteResult } from './gguf/GgufWriter.ts';
export { TEST_MODEL_CHAT_TEMPLATE, writeTestModel } from './gguf/testModel.ts';
export type { TestModelOptions } from './gguf/testModel.ts';
export { ChecksumVerifier } from './local/ChecksumVerifier.ts';
export type { ChecksumVerifierOptions } from './local/ChecksumVerifier.ts';
export { DEFAULT_LOCAL_THREADS, LocalModelPool } from './local/LocalModelPool.ts';
export type { LocalModelPoolOptions, LocalModelPoolStats, LocalModelSpec } from './local/LocalModelPool.ts';
export { LocalModelProvider } from './local/LocalModelProvider.ts';
export type { LocalModelProviderOptions } from './local/LocalModelProvider.ts';
export { RemoteModelProvider } from './remote/RemoteModelProvider.ts';
export type { RemoteModelProviderOptions, TokenCounting } from './remote/RemoteModelProvider.ts';
export { RemoteEndpoint } from './remote/RemoteEndpoint.ts';
export type { CircuitStatus } from './remote/RemoteEndpoint.ts';
export { remoteDefaults } from './remote/options.ts';
export type { RemoteCircuitBreakerOptions, RemoteConcurrencyOptions, RemoteEndpointOptions, RemoteRetryOptions, RemoteTimeouts, RetryEvent } from './remote/options.ts';
export type { RemoteChatRequest, ToolCalling } from './remote/chatPlan.ts';
export type { ToolChoice } from './remote/toolEnvelope.ts';
export { apiKeySecretName, ModelRegistry, modelHandlers, readShippedManifests, shippedModelsDir } from './registry/index.ts';
export type { ManifestProblem, ModelRegistryOptions, ModelTestResult, ShippedManifests } from './registry/index.ts';
