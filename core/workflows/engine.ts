import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { CoreError, nextStreamId, storageFailure } from '../base/index.ts';
import type { Clock, EventBus, Logger } from '../base/index.ts';
import type { AgentStep, HumanStep, LlmStep, MapStep, Step, ToolStep, WorkflowDefinition } from '../contracts/index.ts';
import type { ChatMessage, ModelProvider, ToolDefinition } from '../models/index.ts';
import { durableTransaction } from '../storage/index.ts';
import type { AccountScope } from '../storage/index.ts';
import type { RunPassOutcome, RunTracer, StepContext, StepMiddleware, StepOutcome } from './middleware.ts';
import { BudgetTally, compose } from './middleware.ts';
import type { Retriever, SourceDocument } from './retrieve.ts';
import { childScope, evaluateCondition, renderTemplate, resolveArguments, resolveReference } from './scope.ts';
import type { DataScope } from './scope.ts';
import { cancelledMessage, RunStore } from './store.ts';
import type { RunRecord, StepError, StepRecord } from './store.ts';
import type { ToolRegistry } from './tools.ts';
import { eachStep } from './validate.ts';
import type { CompiledWorkflow } from './validate.ts';

/** Thrown up the step tree when human steps are waiting; the run pauses, nothing is lost. */
export class Suspended extends Error {
  readonly paths: string[];
  constructor(paths: string[]) {
    super(`waiting on ${paths.join(', ')}`);
    this.name = 'Suspended';
    this.paths = paths;
  }
}

export interface EngineDependencies {
  clock: Clock;
  logger: Logger;
  events: EventBus;
  /**
   * The model for a step: the step's own, else the run's, else the account default — refused
   * when the model is not cleared for the workflow's data classification.
   */
  models: (modelId: string | null, accountId: string, classification?: WorkflowDefinition['classification']) => ModelProvider;
  tools: ToolRegistry;
  /** Definitions by id (the latest version, or an exact version). */
  workflows: (id: string, accountId: string, version?: string) => CompiledWorkflow | undefined;
  /**
   * Keeps an exact version a new run uses available for as long as the run may need it (a shipped
   * file can be replaced by an upgrade while the run waits). Called inside the run's creation.
   */
  retain?: (accountId: string, workflowId: string, version: string) => void;
  /**
   * Run ownership between processes on one installation: the owner refreshes its claim every
   * `refreshMs` (and notices cancellations from other processes then); a claim not refreshed for
   * `staleMs`, or held by a dead process on this host, is taken over. Defaults 5 s and 30 s.
   */
  lease?: { refreshMs?: number; staleMs?: number };
  /** The account's approval policy: four-eyes on every approval, whatever the workflow says. */
  approvalPolicy?: (accountId: string) => { fourEyes: boolean };
  retriever: Retriever;
  middleware: readonly StepMiddleware[];
  /** Records every pass, step, model and tool call as a trace (its middleware runs outermost). */
  tracer?: RunTracer;
  /** Bounded parallelism of map steps without their own `concurrency`. */
  defaultConcurrency?: number;
}

export interface StartOptions {
  modelId?: string | null;
  createdBy: string;
  /** Re-run using the recorded model and tool outputs of this run. */
  replayOf?: string;
  /** Run this version of the workflow (default: the latest). */
  version?: string;
  /** Nested workflows' versions (default: each one's latest now). */
  pins?: Record<string, string>;
}

/** How a pass ended when its execution was stopped from outside. */
const SHUTTING_DOWN = 'Strongroom is shutting down; the run resumes at next start.';
const TAKEN_OVER = 'Another Strongroom process took this run over.';

/** Whether a run's owner ("host/pid/instance") is a live process: dead on this host, or silent too long, is not. */
function ownerAlive(owner: string, seenAt: number | null, now: number, staleMs: number): boolean {
  const [host, pidText] = owner.split('/');
  const pid = Number(pidText);
  if (host === hostname() && Number.isSafeInteger(pid) && pid !== process.pid) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    }
  }
  return seenAt !== null && now - seenAt < staleMs;
}

/** Whether answering a human step needs a second person: its own rule, or the account's policy for approvals. */
function needsFourEyes(step: Pick<HumanStep, 'action' | 'fourEyes'>, policy: EngineDependencies['approvalPolicy'], accountId: string): boolean {
  return step.fourEyes === true || (step.action === 'approve' && policy?.(accountId).fourEyes === true);
}

/** Every nested-workflow step in a step list, at any depth of maps and branches. */
function nestedWorkflowIds(steps: readonly Step[]): string[] {
  return eachStep(steps).flatMap(({ step }) => (step.kind === 'workflow' ? [step.workflow] : []));
}

/** The path of the step an error came out of (the innermost one), for the run's error message. */
const failedAt = new WeakMap<object, string>();

/** A human step's answer that rejected it and so ended the run (a retry asks again). */
const endsRun = (output: unknown): boolean => (output as { endsRun?: unknown } | null | undefined)?.endsRun === true;

/** Which time a human step is asked (1 unless a retry asked it again), from its checkpoint. */
const askOf = (output: unknown): number => {
  const ask = (output as { ask?: unknown } | null | undefined)?.ask;
  return typeof ask === 'number' && Number.isSafeInteger(ask) && ask > 1 ? ask : 1;
};

/**
 * The path a human step's span is recorded under: its own the first time it is asked, `path~n`
 * when a retry asks it the n-th time — each ask its own span, so a rejection a retry asks again
 * stays on the trace (like an agent's repeated tool call, `lookup~2`).
 */
const askPath = (path: string, ask: number): string => (ask > 1 ? `${path}~${ask}` : path);

/** What a failed step's checkpoint says of its failure: a code and our own message, never content. */
function stepError(error: unknown, path: string): StepError {
  const at = typeof error === 'object' && error !== null ? failedAt.get(error) : undefined;
  return { code: error instanceof CoreError ? error.code : 'ERR_WORKFLOW_STEP_FAILED', message: error instanceof CoreError ? error.message : 'A step failed unexpectedly.', ...(at !== undefined && at !== path ? { at } : {}) };
}

const joinPath = (prefix: string, id: string) => (prefix === '' ? id : prefix.endsWith('/') ? `${prefix}${id}` : `${prefix}.${id}`);
const requestHash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);

/**
 * Runs workflows durably. A run re-executes its definition from the top with every finished step
 * memoized by its path and checkpointed in SQLite, so after a crash, a restart or a human answer
 * it continues exactly where it stopped — in whichever nested, parallel branch that was — without
 * redoing finished steps. Every step passes through one middleware chain.
 */
export class WorkflowEngine {
  private readonly deps: EngineDependencies;
  private readonly active = new Map<string, ActiveRun>();
  /** This engine's name in `runs.owner`: two processes never execute the same run. */
  readonly owner = `${hostname()}/${process.pid}/${randomUUID()}`;
  private readonly refreshMs: number;
  private readonly staleMs: number;
  private leaseTimer: NodeJS.Timeout | null = null;

  constructor(deps: EngineDependencies) {
    this.deps = deps;
    this.refreshMs = deps.lease?.refreshMs ?? 5_000;
    this.staleMs = deps.lease?.staleMs ?? 30_000;
  }

  /** Validates the input, records the run, and starts executing it in the background. */
  start(scope: AccountScope, workflowId: string, input: unknown, options: StartOptions): RunRecord {
    const run = this.create(scope, workflowId, input, options);
    this.launch(scope, run.id);
    return run;
  }

