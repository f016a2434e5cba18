import { CoreError } from '../base/index.ts';
import type { Clock } from '../base/index.ts';
import type { Principal } from '../api/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Storage, AccountScope } from '../storage/index.ts';
import type { WorkflowCatalog } from './catalog.ts';
import type { WorkflowEngine } from './engine.ts';
import type { ApprovalPolicies, ApprovalPolicy } from './approvalPolicy.ts';
import { RunStore } from './store.ts';
import type { RunRecord, StepRecord } from './store.ts';
import { checkReferences } from './validate.ts';
import type { DefinitionReferences } from './validate.ts';
import type { WorkflowDefinition } from '../contracts/index.ts';

const iso = (ms: number) => new Date(ms).toISOString();

function runSummary(run: RunRecord) {
  return {
    id: run.id,
    workflowId: run.workflowId,
    version: run.version,
    status: run.status,
    traceId: run.traceId,
    createdAt: iso(run.createdAt),
    updatedAt: iso(run.updatedAt),
    waitingOn: run.waitingOn,
    errorCode: run.errorCode,
    errorMessage: run.errorMessage,
    replayOf: run.replayOf,
  };
}

const policyView = (policy: ApprovalPolicy) => ({ accountId: policy.accountId, fourEyes: policy.fourEyes, updatedBy: policy.updatedBy, updatedAt: policy.updatedAt === null ? null : iso(policy.updatedAt) });

const stepView = (step: StepRecord) => ({ path: step.path, kind: step.kind, status: step.status, output: step.output, startedAt: iso(step.startedAt), finishedAt: step.finishedAt === null ? null : iso(step.finishedAt) });

/**
 * Workflows and runs for the API: the catalog, the engine, and an audit entry written in the
 * same transaction as each change. The account always comes from the principal.
 */
export class WorkflowService {
  private readonly storage: Storage;
  private readonly catalog: WorkflowCatalog;
  private readonly engine: WorkflowEngine;
  private readonly audit: AuditLog;
  private readonly clock: Clock;

  private readonly policies: ApprovalPolicies;
  /**
   * Which model wrote a run, and whether it is a generated test model: the run's own choice, else
   * the first model its trace used (tracing and the model registry know; wired by createCore).
   */
  private readonly modelOf: (scope: AccountScope, run: RunRecord) => { modelId: string | null; testModel: boolean };
  private readonly references: ((accountId: string) => DefinitionReferences) | undefined;
  /** A person's name by user id (the audit log's lookup, wired by createCore); undefined when unknown. */
  private readonly displayName: (userId: string) => string | undefined;

  constructor(options: { storage: Storage; catalog: WorkflowCatalog; engine: WorkflowEngine; audit: AuditLog; clock: Clock; policies: ApprovalPolicies; modelOf?: (scope: AccountScope, run: RunRecord) => { modelId: string | null; testModel: boolean }; references?: (accountId: string) => DefinitionReferences; displayName?: (userId: string) => string | undefined }) {
    this.displayName = options.displayName ?? (() => undefined);
    this.policies = options.policies;
    this.references = options.references;
    this.modelOf = options.modelOf ?? ((_scope, run) => ({ modelId: run.modelId, testModel: false }));
    this.storage = options.storage;
    this.catalog = options.catalog;
    this.engine = options.engine;
    this.audit = options.audit;
    this.clock = options.clock;
  }

  scope(principal: Principal): AccountScope {
    return this.storage.scopeFor(principal);
  }

  /** Runs `change` and its audit entry in one transaction (keys prepared before it opens). */
  private audited<T>(scope: AccountScope, principal: Principal, requestId: string, action: string, change: () => T, describe: (result: T) => { resource: string; details?: Record<string, string | number | boolean | null> }): T {
    return this.audit.recordChange({ scope, actor: principal, requestId, action }, change, describe);
  }

  list(principal: Principal) {
    const entries = this.catalog.entries(this.scope(principal));
    const ids = [...new Set(entries.map((e) => e.definition.id))];
    return ids.map((id) => {
      const versions = entries.filter((e) => e.definition.id === id);
      const latest = versions.at(-1)!;
      return {
        id,
        name: latest.definition.name,
        description: latest.definition.description ?? null,
        version: latest.version,
        source: latest.source,
        classification: latest.definition.classification,
        versions: versions.map((v) => ({ version: v.version, source: v.source, importedAt: v.importedAt === null ? null : iso(v.importedAt) })),
      };
    });
  }

  get(principal: Principal, workflowId: string, version?: string) {
    const entry = this.catalog.get(this.scope(principal), workflowId, version);
    if (!entry) throw CoreError.notInAccount('workflow', version ? `${workflowId}@${version}` : workflowId);
    return { version: entry.version, definition: entry.definition as unknown as Record<string, unknown> };
  }

