import { isAbsolute, join } from 'node:path';
import * as nodeLlamaCpp from 'node-llama-cpp';
import { readGgufFileInfo } from 'node-llama-cpp';
import type { Principal } from '../../api/index.ts';
import type { AuditLog } from '../../audit/index.ts';
import { CoreError, silentLogger, systemClock } from '../../base/index.ts';
import type { Clock, Logger } from '../../base/index.ts';
import { dataClassifications, ModelManifestSchema } from '../../contracts/index.ts';
import type { AddModelInput, DataClassification, ModelManifest, ModelView } from '../../contracts/index.ts';
import type { SecretStore } from '../../secrets/index.ts';
import type { Storage } from '../../storage/index.ts';
import { chatTemplateWrapper } from '../local/chatTemplate.ts';
import { ChecksumVerifier } from '../local/ChecksumVerifier.ts';
import { LocalModelPool } from '../local/LocalModelPool.ts';
import { LocalModelProvider } from '../local/LocalModelProvider.ts';
import type { ModelHealth, ModelProvider, Usage } from '../provider.ts';
import { readCaFile } from '../remote/caFile.ts';
import type { RemoteEndpointOptions } from '../remote/options.ts';
import { readShippedManifests } from './manifests.ts';
import type { ManifestProblem, ShippedManifests } from './manifests.ts';
import type { Availability } from './ModelStore.ts';
import { ModelStore, withOverride } from './ModelStore.ts';
import { RemoteEndpoints } from './RemoteEndpoints.ts';

export interface ModelRegistryOptions {
  storage: Storage;
  audit: AuditLog;
  secrets: SecretStore;
  /** Shipped manifests (default: read from models/*.json); `readShippedManifests` also carries the files it set aside. */
  shippedManifests?: readonly ModelManifest[] | ShippedManifests;
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

/** The persistent checksum cache in the data directory: a restart does not re-hash unchanged multi-GB files. */
export const CHECKSUM_CACHE_FILE = 'model-checksums.json';

/** Name of a remote model's API key in the SecretStore. */
export function apiKeySecretName(installationId: string, modelId: string): string {
  return `${installationId}/model-api-key/${modelId}`;
}

/**
 * The model registry: shipped manifests (models/*.json, read-only) plus installation-added ones
 * (SQLite), each with the accounts that may use it and the data classifications it may see.
 * `resolve` is the workflow engine's model source: lazy providers over one LocalModelPool and one
 * RemoteEndpoint per server and key, refusing what the account or the data's classification does
 * not allow.
 */
export class ModelRegistry {
  private readonly storage: Storage;
  private readonly audit: AuditLog;
  private readonly secrets: SecretStore;
  private readonly store: ModelStore;
  private readonly shipped: readonly ModelManifest[];
  /** Shipped manifest files set aside as unreadable, not JSON or not a manifest. */
  readonly manifestProblems: readonly ManifestProblem[];
  /** The folder the shipped manifests were read from; null when they were handed in. */
  readonly manifestsDir: string | null;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly checksums: ChecksumVerifier;
  private readonly pool: LocalModelPool;
  private readonly remote: RemoteEndpoints;
  private readonly providers = new Map<string, { fingerprint: string; provider: ModelProvider }>();

  constructor(options: ModelRegistryOptions) {
    this.storage = options.storage;
    this.audit = options.audit;
    this.secrets = options.secrets;
    this.store = new ModelStore(options.storage.db);
    const shipped = options.shippedManifests ?? readShippedManifests();
    this.shipped = shipped;
    this.manifestProblems = (shipped as Partial<Pick<ShippedManifests, 'problems'>>).problems ?? [];
    this.manifestsDir = (shipped as Partial<Pick<ShippedManifests, 'dir'>>).dir ?? null;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    for (const problem of this.manifestProblems) this.logger.warn({ file: problem.file, reason: problem.reason }, 'model manifest set aside');
    this.checksums = new ChecksumVerifier({ cacheFile: join(options.storage.dataDir, CHECKSUM_CACHE_FILE) });
    this.remote = new RemoteEndpoints({
      apiKey: (modelId) => this.secrets.get(apiKeySecretName(this.storage.installationId, modelId)),
      ...(options.remote === undefined ? {} : { remote: options.remote }),
      clock: this.clock,
      logger: this.logger,
    });
    this.pool = new LocalModelPool({
      checksums: this.checksums,
      clock: this.clock,
      logger: this.logger,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.memoryBudgetBytes === undefined ? {} : { memoryBudgetBytes: options.memoryBudgetBytes }),
    });
  }