  /**
   * Validates the input and records the run without starting it, so a caller can write its audit
   * entry in the same transaction; then `launch` it.
   */
  create(scope: AccountScope, workflowId: string, input: unknown, options: StartOptions): RunRecord {
    const compiled = this.deps.workflows(workflowId, scope.accountId, options.version);
    if (!compiled) throw new CoreError('ERR_WORKFLOW_NOT_FOUND', `There is no workflow "${workflowId}" in this account.`);
    const parsed = z.fromJSONSchema(compiled.definition.inputs).safeParse(input);
    if (!parsed.success) {
      throw new CoreError('ERR_INPUT_INVALID', `The input does not match workflow ${workflowId}.`, { details: { issues: parsed.error.issues.map((i) => ({ path: ['input', ...i.path].join('.'), message: i.message })) } });
    }
    const store = new RunStore(scope);
    const pins = options.pins ?? this.pinsOf(scope.accountId, compiled.definition);
    // A model that does not exist, or may not serve this data, is a mistake in the request: say so
    // now, not after the steps before the first model step have run (a replay calls no model).
    if (options.replayOf === undefined || options.replayOf === null) this.checkModels(scope.accountId, compiled.definition, pins, options.modelId ?? null);
    this.deps.retain?.(scope.accountId, workflowId, compiled.version);
    for (const [id, version] of Object.entries(pins)) this.deps.retain?.(scope.accountId, id, version);
    const run = {
      id: randomUUID(),
      workflowId,
      version: compiled.version,
      status: 'running' as const,
      input,
      modelId: options.modelId ?? null,
      replayOf: options.replayOf ?? null,
      traceId: randomBytes(16).toString('hex'),
      createdBy: options.createdBy,
      createdAt: this.deps.clock.now(),
      pins,
    };
    // Claimed by this process from the start: no other process's recovery takes it before `launch`.
    store.createRun(run, this.owner);
    return store.run(run.id)!;
  }

  /**
   * Resolves, without calling it, every model the run's model steps would use — at any depth,
   * each under its own workflow's data classification — so that an unknown model or one not
   * cleared for the data fails before the run exists (ERR_MODEL_NOT_FOUND, ERR_MODEL_UNAVAILABLE…).
   */
  private checkModels(accountId: string, definition: WorkflowDefinition, pins: Readonly<Record<string, string>>, runModel: string | null, seen = new Set<string>()): void {
    for (const { step } of eachStep(definition.steps)) {
      if (step.kind === 'llm' || step.kind === 'agent') {
        const modelId = step.model ?? runModel;
        const key = `${modelId ?? ''}\u0000${definition.classification ?? ''}`;
        if (!seen.has(key)) {
          seen.add(key);
          this.deps.models(modelId, accountId, definition.classification);
        }
      } else if (step.kind === 'workflow' && !seen.has(`workflow:${step.workflow}`)) {
        seen.add(`workflow:${step.workflow}`);
        const nested = this.deps.workflows(step.workflow, accountId, pins[step.workflow]);
        if (nested) this.checkModels(accountId, nested.definition, pins, runModel, seen);
      }
    }
  }

  /** The version every nested workflow resolves to now, at any depth: the run keeps to them. */
  private pinsOf(accountId: string, definition: WorkflowDefinition, pins: Record<string, string> = {}): Record<string, string> {
    for (const id of nestedWorkflowIds(definition.steps)) {
      if (Object.hasOwn(pins, id)) continue;
      const nested = this.deps.workflows(id, accountId);
      if (!nested) throw new CoreError('ERR_WORKFLOW_NOT_FOUND', `Workflow ${definition.id} uses "${id}", which is not in this account.`);
      pins[id] = nested.version;
      this.pinsOf(accountId, nested.definition, pins);
    }
    return pins;
  }

  /**
   * Continues a run that was interrupted (crash, restart), answered, or reopened after a failure —
   * here, unless another live process holds it (it continues the run there); an ended run stays ended.
   */
  resume(scope: AccountScope, runId: string): void {
    const store = new RunStore(scope);
    const run = store.run(runId);
    if (!run) throw new CoreError('ERR_WORKFLOW_NOT_FOUND', 'There is no such run in this account.');
    const active = this.active.get(runId);
    // An answer that lands while the run is executing may have been read too late by that pass:
    // run once more after it settles.
    if (active) active.again = true;
    else if (run.status === 'running' || run.status === 'waiting') {
      // Taking over a run whose process died (a person resumed it before any restart recovered it):
      // its trace lost what that process had not written yet, so it is marked incomplete, as
      // `recover` does. A run released by a clean stop has no owner and an 'interrupted' trace.
      const now = this.deps.clock.now();
      const orphaned = run.status === 'running' && run.owner !== null && run.owner !== this.owner && !ownerAlive(run.owner, run.ownerSeenAt, now, this.staleMs);
      // Before the pass starts: its start puts the trace back to 'running'.
      if (orphaned) this.deps.tracer?.recovering([run], scope.accountId);
      this.launch(scope, runId);
    }
  }

  /**
   * Makes a failed run resumable again (a person asked to retry it): `resume` then continues it
   * from the step that failed — finished steps stay done. Nothing happens to a run not failed.
   */
  reopen(scope: AccountScope, runId: string): void {
    const store = new RunStore(scope);
    // A run a rejection ended asks for that approval again (the rejection stays in the audit log
    // and the trace, on the span of the ask it answered). Its checkpoint no longer ends the run but
    // remembers which ask it answered, so the next ask gets a span of its own.
    if (store.run(runId)?.errorCode === 'ERR_WORKFLOW_REJECTED') {
      for (const step of store.steps(runId).values()) {
        if (step.kind !== 'human' || !endsRun(step.output)) continue;
        const { endsRun: _ends, ...answered } = step.output as Record<string, unknown>;
        store.saveStep(runId, { path: step.path, kind: 'human', status: 'failed', output: { ...answered, ask: askOf(step.output), error: { code: 'ERR_WORKFLOW_REJECTED', message: `Step ${step.path} was rejected; the retry asks again.` } }, attempts: step.attempts, startedAt: step.startedAt, finishedAt: step.finishedAt });
      }
    }
    store.reopenFailed(runId, this.owner, this.deps.clock.now());
  }

  /**
   * Resumes every run of the account that was executing when its process stopped (or whose
   * process fell silent); runs another live process is executing are left to it. `record` is
   * called with the runs taken over inside the durable transaction that claims them (the caller's
   * audit entries), before any of them runs again.
   */
  recover(scope: AccountScope, record?: (runIds: readonly string[]) => void): string[] {
    const store = new RunStore(scope);
    const now = this.deps.clock.now();
    const candidates = store.interruptedRunIds().filter((id) => !this.active.has(id));
    if (candidates.length === 0) return [];
    const claimed = durableTransaction(scope.db, () => {
      const taken = candidates.filter((id) => store.claim(id, this.owner, now, (owner, seenAt) => ownerAlive(owner, seenAt, now, this.staleMs)));
      if (taken.length > 0) record?.(taken);
      return taken;
    });
    if (claimed.length > 0) this.deps.tracer?.recovering(claimed.map((id) => store.run(id)!), scope.accountId);
    for (const id of claimed) this.launch(scope, id);
    return claimed;
  }

