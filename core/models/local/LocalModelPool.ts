import { totalmem } from 'node:os';
import * as nodeLlamaCpp from 'node-llama-cpp';
import { GgufInsights, LlamaLogLevel, getLlama, readGgufFileInfo } from 'node-llama-cpp';
import type { ChatWrapper, GbnfJsonSchema, Llama, LlamaEmbeddingContext, LlamaGrammar, LlamaModel } from 'node-llama-cpp';
import { CoreError, isCoreError, silentLogger, systemClock } from '../../base/index.ts';
import type { Clock, Logger } from '../../base/index.ts';
import { localModelDefaults } from '../../contracts/index.ts';
import { chatWrapperFor } from './chatTemplate.ts';
import { ChecksumVerifier, statModelFile } from './ChecksumVerifier.ts';
import { tightenNumberRules } from './grammarSchema.ts';
import { SequencePool } from './SequencePool.ts';

/**
 * Threads per context when neither the model nor the pool says otherwise. Measured with
 * bench/models.bench.ts on the 2-core build machines (287 MB F32 model): 1 thread generated
 * 81–84 tokens/s through LocalModelProvider; 2 threads 52 on a quiet machine and 10–30 while other
 * work ran (they contend with Node's own threads and everything else on two cores). 2 threads
 * would roughly double prompt processing, but node-llama-cpp sets one count for both, and
 * generation dominates a step. Override per model on bigger machines.
 */
export const DEFAULT_LOCAL_THREADS: number = localModelDefaults.threads;
const DEFAULT_CONTEXT_SIZE: number = localModelDefaults.contextSize;
const DEFAULT_SEQUENCES = 2;

/**
 * Architectures this node-llama-cpp build knows. Its typings declare `GgufArchitectureType` as an
 * ambient const enum, which `verbatimModuleSyntax` cannot read, but the module exports it as a
 * plain object at run time; hence the cast.
 */
function knownArchitectures(): Set<string> {
  const values = (nodeLlamaCpp as unknown as Record<string, Record<string, string> | undefined>).GgufArchitectureType;
  return new Set(Object.values(values ?? {}));
}

function sortedSpec(spec: LocalModelSpec): [string, unknown][] {
  return Object.entries(spec)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
}

/** One local model as its manifest describes it. */
export interface LocalModelSpec {
  id: string;
  /** Absolute path of the GGUF file. */
  path: string;
  /** Hex SHA-256 from the manifest; verified before the first load when given. */
  sha256?: string;
  /** Tokens per sequence. Default 4096, capped at the model's trained context. */
  contextSize?: number;
  /** Sequences (concurrent generations, each keeping its own prefix cache). Default 2. */
  sequences?: number;
  /** Threads used to evaluate; default DEFAULT_LOCAL_THREADS or the pool's. */
  threads?: number;
  /** Prompt tokens evaluated per batch. Default node-llama-cpp's (512). */
  batchSize?: number;
  /** A Jinja chat template used instead of the one the GGUF embeds. */
  chatTemplate?: string;
}

export interface LocalModelPoolOptions {
  /** Bytes of RAM loaded models may use (weights + context estimate). Default half of RAM. */
  memoryBudgetBytes?: number;
  threads?: number;
  checksums?: ChecksumVerifier;
  clock?: Clock;
  logger?: Logger;
}

/** A model loaded into memory with its context, sequences and chat format. */
export interface LoadedModel {
  readonly spec: LocalModelSpec;
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly chatWrapper: ChatWrapper;
  readonly sequences: SequencePool;
  readonly threads: number;
  embeddingContext(): Promise<LlamaEmbeddingContext>;
  grammarFor(schema: GbnfJsonSchema): Promise<LlamaGrammar>;
}

/** A loaded model pinned against unloading until `release()`. */
export interface ModelLease {
  readonly loaded: LoadedModel;
  release(): void;
}

