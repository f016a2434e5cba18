import { isAbsolute } from 'node:path';
import * as nodeLlamaCpp from 'node-llama-cpp';
import { readGgufFileInfo } from 'node-llama-cpp';
import type { Principal } from '../../api/index.ts';
import type { AuditLog } from '../../audit/index.ts';
import { CoreError, silentLogger, systemClock } from '../../base/index.ts';
import type { Clock, Logger } from '../../base/index.ts';
import { ModelManifestSchema } from '../../contracts/index.ts';
import type { AddModelInput, DataClassification, ModelManifest, ModelView } from '../../contracts/index.ts';
import type { SecretStore } from '../../secrets/index.ts';
import type { Storage } from '../../storage/index.ts';
import { chatTemplateWrapper } from '../local/chatTemplate.ts';
import { ChecksumVerifier } from '../local/ChecksumVerifier.ts';
import { LocalModelPool } from '../local/LocalModelPool.ts';
import { LocalModelProvider } from '../local/LocalModelProvider.ts';
import type { ModelHealth, ModelProvider, Usage } from '../provider.ts';
import type { RemoteEndpointOptions } from '../remote/options.ts';
import { RemoteEndpoint } from '../remote/RemoteEndpoint.ts';
import { RemoteModelProvider } from '../remote/RemoteModelProvider.ts';
import { readShippedManifests } from './manifests.ts';
import type { Availability } from './ModelStore.ts';
import { ModelStore } from './ModelStore.ts';

export interface ModelRegistryOptions {
  storage: Storage;
  audit: AuditLog;
  secrets: SecretStore;
  /** Shipped manifests (default: read from models/*.json). */
  shippedManifests?: readonly ModelManifest[];
  /** Threads of the one local model pool (default DEFAULT_LOCAL_THREADS). */
  threads?: number;
  memoryBudgetBytes?: number;
  /** Endpoint options for every remote model (timeouts, retries); tests shorten them. */
  remote?: Omit<RemoteEndpointOptions, 'baseUrl' | 'getApiKey' | 'caFile'>;
  clock?: Clock;
  logger?: Logger;
}

interface Entry {
  manifest: ModelManifest;
  source: 'shipped' | 'added';
  availability: Availability;
}

type Actor = Pick<Principal, 'userId' | 'accountId' | 'roles' | 'installationAdmin'>;

export interface ModelTestResult {
  model: string;
  text: string;
  testModel: boolean;
  finishReason: string;
  latencyMs: number;
  usage: Usage;
}

/** Name of a remote model's API key in the SecretStore. */
export function apiKeySecretName(installationId: string, modelId: string): string {
  return `${installationId}/model-api-key/${modelId}`;
}

/**
 * The model registry: shipped manifests (models/*.json, read-only) plus installation-added ones
 * (SQLite), each with the accounts that may use it and the data classifications it may see.
 * `resolve` is the workflow engine's model source: lazy providers over one LocalModelPool and one
 * RemoteEndpoint per server, refusing what the account or the data's classification does not allow.
 */
export class ModelRegistry {
  private readonly storage: Storage;
  private readonly audit: AuditLog;
  private readonly secrets: SecretStore;
  private readonly store: ModelStore;
  private readonly shipped: readonly ModelManifest[];
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly remoteOptions: ModelRegistryOptions['remote'];
  private readonly checksums = new ChecksumVerifier();
  private readonly pool: LocalModelPool;
  private readonly providers = new Map<string, { fingerprint: string; provider: ModelProvider }>();
  private readonly endpoints = new Map<string, RemoteEndpoint>();