  /**
   * The waiting step `answerer` may answer now, with its rules — else the typed reason why not: the
   * run ended or is a replay, the step is not waiting, a role or four-eyes rule excludes them.
   */
  private answerable(store: RunStore, scope: AccountScope, runId: string, path: string, answerer: { userId: string; roles: readonly string[] }) {
    const run = store.run(runId);
    if (!run) throw new CoreError('ERR_WORKFLOW_NOT_FOUND', 'There is no such run in this account.');
    if (run.status !== 'waiting' && run.status !== 'running') throw new CoreError('ERR_WORKFLOW_NOT_WAITING', `The run is ${run.status}; it takes no answers.`, { details: { path, status: run.status } });
    // A replay is an evaluation: it approves nothing (one left waiting by an earlier version takes no answer either).
    if (run.replayOf !== null) throw new CoreError('ERR_WORKFLOW_NOT_WAITING', 'A replay asks nobody; it takes no answers.', { details: { path, replayOf: run.replayOf } });
    const step = store.step(runId, path);
    if (!step || step.status !== 'waiting') throw new CoreError('ERR_WORKFLOW_NOT_WAITING', `Step ${path} is not waiting for an answer.`, { details: { path, waitingOn: run.waitingOn } });
    // The definition, else what the waiting checkpoint recorded of it: the rules hold either way.
    const definition = this.findStep(scope, run, path) ?? waitingRules(step.output, path);
    // Who may answer is held here, so every way of answering (runs.answer, drafts.approve) is bound by it.
    if (definition?.role && !answerer.roles.includes(definition.role)) {
      throw new CoreError('ERR_AUTH_FORBIDDEN', `Step ${path} is answered by someone with the ${definition.role} role in this account; yours: ${answerer.roles.join(', ') || 'none'}.`, { details: { path, rule: 'role', role: definition.role }, deniedResource: `run:${runId}` });
    }
    if (this.fourEyes(scope.accountId, definition) && answerer.userId === run.createdBy) {
      throw new CoreError('ERR_AUTH_FORBIDDEN', `Step ${path} needs a second person (four-eyes): the person who started the run can neither approve nor reject it.`, { details: { path, rule: 'four-eyes' }, deniedResource: `run:${runId}` });
    }
    return { run, step, definition };
  }

  /**
   * Keeps what someone has typed into a waiting step and not submitted yet (null drops it), under
   * the same rules as an answer: only while the step waits, and only for someone who may answer it.
   */
  keepWorkingAnswer(scope: AccountScope, runId: string, path: string, answer: unknown, answerer: { userId: string; roles: readonly string[] }): number {
    const store = new RunStore(scope);
    const now = this.deps.clock.now();
    if (answer === null) {
      store.saveWorkingAnswer(runId, path, answerer.userId, null, now);
      return now;
    }
    this.answerable(store, scope, runId, path, answerer);
    store.saveWorkingAnswer(runId, path, answerer.userId, answer, now);
    return now;
  }

  /** Answers a waiting human step, then (unless told not to) resumes the run from exactly that branch. */
  answer(scope: AccountScope, runId: string, path: string, answer: unknown, answerer: { userId: string; roles: readonly string[] }, options: { resume?: boolean } = {}): void {
    const answeredBy = answerer.userId;
    const store = new RunStore(scope);
    const { run, step, definition } = this.answerable(store, scope, runId, path, answerer);
    const output: Record<string, unknown> = definition ? this.validateAnswer(definition, answer, path) : { answer };
    // A rejection that ends the run says so on the record, which the pass (and a retry) reads;
    // the step ends failed, not done.
    const action = definition?.action ?? 'input';
    const rejected = action === 'approve' && output.approved === false;
    const ends = rejected && definition?.onReject === 'end';
    if (ends) output.endsRun = true;
    const ask = askOf(step.output);
    store.saveStep(runId, { path, kind: 'human', status: ends ? 'failed' : 'done', output: { ...output, answeredBy, answeredAt: new Date(this.deps.clock.now()).toISOString(), ...(ask > 1 ? { ask } : {}) }, attempts: 1, startedAt: step.startedAt, finishedAt: this.deps.clock.now() });
    // Nobody's unsubmitted answer to this ask is of use any more (a re-ask starts blank).
    store.dropWorkingAnswers(runId, [path]);
    // The span of this ask ends with the decision: its kind is metadata, the answer (a comment
    // included) is content, sealed like every span's output. A rejection that ends the run is an error.
    const decision = action === 'approve' ? (rejected ? 'rejected' : 'approved') : action === 'edit' ? 'edited' : 'submitted';
    this.deps.tracer?.span(run, scope.accountId, {
      path,
      spanPath: askPath(path, ask),
      kind: 'human',
      name: definition?.id ?? path,
      startedAtMs: step.startedAt,
      status: ends ? 'error' : 'ok',
      ...(ends ? { errorCode: 'ERR_WORKFLOW_REJECTED', errorMessage: `Step ${path} was rejected, which ends the run.` } : {}),
      attributes: { 'strongroom.step.path': path, 'strongroom.human.action': action, 'strongroom.human.decision': decision, 'strongroom.human.answered_by': answeredBy, ...(ask > 1 ? { 'strongroom.human.ask': ask } : {}) },
      input: step.output,
      output,
    });
    this.publish(scope.accountId, runId, path, 'human', ends ? 'failed' : 'done');
    if (options.resume !== false) this.resume(scope, runId);
  }

