import type { RunMode } from './contracts/index.ts';
import { DisposableStore, EventBus, silentLogger, systemClock } from './base/index.ts';
import type { Clock, Logger } from './base/index.ts';
import type { KeyLimits } from './crypto/index.ts';
import { createRouter, SessionRegistry, systemHandlers } from './api/index.ts';
import type { AuditHook, HealthCheck, MethodHandlers, Router } from './api/index.ts';
import { auditHandlers, AuditLog, AuditRetention, AuditService } from './audit/index.ts';
import { CoreError } from './base/index.ts';
import { auditMethods, draftMethods, identityMethods, modelMethods, toolMethods, tracingMethods, workflowMethods } from './contracts/index.ts';
import { draftHandlers, DraftService } from './drafts/index.ts';
import { ModelRegistry, modelHandlers, readShippedManifests } from './models/index.ts';
import type { ModelProvider, ModelRegistryOptions } from './models/index.ts';
import { ApprovalPolicies, auditToolCalls, budgets, cacheSeam, guardrailSeam, lexicalRetriever, timeoutsAndRetries, WorkflowCatalog, WorkflowEngine, workflowHandlers, WorkflowService } from './workflows/index.ts';
import type { GuardrailPolicies, RunRecord, StepCache, StepMiddleware, Tool, ToolRegistry } from './workflows/index.ts';
import { createCalculatorTool, createCustomerLookupTool, createDateMathTool, defaultCustomerTableFile, ToolConfig, toolHandlers } from './workflows/tools/index.ts';
import type { ToolConfigOptions } from './workflows/tools/index.ts';
import { firstResolver, IdentityAdmin, identityHandlers, IdentityService, IdentityStore } from './identity/index.ts';
import { MemorySecretStore, resolveSecretStore } from './secrets/index.ts';
import type { SecretStore } from './secrets/index.ts';
import { durableTransaction, openStorage } from './storage/index.ts';
import { createRunTracer, OtlpPusher, TraceRecorder, tracingHandlers, TracingService, TraceStore } from './tracing/index.ts';
import type { RecorderOptions } from './tracing/index.ts';
import type { AccountScope, Storage } from './storage/index.ts';

export interface CoreConfig {
  /** The model for a workflow step (the model registry provides it; tests inject one). */
  models?: (modelId: string | null, accountId: string, classification?: 'public' | 'internal' | 'confidential' | 'restricted') => ModelProvider;
  /** Where the shipped model manifests are read from (default: models/). */
  shippedModelsDir?: string;
  /** Local thread count, memory budget and remote endpoint options of the model registry. */
  modelRegistry?: Pick<ModelRegistryOptions, 'threads' | 'memoryBudgetBytes' | 'remote'>;
  /**
   * Tools for workflow steps, allow-listed per account; overrides everything. Default: the
   * read-only built-ins for every account plus the configured MCP servers' tools each account's
   * allow-list names (`tools.*` API).
   */
  tools?: ToolRegistry;
  /** Timeouts and reconnect backoff of the configured MCP servers (tests shorten them). */
  mcp?: ToolConfigOptions['mcp'];
  /** JSON files holding the customer table `customer_lookup` reads (default: the synthetic sample). */
  customerTables?: readonly string[];
  /** Extra step middleware, outermost first, inside tracing and before the cache seam. */
  workflowMiddleware?: readonly StepMiddleware[];
  /** What fills the cache and guardrail seams of the step chain (none yet: they pass through). */
  stepCache?: StepCache;
  guardrails?: GuardrailPolicies;
  /** Trace every run (default true); the recorder's batching can be tuned (tests, benchmarks). */
  tracing?: boolean | Pick<RecorderOptions, 'batchSize' | 'flushIntervalMs'>;
  /**
   * Resume runs interrupted by a crash or shutdown — at start, then every `recoverEveryMs` (default
   * 30 s) for runs whose process died or fell silent since. Default: on in the long-lived hosts
   * (desktop, serve), off in the CLI (a short command must not take over runs it then abandons)
   * and in tests.
   */
  resumeInterruptedRuns?: boolean;
  recoverEveryMs?: number;
  /** Run ownership between processes (see WorkflowEngine); tests shorten it. */
  runLease?: { refreshMs?: number; staleMs?: number };
  /** Data-key limits (tests make rotation happen after a few encryptions). */
  keyLimits?: Partial<KeyLimits>;
  /** Where the shipped workflows are read from (default: resources/workflows). */
  shippedWorkflowsDir?: string;
  dataDir: string;
  mode: RunMode;
  logger?: Logger;
  clock?: Clock;
  audit?: AuditHook;
  /** How often `system.heartbeat` is published; 0 disables it. */
  heartbeatMs?: number;
  /**
   * Where the master key lives. Default: STRONGROOM_MASTER_KEY if set (with a warning), else the
   * OS keychain — except `mode: 'test'`, which defaults to an in-memory store.
   */
  secrets?: SecretStore;
  /**
   * Open the encrypted database in `dataDir` (default true). The first start in an empty data
   * directory creates it, the master key, a default account and the local administrator. Only
   * commands that never touch data (`strongroom info`) pass false.
   */
  storage?: boolean;
  /** Create a new installation even where the data directory shows its database went missing (`strongroom init` only; see core/storage/marker.ts). */
  replaceMissingDatabase?: boolean;
  /** Audit checkpoints: every this many entries (default 1,000) or this often while entries arrive (default 15 min). */
  auditCheckpoints?: { every?: number; intervalMs?: number };
}