  /**
   * The provider for a workflow step: `modelId`, or the account's default when the workflow names
   * none — its first real model that may serve the classification. A generated test model is the
   * default only while the account has no real model: a bank never wants a configured model
   * silently replaced by one whose text is meaningless, so that case is an error naming the
   * classification and how to allow it.
   */
  resolve(modelId: string | null, accountId: string, classification?: DataClassification): ModelProvider {
    const available = this.entries().filter((entry) => availableTo(entry, accountId));
    if (modelId !== null) {
      const entry = available.find((candidate) => candidate.manifest.id === modelId);
      if (entry === undefined) throw notAvailable(modelId);
      if (classification !== undefined && !allows(entry, classification)) throw classificationRefused(classification, [entry], null);
      return this.provider(entry);
    }
    const candidates = defaultCandidates(available);
    if (candidates.length === 0) {
      throw new CoreError('ERR_MODEL_NOT_FOUND', 'No model is available to this account. Add one on the Models page, or run `strongroom demo` for a test model.', { details: { model: null, cause: 'no model available to the account' } });
    }
    const entry = defaultOf(available, classification, this.store.defaultFor(accountId));
    if (entry === undefined && classification !== undefined) {
      const passedOver = available.filter((candidate) => !candidates.includes(candidate) && allows(candidate, classification));
      throw classificationRefused(classification, candidates, passedOver);
    }
    return this.provider(entry ?? candidates[0]!);
  }

  /** Whether a model is a generated test model (its text is meaningless; documents say so). */
  isTestModel(modelId: string): boolean {
    return this.testModelIds().has(modelId);
  }

  /** Whether the account may use the model (it exists, is enabled, and is available to the account). */
  mayUse(accountId: string, modelId: string): boolean {
    return this.entries().some((entry) => entry.manifest.id === modelId && availableTo(entry, accountId));
  }

  /** The ids of every generated test model, disabled ones too: lists label what they wrote. */
  testModelIds(): ReadonlySet<string> {
    return new Set(this.entries({ includeDisabled: true }).filter((entry) => entry.manifest.testModel === true).map((entry) => entry.manifest.id));
  }

  /** Every local model's file (disabled ones too), for operations that must say what they leave out, like backups. */
  localModelFiles(): { id: string; path: string }[] {
    return this.entries({ includeDisabled: true }).flatMap(({ manifest }) => (manifest.kind === 'local' ? [{ id: manifest.id, path: manifest.path }] : []));
  }

  async list(principal: Actor): Promise<ModelView[]> {
    const entries = this.entries();
    const accountId = principal.accountId;
    const chosen = accountId === null ? undefined : this.store.defaultFor(accountId);
    const defaultId = accountId === null ? undefined : defaultOf(entries.filter((entry) => availableTo(entry, accountId)), undefined, chosen)?.manifest.id;
    return Promise.all(entries.filter((entry) => visibleTo(entry, principal)).map((entry) => this.view(entry, principal, defaultId, chosen)));
  }