  /**
   * Cancels a run. Executing here: its pass is aborted. Executing in another process: the run is
   * marked cancelled and that process stops it at its next lease refresh (nothing it finishes
   * afterwards is recorded as the run's outcome). Waiting or orphaned: marked cancelled now.
   */
  cancel(scope: AccountScope, runId: string, by?: string): void {
    const store = new RunStore(scope);
    const run = store.run(runId);
    if (!run) throw new CoreError('ERR_WORKFLOW_NOT_FOUND', 'There is no such run in this account.');
    // An ended run stays as it ended; saying "cancelled" (and auditing it) would be untrue.
    if (run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled') throw new CoreError('ERR_CONFLICT', `The run is ${run.status}; there is nothing to cancel.`, { details: { status: run.status } });
    const message = cancelledMessage(by);
    const active = this.active.get(runId);
    if (active) {
      active.abort.abort(new CoreError('ERR_WORKFLOW_CANCELLED', message));
      return;
    }
    const now = this.deps.clock.now();
    const elsewhere = run.status === 'running' && run.owner !== null && ownerAlive(run.owner, run.ownerSeenAt, now, this.staleMs);
    // Its waiting steps end with it (nobody can answer them now); the trace's open spans too.
    if (store.cancelRun(runId, now, message) && !elsewhere) {
      this.deps.tracer?.passEnded(run, scope.accountId, { status: 'cancelled', errorCode: 'ERR_WORKFLOW_CANCELLED', errorMessage: message });
      this.publish(scope.accountId, runId, '', 'workflow', 'cancelled');
    }
  }

  /**
   * Whether a process executes the run now: this one, or another whose claim is alive (refreshed
   * within the lease, and not held by a dead process on this host).
   */
  isExecuting(run: Pick<RunRecord, 'id' | 'status' | 'owner' | 'ownerSeenAt'>): boolean {
    if (this.active.has(run.id)) return true;
    if (run.status !== 'running' || run.owner === null) return false;
    return run.owner !== this.owner && ownerAlive(run.owner, run.ownerSeenAt, this.deps.clock.now(), this.staleMs);
  }

  /**
   * The model steps of a run this process is executing now: queued for a busy model (and how many
   * are ahead) or generating, with the text streamed so far — so a page opened or reloaded
   * mid-step shows what its `runs.delta` events already carried. Empty for a run executed
   * elsewhere or not at all.
   */
  liveSteps(runId: string): LiveStep[] {
    return this.active.get(runId)?.execution?.liveSteps() ?? [];
  }

  /** Whether an answer to this human step needs a second person: its own rule, or the account's for approvals. */
  fourEyes(accountId: string, step: Pick<HumanStep, 'action' | 'fourEyes'>): boolean {
    return needsFourEyes(step, this.deps.approvalPolicy, accountId);
  }

  /** Whether the account requires four-eyes on every approval (its approval policy). */
  fourEyesRequired(accountId: string): boolean {
    return this.deps.approvalPolicy?.(accountId).fourEyes === true;
  }

  /** Resolves when the run has no execution in flight (tests, CLI). */
  async settled(runId: string): Promise<void> {
    for (let entry = this.active.get(runId); entry; entry = this.active.get(runId)) await entry.done;
  }

  async dispose(): Promise<void> {
    for (const { abort } of this.active.values()) abort.abort(new CoreError('ERR_WORKFLOW_CANCELLED', SHUTTING_DOWN));
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
    this.stopLeaseTimer();
  }

  /**
   * Claims a created (or resumable) run for this process and starts executing it in the
   * background; false when another live process holds it (it continues the run there).
   */
  launch(scope: AccountScope, runId: string): boolean {
    if (this.active.has(runId)) return true;
    const now = this.deps.clock.now();
    if (!new RunStore(scope).claim(runId, this.owner, now, (owner, seenAt) => ownerAlive(owner, seenAt, now, this.staleMs))) return false;
    const abort = new AbortController();
    const entry: ActiveRun = { scope, abort, done: Promise.resolve(), again: false };
    entry.done = this.execute(scope, runId, abort, entry).then(
      (answeredMeanwhile) => answeredMeanwhile,
      () => false,
    ).then((answeredMeanwhile) => {
      this.active.delete(runId);
      if (this.active.size === 0) this.stopLeaseTimer();
      if ((entry.again || answeredMeanwhile) && !abort.signal.aborted) this.resume(scope, runId);
    });
    this.active.set(runId, entry);
    this.startLeaseTimer();
    return true;
  }

  private startLeaseTimer(): void {
    if (this.leaseTimer || this.refreshMs <= 0) return;
    this.leaseTimer = setInterval(() => {
      // A refresh that cannot be written (a full disk, a master key rotated under this process) must
      // not take the process down with every person's work: it is logged, and tried again next time.
      try {
        this.refreshLeases();
      } catch (error) {
        const code = error instanceof CoreError ? error.code : storageFailure(error)?.code ?? 'ERR_INTERNAL';
        this.deps.logger.error({ code, sqlite: (error as { code?: unknown }).code, errorType: error instanceof Error ? error.name : typeof error }, 'could not refresh the leases of executing runs');
      }
    }, this.refreshMs);
    this.leaseTimer.unref();
  }

  private stopLeaseTimer(): void {
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.leaseTimer = null;
  }

  /** Tells other processes these runs are still executing here; stops those cancelled or taken over elsewhere. */
  refreshLeases(): void {
    const byScope = new Map<AccountScope, string[]>();
    for (const [runId, entry] of this.active) byScope.set(entry.scope, [...(byScope.get(entry.scope) ?? []), runId]);
    for (const [scope, runIds] of byScope) {
      for (const lost of new RunStore(scope).heartbeat(runIds, this.owner, this.deps.clock.now())) {
        const entry = this.active.get(lost.id);
        if (!entry || entry.abort.signal.aborted) continue;
        // Between a pass's start and its first checkpoint the run may read 'waiting' or 'failed' still: not lost.
        if (lost.owner === this.owner && lost.status !== 'cancelled') continue;
        entry.abort.abort(new CoreError('ERR_WORKFLOW_CANCELLED', lost.status === 'cancelled' ? 'The run was cancelled.' : TAKEN_OVER));
      }
    }
  }

  /** One execution pass; resolves true when a step it left waiting was answered meanwhile by another process. */
  private async execute(scope: AccountScope, runId: string, abort: AbortController, entry: ActiveRun): Promise<boolean> {
    const store = new RunStore(scope);
    const run = store.run(runId)!;
    const compiled = this.deps.workflows(run.workflowId, scope.accountId, run.version);
    const now = () => this.deps.clock.now();
    if (!compiled) {
      store.markRunning(runId, this.owner, now());
      store.finishRun(runId, this.owner, { status: 'failed', errorCode: 'ERR_WORKFLOW_NOT_FOUND', errorMessage: `Workflow ${run.workflowId} version ${run.version.slice(0, 12)} is no longer available.` }, now());
      return false;
    }
    if (!store.markRunning(runId, this.owner, now())) {
      store.release(runId, this.owner);
      return false;
    }
    const tracer = this.deps.tracer;
    const ended = (outcome: RunPassOutcome): void => tracer?.passEnded(run, scope.accountId, outcome);
    tracer?.passStarted(run, scope.accountId);
    const execution = new RunExecution(this.deps, store, scope.accountId, run, compiled, abort.signal, run.replayOf ? store.steps(run.replayOf) : null);
    entry.execution = execution;
    try {
      const output = await execution.runDefinition(compiled.definition, { inputs: run.input, steps: {} }, '');
      if (store.finishRun(runId, this.owner, { status: 'completed', output }, now())) {
        ended({ status: 'completed' });
        this.publish(scope.accountId, runId, '', 'workflow', 'completed');
      } else this.lostDuringPass(store, run, scope.accountId, ended);
      return false;
    } catch (error) {
      if (error instanceof Suspended) {
        const waitingOn = [...new Set(error.paths)].sort();
        if (!store.finishRun(runId, this.owner, { status: 'waiting', waitingOn }, now())) {
          this.lostDuringPass(store, run, scope.accountId, ended);
          return false;
        }
        ended({ status: 'waiting' });
        this.publish(scope.accountId, runId, '', 'workflow', 'waiting');
        // Another process may have answered one of these steps while this pass ran (it could not
        // claim the run): go on with it here.
        const steps = store.steps(runId);
        return waitingOn.some((path) => steps.get(path)?.status === 'done');
      }
      const reason = abort.signal.aborted ? (abort.signal.reason as CoreError | undefined)?.message : undefined;
      if (reason === SHUTTING_DOWN || reason === TAKEN_OVER) {
        ended({ status: 'interrupted' });
        store.release(runId, this.owner);
        return false; // stays 'running': resumed at next start, or by the process that took it over
      }
      const cancelled = abort.signal.aborted;
      const code = cancelled ? 'ERR_WORKFLOW_CANCELLED' : error instanceof CoreError ? error.code : 'ERR_WORKFLOW_STEP_FAILED';
      // Which step failed, in the message every surface shows (runs show, the run page, the trace).
      const at = typeof error === 'object' && error !== null ? failedAt.get(error) : undefined;
      const message = cancelled ? (reason ?? cancelledMessage(null)) : `${at === undefined ? '' : `Step ${at}: `}${error instanceof CoreError ? error.message : 'A step failed unexpectedly.'}`;
      if (!(error instanceof CoreError) && !cancelled) {
        // Type and stack frames only: messages can carry content.
        const stack = error instanceof Error ? error.stack?.split('\n').slice(1, 10).join('\n') : undefined;
        this.deps.logger.error({ runId, errorType: error instanceof Error ? error.name : typeof error, stack }, 'workflow step failed unexpectedly');
      }
      const recorded = store.finishRun(runId, this.owner, { status: cancelled ? 'cancelled' : 'failed', errorCode: code, errorMessage: message }, now());
      const after = recorded ? null : store.run(runId);
      // Cancelled from another process: the run already says so (and who cancelled it).
      const said = after?.status === 'cancelled' ? (after.errorMessage ?? message) : message;
      // A cancelled run's steps waiting in other branches end with it: nobody may answer them now.
      if (cancelled && (recorded || after?.status === 'cancelled')) store.endWaitingSteps(runId, now(), { code, message: said });
      // Cancelled from another process: this pass records how it ended.
      if (recorded || after?.status === 'cancelled') {
        ended({ status: cancelled ? 'cancelled' : 'failed', errorCode: code, errorMessage: said });
        this.publish(scope.accountId, runId, '', 'workflow', cancelled ? 'cancelled' : 'failed');
      }
      store.release(runId, this.owner);
      return false;
    }
  }

  /** The pass finished but the run was cancelled or taken over meanwhile: its result is not the run's. */
  private lostDuringPass(store: RunStore, run: RunRecord, accountId: string, ended: (outcome: RunPassOutcome) => void): void {
    const now = store.run(run.id);
    if (now?.status === 'cancelled') {
      const message = now.errorMessage ?? cancelledMessage(null);
      // A step this pass left waiting after the cancel reached the database ends too.
      store.endWaitingSteps(run.id, this.deps.clock.now(), { code: 'ERR_WORKFLOW_CANCELLED', message });
      ended({ status: 'cancelled', errorCode: 'ERR_WORKFLOW_CANCELLED', errorMessage: message });
      this.publish(accountId, run.id, '', 'workflow', 'cancelled');
    } else ended({ status: 'interrupted' });
    store.release(run.id, this.owner);
  }

  private publish(accountId: string, runId: string, path: string, kind: string, status: string): void {
    this.deps.events.publish('runs.progress', { accountId, runId, path, kind, status, at: new Date(this.deps.clock.now()).toISOString() });
  }

  private findStep(scope: AccountScope, run: RunRecord, path: string): HumanStep | undefined {
    const compiled = this.deps.workflows(run.workflowId, scope.accountId, run.version);
    if (!compiled) return undefined;
    // Walk the path: ids separated by '.', map items by [i], sub-workflows by '/'.
    let steps: readonly Step[] = compiled.definition.steps;
    let found: Step | undefined;
    for (const part of path.split(/[./]/)) {
      const id = part.replace(/\[\d+\]$/, '');
      found = findById(steps, id);
      if (!found) return undefined;
      if (found.kind === 'map') steps = found.steps;
      else if (found.kind === 'workflow') steps = this.deps.workflows(found.workflow, scope.accountId, run.pins[found.workflow])?.definition.steps ?? [];
    }
    return found?.kind === 'human' ? found : undefined;
  }

  private validateAnswer(step: HumanStep, answer: unknown, path: string): Record<string, unknown> {
    const schemas = {
      approve: z.object({ approved: z.boolean(), comment: z.string().max(10_000).optional() }).strict(),
      edit: z.object({ text: z.string().max(1_000_000) }).strict(),
      input: step.form ? z.fromJSONSchema(step.form) : z.record(z.string(), z.unknown()),
    };
    const parsed = schemas[step.action].safeParse(answer);
    if (!parsed.success) throw new CoreError('ERR_INPUT_INVALID', `The answer does not fit step ${path}.`, { details: { issues: parsed.error.issues.map((i) => ({ path: ['answer', ...i.path].join('.'), message: i.message })) } });
    return parsed.data as Record<string, unknown>;
  }
}

/**
 * A waiting human step's rules as its checkpoint recorded them (action, form, role, four-eyes):
 * what holds when its definition can no longer be found.
 */
function waitingRules(recorded: unknown, path: string): HumanStep {
  const parsed = z.object({ action: z.enum(['approve', 'edit', 'input']), form: z.record(z.string(), z.unknown()).nullable().optional(), role: z.string().optional(), fourEyes: z.boolean().optional(), onReject: z.enum(['continue', 'end']).optional(), prompt: z.string().optional() }).safeParse(recorded);
  if (!parsed.success) throw new CoreError('ERR_WORKFLOW_NOT_FOUND', `Step ${path} no longer has a definition, and its checkpoint does not say how it is answered.`, { details: { path } });
  const { action, form, role, fourEyes, onReject, prompt } = parsed.data;
  return { kind: 'human', id: path.split(/[./]/).at(-1)!.replace(/\[\d+\]$/, ''), action, prompt: prompt ?? '', ...(form ? { form } : {}), ...(role ? { role } : {}), ...(fourEyes ? { fourEyes } : {}), ...(onReject ? { onReject } : {}) } as HumanStep;
}

function findById(steps: readonly Step[], id: string): Step | undefined {
  for (const step of steps) {
    if (step.id === id) return step;
    if (step.kind === 'branch') {
      for (const branch of [...step.cases.map((c) => c.steps), step.otherwise ?? []]) {
        const inner = findById(branch, id);
        if (inner) return inner;
      }
    }
  }
  return undefined;
}

/** The failure of a run a rejected approval ended (its answer and comment stay on the step). */
function rejectedAt(path: string): CoreError {
  return new CoreError('ERR_WORKFLOW_REJECTED', `Step ${path} was rejected, which ends the run (the answer and its comment are on the step). Retry to ask for the approval again.`, { details: { path } });
}

/** Charges a budget with the model calls the run's checkpoints record (its earlier passes). */
function spentSoFar(tally: BudgetTally, memo: ReadonlyMap<string, StepRecord>): BudgetTally {
  for (const step of memo.values()) {
    const recorded = step.recorded as { usage?: { inputTokens?: number; outputTokens?: number }; replayedFrom?: string } | null;
    if (step.status !== 'done' || recorded?.replayedFrom) continue;
    if ((step.kind === 'llm' && recorded?.usage) || step.kind === 'agent-turn') tally.charge(recorded?.usage);
  }
  return tally;
}

/** One execution pass over a run: memoized steps, the middleware chain, and the step kinds. */
/** A run this process executes: its pass, how to stop it, and (once it started) the execution. */
interface ActiveRun {
  scope: AccountScope;
  abort: AbortController;
  done: Promise<void>;
  again: boolean;
  execution?: RunExecution;
}

/** A model step in flight; see WorkflowEngine.liveSteps. */
export interface LiveStep {
  path: string;
  /** 'llm', or 'agent-turn' for one turn of an agent step. */
  kind: string;
  status: 'queued' | 'running';
  /** Requests ahead of it while queued. */
  ahead?: number;
  /** The text streamed so far (only in memory, only while the step runs). */
  text: string;
  /** This generation's id (nextStreamId): a retry of the step streams under a new one. */
  stream: number;
}

class RunExecution {
  private readonly deps: EngineDependencies;
  /** Model steps in flight, by path. */
  private readonly live = new Map<string, LiveStep>();
  private readonly store: RunStore;
  private readonly accountId: string;
  private readonly run: RunRecord;
  private readonly compiled: CompiledWorkflow;
  private readonly signal: AbortSignal;
  private readonly memo: Map<string, StepRecord>;
  private readonly replay: Map<string, StepRecord> | null;
  private readonly chain: (context: StepContext) => Promise<StepOutcome>;
  /** The run's model budget, if its definition sets one, with what earlier passes spent. */
  private readonly budget: BudgetTally | null;

