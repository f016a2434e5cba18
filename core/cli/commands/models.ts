import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddModelInput, DataClassification, ModelView } from '../../contracts/index.ts';
import { CoreError } from '../../base/index.ts';
import type { CliIo } from '../output.ts';
import { withOperator } from './api.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand } from './common.ts';

function describeModel(model: ModelView): string {
  const who = model.allAccounts ? 'all accounts' : model.accounts.length === 0 ? 'no account' : model.accounts.map((a) => a.name).join(', ');
  const test = model.testModel ? '  [TEST MODEL — text is meaningless]' : '';
  return `${model.id}  ${model.kind}  ${model.source}  "${model.name}"${test}\n    ${model.location}\n    classifications: ${model.classifications.join(', ')}; available to: ${who}`;
}

export function modelsListCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const models = await api.call('models.list', {});
      io.out(options.json ? JSON.stringify({ ok: true, value: models }) : models.length === 0 ? 'No models. Add one with `strongroom models add`, or run `strongroom demo` for a test model.' : models.map(describeModel).join('\n'));
      return 0;
    }),
  );
}

export interface ModelsAddOptions extends StorageCommandOptions {
  id: string;
  name: string;
  path?: string;
  sha256?: string;
  endpoint?: string;
  remoteModel?: string;
  caFile?: string;
  apiKey?: string;
  account: string[];
  allAccounts: boolean;
  classification: string[];
  threads?: number;
  contextSize?: number;
  /** A file holding a Jinja chat template to use instead of the GGUF's. */
  chatTemplate?: string;
}

function readChatTemplate(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CoreError('ERR_INPUT_INVALID', `The chat template file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}).`, { details: { file } });
  }
}

export function modelsAddCommand(io: CliIo, options: ModelsAddOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      if ((options.path === undefined) === (options.endpoint === undefined)) {
        throw new CoreError('ERR_INPUT_INVALID', 'Give exactly one of --path FILE (a local GGUF) or --endpoint URL (an OpenAI-compatible server).');
      }
      const common = {
        id: options.id,
        name: options.name,
        accounts: await api.resolveAccountIds(options.account),
        allAccounts: options.allAccounts,
        ...(options.classification.length > 0 ? { classifications: options.classification as DataClassification[] } : {}),
      };
      const input: AddModelInput =
        options.path !== undefined
          ? { ...common, kind: 'local', path: options.path, ...(options.sha256 ? { sha256: options.sha256 } : {}), ...(options.threads ? { threads: options.threads } : {}), ...(options.contextSize ? { contextSize: options.contextSize } : {}), ...(options.chatTemplate ? { chatTemplate: readChatTemplate(options.chatTemplate) } : {}) }
          : { ...common, kind: 'remote', endpoint: options.endpoint ?? '', ...(options.remoteModel ? { remoteModel: options.remoteModel } : {}), ...(options.caFile ? { caFile: options.caFile } : {}), ...(options.apiKey ? { apiKey: options.apiKey } : {}) };
      const model = await api.call('models.add', input);
      io.out(options.json ? JSON.stringify({ ok: true, value: model }) : `Model added:\n${describeModel(model)}`);
      return 0;
    }),
  );
}

export interface ModelsTestOptions extends StorageCommandOptions {
  id: string;
  prompt: string;
  maxTokens: number;
}

export function modelsTestCommand(io: CliIo, options: ModelsTestOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const health = await api.call('models.health', { modelId: options.id });
      if (health.status === 'failed') throw new CoreError('ERR_MODEL_UNAVAILABLE', `Model ${options.id} is not healthy: ${health.detail ?? 'no detail'}.`, { details: { model: options.id, cause: health.detail } });
      if (options.json) {
        const result = await api.call('models.test', { modelId: options.id, prompt: options.prompt, maxTokens: options.maxTokens });
        io.out(JSON.stringify({ ok: true, value: { health, ...result } }));
        return 0;
      }
      // Text mode prints the reply as the model writes it (models.testDelta events), where the
      // output can take text without line breaks; otherwise all at once.
      const write = io.write?.bind(io);
      const streamId = randomUUID();
      let streamed = false;
      const stop = write === undefined ? () => undefined : api.bridge.subscribe('models.testDelta', (event) => {
        if (event.streamId !== streamId) return;
        if (!streamed) io.out(`${options.id}:`);
        streamed = true;
        write(event.text);
      });
      let result;
      try {
        result = await api.call('models.test', { modelId: options.id, prompt: options.prompt, maxTokens: options.maxTokens, ...(write === undefined ? {} : { streamId }) });
      } finally {
        stop();
      }
      if (streamed) write?.('\n');
      else io.out(`${result.model}:\n${result.text}`);
      const label = result.testModel ? ' (test model: its text is meaningless)' : '';
      io.out(`${result.model}${label}: ${result.usage.outputTokens} tokens in ${result.latencyMs} ms (${result.usage.tokensPerSecond.toFixed(1)} tokens/s, first after ${Math.round(result.usage.timeToFirstTokenMs)} ms)`);
      return 0;
    }),
  );
}