  async add(principal: Actor, input: AddModelInput, requestId: string | null): Promise<ModelView> {
    const availability = this.checkAvailabilityChange(principal, input.accounts ?? (principal.accountId === null ? [] : [principal.accountId]), input.allAccounts ?? false);
    if (this.entries({ includeDisabled: true }).some((entry) => entry.manifest.id === input.id)) {
      throw new CoreError('ERR_CONFLICT', `A model with id ${input.id} already exists; choose another id or remove it first.`, { details: { model: input.id } });
    }
    const common = { id: input.id, name: input.name, ...(input.description === undefined ? {} : { description: input.description }), classifications: inOrder(input.classifications ?? ['public', 'internal']), accounts: [], testModel: input.testModel ?? false, enabled: true };
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
      // Read again by every process that connects, from its own working directory: only an absolute path means one file.
      if (input.caFile !== undefined && !isAbsolute(input.caFile)) throw invalid('caFile', 'must be an absolute path to a PEM file on this machine');
      manifest = ModelManifestSchema.parse({ ...common, kind: 'remote', endpoint: input.endpoint, ...pick(input, ['remoteModel', 'caFile']) });
      if (input.caFile !== undefined) await checkCaFile(input.id, input.caFile);
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

  async setClassifications(principal: Actor, modelId: string, classifications: readonly DataClassification[], requestId: string | null): Promise<ModelView> {
    const entry = this.entry(principal, modelId);
    this.checkManage(principal, entry);
    const next = inOrder(classifications);
    this.store.atomically(() => {
      if (entry.source === 'shipped') this.store.overrideShipped(modelId, { classifications: next }, principal.userId, this.clock.now());
      else this.store.updateManifest({ ...entry.manifest, classifications: next }, this.clock.now());
      this.audit.append({ action: 'model.classifications', outcome: 'success', actor: actorOf(principal), resource: `model:${modelId}`, requestId, details: { from: entry.manifest.classifications, to: next } });
    });
    return await this.view(this.entry(principal, modelId), principal, undefined);
  }

  /**
   * Chooses the model an account's runs use when neither the workflow nor the person names one;
   * null goes back to the account's first real model. Only a real model available to the account
   * may be chosen: a generated test model is the default only while there is no real one. The
   * router has authorized models.manage in that account.
   */
  setDefault(principal: Actor, accountId: string, modelId: string | null, requestId: string | null): { accountId: string; modelId: string | null } {
    if (this.storage.accounts.byId(accountId)?.deletedAt !== null) throw invalid('accountId', 'names no account');
    if (modelId !== null) {
      const entry = this.entries().find((candidate) => candidate.manifest.id === modelId && availableTo(candidate, accountId));
      if (entry === undefined) throw notAvailable(modelId);
      if (entry.manifest.testModel) throw invalid('modelId', `is a generated test model (its text is meaningless); it is used only while the account has no real model, and cannot be chosen as its default`);
    }
    const before = this.store.defaultFor(accountId) ?? null;
    this.store.atomically(() => {
      this.store.setDefault(accountId, modelId, principal.userId, this.clock.now());
      this.audit.append({ action: 'model.default', outcome: 'success', actor: actorOf(principal), resource: `account:${accountId}`, requestId, details: { from: before, to: modelId } });
    });
    return { accountId, modelId };
  }

  /** Hashes the file now (never from the cache, which it refreshes) and compares with the recorded checksum, if there is one. */
  async verify(principal: Actor, modelId: string): Promise<{ model: string; sha256: string; recorded: string | null; matches: boolean | null }> {
    const { manifest } = this.entry(principal, modelId);
    if (manifest.kind !== 'local') throw invalid('modelId', 'is a remote model: it has no file to verify');
    const sha256 = await this.checksums.recompute(modelId, manifest.path);
    const recorded = manifest.sha256?.toLowerCase() ?? null;
    const matches = recorded === null ? null : recorded === sha256;
    if (matches === false) {
      // The copy in memory was verified when it loaded, but the file it came from is no longer the
      // one recorded: stop serving it now, as a restart would, instead of answering from it.
      this.pool.evict(modelId);
      this.logger.warn({ model: modelId }, 'model file changed: taken out of service until it matches its checksum');
    }
    return { model: modelId, sha256, recorded, matches };
  }

  /** Records the checksum of a local model that has none (a shipped manifest without `sha256`); a recorded one is never replaced. */
  async recordChecksum(principal: Actor, modelId: string, shown: string, requestId: string | null): Promise<ModelView> {
    const entry = this.entry(principal, modelId);
    this.checkManage(principal, entry);
    const { manifest } = entry;
    if (manifest.kind !== 'local') throw invalid('modelId', 'is a remote model: it has no file to verify');
    const refuseRecorded = (): CoreError =>
      new CoreError('ERR_CONFLICT', `Model ${modelId} already has a recorded SHA-256, which is never replaced here. If its file was changed on purpose, ${entry.source === 'shipped' ? 'set the new sha256 in its manifest file' : 'remove the model and add it again'}.`, { details: { model: modelId } });
    if (manifest.sha256 !== undefined) throw refuseRecorded();
    const sha256 = await this.checksums.recompute(modelId, manifest.path);
    if (sha256 !== shown.toLowerCase()) {
      throw new CoreError('ERR_MODEL_CHECKSUM_MISMATCH', `The file of model ${modelId} no longer has the SHA-256 that was shown; verify it again before recording one.`, { details: { model: modelId, cause: 'file changed since it was verified', expected: shown.toLowerCase(), actual: sha256 } });
    }
    this.store.atomically(() => {
      const current = this.entries().find((candidate) => candidate.manifest.id === modelId)?.manifest;
      if (current?.kind === 'local' && current.sha256 !== undefined) throw refuseRecorded();
      if (entry.source === 'shipped') this.store.overrideShipped(modelId, { sha256 }, principal.userId, this.clock.now());
      else this.store.updateManifest({ ...manifest, sha256 }, this.clock.now());
      this.audit.append({ action: 'model.checksum', outcome: 'success', actor: actorOf(principal), resource: `model:${modelId}`, requestId, details: { sha256 } });
    });
    return await this.view(this.entry(principal, modelId), principal, undefined);
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
    await this.remote.dispose();
  }

  /** Shipped (enabled) manifests with this installation's overrides, then installation-added ones. */
  private entries(options: { includeDisabled?: boolean } = {}): Entry[] {
    const stored = this.store.list();
    const overrides = new Map<string, Extract<(typeof stored)[number], { source: 'shipped' }>>();
    for (const model of stored) if (model.source === 'shipped') overrides.set(model.id, model);
    const live = this.storage.accounts.list();
    const liveIds = new Set(live.map((account) => account.id));
    const shipped = this.shipped
      .filter((manifest) => options.includeDisabled === true || manifest.enabled)
      .map((manifest): Entry => {
        const row = overrides.get(manifest.id);
        return {
          manifest: withOverride(manifest, row?.override),
          source: 'shipped',
          availability: row?.override.availability === true ? row.availability : {
            allAccounts: manifest.accounts.includes('*'),
            accountIds: live.filter((account) => manifest.accounts.includes(account.name)).map((account) => account.id),
          },
        };
      });
    const added = stored.flatMap((model): Entry[] => (model.source === 'added' ? [{ manifest: model.manifest, source: 'added', availability: model.availability }] : []));
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
    if (!manageableBy(principal, entry)) {
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

  private async view(entry: Entry, principal: Actor, defaultId: string | undefined, chosen?: string): Promise<ModelView> {
    const { manifest, availability } = entry;
    const hasApiKey = manifest.kind === 'remote' && (await this.secrets.get(apiKeySecretName(this.storage.installationId, manifest.id)).catch(() => null)) !== null;
    const names = new Map(this.storage.accounts.list().map((account) => [account.id, account.name]));
    const shown = principal.installationAdmin ? availability.accountIds : availability.accountIds.filter((id) => id === principal.accountId);
    // Where the model lives (a path on the server, an internal URL, a CA file) is for those who may
    // change it, not for every person of every account the model serves: least privilege.
    const manageable = manageableBy(principal, entry);
    return {
      id: manifest.id,
      name: manifest.name,
      description: manifest.description ?? null,
      kind: manifest.kind,
      source: entry.source,
      location: manageable ? locationOf(manifest) : null,
      sha256: manifest.kind === 'local' ? (manifest.sha256 ?? null) : null,
      contextSize: manifest.contextSize ?? null,
      threads: manifest.kind === 'local' ? (manifest.threads ?? null) : null,
      chatTemplate: manifest.kind === 'local' && manifest.chatTemplate !== undefined,
      classifications: manifest.classifications,
      allAccounts: availability.allAccounts,
      accounts: shown.map((id) => ({ id, name: names.get(id) ?? id })),
      testModel: manifest.testModel,
      caFile: manifest.kind === 'remote' && manageable ? (manifest.caFile ?? null) : null,
      hasApiKey,
      isDefault: defaultId === manifest.id,
      chosenDefault: defaultId === manifest.id && chosen === manifest.id,
      manageable,
    };
  }

  /** One provider per model, rebuilt when what it runs changes (not its availability or classifications); lazy: nothing loads until used. */
  private provider(entry: Entry): ModelProvider {
    const { manifest } = entry;
    const local = manifest.kind === 'local' ? { id: manifest.id, path: manifest.path, ...pick(manifest, ['sha256', 'contextSize', 'threads', 'chatTemplate']) } : undefined;
    const fingerprint = JSON.stringify(local ?? { endpoint: locationOf(manifest), ...(manifest.kind === 'remote' ? pick(manifest, ['remoteModel', 'caFile']) : {}) });
    const cached = this.providers.get(manifest.id);
    if (cached?.fingerprint === fingerprint) return cached.provider;
    if (cached !== undefined) void this.retire(manifest.id, cached.provider);
    const provider = manifest.kind === 'local' ? new LocalModelProvider(manifest.id, { pool: this.pool, clock: this.clock, spec: local ?? { id: manifest.id, path: manifest.path } }) : this.remote.provider(manifest);
    this.providers.set(manifest.id, { fingerprint, provider });
    return provider;
  }

  private async forget(modelId: string): Promise<void> {
    const cached = this.providers.get(modelId);
    this.providers.delete(modelId);
    if (cached !== undefined) await this.retire(modelId, cached.provider);
  }

  private async retire(modelId: string, provider: ModelProvider): Promise<void> {
    await provider.dispose().catch(() => undefined);
    await this.remote.release(modelId).catch(() => undefined);
  }
}

function availableTo(entry: Entry, accountId: string): boolean {
  return entry.availability.allAccounts || entry.availability.accountIds.includes(accountId);
}

function visibleTo(entry: Entry, principal: Actor): boolean {
  return principal.installationAdmin || (principal.accountId !== null && availableTo(entry, principal.accountId));
}

/**
 * Whether whoever holds models.manage in their account may change or remove the model: an
 * installation administrator any; anyone else only an added model their account alone uses.
 */
function manageableBy(principal: Actor, entry: Entry): boolean {
  if (principal.installationAdmin) return true;
  return entry.source === 'added' && !entry.availability.allAccounts && entry.availability.accountIds.every((id) => id === principal.accountId);
}

function allows(entry: Entry, classification: DataClassification): boolean {
  return entry.manifest.classifications.includes(classification);
}

/** The models a default is chosen from: the real ones, or the generated test models while there is no real one. */
function defaultCandidates(available: readonly Entry[]): Entry[] {
  const real = available.filter((entry) => !entry.manifest.testModel);
  return real.length > 0 ? real : [...available];
}

/**
 * The account's chosen default (`preferred`) when it is still available and may serve the
 * classification, else the first default candidate, in registry order, that may.
 */
function defaultOf(available: readonly Entry[], classification?: DataClassification, preferred?: string): Entry | undefined {
  const fits = (entry: Entry) => classification === undefined || allows(entry, classification);
  const chosen = available.find((entry) => entry.manifest.id === preferred && !entry.manifest.testModel);
  return chosen !== undefined && fits(chosen) ? chosen : defaultCandidates(available).find(fits);
}

/** Classifications in their fixed order, each once. */
function inOrder(classifications: readonly DataClassification[]): DataClassification[] {
  return dataClassifications.filter((classification) => classifications.includes(classification));
}

/**
 * No model may serve the data: the error names the classification, what the models allow, and how
 * an administrator allows it. `passedOver` is null for a model the workflow named; for a default,
 * the test models that would have been allowed but are never used in place of a real model.
 */
function classificationRefused(classification: DataClassification, models: readonly Entry[], passedOver: readonly Entry[] | null): CoreError {
  const named = passedOver === null ? models[0]?.manifest : undefined;
  const single = models.length === 1 ? models[0]?.manifest : undefined;
  const command = single === undefined ? `strongroom models classify ID --classifications …,${classification}` : `strongroom models classify ${single.id} --classifications ${inOrder([...single.classifications, classification]).join(',')}`;
  const allowedBy = models.map((entry) => `${entry.manifest.id} allows ${entry.manifest.classifications.join(', ')}`).join('; ');
  const message = [
    named === undefined ? `No model available to this account may serve ${classification} data (${allowedBy}).` : `Model ${named.id} may not serve ${classification} data (it allows ${named.classifications.join(', ')}).`,
    `An administrator can allow ${classification} data on the Models page (“Data it may see”) or with \`${command}\`.`,
    ...(passedOver !== null && passedOver.length > 0 ? [`The test model ${passedOver.map((entry) => entry.manifest.id).join(', ')} is not used in place of a real model.`] : []),
  ].join(' ');
  return new CoreError('ERR_MODEL_UNAVAILABLE', message, {
    details: named === undefined
      ? { model: null, cause: 'classification not allowed', classification, models: models.map((entry) => ({ model: entry.manifest.id, allowed: entry.manifest.classifications })) }
      : { model: named.id, cause: 'classification not allowed', classification, allowed: named.classifications },
  });
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

/** The endpoint's CA file must be readable and hold a PEM certificate now, not at the first request. */
async function checkCaFile(modelId: string, caFile: string): Promise<void> {
  try {
    await readCaFile(caFile);
  } catch (error) {
    const invalidPem = error instanceof RangeError;
    const problem = invalidPem ? 'holds no PEM certificate' : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`;
    throw new CoreError('ERR_INPUT_INVALID', `The CA file ${caFile} of model ${modelId} ${problem}; give the PEM file of the CA that signs the endpoint's certificate.`, {
      details: { model: modelId, caFile, cause: invalidPem ? 'ca_file_invalid' : 'ca_file_unreadable', issues: [{ path: 'caFile', message: problem }] },
      cause: error,
    });
  }
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