interface Entry {
  loaded: LoadedModel;
  bytes: number;
  leases: number;
  lastUsed: number;
  /** Replaced by a changed spec while in use: disposed when its last lease is released. */
  retired?: boolean;
  dispose(): Promise<void>;
}

export interface LocalModelPoolStats {
  budgetBytes: number;
  usedBytes: number;
  loads: number;
  unloads: number;
  models: { id: string; bytes: number; inUse: boolean; lastUsed: number }[];
}

/**
 * Loads local models lazily, keeps them while they fit a memory budget and unloads the least
 * recently used idle one to make room. A model is checksum-verified and its architecture checked
 * before its first load, so every failure is a typed error naming the model.
 */
export class LocalModelPool {
  private readonly specs = new Map<string, LocalModelSpec>();
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly budget: number;
  private readonly defaultThreads: number;
  private readonly checksums: ChecksumVerifier;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private llamaPromise: Promise<Llama> | undefined;
  private loadChain: Promise<unknown> = Promise.resolve();
  private readonly retiredEntries = new Set<Entry>();
  private disposed = false;
  private loads = 0;
  private unloads = 0;

  constructor(options: LocalModelPoolOptions = {}) {
    this.budget = options.memoryBudgetBytes ?? Math.floor(totalmem() / 2);
    this.defaultThreads = options.threads ?? DEFAULT_LOCAL_THREADS;
    this.checksums = options.checksums ?? new ChecksumVerifier();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
  }

  /**
   * Adds or updates a model. When the spec of a loaded model changes (a new file, checksum,
   * context size, …), the loaded copy is retired: new requests load the new spec, requests in
   * flight finish on the old one, which is then disposed.
   */
  register(spec: LocalModelSpec): void {
    const previous = this.specs.get(spec.id);
    this.specs.set(spec.id, { ...spec });
    if (previous !== undefined && JSON.stringify(sortedSpec(previous)) !== JSON.stringify(sortedSpec(spec))) this.retire(spec.id);
  }

  has(id: string): boolean {
    return this.specs.has(id);
  }

  spec(id: string): LocalModelSpec {
    const spec = this.specs.get(id);
    if (spec === undefined) {
      throw new CoreError('ERR_MODEL_NOT_FOUND', `No local model ${id} is configured.`, { details: { model: id, cause: 'not registered' } });
    }
    return spec;
  }

  /** Loads the model if needed and pins it until the lease is released. */
  async acquire(id: string): Promise<ModelLease> {
    if (this.disposed) throw new CoreError('ERR_MODEL_UNAVAILABLE', 'The model pool is shut down.', { details: { model: id, cause: 'disposed' } });
    let entry = this.entries.get(id);
    if (entry === undefined) {
      let pending = this.loading.get(id);
      if (pending === undefined) {
        const spec = this.spec(id);
        // Loads run one at a time so two of them cannot both fit the budget on paper.
        pending = this.loadChain.then(() => this.load(spec)).finally(() => this.loading.delete(id));
        this.loadChain = pending.catch(() => undefined);
        this.loading.set(id, pending);
      }
      entry = await pending;
    }
    entry.leases++;
    entry.lastUsed = this.clock.monotonic();
    let released = false;
    const held = entry;
    return {
      loaded: entry.loaded,
      release: () => {
        if (released) return;
        released = true;
        held.leases--;
        held.lastUsed = this.clock.monotonic();
        if (held.retired === true && held.leases === 0) this.disposeRetired(held);
      },
    };
  }

  /** Loaded models plus retired ones still finishing requests. */
  private usedBytes(): number {
    return [...this.entries.values(), ...this.retiredEntries].reduce((sum, entry) => sum + entry.bytes, 0);
  }

  private retire(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.unloads++;
    entry.retired = true;
    this.retiredEntries.add(entry);
    if (entry.leases === 0) this.disposeRetired(entry);
  }

  private disposeRetired(entry: Entry): void {
    this.retiredEntries.delete(entry);
    entry.dispose().catch((error: unknown) => this.logger.warn({ model: entry.loaded.spec.id, err: error }, 'retired local model failed to dispose'));
  }

