import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { StrongroomBridge, StrongroomDesktop } from '../../core/contracts/index.ts';
import { eventChannel, invokeChannel, pickModelFileChannel, subscribeChannel, unsubscribeChannel } from '../shared/ipcChannels.ts';

// The preload runs in Electron's sandboxed renderer; here `electron` is replaced by stand-ins that
// record what it exposes and what it sends.
const electron = vi.hoisted(() => {
  const exposed = new Map<string, unknown>();
  const invoked: unknown[][] = [];
  const rendererListeners = new Map<string, (event: unknown, ...args: unknown[]) => void>();
  /** What main answers on the file picker's channel, in order. */
  const pickerAnswers: unknown[] = [];
  return {
    exposed,
    invoked,
    pickerAnswers,
    rendererListeners,
    module: {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void exposed.set(key, api) },
      ipcRenderer: {
        invoke: (...args: unknown[]) => {
          invoked.push(args);
          if (args[0] === 'strongroom:pick-model-file') return Promise.resolve(pickerAnswers.shift());
          return Promise.resolve({ ok: true, value: { echoed: args[1] } });
        },
        on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => void rendererListeners.set(channel, listener),
      },
    },
  };
});
vi.mock('electron', () => electron.module);

await import('./preload.ts');
const bridge = electron.exposed.get('strongroom') as StrongroomBridge;
const desktop = electron.exposed.get('strongroomDesktop') as StrongroomDesktop;
const push = (...args: unknown[]) => electron.rendererListeners.get(eventChannel)?.({}, ...args);

beforeEach(() => {
  electron.invoked.length = 0;
});

describe('preload', () => {
  it('exposes exactly window.strongroom (invoke, subscribe) and window.strongroomDesktop (pickModelFile), and no Electron object', () => {
    expect([...electron.exposed.keys()]).toEqual(['strongroom', 'strongroomDesktop']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'subscribe']);
    expect(Object.values(bridge).every((value) => typeof value === 'function')).toBe(true);
    expect(Object.keys(desktop)).toEqual(['pickModelFile']);
  });

  it('asks main for a model file on its own channel and returns the path, null when cancelled, and throws a refusal', async () => {
    electron.pickerAnswers.push({ ok: true, value: '/models/a.gguf' }, { ok: true, value: null }, { ok: false, error: { code: 'ERR_AUTH_FORBIDDEN', message: 'This frame may not call Strongroom.' } });
    expect(await desktop.pickModelFile()).toBe('/models/a.gguf');
    expect(await desktop.pickModelFile()).toBeNull();
    await expect(desktop.pickModelFile()).rejects.toThrow('ERR_AUTH_FORBIDDEN');
    expect(electron.invoked).toEqual([[pickModelFileChannel], [pickModelFileChannel], [pickModelFileChannel]]);
  });

  it('invokes on the invoke channel with the method and input unchanged', async () => {
    const result = await bridge.invoke('system.info', {});
    expect(electron.invoked).toEqual([[invokeChannel, 'system.info', {}]]);
    expect(result).toEqual({ ok: true, value: { echoed: 'system.info' } });
  });

  it('subscribes once per event name, delivers pushes to every listener, and unsubscribes after the last', () => {
    const first: unknown[] = [];
    const second: unknown[] = [];
    const stopFirst = bridge.subscribe('system.heartbeat', (payload) => first.push(payload));
    const stopSecond = bridge.subscribe('system.heartbeat', (payload) => second.push(payload));
    expect(electron.invoked).toEqual([[subscribeChannel, 'system.heartbeat']]);

    push('system.heartbeat', { at: 'a', uptimeMs: 1 });
    push('system.other', { at: 'b', uptimeMs: 2 });
    push(42, {});
    expect(first).toEqual([{ at: 'a', uptimeMs: 1 }]);
    expect(second).toEqual([{ at: 'a', uptimeMs: 1 }]);

    stopFirst();
    stopFirst();
    expect(electron.invoked).toHaveLength(1);
    push('system.heartbeat', { at: 'c', uptimeMs: 3 });
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(2);

    stopSecond();
    expect(electron.invoked).toEqual([[subscribeChannel, 'system.heartbeat'], [unsubscribeChannel, 'system.heartbeat']]);
  });

  it('keeps delivering to other listeners when one throws', () => {
    const received: unknown[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const stopBad = bridge.subscribe('system.heartbeat', () => {
      throw new Error('listener bug');
    });
    const stopGood = bridge.subscribe('system.heartbeat', (payload) => received.push(payload));
    push('system.heartbeat', { at: 'd', uptimeMs: 4 });
    expect(received).toEqual([{ at: 'd', uptimeMs: 4 }]);
    expect(errors).toHaveBeenCalledOnce();
    stopBad();
    stopGood();
    errors.mockRestore();
  });
});