export interface Core {
  readonly config: CoreConfig;
  readonly router: Router;
  readonly events: EventBus;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
  /** The open database and key ring; null only when created with `storage: false`. */
  readonly storage: Storage | null;
  /** Sign-in, sessions and principals; null only when created with `storage: false`. */
  readonly identity: IdentityService | null;
  readonly audit: AuditLog | null;
  /** Search, verification, exports and retention of the audit log; null only when created with `storage: false`. */
  readonly auditService: AuditService | null;
  /** Workflows and runs; null only when created with `storage: false`. */
  readonly workflows: WorkflowService | null;
  /** Models: shipped manifests and installation-added ones; null only when created with `storage: false`. */
  readonly models: ModelRegistry | null;
  /** Traces and feedback; null only when created with `storage: false`. */
  readonly tracing: TracingService | null;
  /** The span recorder; null when storage is off or tracing is disabled. */
  readonly traceRecorder: TraceRecorder | null;
  /** The drafting workspace; null only when created with `storage: false`. */
  readonly drafts: DraftService | null;
  dispose(): Promise<void>;
}

/**
 * The composition root: builds storage → repositories → services → router by hand, in one place.
 * Every host (Electron's core process, serve mode, the CLI, tests) starts here.
 */
export async function createCore(config: CoreConfig): Promise<Core> {
  const disposables = new DisposableStore();
  const clock = config.clock ?? systemClock;
  const logger = config.logger ?? silentLogger();
  const events = new EventBus();
  const sessions = new SessionRegistry(() => clock.now());
  const startedAt = clock.now();
  const healthChecks: HealthCheck[] = [{ name: 'core', check: () => ({ status: 'ok' }) }];

  let storage: Storage | null = null;
  let identity: IdentityService | null = null;
  let auditLog: AuditLog | null = null;
  let auditService: AuditService | null = null;
  let workflows: WorkflowService | null = null;
  let models: ModelRegistry | null = null;
  let tracing: TracingService | null = null;
  let traceRecorder: TraceRecorder | null = null;
  let drafts: DraftService | null = null;
  type AreaMethod = keyof typeof identityMethods | keyof typeof auditMethods | keyof typeof workflowMethods | keyof typeof modelMethods | keyof typeof toolMethods | keyof typeof tracingMethods | keyof typeof draftMethods;
  let areaHandlers: Pick<MethodHandlers, AreaMethod>;
  if (config.storage !== false) {
    const secrets = config.secrets ?? (config.mode === 'test' ? new MemorySecretStore() : resolveSecretStore({ logger }));
    storage = disposables.add(await openStorage({ dataDir: config.dataDir, secrets, clock, logger, ...(config.keyLimits ? { keyLimits: config.keyLimits } : {}), ...(config.replaceMissingDatabase ? { replaceMissingDatabase: true } : {}) }));
    const opened = storage;
    healthChecks.push({ name: 'storage', check: () => opened.health() });
    const checkpoints = config.auditCheckpoints ?? {};
    const auditTrail = new AuditLog({ storage, clock, logger, ...(checkpoints.every ? { checkpointEvery: checkpoints.every } : {}), ...(checkpoints.intervalMs ? { checkpointIntervalMs: checkpoints.intervalMs } : {}) });
    auditLog = auditTrail;
    // Keys Strongroom makes on its own (an account's first, a rotation at the encryption limit) are
    // recorded in the transaction that makes them, like those an operator rotates.
    storage.keys.onAutomaticRotation = (rotation) => {
      auditTrail.append({ action: 'keys.rotate', outcome: 'success', actor: null, accountId: rotation.accountId, resource: `account:${rotation.accountId}`, details: { key: 'data', automatic: true, reason: rotation.reason, keyId: rotation.keyId, version: rotation.keyVersion, previousKeyId: rotation.previousKeyId, previousVersion: rotation.previousKeyVersion } });
    };
    recordFirstRun(storage, auditTrail);
    const identityStore = new IdentityStore(storage.db);
    identity = new IdentityService({ storage, store: identityStore, audit: auditLog, secrets, clock, events, logger });
    const admin = new IdentityAdmin({ storage, store: identityStore, audit: auditLog, secrets, clock, identity });
    const retention = new AuditRetention(auditLog, clock);
    auditService = new AuditService({ log: auditLog, retention, clock, displayName: (userId) => displayNameOf(identityStore, userId) });
    const registry = new ModelRegistry({
      storage,
      audit: auditLog,
      secrets,
      shippedManifests: readShippedManifests(config.shippedModelsDir),
      clock,
      logger,
      ...config.modelRegistry,
    });
    models = registry;
    disposables.defer(() => registry.dispose());
    const toolConfig = new ToolConfig({ storage, audit: auditLog, secrets, builtins: builtinTools(config.customerTables), clock, logger, ...(config.mcp === undefined ? {} : { mcp: config.mcp }), ...(config.tools === undefined ? {} : { override: config.tools }) });
    disposables.defer(() => toolConfig.dispose());
    const pusher = new OtlpPusher({ db: storage.db, logger, installationId: storage.installationId, secrets, clock });
    const recorder = new TraceRecorder({ storage, logger, events, ...(typeof config.tracing === 'object' ? config.tracing : {}), onWritten: ({ spans }) => pusher.written(spans) });
    // Disposed after the engine (disposables run in reverse): the spans of the runs it stops are written.
    disposables.defer(async () => {
      recorder.dispose();
      await pusher.idle();
    });
    if (config.tracing !== false) traceRecorder = recorder;
    tracing = new TracingService({ storage, recorder, pusher, audit: auditLog, clock, events, legalHold: (accountId) => retention.policy(accountId).legalHold, testModels: () => registry.testModelIds(), displayName: (userId) => displayNameOf(identityStore, userId), logger });
    const catalog = new WorkflowCatalog(config.shippedWorkflowsDir);
    const approvalPolicies = new ApprovalPolicies(storage.db);
    // The registry refuses models the account may not use; config.models (tests) overrides it.
    const resolveModel = config.models ?? ((modelId: string | null, accountId: string, classification?: 'public' | 'internal' | 'confidential' | 'restricted') => registry.resolve(modelId, accountId, classification));
    const engine = new WorkflowEngine({
      clock,
      logger,
      events,
      models: resolveModel,
      tools: config.tools ?? toolConfig.registry,
      workflows: (id, accountId, version) => catalog.get(opened.scopeFor({ accountId }), id, version),
      retain: (accountId, id, version) => catalog.retain(opened.scopeFor({ accountId }), id, version, clock.now()),
      ...(config.runLease ? { lease: config.runLease } : {}),
      approvalPolicy: (accountId) => approvalPolicies.get(accountId),
      retriever: lexicalRetriever,
      // The chain around every step, outermost first (the tracer's link wraps it all).
      middleware: [
        ...(config.workflowMiddleware ?? []),
        cacheSeam(config.stepCache),
        guardrailSeam(config.guardrails),
        budgets(),
        timeoutsAndRetries({ defaultTimeoutMs: 10 * 60_000 }),
        auditToolCalls((entry) => auditTrail.append(entry)),
      ],
      ...(config.tracing === false ? {} : { tracer: createRunTracer(recorder, undefined, () => clock.now()) }),
    });
    disposables.defer(() => engine.dispose());
    const modelOf = (scope: AccountScope, run: RunRecord) => {
      if (run.modelId === null) recorder.flush(); // the trace learns its model from the first model span
      const modelId = run.modelId ?? new TraceStore(scope).summary(run.traceId)?.modelId ?? null;
      return { modelId, testModel: modelId !== null && registry.isTestModel(modelId) };
    };
    // What an account's definitions may name (checked at import and validate): its tools, and —
    // unless a test stands in its own models — the models the registry lets it use.
    const references = (accountId: string) => ({
      tool: (name: string) => toolConfig.mayUse(accountId, name),
      ...(config.models ? {} : { model: (id: string) => registry.mayUse(accountId, id) }),
    });
    workflows = new WorkflowService({ storage, catalog, engine, audit: auditLog, clock, policies: approvalPolicies, modelOf, references, displayName: (userId) => displayNameOf(identityStore, userId) });
    const draftService = new DraftService({ storage, catalog, engine, audit: auditLog, clock, events, logger, models: resolveModel, isTestModel: (id) => registry.isTestModel(id), recorder: traceRecorder, displayName: (userId) => displayNameOf(identityStore, userId) });
    drafts = draftService;
    disposables.defer(() => draftService.dispose());
    areaHandlers = { ...identityHandlers(identity, admin), ...auditHandlers(auditService), ...workflowHandlers(workflows), ...modelHandlers(registry, events), ...toolHandlers(toolConfig), ...tracingHandlers(tracing), ...draftHandlers(draftService) };
    // Sign a checkpoint over entries that arrived since the last one once the interval has passed,
    // so a quiet log is sealed too (busy logs are sealed every N entries by append itself).
    const log = auditLog;
    // Trace retention: a minute after start (not in the way of startup), then every six hours.
    const tracingService = tracing;
    const applyRetention = (): void => {
      try {
        for (const done of tracingService.applyRetention()) {
          if (done.traces > 0 || done.legalHold) logger.info({ accountId: done.accountId, traces: done.traces, spans: done.spans, legalHold: done.legalHold }, 'trace retention applied');
        }
      } catch (error) {
        logger.error({ code: error instanceof CoreError ? error.code : error instanceof Error ? error.name : 'unknown' }, 'trace retention failed');
      }
    };
    const firstRetention = setTimeout(applyRetention, 60_000);
    firstRetention.unref();
    const retentionTimer = setInterval(applyRetention, 6 * 3_600_000);
    retentionTimer.unref();
    disposables.defer(() => {
      clearTimeout(firstRetention);
      clearInterval(retentionTimer);
    });
    const timer = setInterval(() => {
      try {
        log.checkpointIfDue();
      } catch (error) {
        logger.error({ code: error instanceof Error ? error.name : 'unknown' }, 'audit checkpoint failed');
      }
    }, Math.min(60_000, checkpoints.intervalMs ?? 60_000));
    timer.unref();
    disposables.defer(() => clearInterval(timer));
  } else {
    areaHandlers = unavailable([...Object.keys(identityMethods), ...Object.keys(auditMethods), ...Object.keys(workflowMethods), ...Object.keys(modelMethods), ...Object.keys(toolMethods), ...Object.keys(tracingMethods), ...Object.keys(draftMethods)] as AreaMethod[]);
  }

  const handlers: MethodHandlers = {
    ...systemHandlers({ mode: config.mode, dataDir: config.dataDir, clock, startedAt, healthChecks }),
    ...areaHandlers,
  };
  const audit: AuditHook | undefined = config.audit ?? (auditLog ? deniedCallsTo(auditLog) : undefined);
  const resolver = identity ? firstResolver(sessions, identity) : sessions;
  const router = createRouter({ handlers, sessions: resolver, logger, ...(audit ? { audit } : {}) });

  if (workflows && (config.resumeInterruptedRuns ?? (config.mode === 'desktop' || config.mode === 'serve'))) {
    const service = workflows;
    const recover = (): void => {
      try {
        const resumed = service.recoverAll();
        if (resumed > 0) logger.info({ resumed }, 'resumed interrupted runs');
      } catch (error) {
        logger.error({ code: error instanceof Error ? error.name : 'unknown' }, 'resuming interrupted runs failed');
      }
    };
    recover();
    const timer = setInterval(recover, config.recoverEveryMs ?? 30_000);
    timer.unref();
    disposables.defer(() => clearInterval(timer));
  }

  const heartbeatMs = config.heartbeatMs ?? 15_000;
  if (heartbeatMs > 0) {
    const beat = (): void => {
      events.publish('system.heartbeat', { at: new Date(clock.now()).toISOString(), uptimeMs: Math.max(0, Math.round(clock.now() - startedAt)) });
    };
    beat();
    const timer = setInterval(beat, heartbeatMs);
    timer.unref();
    disposables.defer(() => clearInterval(timer));
  }

  return {
    config,
    router,
    events,
    sessions,
    logger,
    storage,
    identity,
    audit: auditLog,
    auditService,
    workflows,
    models,
    tracing,
    traceRecorder,
    drafts,
    dispose: () => disposables.dispose(),
  };
}