  /**
   * Takes a model out of service: the next request loads it again, checksum and all, while
   * requests already holding it finish on the copy in memory, which is then disposed.
   */
  evict(id: string): void {
    this.retire(id);
  }

  /** Unloads a model now if it is idle; returns whether it was unloaded. */
  async unload(id: string): Promise<boolean> {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.leases > 0) return false;
    this.entries.delete(id);
    this.unloads++;
    await entry.dispose();
    this.logger.info({ model: id }, 'local model unloaded');
    return true;
  }

  stats(): LocalModelPoolStats {
    const models = [...this.entries].map(([id, entry]) => ({ id, bytes: entry.bytes, inUse: entry.leases > 0, lastUsed: entry.lastUsed }));
    return { budgetBytes: this.budget, usedBytes: this.usedBytes(), loads: this.loads, unloads: this.unloads, models };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.allSettled([...this.loading.values()]);
    for (const [id, entry] of [...this.entries]) {
      this.entries.delete(id);
      await entry.dispose();
    }
    for (const entry of [...this.retiredEntries]) {
      this.retiredEntries.delete(entry);
      await entry.dispose();
    }
    this.grammars.clear();
    if (this.llamaPromise !== undefined) await (await this.llamaPromise).dispose();
  }

  private llama(): Promise<Llama> {
    // build: 'never' loads the registry prebuilds (@node-llama-cpp/<platform>) without the
    // package's postinstall, which npm 11 skips (TOOLCHAIN.md), or an addon built for this CPU by
    // scripts/build-llama-addon.sh, which node-llama-cpp prefers when there is one (the log line
    // below says which). maxThreads 0 makes each context's `threads` the exact count rather than
    // a hint shared across contexts.
    this.llamaPromise ??= getLlama({
      build: 'never',
      gpu: false,
      maxThreads: 0,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trim();
        if (text === '') return;
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) this.logger.warn({ llama: text }, 'llama.cpp');
        else this.logger.debug({ llama: text }, 'llama.cpp');
      },
    }).then((llama) => {
      this.logger.info({ binding: llama.buildType, release: llama.llamaCppRelease.release }, 'llama.cpp binding loaded');
      return llama;
    });
    return this.llamaPromise;
  }

  private async load(spec: LocalModelSpec): Promise<Entry> {
    const cause = (text: string): Record<string, unknown> => ({ model: spec.id, cause: text });
    await statModelFile(spec.id, spec.path);
    if (spec.sha256 !== undefined) await this.checksums.verify(spec.id, spec.path, spec.sha256);

    let fileInfo: Awaited<ReturnType<typeof readGgufFileInfo>>;
    try {
      fileInfo = await readGgufFileInfo(spec.path, { readTensorInfo: true, logWarnings: false });
    } catch (error) {
      throw new CoreError('ERR_MODEL_UNSUPPORTED', `The file of model ${spec.id} is not a readable GGUF model.`, { details: cause('not a GGUF file'), cause: error });
    }
    const architecture = String(fileInfo.metadata.general.architecture);
    if (!knownArchitectures().has(architecture)) {
      throw new CoreError('ERR_MODEL_UNSUPPORTED', `Model ${spec.id} has architecture ${architecture}, which this llama.cpp build does not support.`, {
        details: { ...cause('unsupported architecture'), architecture },
      });
    }

    const llama = await this.llama();
    const trainContext = fileInfo.architectureMetadata.context_length ?? DEFAULT_CONTEXT_SIZE;
    const contextSize = Math.min(spec.contextSize ?? DEFAULT_CONTEXT_SIZE, trainContext);
    const sequences = spec.sequences ?? DEFAULT_SEQUENCES;
    const insights = await GgufInsights.from(fileInfo, llama);
    const bytes =
      insights.estimateModelResourceRequirements({ gpuLayers: 0 }).cpuRam +
      insights.estimateContextResourceRequirements({ contextSize, modelGpuLayers: 0, sequences }).cpuRam;
    await this.makeRoom(spec.id, bytes);

    const threads = spec.threads ?? this.defaultThreads;
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: spec.path, gpuLayers: 0 });
    } catch (error) {
      throw new CoreError('ERR_MODEL_UNSUPPORTED', `llama.cpp could not load model ${spec.id}.`, { details: { ...cause('load failed'), architecture }, cause: error });
    }
    try {
      const chatWrapper = chatWrapperFor(spec.id, model, spec.chatTemplate);
      const context = await model.createContext({
        contextSize,
        sequences,
        threads,
        ...(spec.batchSize === undefined ? {} : { batchSize: spec.batchSize }),
        ignoreMemorySafetyChecks: true, // the pool's own budget decides
      });
      const sequencePool = new SequencePool(Array.from({ length: sequences }, () => context.getSequence()));
      let embedding: Promise<LlamaEmbeddingContext> | undefined;
      const loaded: LoadedModel = {
        spec,
        llama,
        model,
        chatWrapper,
        sequences: sequencePool,
        threads,
        embeddingContext: () => (embedding ??= model.createEmbeddingContext({ contextSize: Math.min(contextSize, 2048), threads })),
        grammarFor: (schema) => this.grammarFor(llama, schema, spec.id),
      };
      this.loads++;
      this.logger.info({ model: spec.id, bytes, threads, contextSize, sequences }, 'local model loaded');
      const entry: Entry = {
        loaded,
        bytes,
        leases: 0,
        lastUsed: this.clock.monotonic(),
        dispose: async () => {
          sequencePool.close();
          if (embedding !== undefined) await (await embedding.catch(() => undefined))?.dispose();
          await context.dispose();
          await model.dispose();
        },
      };
      this.entries.set(spec.id, entry);
      return entry;
    } catch (error) {
      await model.dispose();
      if (isCoreError(error)) throw error;
      throw new CoreError('ERR_MODEL_UNAVAILABLE', `Model ${spec.id} loaded but its context could not be created.`, { details: cause('context creation failed'), cause: error });
    }
  }

  /** Unloads idle models, least recently used first, until `bytes` more fit the budget. */
  private async makeRoom(id: string, bytes: number): Promise<void> {
    if (bytes > this.budget) {
      throw new CoreError('ERR_MODEL_UNAVAILABLE', `Model ${id} needs more memory than the local model budget allows.`, {
        details: { model: id, cause: 'larger than the memory budget', neededBytes: bytes, budgetBytes: this.budget },
      });
    }
    const used = (): number => this.usedBytes();
    while (used() + bytes > this.budget) {
      const idle = [...this.entries].filter(([, entry]) => entry.leases === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
      const victim = idle[0];
      if (victim === undefined) {
        throw new CoreError('ERR_MODEL_UNAVAILABLE', `Model ${id} does not fit the memory budget while other models are in use.`, {
          details: { model: id, cause: 'memory budget taken by models in use', neededBytes: bytes, budgetBytes: this.budget },
        });
      }
      await this.unload(victim[0]);
    }
  }

  private grammarFor(llama: Llama, schema: GbnfJsonSchema, modelId: string): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (grammar === undefined) {
      grammar = (async () => {
        try {
          const json = await llama.createGrammarForJsonSchema(schema as Parameters<Llama['createGrammarForJsonSchema']>[0]);
          return await llama.createGrammar({
            grammar: tightenNumberRules(json.grammar),
            stopGenerationTriggers: json.stopGenerationTriggers,
            trimWhitespaceSuffix: json.trimWhitespaceSuffix,
          });
        } catch (error) {
          throw new CoreError('ERR_MODEL_UNSUPPORTED', `The output schema cannot be turned into a grammar for model ${modelId}.`, {
            details: { model: modelId, cause: 'grammar could not be built' },
            cause: error,
          });
        }
      })();
      this.grammars.set(key, grammar);
      grammar.catch(() => this.grammars.delete(key));
    }
    return grammar;
  }
}