  constructor(deps: EngineDependencies, store: RunStore, accountId: string, run: RunRecord, compiled: CompiledWorkflow, signal: AbortSignal, replay: Map<string, StepRecord> | null) {
    this.deps = deps;
    this.store = store;
    this.accountId = accountId;
    this.run = run;
    this.compiled = compiled;
    this.signal = signal;
    this.memo = store.steps(run.id);
    this.replay = replay;
    this.budget = compiled.definition.budget ? spentSoFar(new BudgetTally(compiled.definition.budget), this.memo) : null;
    this.chain = compose(deps.tracer ? [deps.tracer.middleware, ...deps.middleware] : deps.middleware, (context) => this.perform(context));
  }

  liveSteps(): LiveStep[] {
    return [...this.live.values()].map((step) => ({ ...step }));
  }

  /** A model call of `live` waits for a busy local model (`ahead` before it), or got it (null). */
  private queued(live: LiveStep, ahead: number | null): void {
    live.status = ahead === null ? 'running' : 'queued';
    if (ahead === null) delete live.ahead;
    else live.ahead = ahead;
    this.publish(live.path, live.kind, live.status, ahead ?? undefined);
  }

  async runDefinition(definition: WorkflowDefinition, scope: DataScope, prefix: string): Promise<unknown> {
    const last = await this.runSteps(definition.steps, scope, prefix);
    return definition.output ? scope.steps[definition.output]?.output : last;
  }

