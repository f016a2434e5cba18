// Runs core in a utilityProcess so SQLite I/O and inference never block the window, and relays
// calls (with request ids) and events over its parentPort. Checklist #4, "Enable process
// sandboxing", in spirit: the renderer never gets Node; the one Node with data access is here.
// A dead core never leaves a caller hanging: in-flight calls resolve with ERR_TRANSPORT_FAILED.
// A core that cannot start for a reason it names (startupFailed) is not restarted: every call
// gets that error, and main shows it (onStartupFailed).
import { randomUUID } from 'node:crypto';
import type { ApiError, ApiResult, EventName } from '../../core/contracts/index.ts';
import { isEventName } from '../../core/contracts/index.ts';
import { isHostToMainMessage, startupFailedExitCode } from '../shared/coreHostProtocol.ts';
import type { MainToHostMessage } from '../shared/coreHostProtocol.ts';
import { PendingCalls, RestartBudget, settlesWithin, transportFailed } from './pendingCalls.ts';

/** The part of Electron's UtilityProcess the host uses. */
export interface UtilityChild {
  postMessage(message: MainToHostMessage): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface CoreHostOptions {
  spawn(): UtilityChild;
  onEvent(name: EventName, payload: unknown): void;
  /** Every exit of the core process; `willRestart` false means the host has given up. */
  onExit(exitCode: number, willRestart: boolean): void;
  /**
   * The core could not start, for a reason restarting cannot fix (its code and a message naming
   * the fix). Called once; the host has stopped and answers every call with this error.
   */
  onStartupFailed?(error: ApiError): void;
  restarts?: RestartBudget;
  shutdownTimeoutMs?: number;
  now?: () => number;
}

export class CoreHost {
  private readonly options: CoreHostOptions;
  private readonly pending = new PendingCalls();
  private readonly restarts: RestartBudget;
  private child: UtilityChild | null = null;
  private ready = false;
  /** Calls not yet delivered because the child has not said `ready`. */
  private outbox: MainToHostMessage[] = [];
  private running = true;
  private exited: (() => void) | null = null;
  private startupError: ApiError | null = null;

  constructor(options: CoreHostOptions) {
    this.options = options;
    this.restarts = options.restarts ?? new RestartBudget(3, 60_000);
    this.start();
  }

  /** Relays one API call; always resolves, with the core's envelope or ERR_TRANSPORT_FAILED. */
  call(method: string, input: unknown): Promise<ApiResult<unknown>> {
    if (this.startupError) return Promise.resolve({ ok: false, error: this.startupError });
    if (!this.running || !this.child) return Promise.resolve(transportFailed('The Strongroom core is not running.'));
    const id = randomUUID();
    const result = this.pending.add(id);
    if (this.ready) this.child.postMessage({ kind: 'call', id, method, input });
    else this.outbox.push({ kind: 'call', id, method, input });
    return result;
  }

  /** Asks the core to shut down, kills it after a timeout, and fails whatever is in flight. */
  async dispose(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const child = this.child;
    if (child) {
      const exited = new Promise<void>((resolve) => (this.exited = resolve));
      child.postMessage({ kind: 'shutdown' });
      if (!(await settlesWithin(exited, this.options.shutdownTimeoutMs ?? 5_000))) child.kill();
    }
    this.outbox = [];
    this.pending.failAll('The Strongroom core was shut down.');
  }

  private start(): void {
    const child = this.options.spawn();
    this.child = child;
    this.ready = false;
    child.on('message', (message) => this.receive(child, message));
    child.on('exit', (code) => this.handleExit(child, code));
  }

  private receive(child: UtilityChild, message: unknown): void {
    if (child !== this.child || !isHostToMainMessage(message)) return;
    if (message.kind === 'ready') {
      this.ready = true;
      for (const queued of this.outbox.splice(0)) child.postMessage(queued);
    } else if (message.kind === 'startupFailed') {
      if (this.ready) return; // only a starting core can fail to start
      this.failStartup(message.error);
      // It waits for this before exiting, so the report is not lost with the process.
      child.postMessage({ kind: 'shutdown' });
    } else if (message.kind === 'result') {
      this.pending.settle(message.id, message.result);
    } else if (isEventName(message.name)) {
      this.options.onEvent(message.name, message.payload);
    }
  }

  private handleExit(child: UtilityChild, code: number): void {
    if (child !== this.child) return;
    this.child = null;
    this.exited?.();
    if (!this.running) return;
    if (code === startupFailedExitCode && !this.ready) {
      // Its report was lost, but the exit status says the same: do not restart, point at the log.
      this.failStartup({ code: 'ERR_INTERNAL', message: 'The Strongroom core could not start. The reason is in the log file (logs/strongroom.log in the data directory).' });
      return;
    }
    // Calls the dead process had received may or may not have run: fail them, never replay them.
    // Calls still in the outbox never reached it and go to the restarted process.
    const undelivered = new Set(this.outbox.flatMap((message) => (message.kind === 'call' ? [message.id] : [])));
    this.pending.failAll('The Strongroom core stopped while handling this request.', undelivered);
    const willRestart = this.restarts.tryTake((this.options.now ?? Date.now)());
    this.options.onExit(code, willRestart);
    if (willRestart) return this.start();
    this.running = false;
    this.outbox = [];
    this.pending.failAll('The Strongroom core stopped and could not be restarted.');
  }

  /** Stops for good with a start-up error: waiting and later calls all get it. */
  private failStartup(error: ApiError): void {
    if (!this.running) return;
    this.running = false;
    this.startupError = error;
    this.outbox = [];
    this.pending.settleAll({ ok: false, error });
    this.options.onStartupFailed?.(error);
  }
}
