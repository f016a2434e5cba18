import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startupFailedExitCode } from '../shared/coreHostProtocol.ts';
import type { MainToHostMessage } from '../shared/coreHostProtocol.ts';
import { CoreHost } from './coreHost.ts';
import type { CoreHostOptions, UtilityChild } from './coreHost.ts';
import { RestartBudget } from './pendingCalls.ts';

/** A stand-in utilityProcess: records what main posts; the test plays the core's part. */
class FakeChild extends EventEmitter implements UtilityChild {
  readonly posted: MainToHostMessage[] = [];
  killed = false;
  postMessage(message: MainToHostMessage): void {
    this.posted.push(message);
  }
  kill(): boolean {
    this.killed = true;
    this.exit(137);
    return true;
  }
  reply(message: unknown): void {
    this.emit('message', message);
  }
  exit(code: number): void {
    this.emit('exit', code);
  }
  calls(): Array<Extract<MainToHostMessage, { kind: 'call' }>> {
    return this.posted.filter((message) => message.kind === 'call');
  }
}

function setup(overrides: Partial<CoreHostOptions> = {}) {
  const children: FakeChild[] = [];
  const events: Array<[string, unknown]> = [];
  const exits: Array<[number, boolean]> = [];
  const host = new CoreHost({
    spawn: () => {
      const child = new FakeChild();
      children.push(child);
      return child;
    },
    onEvent: (name, payload) => events.push([name, payload]),
    onExit: (code, willRestart) => exits.push([code, willRestart]),
    ...overrides,
  });
  const child = (index = children.length - 1): FakeChild => {
    const found = children[index];
    if (!found) throw new Error(`no child ${index}`);
    return found;
  };
  return { host, children, child, events, exits };
}

const settled = async <T>(promise: Promise<T>): Promise<T | 'pending'> => Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 20))]);

describe('CoreHost', () => {
  it('holds calls until the core says ready, then relays them with request ids and returns their results', async () => {
    const t = setup();
    const result = t.host.call('system.info', { a: 1 });
    expect(t.child().posted).toEqual([]);
    t.child().reply({ kind: 'ready' });
    const [call] = t.child().calls();
    expect(call).toMatchObject({ kind: 'call', method: 'system.info', input: { a: 1 } });
    expect(call?.id).toMatch(/^[0-9a-f-]{36}$/);
    t.child().reply({ kind: 'result', id: call?.id, result: { ok: true, value: 'info' } });
    expect(await result).toEqual({ ok: true, value: 'info' });
  });

  it('matches results to calls by id, whatever the order', async () => {
    const t = setup();
    t.child().reply({ kind: 'ready' });
    const first = t.host.call('system.info', {});
    const second = t.host.call('system.health', {});
    const [a, b] = t.child().calls();
    t.child().reply({ kind: 'result', id: b?.id, result: { ok: true, value: 'health' } });
    t.child().reply({ kind: 'result', id: a?.id, result: { ok: true, value: 'info' } });
    expect(await first).toEqual({ ok: true, value: 'info' });
    expect(await second).toEqual({ ok: true, value: 'health' });
  });

  it('resolves an in-flight call with ERR_TRANSPORT_FAILED when the core dies, and restarts it', async () => {
    const t = setup();
    t.child().reply({ kind: 'ready' });
    const inFlight = t.host.call('system.info', {});
    expect(await settled(inFlight)).toBe('pending');
    t.child().exit(1);
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'ERR_TRANSPORT_FAILED' } });
    expect(t.exits).toEqual([[1, true]]);
    expect(t.children).toHaveLength(2);

    // The restarted core serves new calls.
    const next = t.host.call('system.health', {});
    t.child().reply({ kind: 'ready' });
    t.child().reply({ kind: 'result', id: t.child().calls()[0]?.id, result: { ok: true, value: 'ok' } });
    expect(await next).toEqual({ ok: true, value: 'ok' });
  });

  it('sends calls the dead core never received to the restarted one instead of failing them', async () => {
    const t = setup();
    const queued = t.host.call('system.info', {});
    t.child().exit(1);
    expect(await settled(queued)).toBe('pending');
    t.child().reply({ kind: 'ready' });
    const [call] = t.child().calls();
    t.child().reply({ kind: 'result', id: call?.id, result: { ok: true, value: 'second life' } });
    expect(await queued).toEqual({ ok: true, value: 'second life' });
  });

  it('gives up after its restart budget, fails everything and answers later calls at once', async () => {
    let now = 0;
    const t = setup({ restarts: new RestartBudget(2, 60_000), now: () => now });
    t.child().exit(1);
    now += 1_000;
    t.child().exit(1);
    now += 1_000;
    const queued = t.host.call('system.info', {});
    t.child().exit(1);
    expect(t.exits).toEqual([[1, true], [1, true], [1, false]]);
    expect(t.children).toHaveLength(3);
    expect(await queued).toMatchObject({ ok: false, error: { code: 'ERR_TRANSPORT_FAILED' } });
    expect(await t.host.call('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_TRANSPORT_FAILED' } });
  });

  it('forwards only events with a declared name, ignoring malformed messages and stale children', () => {
    const t = setup();
    t.child().reply({ kind: 'ready' });
    t.child().reply({ kind: 'event', name: 'system.heartbeat', payload: { at: 'x', uptimeMs: 1 } });
    t.child().reply({ kind: 'event', name: 'system.secrets', payload: {} });
    t.child().reply({ kind: 'event', name: 'constructor', payload: {} });
    t.child().reply({ kind: 'event' });
    t.child().reply('garbage');
    t.child().reply(null);
    const old = t.child();
    old.exit(1);
    old.reply({ kind: 'event', name: 'system.heartbeat', payload: { at: 'stale', uptimeMs: 2 } });
    expect(t.events).toEqual([['system.heartbeat', { at: 'x', uptimeMs: 1 }]]);
  });

  it('ignores results for unknown ids and results that are not envelopes', async () => {
    const t = setup();
    t.child().reply({ kind: 'ready' });
    const call = t.host.call('system.info', {});
    const id = t.child().calls()[0]?.id;
    t.child().reply({ kind: 'result', id: 'someone-else', result: { ok: true, value: 1 } });
    t.child().reply({ kind: 'result', id, result: 'not an envelope' });
    expect(await settled(call)).toBe('pending');
    t.child().reply({ kind: 'result', id, result: { ok: true, value: 2 } });
    expect(await call).toEqual({ ok: true, value: 2 });
  });

  it('shuts the core down cleanly on dispose and fails what is still in flight', async () => {
    const t = setup();
    t.child().reply({ kind: 'ready' });
    const inFlight = t.host.call('system.info', {});
    const disposed = t.host.dispose();
    expect(t.child().posted.at(-1)).toEqual({ kind: 'shutdown' });
    t.child().exit(0);
    await disposed;
    expect(t.child().killed).toBe(false);
    expect(t.exits).toEqual([]);
    expect(t.children).toHaveLength(1);
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'ERR_TRANSPORT_FAILED' } });
    expect(await t.host.call('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_TRANSPORT_FAILED' } });
  });

  it('kills a core that ignores the shutdown request', async () => {
    const t = setup({ shutdownTimeoutMs: 10 });
    t.child().reply({ kind: 'ready' });
    await t.host.dispose();
    expect(t.child().killed).toBe(true);
    expect(t.children).toHaveLength(1);
  });
});