  constructor(options: ModelRegistryOptions) {
    this.storage = options.storage;
    this.audit = options.audit;
    this.secrets = options.secrets;
    this.store = new ModelStore(options.storage.db);
    this.shipped = options.shippedManifests ?? readShippedManifests();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.remoteOptions = options.remote;
    this.pool = new LocalModelPool({
      checksums: this.checksums,
      clock: this.clock,
      logger: this.logger,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.memoryBudgetBytes === undefined ? {} : { memoryBudgetBytes: options.memoryBudgetBytes }),
    });
  }

  /**
   * The provider for a workflow step: `modelId`, or the account's default (its first available
   * real model, else its first test model) when the workflow names none.
   */
  resolve(modelId: string | null, accountId: string, classification?: DataClassification): ModelProvider {
    const available = this.entries().filter((entry) => availableTo(entry, accountId));
    const entry = modelId === null ? defaultOf(available, classification) : available.find((candidate) => candidate.manifest.id === modelId);
    if (entry === undefined) {
      throw modelId === null
        ? new CoreError('ERR_MODEL_NOT_FOUND', 'No model is available to this account. Add one on the Models page, or run `strongroom demo` for a test model.', { details: { model: null, cause: 'no model available to the account' } })
        : notAvailable(modelId);
    }
    if (classification !== undefined && !entry.manifest.classifications.includes(classification)) {
      throw new CoreError('ERR_MODEL_UNAVAILABLE', `Model ${entry.manifest.id} may not serve ${classification} data; its manifest allows ${entry.manifest.classifications.join(', ')}.`, {
        details: { model: entry.manifest.id, cause: 'classification not allowed', classification, allowed: entry.manifest.classifications },
      });
    }
    return this.provider(entry);
  }

  /** Whether a model is a generated test model (its text is meaningless; documents say so). */
  isTestModel(modelId: string): boolean {
    return this.entries().some((entry) => entry.manifest.id === modelId && entry.manifest.testModel === true);
  }

    async list(principal: Actor): Promise<ModelView[]> {
    const entries = this.entries();
    const accountId = principal.accountId;
    const defaultId = accountId === null ? undefined : defaultOf(entries.filter((entry) => availableTo(entry, accountId)))?.manifest.id;
    return Promise.all(entries.filter((entry) => visibleTo(entry, principal)).map((entry) => this.view(entry, principal, defaultId)));
  }

  async add(principal: Actor, input: AddModelInput, requestId: string | null): Promise<ModelView> {
    const availability = this.checkAvailabilityChange(principal, input.accounts ?? (principal.accountId === null ? [] : [principal.accountId]), input.allAccounts ?? false);
    if (this.entries({ includeDisabled: true }).some((entry) => entry.manifest.id === input.id)) {
      throw new CoreError('ERR_CONFLICT', `A model with id ${input.id} already exists; choose another id or remove it first.`, { details: { model: input.id } });
    }
    const common = { id: input.id, name: input.name, ...(input.description === undefined ? {} : { description: input.description }), classifications: input.classifications ?? ['public', 'internal'], accounts: [], testModel: input.testModel ?? false, enabled: true };
    let manifest: ModelManifest;
    if (input.kind === 'local') {
      if (!isAbsolute(input.path)) throw invalid('path', 'must be an absolute path to a GGUF file on this machine');
      const sha256 = await this.checksums.digest(input.id, input.path);
      if (input.sha256 !== undefined) await this.checksums.verify(input.id, input.path, input.sha256);
      await checkArchitecture(input.id, input.path);
      if (input.chatTemplate !== undefined) chatTemplateWrapper(input.id, input.chatTemplate);
      manifest = ModelManifestSchema.parse({ ...common, kind: 'local', path: input.path, sha256, ...pick(input, ['contextSize', 'threads', 'chatTemplate']) });
    } else {
      const url = new URL(input.endpoint);
      if (url.username !== '' || url.password !== '') throw invalid('endpoint', 'must not carry credentials; give the API key in its own field');
      manifest = ModelManifestSchema.parse({ ...common, kind: 'remote', endpoint: input.endpoint, ...pick(input, ['remoteModel', 'caFile']) });
      if (input.apiKey !== undefined) await this.storeApiKey(input.id, input.apiKey);
    }
    try {
      this.store.atomically(() => {
        this.store.insert(manifest, availability, principal.userId, this.clock.now());
        this.audit.append({ action: 'model.add', outcome: 'success', actor: actorOf(principal), resource: `model:${manifest.id}`, requestId, details: { kind: manifest.kind, location: locationOf(manifest), allAccounts: availability.allAccounts, accounts: availability.accountIds.length, apiKey: input.kind === 'remote' && input.apiKey !== undefined } });
      });
    } catch (error) {
      if (input.kind === 'remote' && input.apiKey !== undefined) await this.secrets.delete(apiKeySecretName(this.storage.installationId, input.id)).catch(() => false);
      throw error;
    }
    return await this.view(this.entry(principal, manifest.id), principal, undefined);
  }

  async remove(principal: Actor, modelId: string, requestId: string | null): Promise<{ removed: boolean }> {
    const entry = this.entry(principal, modelId);
    if (entry.source === 'shipped') throw new CoreError('ERR_CONFLICT', `Model ${modelId} is shipped in models/ and read-only; remove its manifest file or make it unavailable instead.`, { details: { model: modelId } });
    this.checkManage(principal, entry);
    this.store.atomically(() => {
      this.store.remove(modelId);
      this.audit.append({ action: 'model.remove', outcome: 'success', actor: actorOf(principal), resource: `model:${modelId}`, requestId, details: { kind: entry.manifest.kind } });
    });
    if (entry.manifest.kind === 'remote' && this.secrets.writable) await this.secrets.delete(apiKeySecretName(this.storage.installationId, modelId)).catch(() => false);
    await this.forget(modelId);
    return { removed: true };
  }

  async setAvailability(principal: Actor, modelId: string, accounts: readonly string[], allAccounts: boolean, requestId: string | null): Promise<ModelView> {
    const entry = this.entry(principal, modelId);
    this.checkManage(principal, entry);
    const availability = this.checkAvailabilityChange(principal, accounts, allAccounts);
    this.store.atomically(() => {
      this.store.setAvailability(modelId, entry.source, availability, principal.userId, this.clock.now());
      this.audit.append({ action: 'model.availability', outcome: 'success', actor: actorOf(principal), resource: `model:${modelId}`, requestId, details: { allAccounts: availability.allAccounts, accounts: availability.accountIds } });
    });
    return await this.view(this.entry(principal, modelId), principal, undefined);
  }

  async verify(principal: Actor, modelId: string): Promise<{ model: string; sha256: string; matches: boolean }> {
    const { manifest } = this.entry(principal, modelId);
    if (manifest.kind !== 'local') throw invalid('modelId', 'is a remote model: it has no file to verify');
    const sha256 = await this.checksums.digest(modelId, manifest.path);
    return { model: modelId, sha256, matches: manifest.sha256 !== undefined && manifest.sha256.toLowerCase() === sha256 };
  }

  async health(principal: Actor, modelId: string, signal?: AbortSignal): Promise<{ status: ModelHealth['status']; detail: string | null; latencyMs: number | null }> {
    const health = await this.provider(this.entry(principal, modelId)).health(signal === undefined ? {} : { signal });
    return { status: health.status, detail: health.detail ?? null, latencyMs: health.latencyMs ?? null };
  }

  /** Runs a short prompt; `onDelta` receives the text as it is generated. */
  async test(principal: Actor, modelId: string, prompt: string, maxTokens: number, signal?: AbortSignal, onDelta?: (text: string) => void): Promise<ModelTestResult> {
    const entry = this.entry(principal, modelId);
    const started = this.clock.monotonic();
    const result = await this.provider(entry).chat({ messages: [{ role: 'user', content: prompt }], maxTokens, temperature: 0, seed: 1, ...(signal === undefined ? {} : { signal }), ...(onDelta === undefined ? {} : { onDelta }) });
    return { model: modelId, text: result.text, testModel: entry.manifest.testModel, finishReason: result.finishReason, latencyMs: Math.round(this.clock.monotonic() - started), usage: result.usage };
  }

  async dispose(): Promise<void> {
    const providers = [...this.providers.values()];
    this.providers.clear();
    await Promise.allSettled(providers.map(({ provider }) => provider.dispose()));
    await this.pool.dispose();
    const endpoints = [...this.endpoints.values()];
    this.endpoints.clear();
    await Promise.allSettled(endpoints.map((endpoint) => endpoint.dispose()));
  }

  /** Shipped (enabled) manifests with their availability, then installation-added ones. */
  private entries(options: { includeDisabled?: boolean } = {}): Entry[] {
    const stored = this.store.list();
    const overrides = new Map(stored.filter((model) => model.source === 'shipped').map((model) => [model.id, model.availability]));
    const live = this.storage.accounts.list();
    const liveIds = new Set(live.map((account) => account.id));
    const shipped = this.shipped
      .filter((manifest) => options.includeDisabled === true || manifest.enabled)
      .map((manifest): Entry => ({
        manifest,
        source: 'shipped',
        availability: overrides.get(manifest.id) ?? {
          allAccounts: manifest.accounts.includes('*'),
          accountIds: live.filter((account) => manifest.accounts.includes(account.name)).map((account) => account.id),
        },
      }));
    const added = stored.flatMap((model): Entry[] => (model.source === 'added' && model.manifest !== null ? [{ manifest: model.manifest, source: 'added', availability: model.availability }] : []));
    return [...shipped, ...added].map((entry) => ({ ...entry, availability: { ...entry.availability, accountIds: entry.availability.accountIds.filter((id) => liveIds.has(id)) } }));
  }

  /** The model if the principal may see it; otherwise the same not-found as a model that does not exist. */
  private entry(principal: Actor, modelId: string): Entry {
    const entry = this.entries().find((candidate) => candidate.manifest.id === modelId);
    if (entry === undefined || !visibleTo(entry, principal)) throw notAvailable(modelId);
    return entry;
  }

  /** Outside the installation's administration, a change may concern the caller's own account only. */
  private checkManage(principal: Actor, entry: Entry): void {
    if (principal.installationAdmin) return;
    const ownOnly = !entry.availability.allAccounts && entry.availability.accountIds.every((id) => id === principal.accountId);
    if (entry.source === 'shipped' || !ownOnly) {
      throw new CoreError('ERR_AUTH_FORBIDDEN', `Model ${entry.manifest.id} is shared with other accounts; only an installation administrator can change it.`, { details: { model: entry.manifest.id } });
    }
  }

  private checkAvailabilityChange(principal: Actor, accounts: readonly string[], allAccounts: boolean): Availability {
    const unique = [...new Set(accounts)];
    if (!principal.installationAdmin && (allAccounts || unique.some((id) => id !== principal.accountId))) {
      throw new CoreError('ERR_AUTH_FORBIDDEN', 'Only an installation administrator can make a model available to other accounts.');
    }
    const unknown = unique.filter((id) => this.storage.accounts.byId(id)?.deletedAt !== null);
    if (unknown.length > 0) throw invalid('accounts', `names ${unknown.length} account(s) that do not exist`);
    return { allAccounts, accountIds: unique };
  }

  private async storeApiKey(modelId: string, apiKey: string): Promise<void> {
    if (!this.secrets.writable) {
      throw new CoreError('ERR_SECRETS_UNAVAILABLE', `The secret store (${this.secrets.describe()}) is read-only, so the API key of model ${modelId} cannot be stored; run with the OS keychain available.`, { details: { model: modelId } });
    }
    await this.secrets.set(apiKeySecretName(this.storage.installationId, modelId), apiKey);
  }

  private async view(entry: Entry, principal: Actor, defaultId: string | undefined): Promise<ModelView> {
    const { manifest, availability } = entry;
    const hasApiKey = manifest.kind === 'remote' && (await this.secrets.get(apiKeySecretName(this.storage.installationId, manifest.id)).catch(() => null)) !== null;
    const names = new Map(this.storage.accounts.list().map((account) => [account.id, account.name]));
    const shown = principal.installationAdmin ? availability.accountIds : availability.accountIds.filter((id) => id === principal.accountId);
    return {
      id: manifest.id,
      name: manifest.name,
      description: manifest.description ?? null,
      kind: manifest.kind,
      source: entry.source,
      location: locationOf(manifest),
      sha256: manifest.kind === 'local' ? (manifest.sha256 ?? null) : null,
      contextSize: manifest.contextSize ?? null,
      threads: manifest.kind === 'local' ? (manifest.threads ?? null) : null,
      chatTemplate: manifest.kind === 'local' && manifest.chatTemplate !== undefined,
      classifications: manifest.classifications,
      allAccounts: availability.allAccounts,
      accounts: shown.map((id) => ({ id, name: names.get(id) ?? id })),
      testModel: manifest.testModel,
      hasApiKey,
      isDefault: defaultId === manifest.id,
    };
  }

  /** One provider per model, rebuilt when its manifest changes; lazy: nothing loads until used. */
  private provider(entry: Entry): ModelProvider {
    const { manifest } = entry;
    const fingerprint = JSON.stringify(manifest);
    const cached = this.providers.get(manifest.id);
    if (cached?.fingerprint === fingerprint) return cached.provider;
    if (cached !== undefined) void cached.provider.dispose().catch(() => undefined);
    let provider: ModelProvider;
    if (manifest.kind === 'local') {
      provider = new LocalModelProvider(manifest.id, {
        pool: this.pool,
        clock: this.clock,
        spec: { id: manifest.id, path: manifest.path, ...pick(manifest, ['sha256', 'contextSize', 'threads', 'chatTemplate']) },
      });
    } else {
      provider = new RemoteModelProvider({ id: manifest.id, model: manifest.remoteModel ?? manifest.id, endpoint: this.endpoint(manifest), clock: this.clock });
    }
    this.providers.set(manifest.id, { fingerprint, provider });
    return provider;
  }

  /**
   * One RemoteEndpoint (breaker, concurrency limit, CA) per server. API keys are per model, so a
   * model with its own key gets its own endpoint; keyless models on one server share one.
   */
  private endpoint(manifest: Extract<ModelManifest, { kind: 'remote' }>): RemoteEndpoint {
    const secretName = apiKeySecretName(this.storage.installationId, manifest.id);
    const key = `${manifest.endpoint}\0${manifest.caFile ?? ''}\0${manifest.id}`;
    let endpoint = this.endpoints.get(key);
    if (endpoint === undefined) {
      endpoint = new RemoteEndpoint({
        ...this.remoteOptions,
        baseUrl: manifest.endpoint,
        ...(manifest.caFile === undefined ? {} : { caFile: manifest.caFile }),
        getApiKey: () => this.secrets.get(secretName),
        clock: this.clock,
        logger: this.logger,
      });
      this.endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  private async forget(modelId: string): Promise<void> {
    const cached = this.providers.get(modelId);
    this.providers.delete(modelId);
    if (cached !== undefined) await cached.provider.dispose().catch(() => undefined);
    for (const [key, endpoint] of this.endpoints) {
      if (key.endsWith(`\0${modelId}`)) {
        this.endpoints.delete(key);
        await endpoint.dispose();
      }
    }
  }
}

function availableTo(entry: Entry, accountId: string): boolean {
  return entry.availability.allAccounts || entry.availability.accountIds.includes(accountId);
}

function visibleTo(entry: Entry, principal: Actor): boolean {
  return principal.installationAdmin || (principal.accountId !== null && availableTo(entry, principal.accountId));
}

/** Real models before generated test models, in registry order; honouring the classification when known. */
function defaultOf(entries: readonly Entry[], classification?: DataClassification): Entry | undefined {
  const allowed = entries.filter((entry) => classification === undefined || entry.manifest.classifications.includes(classification));
  return allowed.find((entry) => !entry.manifest.testModel) ?? allowed[0];
}

function notAvailable(modelId: string): CoreError {
  return new CoreError('ERR_MODEL_NOT_FOUND', `No model ${modelId} is available to this account.`, { details: { model: modelId, cause: 'not configured or not available to the account' } });
}

function invalid(path: string, message: string): CoreError {
  return new CoreError('ERR_INPUT_INVALID', `${path} ${message}.`, { details: { issues: [{ path, message }] } });
}

function locationOf(manifest: ModelManifest): string {
  return manifest.kind === 'local' ? manifest.path : manifest.endpoint;
}

function actorOf(principal: Actor): { userId: string; accountId: string | null; roles: readonly string[] } {
  return { userId: principal.userId, accountId: principal.accountId, roles: principal.roles };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]])) as Partial<Pick<T, K>>;
}

/** Reads the GGUF header only (not the weights) so an unusable file is refused before it is registered. */
async function checkArchitecture(modelId: string, path: string): Promise<void> {
  let architecture: string;
  try {
    const info = await readGgufFileInfo(path, { readTensorInfo: false, logWarnings: false });
    architecture = String(info.metadata.general.architecture);
  } catch (error) {
    throw new CoreError('ERR_MODEL_UNSUPPORTED', `The file of model ${modelId} is not a readable GGUF model.`, { details: { model: modelId, cause: 'not a GGUF file' }, cause: error });
  }
  // GgufArchitectureType is an ambient const enum in the typings but a plain object at run time.
  const known = (nodeLlamaCpp as unknown as Record<string, Record<string, string> | undefined>).GgufArchitectureType;
  if (!new Set(Object.values(known ?? {})).has(architecture)) {
    throw new CoreError('ERR_MODEL_UNSUPPORTED', `Model ${modelId} has architecture ${architecture}, which this llama.cpp build does not support.`, { details: { model: modelId, cause: 'unsupported architecture', architecture } });
  }
}