/**
 * The built-in tools: customer lookup (over the configured tables), calculator and date
 * arithmetic. All are read-only, so every account may use them; MCP sources join per account.
 */
function builtinTools(customerTables: readonly string[] | undefined): Tool[] {
  return [createCustomerLookupTool({ files: customerTables ?? [defaultCustomerTableFile] }), createCalculatorTool(), createDateMathTool()];
}

/** How the audit log names a user: the IdP's display name, or what the local administrator is. */
function displayNameOf(store: IdentityStore, userId: string): string | undefined {
  const user = store.userById(userId);
  if (!user) return undefined;
  return user.displayName || (user.kind === 'local-admin' ? 'Local administrator' : undefined);
}

/** Handlers for methods that need storage, in a core opened without it (`strongroom info`). */
function unavailable<M extends keyof MethodHandlers>(methods: readonly M[]): Pick<MethodHandlers, M> {
  const fail = () => {
    throw new CoreError('ERR_STORAGE_UNAVAILABLE', 'This command runs without the database; this method needs it.');
  };
  return Object.fromEntries(methods.map((method) => [method, fail])) as unknown as Pick<MethodHandlers, M>;
}

/**
 * Denied calls go to the audit log from the router (there is no change to attach them to);
 * successful changes are audited by their services inside the change's own transaction.
 */
