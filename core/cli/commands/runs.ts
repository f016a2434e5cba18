import { CoreError } from '../../base/index.ts';
import type { EventPayload, MethodOutput } from '../../contracts/index.ts';
import type { Core } from '../../createCore.ts';
import type { CliIo } from '../output.ts';
import { runStorageCommand } from './common.ts';
import type { AccountApi, AccountCommandOptions } from './workflows.ts';
import { accountApi, readJson } from './workflows.ts';

/**
 * `strongroom run` and `strongroom runs …`. A run executes inside this process: the command starts
 * (or answers, or resumes) it, prints each step's progress as it happens, and returns once the run
 * completes, fails, is cancelled or waits for a person. A run left waiting is answered later with
 * `runs answer`, by any process on the installation, days later if need be.
 */

type RunDetail = MethodOutput<'runs.get'>;
type Progress = EventPayload<'runs.progress'>;

/** How often the run's state is read while waiting for it to settle (events wake us sooner). */
const pollMs = 200;

/**
 * Follows one run: buffers progress from the moment it is called (events can precede the run id),
 * prints this run's lines, and resolves with the detail once the run is no longer executing.
 */
class RunFollower {
  private readonly api: AccountApi;
  private readonly io: CliIo;
  private readonly quiet: boolean;
  private runId: string | null = null;
  private readonly early: Progress[] = [];
  private wake: (() => void) | null = null;
  private readonly unsubscribe: () => void;

  constructor(api: AccountApi, io: CliIo, quiet: boolean) {
    this.api = api;
    this.io = io;
    this.quiet = quiet;
    this.unsubscribe = api.bridge.subscribe('runs.progress', (event) => {
      if (this.runId === null) this.early.push(event);
      else if (event.runId === this.runId) this.line(event);
    });
  }

  /** Starts printing the given run's events, including those that arrived first. */
  follow(runId: string): void {
    this.runId = runId;
    for (const event of this.early.splice(0)) if (event.runId === runId) this.line(event);
  }

  async settle(): Promise<RunDetail> {
    try {
      for (;;) {
        const run = await this.api.call('runs.get', { runId: this.runId! });
        if (run.status !== 'running') return run;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          this.wake = () => { clearTimeout(timer); resolve(); };
        });
        this.wake = null;
      }
    } finally {
      this.unsubscribe();
    }
  }

  private line(event: Progress): void {
    if (event.path === '') this.wake?.();
    if (!this.quiet) this.io.out(`${event.at.slice(11, 19)}  ${event.status.padEnd(9)} ${event.kind.padEnd(9)} ${event.path || '(run)'}`);
  }
}

/** The run's final report: `{ok, value:{runId, traceId, status, output, …}}` or readable lines. Exit 1 when it failed or was cancelled. */
function reportRun(io: CliIo, json: boolean, run: RunDetail): number {
  const value = {
    runId: run.id,
    traceId: run.traceId,
    workflowId: run.workflowId,
    version: run.version,
    status: run.status,
    output: run.output ?? null,
    waitingOn: run.waitingOn,
    error: run.errorCode ? { code: run.errorCode, message: run.errorMessage ?? '' } : null,
  };
  if (json) {
    io.out(JSON.stringify({ ok: true, value }));
  } else {
    const lines = [`run       ${run.id}`, `trace     ${run.traceId}`, `status    ${run.status}`];
    if (value.error) lines.push(`error     ${value.error.code}: ${value.error.message}`);
    for (const path of run.waitingOn) lines.push(`waiting   ${path} — answer with: strongroom runs answer ${run.id} --step '${path}' --input ANSWER.json`);
    if (run.status === 'completed') lines.push('output', JSON.stringify(run.output ?? null, null, 2));
    io.out(lines.join('\n'));
  }
  return run.status === 'failed' || run.status === 'cancelled' ? 1 : 0;
}

export interface RunCommandOptions extends AccountCommandOptions {
  workflowId: string;
  /** A JSON file with the run's input. */
  input: string;
  model?: string;
}

/** `strongroom run WORKFLOW_ID --input FILE.json`: starts a run and follows it until it settles. */
export async function runCommand(io: CliIo, core: Core, options: RunCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const input = await readJson(options.input);
    const api = accountApi(core, options.account);
    const follower = new RunFollower(api, io, options.json);
    const started = await api.call('runs.start', { workflowId: options.workflowId, input, ...(options.model === undefined ? {} : { modelId: options.model }) });
    if (!options.json) io.out(`Started ${started.workflowId} run ${started.id} (trace ${started.traceId}).`);
    follower.follow(started.id);
    return reportRun(io, options.json, await follower.settle());
  });
}

export interface RunIdOptions extends AccountCommandOptions {
  runId: string;
}

/** `strongroom runs answer ID --step PATH --input FILE.json`: answers a waiting human step and follows the run on. */
export async function runsAnswerCommand(io: CliIo, core: Core, options: RunIdOptions & { step: string; input: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const answer = await readJson(options.input);
    const api = accountApi(core, options.account);
    const follower = new RunFollower(api, io, options.json);
    follower.follow(options.runId);
    await api.call('runs.answer', { runId: options.runId, path: options.step, answer });
    return reportRun(io, options.json, await follower.settle());
  });
}

/** `strongroom runs resume ID`: continues an interrupted run (a waiting one re-checks its human steps). */
export async function runsResumeCommand(io: CliIo, core: Core, options: RunIdOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const api = accountApi(core, options.account);
    const follower = new RunFollower(api, io, options.json);
    follower.follow(options.runId);
    await api.call('runs.resume', { runId: options.runId });
    return reportRun(io, options.json, await follower.settle());
  });
}

