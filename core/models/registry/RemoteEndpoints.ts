import { createHash } from 'node:crypto';
import { CoreError } from '../../base/index.ts';
import type { Clock, Logger } from '../../base/index.ts';
import type { ModelManifest } from '../../contracts/index.ts';
import type { ChatRequest, ChatResult, EmbeddingResult, ModelHealth, ModelProvider } from '../provider.ts';
import type { RemoteEndpointOptions } from '../remote/options.ts';
import { RemoteEndpoint } from '../remote/RemoteEndpoint.ts';
import { RemoteModelProvider } from '../remote/RemoteModelProvider.ts';

type RemoteManifest = Extract<ModelManifest, { kind: 'remote' }>;

export interface RemoteEndpointsOptions {
  /** A model's API key (null: none), read from the SecretStore. */
  apiKey: (modelId: string) => Promise<string | null>;
  /** Timeouts, retries, breaker and limits for every endpoint. */
  remote?: Omit<RemoteEndpointOptions, 'baseUrl' | 'getApiKey' | 'caFile'>;
  clock: Clock;
  logger: Logger;
}

/**
 * One RemoteEndpoint — one circuit breaker and one concurrency limit — per server and API key:
 * models served by the same base URL (and CA) with the same key share it, as the server and any
 * gateway in front of it see them as one client. Each request still sends its own model's key.
 * Keys are compared by digest, in memory only.
 */
export class RemoteEndpoints {
  private readonly options: RemoteEndpointsOptions;
  private readonly shared = new Map<string, { endpoint: RemoteEndpoint; members: Set<string> }>();

  constructor(options: RemoteEndpointsOptions) {
    this.options = options;
  }

  /** A provider for the model; it picks its endpoint at its first call, once the key is read. */
  provider(manifest: RemoteManifest): ModelProvider {
    return new EndpointBoundProvider(manifest.id, async () => new RemoteModelProvider({ id: manifest.id, model: manifest.remoteModel ?? manifest.id, endpoint: await this.endpointFor(manifest), clock: this.options.clock }));
  }

  /** The model no longer uses its endpoint; the last model to leave closes it. */
  async release(modelId: string): Promise<void> {
    for (const [key, entry] of this.shared) {
      if (!entry.members.delete(modelId) || entry.members.size > 0) continue;
      this.shared.delete(key);
      await entry.endpoint.dispose();
    }
  }

  async dispose(): Promise<void> {
    const endpoints = [...this.shared.values()].map((entry) => entry.endpoint);
    this.shared.clear();
    await Promise.allSettled(endpoints.map((endpoint) => endpoint.dispose()));
  }

  private async endpointFor(manifest: RemoteManifest): Promise<RemoteEndpoint> {
    let apiKey: string | null;
    try {
      apiKey = await this.options.apiKey(manifest.id);
    } catch (error) {
      throw new CoreError('ERR_MODEL_UNAVAILABLE', `The API key of model ${manifest.id} cannot be read from the secret store.`, { details: { model: manifest.id, cause: 'api_key_unavailable' }, cause: error });
    }
    const keyDigest = apiKey === null || apiKey === '' ? '' : createHash('sha256').update(apiKey).digest('hex');
    const key = `${manifest.endpoint}\0${manifest.caFile ?? ''}\0${keyDigest}`;
    let entry = this.shared.get(key);
    if (entry === undefined) {
      const endpoint = new RemoteEndpoint({
        ...this.options.remote,
        baseUrl: manifest.endpoint,
        ...(manifest.caFile === undefined ? {} : { caFile: manifest.caFile }),
        getApiKey: (model) => this.options.apiKey(model),
        clock: this.options.clock,
        logger: this.options.logger,
      });
      entry = { endpoint, members: new Set() };
      this.shared.set(key, entry);
    }
    entry.members.add(manifest.id);
    return entry.endpoint;
  }
}

/** A remote model's provider whose endpoint is chosen asynchronously, at its first call. */
class EndpointBoundProvider implements ModelProvider {
  readonly id: string;
  readonly kind = 'remote' as const;
  private readonly connect: () => Promise<RemoteModelProvider>;
  private connected: Promise<RemoteModelProvider> | undefined;
  private disposed = false;

  constructor(id: string, connect: () => Promise<RemoteModelProvider>) {
    this.id = id;
    this.connect = connect;
  }

  async chat<T = unknown>(request: ChatRequest<T>): Promise<ChatResult<T>> {
    return (await this.inner()).chat(request);
  }

  async embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<EmbeddingResult> {
    return (await this.inner()).embed(texts, options);
  }

  async countTokens(text: string): Promise<number> {
    return (await this.inner()).countTokens(text);
  }

  async health(options?: { signal?: AbortSignal }): Promise<ModelHealth> {
    let inner: RemoteModelProvider;
    try {
      inner = await this.inner();
    } catch (error) {
      // As RemoteModelProvider reports its own failures: a status, not a throw.
      const cause = error instanceof CoreError ? error.details?.cause : undefined;
      return { status: 'failed', detail: error instanceof CoreError ? `${error.code}: ${typeof cause === 'string' ? cause : error.message}` : 'unexpected failure' };
    }
    return inner.health(options);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const inner = await this.connected?.catch(() => undefined);
    await inner?.dispose();
  }

  private inner(): Promise<RemoteModelProvider> {
    if (this.disposed) return Promise.reject(new CoreError('ERR_MODEL_UNAVAILABLE', `Model ${this.id} was reconfigured or removed.`, { details: { model: this.id, cause: 'provider_disposed' } }));
    // A failed connect (the keychain was locked, say) is tried again at the next call.
    this.connected ??= this.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }
}
