import type { ChatHistoryItem, Token } from 'node-llama-cpp';
import type { ChatMessage, ToolDefinition } from '../provider.ts';
import type { LoadedModel } from './LocalModelPool.ts';

/** A chat rendered with the model's own chat template, ready to evaluate. */
export interface RenderedPrompt {
  tokens: Token[];
  /** Special tokens that end the turn (beyond the model's end-of-generation tokens). */
  stopTokens: Set<Token>;
  /** Plain-text turn terminators of templates that have no special token for it. */
  stopTexts: string[];
}

/**
 * Renders messages through node-llama-cpp's chat wrapper for this model (resolved from its
 * embedded template: ChatML, Llama 3, Mistral, …), so a real model sees the format it was trained
 * on. Tool calls use a grammar-constrained JSON envelope described in the system prompt (see
 * toolEnvelope.ts), so the assistant side of a tool exchange is rendered as that JSON.
 */
export function renderChat(loaded: LoadedModel, messages: readonly ChatMessage[], toolInstructions?: string): RenderedPrompt {
  const history: ChatHistoryItem[] = [];
  const toolNames = new Map<string, string>();
  const systemParts: string[] = [];
  for (const message of messages) {
    if (message.role === 'system' && history.length === 0) systemParts.push(message.content);
  }
  if (toolInstructions !== undefined) systemParts.push(toolInstructions);
  if (systemParts.length > 0) history.push({ type: 'system', text: systemParts.join('\n\n') });

  let leadingSystem = true;
  for (const message of messages) {
    if (leadingSystem && message.role === 'system') continue;
    leadingSystem = false;
    switch (message.role) {
      case 'system':
        history.push({ type: 'system', text: message.content });
        break;
      case 'user':
        history.push({ type: 'user', text: message.content });
        break;
      case 'assistant':
        if (message.toolCalls !== undefined && message.toolCalls.length > 0) {
          for (const call of message.toolCalls) toolNames.set(call.id, call.name);
          const calls = message.toolCalls.map((call) => ({ name: call.name, arguments: call.arguments }));
          history.push({ type: 'model', response: [JSON.stringify({ type: 'tool_calls', calls })] });
        } else {
          history.push({ type: 'model', response: [message.content] });
        }
        break;
      case 'tool': {
        const name = message.toolCallId === undefined ? undefined : toolNames.get(message.toolCallId);
        history.push({ type: 'user', text: `Result of tool ${name ?? 'call'}${message.toolCallId === undefined ? '' : ` (${message.toolCallId})`}:\n${message.content}` });
        break;
      }
    }
  }
  history.push({ type: 'model', response: [] });

  const { model } = loaded;
  const state = loaded.chatWrapper.generateContextState({ chatHistory: history });
  const tokens = state.contextText.tokenize(model.tokenizer);
  const stopTokens = new Set<Token>();
  const stopTexts: string[] = [];
  for (const trigger of state.stopGenerationTriggers) {
    const triggerTokens = trigger.tokenize(model.tokenizer);
    const [only] = triggerTokens;
    if (triggerTokens.length === 1 && only !== undefined && model.isSpecialToken(only)) stopTokens.add(only);
    else {
      const text = model.detokenize(triggerTokens, true);
      if (text !== '') stopTexts.push(text);
    }
  }
  return { tokens, stopTokens, stopTexts };
}

/** The tool list and answer format, appended to the system prompt when tools are offered. */
export function toolInstructionsFor(tools: readonly ToolDefinition[], toolChoice: 'auto' | 'required' | 'none' = 'auto'): string {
  const lines = tools.map((tool) => `- ${tool.name}: ${tool.description}\n  arguments (JSON Schema): ${JSON.stringify(tool.parameters)}`);
  return [
    'You can call these tools:',
    ...lines,
    'Answer with one JSON object. To call tools: {"type":"tool_calls","calls":[{"name":"<tool>","arguments":{...}}]}.',
    ...(toolChoice === 'required' ? [] : ['To reply to the user: {"type":"message","content":<your reply>}.']),
  ].join('\n');
}