/** `strongroom runs replay ID [--against same|latest]`: re-runs a past run on its recorded model and tool outputs, and follows it. */
export async function runsReplayCommand(io: CliIo, core: Core, options: RunIdOptions & { against: 'same' | 'latest' }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const api = accountApi(core, options.account);
    const follower = new RunFollower(api, io, options.json);
    const replay = await api.call('runs.replay', { runId: options.runId, against: options.against });
    if (!options.json) io.out(`Replaying run ${options.runId} as ${replay.id} (version ${replay.version.slice(0, 12)}).`);
    follower.follow(replay.id);
    return reportRun(io, options.json, await follower.settle());
  });
}

/**
 * `strongroom runs show ID`: the run, its steps, and for each waiting human step what it asks —
 * the prompt, what to review, who may answer, and the shape of the answer file.
 */
export async function runsShowCommand(io: CliIo, core: Core, options: RunIdOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const run = await accountApi(core, options.account).call('runs.get', { runId: options.runId });
    if (options.json) {
      io.out(JSON.stringify({ ok: true, value: run }));
      return 0;
    }
    // A running run nobody executes (its process stopped): say so, and how to continue it.
    const status = run.status === 'running' && !run.executing ? `running, but no process is executing it: continue it with strongroom runs resume ${run.id}` : run.status;
    const lines = [`run       ${run.id}`, `workflow  ${run.workflowId} @ ${run.version.slice(0, 12)}`, `status    ${status}`, `trace     ${run.traceId}`, `started   ${run.createdAt}`];
    if (run.modelId) lines.push(`model     ${run.modelId}${run.testModel ? '  [TEST MODEL — text is meaningless]' : ''}`);
    if (run.errorCode) lines.push(`error     ${run.errorCode}: ${run.errorMessage ?? ''}`);
    if (run.replayOf) lines.push(`replay of ${run.replayOf}`);
    lines.push('', 'steps');
    for (const step of run.steps) {
      // A failed step says why: its own failure, a cancel that ended it, or a rejection.
      const code = (step.output as { error?: { code?: unknown } } | null)?.error?.code;
      lines.push(`  ${step.status.padEnd(8)} ${step.kind.padEnd(11)} ${step.path}${step.status === 'failed' && typeof code === 'string' ? `  (${code})` : ''}`);
    }
    for (const step of run.steps.filter((s) => s.status === 'waiting')) {
      const asks = (step.output ?? {}) as { prompt?: string; action?: 'approve' | 'edit' | 'input'; form?: unknown; shown?: unknown; role?: string; fourEyes?: boolean };
      lines.push('', `waiting   ${step.path} (${asks.action ?? 'input'})`);
      if (asks.prompt) lines.push(...asks.prompt.split('\n').map((line) => `  ${line}`));
      if (asks.shown !== null && asks.shown !== undefined) lines.push('  to review:', ...JSON.stringify(asks.shown, null, 2).split('\n').map((line) => `    ${line}`));
      if (asks.role) lines.push(`  answered by someone with the ${asks.role} role`);
      if (asks.fourEyes) lines.push('  four-eyes: not by the person who started the run');
      const example = asks.action === 'approve' ? '{"approved": true, "comment": "…"}' : asks.action === 'edit' ? '{"text": "…"}' : asks.form ? `an object matching ${JSON.stringify(asks.form)}` : 'a JSON object';
      lines.push(`  answer file: ${example}`, `  strongroom runs answer ${run.id} --step '${step.path}' --input ANSWER.json`);
    }
    io.out(lines.join('\n'));
    return 0;
  });
}

/** `strongroom runs cancel ID`. */
export async function runsCancelCommand(io: CliIo, core: Core, options: RunIdOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const api = accountApi(core, options.account);
    const follower = new RunFollower(api, io, true);
    follower.follow(options.runId);
    await api.call('runs.cancel', { runId: options.runId });
    const run = await follower.settle();
    // It may have ended on its own before the cancel reached the process executing it.
    if (run.status !== 'cancelled') throw new CoreError('ERR_CONFLICT', `Run ${run.id} ended as ${run.status} before the cancel reached it.`, { details: { status: run.status } });
    if (options.json) io.out(JSON.stringify({ ok: true, value: { runId: run.id, status: run.status } }));
    else io.out(`Run ${run.id} is ${run.status}.`);
    return 0;
  });
}

/** `strongroom runs list`: recent runs in the account. */
export async function runsListCommand(io: CliIo, core: Core, options: AccountCommandOptions & { status?: RunDetail['status']; limit: number }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const runs = await accountApi(core, options.account).call('runs.list', { limit: options.limit, ...(options.status ? { status: options.status } : {}) });
    // A running run no process executes was left behind (a crash, a stop): say so, and how to go on.
    const leftBehind = runs.filter((r) => r.status === 'running' && !r.executing);
    const text = [
      ...runs.map((r) => `${r.id}  ${(r.status === 'running' && !r.executing ? 'interrupted' : r.status).padEnd(11)} ${r.workflowId.padEnd(24)} ${r.createdAt}`),
      ...(leftBehind.length === 0 ? [] : ['', `interrupted: running, but no process is executing ${leftBehind.length === 1 ? 'it' : 'them'}; continue with \`strongroom runs resume ID\` (serve and the desktop app resume them when they start).`]),
    ].join('\n');
    io.out(options.json ? JSON.stringify({ ok: true, value: runs }) : text || 'No runs in this account.');
    return 0;
  });
}