describe('CoreHost when the core cannot start', () => {
  const keyMismatch = { code: 'ERR_SECRETS_KEY_MISMATCH', message: 'The master key in STRONGROOM_MASTER_KEY is not the one this database was encrypted with (installation i-1). Use the key this installation was set up with.' } as const;

  it('hands the core’s typed error to onStartupFailed once, answers waiting and later calls with it, asks the core to stop, and never restarts it', async () => {
    const failures: unknown[] = [];
    const t = setup({ onStartupFailed: (error) => failures.push(error) });
    const waiting = t.host.call('auth.status', {});
    t.child().reply({ kind: 'startupFailed', error: keyMismatch });
    expect(failures).toEqual([keyMismatch]);
    expect(await waiting).toEqual({ ok: false, error: keyMismatch });
    expect(t.child().posted).toEqual([{ kind: 'shutdown' }]);
    t.child().exit(startupFailedExitCode);
    expect(t.children).toHaveLength(1);
    expect(t.exits).toEqual([]);
    expect(await t.host.call('system.info', {})).toEqual({ ok: false, error: keyMismatch });
    // A second report, or one after ready, changes nothing.
    t.child().reply({ kind: 'startupFailed', error: { code: 'ERR_INTERNAL', message: 'again' } });
    expect(failures).toHaveLength(1);
    await t.host.dispose();
  });

  it('ignores a malformed report, and treats the start-up exit status without a report as a failure too, pointing at the log', async () => {
    const failures: Array<{ code: string; message: string }> = [];
    const t = setup({ onStartupFailed: (error) => failures.push(error) });
    t.child().reply({ kind: 'startupFailed', error: { code: 'ERR_MADE_UP', message: 'x' } });
    t.child().reply({ kind: 'startupFailed' });
    expect(failures).toEqual([]);
    t.child().exit(startupFailedExitCode);
    expect(failures).toEqual([{ code: 'ERR_INTERNAL', message: expect.stringContaining('log file') as string }]);
    expect(t.children).toHaveLength(1);
    expect(await t.host.call('system.info', {})).toMatchObject({ ok: false, error: { code: 'ERR_INTERNAL' } });
  });

  it('still restarts a core that crashes with any other status, and one that was ready', () => {
    const failures: unknown[] = [];
    const t = setup({ onStartupFailed: (error) => failures.push(error) });
    t.child().exit(1);
    t.child().reply({ kind: 'ready' });
    t.child().exit(startupFailedExitCode);
    expect(t.exits).toEqual([[1, true], [startupFailedExitCode, true]]);
    expect(t.children).toHaveLength(3);
    expect(failures).toEqual([]);
  });
});

describe('RestartBudget', () => {
  it('allows max restarts per window and recovers as old ones age out', () => {
    const budget = new RestartBudget(2, 1_000);
    expect(budget.tryTake(0)).toBe(true);
    expect(budget.tryTake(10)).toBe(true);
    expect(budget.tryTake(20)).toBe(false);
    expect(budget.tryTake(1_000)).toBe(true);
  });
});