  /** The tools and models the account's definitions may name; every name passes when none were wired. */
  private checkNames(scope: AccountScope, definition: WorkflowDefinition): void {
    const references = this.references?.(scope.accountId);
    const issues = references ? checkReferences(definition, references) : [];
    if (issues.length > 0) throw new CoreError('ERR_INPUT_INVALID', `Invalid workflow definition: ${issues[0]!.path}: ${issues[0]!.message}`, { details: { issues } });
  }

  validate(principal: Principal, text: string) {
    try {
      const scope = this.scope(principal);
      const compiled = this.catalog.validate(scope, text);
      this.checkNames(scope, compiled.definition);
      return { valid: true, id: compiled.definition.id, version: compiled.version, issues: [] };
    } catch (error) {
      if (error instanceof CoreError && error.code === 'ERR_INPUT_INVALID') return { valid: false, id: null, version: null, issues: (error.details?.issues as Array<{ path: string; message: string }> | undefined) ?? [] };
      throw error;
    }
  }

  import(principal: Principal, text: string, requestId: string) {
    const scope = this.scope(principal);
    this.checkNames(scope, this.catalog.validate(scope, text).definition);
    const { entry, created } = this.audited(scope, principal, requestId, 'workflows.import', () => this.catalog.import(scope, text, principal.userId, this.clock.now()), (r) => ({ resource: `workflow:${r.entry.definition.id}@${r.entry.version}`, details: { created: r.created } }));
    return { id: entry.definition.id, version: entry.version, created };
  }

  start(principal: Principal, workflowId: string, input: unknown, modelId: string | undefined, requestId: string) {
    const scope = this.scope(principal);
    // Another account's imported workflow is refused like one that exists nowhere, and the probe audited.
    if (!this.catalog.get(scope, workflowId)) throw CoreError.notInAccount('workflow', workflowId);
    const run = this.audited(scope, principal, requestId, 'runs.start', () => this.engine.create(scope, workflowId, input, { createdBy: principal.userId, modelId: modelId ?? null }), (r) => ({ resource: `run:${r.id}`, details: { workflowId, version: r.version } }));
    this.engine.launch(scope, run.id);
    return this.summary(run);
  }

  /** The run, if it is in the caller's account; else the one refusal for ids not there (audited as denied). */
  private existing(scope: AccountScope, runId: string): RunRecord {
    const run = new RunStore(scope).run(runId);
    if (!run) throw CoreError.notInAccount('run', runId);
    return run;
  }

  /** A run as lists show it, with whether a live process is executing it (else a running run was left behind). */
  private summary(run: RunRecord) {
    return { ...runSummary(run), executing: this.engine.isExecuting(run) };
  }

  listRuns(principal: Principal, options: { status?: RunRecord['status']; limit: number }) {
    return new RunStore(this.scope(principal)).listRuns(options).map((run) => this.summary(run));
  }

  getRun(principal: Principal, runId: string) {
    const scope = this.scope(principal);
    const run = this.existing(scope, runId);
    // In the order the steps started (the store orders them; a path does not say when a step ran).
    const store = new RunStore(scope);
    const steps = [...store.steps(runId).values()];
    // The caller's own working answers, and only to steps that still wait.
    const waiting = new Set(steps.filter((step) => step.status === 'waiting').map((step) => step.path));
    const workingAnswers = store.workingAnswers(runId, principal.userId).filter((kept) => waiting.has(kept.path)).map((kept) => ({ path: kept.path, answer: kept.answer, savedAt: iso(kept.savedAt) }));
    // Who started it and who answered its steps, by name where the audit log knows them.
    const mentioned = new Set([run.createdBy, ...steps.map((step) => (step.output as { answeredBy?: unknown } | null)?.answeredBy).filter((id): id is string => typeof id === 'string')]);
    const names: Record<string, string> = {};
    for (const userId of mentioned) {
      const name = this.displayName(userId);
      if (name !== undefined) names[userId] = name;
    }
    return { ...this.summary(run), input: run.input, output: run.output, steps: steps.map(stepView), ...this.modelOf(scope, run), workingAnswers, createdBy: run.createdBy, names, live: this.engine.liveSteps(run.id) };
  }

  /** Keeps the caller's unsubmitted answer to a waiting step (null drops it); not audited: nothing is decided. */
  autosaveAnswer(principal: Principal, runId: string, path: string, answer: unknown) {
    const scope = this.scope(principal);
    this.existing(scope, runId);
    return { savedAt: iso(this.engine.keepWorkingAnswer(scope, runId, path, answer, principal)) };
  }

