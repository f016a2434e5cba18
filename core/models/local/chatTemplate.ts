import { JinjaTemplateChatWrapper, resolveChatWrapper } from 'node-llama-cpp';
import type { ChatWrapper, LlamaModel } from 'node-llama-cpp';
import { CoreError } from '../../base/index.ts';

/**
 * A manifest's chat template override as node-llama-cpp's Jinja chat wrapper. Constructing it
 * parses the template and renders a sample conversation (node-llama-cpp's sanity test), so a
 * template with a syntax error, or one that drops the messages it is given, is refused here — when
 * the model is added — rather than on an analyst's first run.
 */
export function chatTemplateWrapper(modelId: string, template: string): ChatWrapper {
  try {
    return new JinjaTemplateChatWrapper({ template });
  } catch (error) {
    // node-llama-cpp's message names the failure (e.g. "Unexpected end of input") but not the
    // template's text, so it is safe to pass on.
    const reason = error instanceof Error ? error.message.replace(/\s*Inspect the Jinja template.*$/s, '') : 'the template could not be used';
    throw new CoreError('ERR_MODEL_UNSUPPORTED', `The chat template override of model ${modelId} cannot be used: ${reason}`, {
      details: { model: modelId, cause: 'chat template override is not a usable Jinja template' },
      cause: error,
    });
  }
}

/** The chat format a loaded model is prompted with: the override when given, else the one its GGUF embeds. */
export function chatWrapperFor(modelId: string, model: LlamaModel, template: string | undefined): ChatWrapper {
  return template === undefined ? resolveChatWrapper(model) : chatTemplateWrapper(modelId, template);
}