  /** Runs steps in order; each sees the outputs of the ones before it. Returns the last output. */
  private async runSteps(steps: readonly Step[], scope: DataScope, prefix: string): Promise<unknown> {
    let last: unknown = null;
    for (const step of steps) {
      last = await this.runStep(step, scope, joinPath(prefix, step.id));
      scope.steps[step.id] = { output: last };
    }
    return last;
  }

  private async runStep(step: Step, scope: DataScope, path: string): Promise<unknown> {
    if (this.signal.aborted) throw this.signal.reason instanceof Error ? this.signal.reason : new CoreError('ERR_WORKFLOW_CANCELLED', 'The run was cancelled.');
    const prior = this.memo.get(path);
    if (prior?.kind === 'human' && endsRun(prior.output)) throw rejectedAt(path);
    if (prior?.status === 'done') return prior.output;
    if (prior?.status === 'waiting') throw new Suspended([path]);
    const startedAt = this.deps.clock.now();
    this.scopes.set(path, scope);
    // A human step asked again (a retry after a rejection or a failure) gets a span of its own.
    const ask = step.kind === 'human' && prior?.status === 'failed' ? askOf(prior.output) + 1 : 1;
    const context: StepContext = { runId: this.run.id, accountId: this.accountId, workflowId: this.run.workflowId, workflowVersion: this.run.version, traceId: this.run.traceId, path, ...(ask > 1 ? { spanPath: askPath(path, ask), ask } : {}), step, attempt: 1, signal: this.signal, attributes: {}, content: {}, startedBy: this.run.createdBy, budget: this.budget };
    this.publish(path, step.kind, 'running');
    let outcome: StepOutcome;
    try {
      outcome = await this.chain(context);
    } catch (error) {
      if (!(error instanceof Suspended)) {
        this.publish(path, step.kind, 'failed');
        // The innermost step names the failure; the map or sub-workflow around it rethrows it as it is.
        if (typeof error === 'object' && error !== null && !failedAt.has(error)) failedAt.set(error, path);
        this.saveFailure(path, step.kind, startedAt, context.attempt, error);
      }
      throw error;
    } finally {
      this.scopes.delete(path);
    }
    // A replay that took a recorded rejection ends where the original ended.
    const rejection = step.kind === 'human' && endsRun(outcome.output);
    this.store.saveStep(this.run.id, { path, kind: step.kind, status: rejection ? 'failed' : 'done', output: outcome.output, recorded: outcome.recorded, attempts: context.attempt, startedAt, finishedAt: this.deps.clock.now() });
    this.memo.set(path, { path, kind: step.kind, status: rejection ? 'failed' : 'done', output: outcome.output, recorded: outcome.recorded ?? null, attempts: 1, startedAt, finishedAt: this.deps.clock.now() });
    this.publish(path, step.kind, rejection ? 'failed' : 'done');
    if (rejection) {
      const error = rejectedAt(path);
      failedAt.set(error, path);
      throw error;
    }
    return outcome.output;
  }

  /**
   * The checkpoint of a step that failed — a map or sub-workflow around a failure too — so the run
   * view shows where the run stopped after a reload; a retry runs it again. Not when the pass was
   * stopped for a shutdown or a takeover: the run goes on (here later, or in the other process).
   */
  private saveFailure(path: string, kind: string, startedAt: number, attempts: number, error: unknown): void {
    const reason = this.signal.aborted ? (this.signal.reason as Error | undefined)?.message : undefined;
    if (reason === SHUTTING_DOWN || reason === TAKEN_OVER) return;
    const failure = this.signal.aborted ? { code: 'ERR_WORKFLOW_CANCELLED', message: reason ?? cancelledMessage(null) } : stepError(error, path);
    // A human step asked again keeps counting its asks.
    const prior = this.memo.get(path);
    const ask = kind === 'human' && prior?.status === 'failed' ? askOf(prior.output) + 1 : 1;
    const output = { error: failure, ...(ask > 1 ? { ask } : {}) };
    this.store.saveStep(this.run.id, { path, kind, status: 'failed', output, attempts, startedAt, finishedAt: this.deps.clock.now() });
    this.memo.set(path, { path, kind, status: 'failed', output, recorded: null, attempts, startedAt, finishedAt: this.deps.clock.now() });
  }

  /** Scopes of steps in flight, so the chain's handler can find the data its step sees. */
  private readonly scopes = new Map<string, DataScope>();

  private publish(path: string, kind: string, status: string, ahead?: number): void {
    this.deps.events.publish('runs.progress', { accountId: this.accountId, runId: this.run.id, path, kind, status, ...(ahead === undefined ? {} : { ahead }), at: new Date(this.deps.clock.now()).toISOString() });
  }

  /** The innermost handler: what each kind of step does. */
  private async perform(context: StepContext): Promise<StepOutcome> {
    const scope = this.scopes.get(context.path)!;
    const { step, path } = context;
    switch (step.kind) {
      case 'llm':
        return this.llm(step, scope, context);
      case 'tool':
        return this.tool(step, scope, context);
      case 'retrieve': {
        const documents = resolveReference(scope, step.documents);
        if (!Array.isArray(documents)) throw new CoreError('ERR_WORKFLOW_STEP_FAILED', `Step ${path}: ${step.documents} is not a list of documents.`, { details: { path } });
        const query = renderTemplate(step.query, scope, path);
        context.content.input = { query, documents: documents.length };
        const passages = this.deps.retriever.retrieve(documents as SourceDocument[], query, step.topK ?? 4);
        context.attributes['strongroom.retrieval.top_score'] = passages[0]?.score ?? 0;
        return { output: passages };
      }
      case 'map':
        return { output: await this.map(step, scope, path) };
      case 'branch': {
        const chosen = step.cases.find((c) => evaluateCondition(c.when, scope));
        const steps = chosen?.steps ?? step.otherwise ?? [];
        context.attributes['strongroom.branch.case'] = chosen ? step.cases.indexOf(chosen) : -1;
        return { output: await this.runSteps(steps, childScope(scope), path) };
      }
      case 'workflow': {
        const nested = this.deps.workflows(step.workflow, this.accountId, this.run.pins[step.workflow]);
        if (!nested) throw new CoreError('ERR_WORKFLOW_NOT_FOUND', `Step ${path}: there is no workflow "${step.workflow}".`, { details: { path } });
        const input = resolveArguments(step.input, scope, path);
        const parsed = z.fromJSONSchema(nested.definition.inputs).safeParse(input);
        if (!parsed.success) throw new CoreError('ERR_WORKFLOW_STEP_FAILED', `Step ${path}: the input for ${step.workflow} does not match its schema.`, { details: { path, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } });
        context.attributes['strongroom.workflow.nested'] = `${step.workflow}@${nested.version.slice(0, 12)}`;
        context.content.input = input;
        return { output: await this.runDefinition(nested.definition, { inputs: input, steps: {} }, `${path}/`) };
      }
      case 'human':
        return this.human(step, scope, context);
      case 'agent':
        return this.agent(step, scope, context);
      case 'guardrail':
        // A seam: policies arrive with the guardrails issue; the decision is recorded on the trace.
        context.attributes['strongroom.guardrail.decision'] = 'pass';
        return { output: { policy: step.policy, decision: 'pass' } };
    }
  }