  answer(principal: Principal, runId: string, path: string, answer: unknown, requestId: string) {
    const scope = this.scope(principal);
    this.existing(scope, runId);
    this.audited(scope, principal, requestId, 'runs.answer', () => this.engine.answer(scope, runId, path, answer, principal, { resume: false }), () => ({ resource: `run:${runId}`, details: { path } }));
    this.engine.resume(scope, runId);
    return this.summary(this.existing(scope, runId));
  }

  cancel(principal: Principal, runId: string, requestId: string) {
    const scope = this.scope(principal);
    this.existing(scope, runId);
    this.audited(scope, principal, requestId, 'runs.cancel', () => this.engine.cancel(scope, runId, principal.displayName || principal.userId), () => ({ resource: `run:${runId}` }));
    return this.summary(this.existing(scope, runId));
  }

  /**
   * Continues an interrupted run, or retries a failed one from the step that failed (finished
   * steps are not redone). A run another process is executing continues there.
   */
  resume(principal: Principal, runId: string, requestId: string) {
    const scope = this.scope(principal);
    const before = this.existing(scope, runId);
    if (before.status === 'completed' || before.status === 'cancelled') throw new CoreError('ERR_WORKFLOW_NOT_WAITING', `The run is ${before.status}; there is nothing to resume. Replay it to run it again.`, { details: { status: before.status } });
    if (before.status === 'failed') {
      // A retry is a decision someone takes: audited, like starting a run.
      this.audited(scope, principal, requestId, 'runs.retry', () => this.engine.reopen(scope, runId), () => ({ resource: `run:${runId}`, details: { errorCode: before.errorCode } }));
    } else if (before.status === 'running' && !this.engine.isExecuting(before)) {
      // Taking up a run its process left behind is someone's decision too (one still executing is left to it).
      this.audited(scope, principal, requestId, 'runs.resume', () => undefined, () => ({ resource: `run:${runId}` }));
    }
    this.engine.resume(scope, runId);
    return this.summary(this.existing(scope, runId));
  }

  replay(principal: Principal, runId: string, against: 'same' | 'latest', requestId: string) {
    const scope = this.scope(principal);
    const source = this.existing(scope, runId);
    const latest = this.catalog.get(scope, source.workflowId);
    const version = against === 'latest' ? latest?.version : source.version;
    // Against the same version: the same sub-workflow versions too (runs before pins resolve them now).
    const pins = against === 'same' && Object.keys(source.pins).length > 0 ? { pins: source.pins } : {};
    const run = this.audited(scope, principal, requestId, 'runs.replay', () => this.engine.create(scope, source.workflowId, source.input, { createdBy: principal.userId, modelId: source.modelId, replayOf: source.id, ...(version ? { version } : {}), ...pins }), (r) => ({ resource: `run:${r.id}`, details: { replayOf: source.id, version: r.version } }));
    this.engine.launch(scope, run.id);
    return this.summary(run);
  }

  approvalPolicy(accountId: string) {
    return policyView(this.policies.get(accountId));
  }

  /** Four-eyes on every approval in the account, on or off; audited in the change's transaction. */
  setApprovalPolicy(principal: Principal, accountId: string, fourEyes: boolean, requestId: string) {
    const scope = this.storage.scopeFor({ accountId });
    const before = this.policies.get(accountId).fourEyes;
    const policy = this.audited(scope, principal, requestId, 'workflows.approvalPolicy.set', () => this.policies.set(accountId, fourEyes, principal.userId, this.clock.now()), () => ({ resource: `account:${accountId}`, details: { fourEyes, before } }));
    return policyView(policy);
  }

  /** Resolves when the run has no execution in flight (tests, CLI). */
  settled(runId: string): Promise<void> {
    return this.engine.settled(runId);
  }

  /** Resumes, in every account, the runs that were executing when the process stopped. */
  /**
   * Takes over the runs no process is executing any more (the app or serve stopped mid-run, or a
   * CLI run was killed) and resumes them; createCore calls it at start and every 30 s in serve and
   * the desktop app. Each take-over is audited as an automatic `runs.resume`, in the transaction
   * that claims the run, so the record says nobody asked for it.
   */
  recoverAll(): number {
    let count = 0;
    for (const account of this.storage.accounts.list()) {
      const scope = this.storage.scopeFor({ accountId: account.id });
      count += this.engine.recover(scope, (runIds) => {
        for (const runId of runIds) this.audit.append({ action: 'runs.resume', outcome: 'success', actor: null, accountId: scope.accountId, resource: `run:${runId}`, details: { automatic: true, reason: 'no process was executing it' } });
      }).length;
    }
    return count;
  }
}
