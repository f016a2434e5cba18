import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { AddModelInput, DataClassification, ModelView } from '../../contracts/index.ts';
import { dataClassifications, ErrorCodeSchema } from '../../contracts/index.ts';
import { CoreError } from '../../base/index.ts';
import { readShippedManifests, shippedModelsDir } from '../../models/index.ts';
import type { ManifestProblem } from '../../models/index.ts';
import type { CliIo } from '../output.ts';
import { withOperator } from './api.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand } from './common.ts';

function describeModel(model: ModelView): string {
  const who = model.allAccounts ? 'all accounts' : model.accounts.length === 0 ? 'no account' : model.accounts.map((a) => a.name).join(', ');
  const test = model.testModel ? '  [TEST MODEL — text is meaningless]' : '';
  return `${model.id}  ${model.kind}  ${model.source}  "${model.name}"${test}\n    ${model.location ?? '(where it lives is shown to those who manage it)'}${model.caFile === null ? '' : ` (trusting the CA in ${model.caFile})`}\n    classifications: ${model.classifications.join(', ')}; available to: ${who}`;
}

/** `--classifications public,internal,confidential`: each one known, in the fixed order. */
export function parseClassifications(value: string): DataClassification[] {
  const named = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
  const unknown = named.filter((part) => !(dataClassifications as readonly string[]).includes(part));
  if (named.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`must be a comma-separated list of ${dataClassifications.join(', ')}${unknown.length > 0 ? ` (not ${unknown.join(', ')})` : ''}.`);
  return dataClassifications.filter((classification) => named.includes(classification));
}

/** Text mode only: what the shipped workflows need that the model may not see, and how to allow it. */
function classificationNote(model: ModelView): string {
  const missing = (['confidential', 'restricted'] as const).filter((classification) => !model.classifications.includes(classification));
  if (missing.length === 0) return '';
  return `\nNote: it may not serve ${missing.join(' or ')} data, which the shipped workflows handle. Allow it with \`strongroom models classify ${model.id} --classifications ${[...model.classifications, ...missing].join(',')}\` once your policy permits.`;
}

/** Text mode: the shipped manifests that were set aside, so a model missing from the list is explained. */
function describeProblems(dir: string, problems: readonly ManifestProblem[]): string {
  if (problems.length === 0) return '';
  const lines = problems.map((problem) => `  ${join(dir, problem.file)} ${problem.reason}`);
  return `\n\nSet aside (fix the file and run again; the other models are unaffected):\n${lines.join('\n')}`;
}

export interface ModelsListOptions extends StorageCommandOptions {
  /** The shipped manifests' folder whose set-aside files are reported; default models/, which the registry reads. */
  manifestsDir?: string;
}

export function modelsListCommand(io: CliIo, options: ModelsListOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const models = await api.call('models.list', {});
      // The registry read the same folder and logged these; reading it again costs a few small files.
      const dir = options.manifestsDir ?? shippedModelsDir;
      const manifestProblems = readShippedManifests(dir).problems;
      const listed = models.length === 0 ? 'No models. Add one with `strongroom models add`, or run `strongroom demo` for a test model.' : models.map(describeModel).join('\n');
      io.out(options.json ? JSON.stringify({ ok: true, value: models, manifestProblems }) : `${listed}${describeProblems(dir, manifestProblems)}`);
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
  /** `--classifications a,b` (parsed); joins any repeated `--classification`. */
  classifications?: DataClassification[];
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
      const classifications = [...options.classification, ...(options.classifications ?? [])] as DataClassification[];
      const common = {
        id: options.id,
        name: options.name,
        accounts: await api.resolveAccountIds(options.account),
        allAccounts: options.allAccounts,
        ...(classifications.length > 0 ? { classifications } : {}),
      };
      const input: AddModelInput =
        options.path !== undefined
          ? { ...common, kind: 'local', path: resolve(options.path), ...(options.sha256 ? { sha256: options.sha256 } : {}), ...(options.threads ? { threads: options.threads } : {}), ...(options.contextSize ? { contextSize: options.contextSize } : {}), ...(options.chatTemplate ? { chatTemplate: readChatTemplate(options.chatTemplate) } : {}) }
          : { ...common, kind: 'remote', endpoint: options.endpoint ?? '', ...(options.remoteModel ? { remoteModel: options.remoteModel } : {}), ...(options.caFile ? { caFile: resolve(options.caFile) } : {}), ...(options.apiKey ? { apiKey: options.apiKey } : {}) };
      const model = await api.call('models.add', input);
      io.out(options.json ? JSON.stringify({ ok: true, value: model }) : `Model added:\n${describeModel(model)}${classificationNote(model)}`);
      return 0;
    }),
  );
}