  private async map(step: MapStep, scope: DataScope, path: string): Promise<unknown[]> {
    const items = resolveReference(scope, step.over);
    if (!Array.isArray(items)) throw new CoreError('ERR_WORKFLOW_STEP_FAILED', `Step ${path}: ${step.over} is not a list.`, { details: { path } });
    const limit = step.concurrency ?? this.deps.defaultConcurrency ?? 4;
    const results: unknown[] = new Array<unknown>(items.length);
    const failures: Array<{ index: number; error: unknown }> = [];
    const waiting: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const index = next;
        next += 1;
        const itemScope = childScope(scope, { item: items[index], index });
        try {
          const last = await this.runSteps(step.steps, itemScope, `${path}[${index}]`);
          results[index] = step.output ? itemScope.steps[step.output]?.output : last;
        } catch (error) {
          if (error instanceof Suspended) waiting.push(...error.paths);
          else failures.push({ index, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    // Every branch that could finish has finished and is checkpointed; then failures, then waits.
    if (failures.length > 0) throw failures.sort((a, b) => a.index - b.index)[0]!.error;
    if (waiting.length > 0) throw new Suspended(waiting);
    return results;
  }

  private human(step: HumanStep, scope: DataScope, context: StepContext): StepOutcome {
    const path = context.path;
    const prompt = renderTemplate(step.prompt, scope, path);
    const shown = step.show ? resolveReference(scope, step.show) : undefined;
    context.content.input = { prompt, shown: shown ?? null };
    context.attributes['strongroom.human.action'] = step.action;
    // A replay takes the recorded answer (who gave it, and when, included), so it runs through
    // without anyone answering again; the trace and the checkpoint say it was replayed. A replay
    // is an evaluation: no draft is approved by it.
    if (this.replay) {
      // A replay waits for nobody: an answer that was never given (the original was cancelled or
      // failed while it waited) fails the replay here, like a model or tool step with nothing recorded.
      const answered = this.replay.get(path);
      if (answered?.kind !== 'human' || !(answered.status === 'done' || endsRun(answered.output))) {
        throw new CoreError('ERR_WORKFLOW_REPLAY_MISSING', `Replay has no recorded answer for step ${path}; a replay asks nobody.`, { details: { path } });
      }
      context.attributes['strongroom.replay.from'] = this.run.replayOf ?? '';
      return { output: answered.output, recorded: { replayedFrom: this.run.replayOf } };
    }
    const now = this.deps.clock.now();
    // The account's approval policy counts too, so the run view shows the rule that will hold.
    const fourEyes = needsFourEyes(step, this.deps.approvalPolicy, this.accountId);
    const ask = context.ask ?? 1;
    if (ask > 1) context.attributes['strongroom.human.ask'] = ask;
    this.store.saveStep(this.run.id, { path, kind: 'human', status: 'waiting', output: { prompt, action: step.action, form: step.form ?? null, shown: shown ?? null, ...(step.role ? { role: step.role } : {}), ...(fourEyes ? { fourEyes: true } : {}), ...(step.onReject === 'end' ? { onReject: 'end' } : {}), ...(ask > 1 ? { ask } : {}) }, attempts: 1, startedAt: now, finishedAt: null });
    this.memo.set(path, { path, kind: 'human', status: 'waiting', output: null, recorded: null, attempts: 1, startedAt: now, finishedAt: null });
    this.publish(path, 'human', 'waiting');
    throw new Suspended([path]);
  }

  /** A recorded outcome from the run being replayed, if the request is identical. */
  private replayed(path: string, hash: string): StepOutcome | undefined {
    const recorded = this.replay?.get(path);
    const record = recorded?.recorded as { requestHash?: string } | null | undefined;
    if (recorded && record?.requestHash === hash) return { output: recorded.output, recorded: { ...(recorded.recorded as Record<string, unknown>), replayedFrom: this.run.replayOf } };
    if (this.replay) throw new CoreError('ERR_WORKFLOW_REPLAY_MISSING', `Replay has no recorded output for step ${path} with this request.`, { details: { path } });
    return undefined;
  }

  /**
   * What an agent turn or an agent's tool call recorded in the run being replayed, when the
   * request was identical (turns and calls recorded before request hashes existed do not replay).
   */
  private replayedAgentRecord(path: string, hash: string): unknown {
    const recorded = this.replay?.get(path);
    if (recorded?.status === 'done' && (recorded.recorded as { requestHash?: string } | null)?.requestHash === hash) return recorded.output;
    throw new CoreError('ERR_WORKFLOW_REPLAY_MISSING', `Replay has no recorded output for ${path} with this request.`, { details: { path } });
  }

  private async llm(step: LlmStep, scope: DataScope, context: StepContext): Promise<StepOutcome> {
    const messages: ChatMessage[] = [
      ...(step.system ? [{ role: 'system' as const, content: renderTemplate(step.system, scope, context.path) }] : []),
      { role: 'user', content: renderTemplate(step.prompt, scope, context.path) },
    ];
    const modelId = step.model ?? this.run.modelId;
    context.content.input = { messages };
    const hash = requestHash({ messages, output: step.output ?? null, modelId, temperature: step.temperature ?? 0 });
    const replay = this.replayed(context.path, hash);
    if (replay) {
      context.attributes['strongroom.replay.from'] = this.run.replayOf ?? '';
      return replay;
    }
    const model = this.deps.models(modelId, this.accountId, this.compiled.definition.classification);
    const output = step.output ? z.fromJSONSchema(step.output) : undefined;
    const live: LiveStep = { path: context.path, kind: 'llm', status: 'running', text: '', stream: nextStreamId(this.deps.clock.now()) };
    this.live.set(context.path, live);
    let result;
    try {
      result = await model.chat({
        messages,
        ...(output ? { output } : {}),
        temperature: step.temperature ?? 0,
        ...(step.maxTokens ? { maxTokens: step.maxTokens } : {}),
        signal: context.signal,
        onDelta: (text) => {
          // `offset`: where this piece starts in the step's text, so a page that read the text so
          // far (runs.get) places each later piece exactly, whichever arrives first.
          const offset = live.text.length;
          live.text += text;
          this.deps.events.publish('runs.delta', { accountId: this.accountId, runId: this.run.id, path: context.path, text, offset, stream: live.stream });
        },
        // A busy local model queues the step: say so (and how many are ahead), then that it runs.
        onQueue: (ahead) => this.queued(live, ahead),
      });
    } finally {
      // An attempt abandoned on a timeout may settle after its retry began: drop only its own entry.
      if (this.live.get(context.path) === live) this.live.delete(context.path);
    }
    Object.assign(context.attributes, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': model.id,
      'gen_ai.usage.input_tokens': result.usage.inputTokens,
      'gen_ai.usage.output_tokens': result.usage.outputTokens,
      'gen_ai.response.finish_reasons': [result.finishReason],
    });
    const value = output ? result.value : result.text;
    return { output: value, recorded: { requestHash: hash, model: result.model, text: result.text, usage: result.usage } };
  }

  private async tool(step: ToolStep, scope: DataScope, context: StepContext): Promise<StepOutcome> {
    const args = resolveArguments(step.args, scope, context.path);
    context.content.input = { tool: step.tool, arguments: args };
    const hash = requestHash({ tool: step.tool, args });
    const replay = this.replayed(context.path, hash);
    if (replay) return replay;
    const output = await this.callTool(step.tool, args, `${this.run.id}:${context.path}`, context);
    return { output, recorded: { requestHash: hash, tool: step.tool } };
  }

  private async callTool(name: string, args: unknown, idempotencyKey: string, context: StepContext): Promise<unknown> {
    const tool = this.deps.tools.get(name, this.accountId);
    if (!tool) throw new CoreError('ERR_WORKFLOW_STEP_FAILED', `Step ${context.path}: tool "${name}" does not exist or is not allowed in this account.`, { details: { path: context.path, tool: name, reason: 'tool-not-allowed' } });
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) throw new CoreError('ERR_WORKFLOW_STEP_FAILED', `Step ${context.path}: arguments for ${name} are invalid.`, { details: { path: context.path, tool: name, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } });
    let result: unknown;
    try {
      result = await tool.call(parsed.data, { accountId: this.accountId, runId: this.run.id, idempotencyKey, signal: context.signal });
    } catch (error) {
      context.toolCalls?.push({ tool: name, path: context.path, sideEffects: tool.sideEffects, outcome: 'failure', errorCode: error instanceof CoreError ? error.code : 'ERR_TOOL_FAILED' });
      throw error;
    }
    context.toolCalls?.push({ tool: name, path: context.path, sideEffects: tool.sideEffects, outcome: 'success' });
    const checked = tool.output.safeParse(result);
    if (!checked.success) throw new CoreError('ERR_WORKFLOW_STEP_FAILED', `Step ${context.path}: ${name} returned an invalid result.`, { details: { path: context.path, tool: name } });
    Object.assign(context.attributes, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'strongroom.tool.name': name });
    return checked.data;
  }