/**
 * What a first run made before the audit log existed — the installation, the default account and
 * its first data key, the local administrator — recorded as the log's first entries, so the
 * trail starts where the installation does. Once: only when openStorage made them just now.
 */
function recordFirstRun(storage: Storage, auditLog: AuditLog): void {
  const made = storage.firstRun;
  if (!made.database && !made.defaultAccount && !made.administrator) return;
  const account = made.defaultAccount ? storage.accounts.list()[0] : undefined;
  const administrator = made.administrator ? new IdentityStore(storage.db).localAdministrator() : undefined;
  durableTransaction(storage.db, () => {
    if (made.database) auditLog.append({ action: 'installation.init', outcome: 'success', actor: null, accountId: null, details: { installationId: storage.installationId, masterKeyCreated: made.masterKey, secretStore: storage.secrets.backend, ...(made.replacedInstallationId === undefined ? {} : { replacedInstallationId: made.replacedInstallationId }) } });
    if (account) {
      auditLog.append({ action: 'account.create', outcome: 'success', actor: null, accountId: account.id, resource: `account:${account.id}`, details: { name: account.name, automatic: true } });
      for (const key of storage.keys.describeKeys().filter((k) => k.accountId === account.id)) {
        auditLog.append({ action: 'keys.rotate', outcome: 'success', actor: null, accountId: account.id, resource: `account:${account.id}`, details: { key: 'data', automatic: true, reason: 'first key', keyId: key.keyId, version: key.version, previousKeyId: null, previousVersion: null } });
      }
    }
    if (administrator) auditLog.append({ action: 'identity.localAdministrator.create', outcome: 'success', actor: null, accountId: null, resource: `user:${administrator.id}`, details: { passphraseSet: false } });
  });
}

/**
 * What the router reports that no service records itself: refusals — with the resource asked for
 * when the refusing handler named it (an id not in the caller's account: `run:<id>`…; the entry
 * stays in the caller's account, where its compliance and the installation administrators see
 * it) — and stored content found altered (ERR_STORAGE_TAMPERED, from any method — a failure,
 * with the table, row and column). Successful changes are recorded by their services, in the
 * change's own transaction.
 */
function deniedCallsTo(auditLog: AuditLog): AuditHook {
  return {
    record(record) {
      if (record.outcome !== 'denied' && record.tampered === undefined) return;
      const actor = record.principal ? { userId: record.principal.userId, accountId: record.principal.accountId, roles: record.principal.roles } : null;
      durableTransaction(auditLog.storage.db, () => auditLog.append(record.tampered
        ? { action: record.method, outcome: 'failure', actor, requestId: record.requestId, details: { transport: record.transport, code: 'ERR_STORAGE_TAMPERED', table: record.tampered.table, rowId: record.tampered.rowId, column: record.tampered.column } }
        : { action: record.method, outcome: 'denied', actor, requestId: record.requestId, resource: record.resource ?? null, details: { transport: record.transport, code: record.errorCode ?? null } }));
    },
  };
}