export interface ModelsClassifyOptions extends StorageCommandOptions {
  id: string;
  classifications: DataClassification[];
}

/** `strongroom models classify ID --classifications a,b`: which data the model may serve from now on. */
export function modelsClassifyCommand(io: CliIo, options: ModelsClassifyOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const model = await api.call('models.setClassifications', { modelId: options.id, classifications: options.classifications });
      io.out(options.json ? JSON.stringify({ ok: true, value: model }) : `Model ${model.id} may now serve ${model.classifications.join(', ')} data.`);
      return 0;
    }),
  );
}

export interface ModelsDefaultOptions extends StorageCommandOptions {
  /** The model to use when nobody names one; undefined with `clear`. */
  id: string | undefined;
  account: string;
  clear: boolean;
}

/**
 * `strongroom models default ID --account NAME` · `--clear`: the model an account's runs use when
 * neither the workflow nor the person names one (audited); --clear goes back to its first real model.
 */
export function modelsDefaultCommand(io: CliIo, options: ModelsDefaultOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      if ((options.id === undefined) === !options.clear) throw new CoreError('ERR_INPUT_INVALID', 'Name a model id, or pass --clear to go back to the account’s first real model (not both).', { details: { issues: [{ path: 'id', message: 'a model id or --clear' }] } });
      const accountId = await api.resolveAccountId(options.account);
      const result = await api.call('models.setDefault', { accountId, modelId: options.id ?? null });
      io.out(options.json ? JSON.stringify({ ok: true, value: result }) : result.modelId === null ? `${options.account} uses its first real model again when a workflow names none.` : `${options.account} now uses ${result.modelId} when a workflow names no model.`);
      return 0;
    }),
  );
}

export interface ModelsVerifyOptions extends StorageCommandOptions {
  id: string;
  /** Record the computed SHA-256 when none is recorded. */
  record: boolean;
}

/**
 * `strongroom models verify ID [--record]`: hashes the file now. A mismatch is an error (exit 1);
 * without a recorded checksum it says so and, with --record, records the one it computed.
 */
export function modelsVerifyCommand(io: CliIo, options: ModelsVerifyOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const result = await api.call('models.verify', { modelId: options.id });
      if (result.matches === false) {
        throw new CoreError('ERR_MODEL_CHECKSUM_MISMATCH', `The file of model ${result.model} has SHA-256 ${result.sha256}, not the recorded ${result.recorded ?? ''}; it will not load until the file is replaced.`, {
          details: { model: result.model, cause: 'sha256 differs from the manifest', expected: result.recorded, actual: result.sha256 },
        });
      }
      const record = options.record && result.recorded === null;
      if (record) await api.call('models.recordChecksum', { modelId: result.model, sha256: result.sha256 });
      const text = result.matches === true
        ? `${result.model}: the file matches its recorded SHA-256 ${result.sha256}.`
        : record
          ? `${result.model}: recorded SHA-256 ${result.sha256}; the file is verified against it before every load.`
          : `${result.model}: no SHA-256 is recorded, so the file is not verified before it loads. It is now ${result.sha256}; record it with \`strongroom models verify ${result.model} --record\`.`;
      io.out(options.json ? JSON.stringify({ ok: true, value: { ...result, ...(record ? { recorded: result.sha256, recordedNow: true } : { recordedNow: false }) } }) : text);
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
      // Degraded still answers (a model name the server does not list, an open circuit): say so, then try.
      if (health.status === 'degraded' && !options.json) io.err(`warning: model ${options.id} is degraded: ${health.detail ?? 'no detail'}.`);
      if (health.status === 'failed') {
        // The health check's own code ("ERR_MODEL_NOT_FOUND: file does not exist"), so a missing file is not reported as an outage.
        const reported = ErrorCodeSchema.safeParse(/^(ERR_[A-Z_]+)/.exec(health.detail ?? '')?.[1]);
        throw new CoreError(reported.success ? reported.data : 'ERR_MODEL_UNAVAILABLE', `Model ${options.id} is not healthy: ${health.detail ?? 'no detail'}.`, { details: { model: options.id, cause: health.detail ?? null } });
      }
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