  /** Planner–executor: the model picks tools from an explicit list until it gives a final answer or the budget runs out. */
  private async agent(step: AgentStep, scope: DataScope, context: StepContext): Promise<StepOutcome> {
    const tools = step.tools.map((name) => {
      const tool = this.deps.tools.get(name, this.accountId);
      if (!tool) throw new CoreError('ERR_WORKFLOW_STEP_FAILED', `Step ${context.path}: tool "${name}" does not exist or is not allowed in this account.`, { details: { path: context.path, tool: name, reason: 'tool-not-allowed' } });
      return tool;
    });
    const finalAnswer: ToolDefinition = { name: 'final_answer', description: 'Give the final answer when the goal is met.', parameters: step.output };
    const definitions: ToolDefinition[] = [...tools.map((t) => ({ name: t.name, description: t.description, parameters: z.toJSONSchema(t.input) })), finalAnswer];
    // Resolved at the first live turn: a replay needs no model.
    let resolved: ModelProvider | undefined;
    const modelFor = (): ModelProvider => (resolved ??= this.deps.models(step.model ?? this.run.modelId, this.accountId, this.compiled.definition.classification));
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are a careful assistant at a bank. Use the tools to gather facts; call final_answer with the result. Never invent facts.' },
      { role: 'user', content: renderTemplate(step.goal, scope, context.path) },
    ];
    context.content.input = { goal: messages[1]!.content, tools: step.tools };
    const answerSchema = z.fromJSONSchema(step.output);
    const maxSteps = step.maxSteps ?? 8;
    for (let turn = 1; turn <= maxSteps; turn += 1) {
      const turnPath = `${context.path}#${turn}`;
      const recorded = this.memo.get(turnPath);
      let calls: Array<{ id: string; name: string; arguments: unknown }>;
      const turnHash = requestHash({ messages, tools: step.tools, output: step.output, modelId: step.model ?? this.run.modelId });
      if (recorded?.status === 'done') calls = recorded.output as typeof calls;
      else if (this.replay) {
        calls = this.replayedAgentRecord(turnPath, turnHash) as typeof calls;
        this.store.saveStep(this.run.id, { path: turnPath, kind: 'agent-turn', status: 'done', output: calls, recorded: { requestHash: turnHash, replayedFrom: this.run.replayOf }, attempts: 1, startedAt: this.deps.clock.now(), finishedAt: this.deps.clock.now() });
      } else {
        const startedAt = this.deps.clock.now();
        const model = modelFor();
        context.budget?.check(turnPath);
        // A turn waits for a busy local model like an llm step, and says so the same way.
        const live: LiveStep = { path: turnPath, kind: 'agent-turn', status: 'running', text: '', stream: nextStreamId(this.deps.clock.now()) };
        this.live.set(turnPath, live);
        let result;
        try {
          result = await model.chat({ messages, tools: definitions, temperature: 0, signal: context.signal, onQueue: (ahead) => this.queued(live, ahead) });
        } finally {
          if (this.live.get(turnPath) === live) this.live.delete(turnPath);
        }
        context.budget?.charge(result.usage);
        calls = result.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments }));
        this.store.saveStep(this.run.id, { path: turnPath, kind: 'agent-turn', status: 'done', output: calls, recorded: { requestHash: turnHash, usage: { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens } }, attempts: 1, startedAt, finishedAt: this.deps.clock.now() });
        this.deps.tracer?.span(this.run, this.accountId, {
          path: turnPath,
          kind: 'llm',
          name: `turn ${turn}`,
          startedAtMs: startedAt,
          status: 'ok',
          attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model.id, 'gen_ai.usage.input_tokens': result.usage.inputTokens, 'gen_ai.usage.output_tokens': result.usage.outputTokens, 'gen_ai.response.finish_reasons': [result.finishReason], 'strongroom.agent.turn': turn },
          // A copy: the conversation grows after this turn, the span records what the model saw.
          input: { messages: messages.slice() },
          output: { toolCalls: calls },
        });
      }
      if (calls.length === 0) messages.push({ role: 'user', content: 'Call one of the tools, or final_answer.' });
      messages.push({ role: 'assistant', content: '', toolCalls: calls });
      const calledInTurn = new Map<string, number>();
      for (const call of calls) {
        if (call.name === 'final_answer') {
          const parsed = answerSchema.safeParse(call.arguments);
          if (parsed.success) return { output: parsed.data, recorded: { turns: turn } };
          messages.push({ role: 'tool', toolCallId: call.id, content: JSON.stringify({ error: 'does not match the answer schema', issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) }) });
          continue;
        }
        if (!step.tools.includes(call.name)) {
          messages.push({ role: 'tool', toolCallId: call.id, content: JSON.stringify({ error: `tool ${call.name} is not available` }) });
          continue;
        }
        // The same tool twice in one turn: `lookup`, then `lookup~2` — each call its own checkpoint and span.
        const nth = (calledInTurn.get(call.name) ?? 0) + 1;
        calledInTurn.set(call.name, nth);
        const callPath = nth === 1 ? `${turnPath}.${call.name}` : `${turnPath}.${call.name}~${nth}`;
        const done = this.memo.get(callPath);
        const callHash = requestHash({ tool: call.name, args: call.arguments });
        let output: unknown;
        if (done?.status === 'done') output = done.output;
        else if (this.replay) {
          // Replayed: the recorded result; the tool is not called again (its effects happened once).
          output = this.replayedAgentRecord(callPath, callHash);
          this.store.saveStep(this.run.id, { path: callPath, kind: 'agent-tool', status: 'done', output, recorded: { requestHash: callHash, replayedFrom: this.run.replayOf }, attempts: 1, startedAt: this.deps.clock.now(), finishedAt: this.deps.clock.now() });
        } else {
          const startedAt = this.deps.clock.now();
          let failure: string | null = null;
          try {
            output = await this.callTool(call.name, call.arguments, `${this.run.id}:${callPath}`, { ...context, path: callPath, attributes: {} });
          } catch (error) {
            failure = error instanceof CoreError ? error.code : 'ERR_TOOL_FAILED';
            output = { error: error instanceof CoreError ? error.message : 'the tool failed' };
          }
          this.store.saveStep(this.run.id, { path: callPath, kind: 'agent-tool', status: 'done', output, recorded: { requestHash: callHash }, attempts: 1, startedAt, finishedAt: this.deps.clock.now() });
          this.deps.tracer?.span(this.run, this.accountId, { path: callPath, kind: 'tool', name: call.name, startedAtMs: startedAt, status: failure ? 'error' : 'ok', errorCode: failure, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': call.name, 'gen_ai.tool.call.id': call.id }, input: call.arguments, output });
        }
        messages.push({ role: 'tool', toolCallId: call.id, content: JSON.stringify(output) });
      }
    }
    throw new CoreError('ERR_WORKFLOW_STEP_FAILED', `Step ${context.path}: the agent did not reach a final answer within ${maxSteps} steps.`, { details: { path: context.path, reason: 'budget', maxSteps } });
  }
}
