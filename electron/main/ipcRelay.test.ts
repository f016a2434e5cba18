import { describe, expect, it } from 'vitest';
import type { ApiResult } from '../../core/contracts/index.ts';
import { eventChannel, invokeChannel, pickModelFileChannel, subscribeChannel, unsubscribeChannel } from '../shared/ipcChannels.ts';
import { appOrigin } from './appOrigin.ts';
import { EventSubscriptions } from './eventSubscriptions.ts';
import type { SubscriberContents } from './eventSubscriptions.ts';
import { registerIpcRelay, validateIpcSender } from './ipcRelay.ts';
import type { IpcInvokeEvent, IpcMainLike, SenderFrame } from './ipcRelay.ts';

type Handler = (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => void handlers.delete(channel),
  };
  const invoke = async (channel: string, event: IpcInvokeEvent, ...args: unknown[]) => {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return (await handler(event, ...args)) as ApiResult<unknown>;
  };
  return { ipcMain, handlers, invoke };
}

function fakeContents(id: number) {
  const sent: unknown[][] = [];
  let destroyed = false;
  let onDestroyed: (() => void) | undefined;
  const contents: SubscriberContents = {
    id,
    send: (...args: unknown[]) => void sent.push(args),
    isDestroyed: () => destroyed,
    once: (_event, listener) => (onDestroyed = listener),
  };
  return { contents, sent, destroy: () => ((destroyed = true), onDestroyed?.()) };
}

const mainFrame = (url: string): SenderFrame => ({ url, parent: null });
const subFrame = (url: string): SenderFrame => ({ url, parent: mainFrame('app://strongroom/') });

function setup() {
  const ipc = fakeIpcMain();
  const ours = fakeContents(1);
  const foreign = fakeContents(2);
  const calls: Array<[string, unknown]> = [];
  const refused: string[] = [];
  const subscriptions = new EventSubscriptions();
  const remove = registerIpcRelay({
    ipcMain: ipc.ipcMain,
    allowedOrigins: [appOrigin],
    ownsSender: (sender) => sender.id === ours.contents.id,
    call: async (method, input) => {
      calls.push([method, input]);
      return { ok: true, value: { relayed: method } };
    },
    subscriptions,
    onRefused: (channel, reason) => refused.push(`${channel} ${reason}`),
  });
  const event = (frame: SenderFrame | null, sender = ours.contents): IpcInvokeEvent => ({ sender, senderFrame: frame });
  return { ...ipc, ours, foreign, calls, refused, subscriptions, remove, event };
}

describe('validateIpcSender', () => {
  it('accepts the main frame on an allowed origin', () => {
    expect(validateIpcSender(mainFrame('app://strongroom/reviews'), [appOrigin])).toBe(true);
  });

  it.each([
    ['a foreign origin', mainFrame('https://evil.example/')],
    ['another app:// host', mainFrame('app://other/')],
    ['a file:// page', mainFrame('file:///tmp/x.html')],
    ['a subframe, even on the app origin', subFrame('app://strongroom/')],
    ['about:blank', mainFrame('about:blank')],
  ])('refuses %s', (_label, frame) => {
    expect(validateIpcSender(frame, [appOrigin])).toBe(false);
  });

  it('refuses a missing frame (navigated away or destroyed)', () => {
    expect(validateIpcSender(null, [appOrigin])).toBe(false);
    expect(validateIpcSender(undefined, [appOrigin])).toBe(false);
  });
});

describe('registerIpcRelay: invoke', () => {
  it('relays a valid call with exactly its method and input, and returns the core envelope', async () => {
    const t = setup();
    const input = { nested: { value: 1 } };
    const result = await t.invoke(invokeChannel, t.event(mainFrame('app://strongroom/')), 'system.info', input);
    expect(result).toEqual({ ok: true, value: { relayed: 'system.info' } });
    expect(t.calls).toEqual([['system.info', input]]);
    expect(t.calls[0]?.[1]).toBe(input);
  });

  it.each([
    ['a foreign-origin frame', mainFrame('https://evil.example/')],
    ['a subframe', subFrame('app://strongroom/')],
    ['no frame', null],
  ])('refuses %s with ERR_AUTH_FORBIDDEN and relays nothing', async (_label, frame) => {
    const t = setup();
    const result = await t.invoke(invokeChannel, t.event(frame), 'system.info', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(t.calls).toEqual([]);
    expect(t.refused).toEqual([`${invokeChannel} sender`]);
  });

  it('refuses a webContents that is not one of our windows, even on the app origin', async () => {
    const t = setup();
    const result = await t.invoke(invokeChannel, t.event(mainFrame('app://strongroom/'), t.foreign.contents), 'system.info', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(t.calls).toEqual([]);
  });

  it.each([['an unknown method', 'system.format_disk'], ['a prototype key', 'constructor'], ['a number', 42], ['an object', { toString: () => 'system.info' }], ['nothing', undefined]])(
    'refuses %s with ERR_API_UNKNOWN_METHOD',
    async (_label, method) => {
      const t = setup();
      const result = await t.invoke(invokeChannel, t.event(mainFrame('app://strongroom/')), method, {});
      expect(result).toMatchObject({ ok: false, error: { code: 'ERR_API_UNKNOWN_METHOD' } });
      expect(t.calls).toEqual([]);
    },
  );

  it('checks the sender before the method name', async () => {
    const t = setup();
    const result = await t.invoke(invokeChannel, t.event(mainFrame('https://evil.example/')), 'nope', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
  });

  it('removes its handlers', () => {
    const t = setup();
    expect([...t.handlers.keys()].sort()).toEqual([invokeChannel, subscribeChannel, unsubscribeChannel].sort());
    t.remove();
    expect(t.handlers.size).toBe(0);
  });
});

describe('registerIpcRelay: events', () => {
  it('subscribes a window to a declared event and delivers it on the event channel', async () => {
    const t = setup();
    const result = await t.invoke(subscribeChannel, t.event(mainFrame('app://strongroom/')), 'system.heartbeat');
    expect(result).toEqual({ ok: true, value: null });
    t.subscriptions.publish('system.heartbeat', { at: 'now', uptimeMs: 5 });
    expect(t.ours.sent).toEqual([[eventChannel, 'system.heartbeat', { at: 'now', uptimeMs: 5 }]]);
  });

  it('refuses unknown event names and foreign senders', async () => {
    const t = setup();
    expect(await t.invoke(subscribeChannel, t.event(mainFrame('app://strongroom/')), 'system.secrets')).toMatchObject({ ok: false, error: { code: 'ERR_API_UNKNOWN_EVENT' } });
    expect(await t.invoke(subscribeChannel, t.event(mainFrame('app://strongroom/')), 7)).toMatchObject({ ok: false, error: { code: 'ERR_API_UNKNOWN_EVENT' } });
    expect(await t.invoke(subscribeChannel, t.event(subFrame('app://strongroom/')), 'system.heartbeat')).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(t.subscriptions.subscribers('system.heartbeat')).toBe(0);
  });

  it('stops delivering after unsubscribe and after the webContents is destroyed', async () => {
    const t = setup();
    const frame = mainFrame('app://strongroom/');
    await t.invoke(subscribeChannel, t.event(frame), 'system.heartbeat');
    await t.invoke(unsubscribeChannel, t.event(frame), 'system.heartbeat');
    t.subscriptions.publish('system.heartbeat', { at: 'a', uptimeMs: 1 });
    expect(t.ours.sent).toEqual([]);

    await t.invoke(subscribeChannel, t.event(frame), 'system.heartbeat');
    t.ours.destroy();
    t.subscriptions.publish('system.heartbeat', { at: 'b', uptimeMs: 2 });
    expect(t.ours.sent).toEqual([]);
    expect(t.subscriptions.subscribers('system.heartbeat')).toBe(0);
  });
});

describe('registerIpcRelay: the model file picker', () => {
  function withPicker(answer: string | null) {
    const ipc = fakeIpcMain();
    const ours = fakeContents(1);
    const asked: number[] = [];
    const refused: string[] = [];
    const remove = registerIpcRelay({
      ipcMain: ipc.ipcMain,
      allowedOrigins: [appOrigin],
      ownsSender: (sender) => sender.id === ours.contents.id,
      call: async () => ({ ok: true, value: null }),
      subscriptions: new EventSubscriptions(),
      pickModelFile: async (sender) => {
        asked.push(sender.id);
        return answer;
      },
      onRefused: (channel, reason) => refused.push(`${channel} ${reason}`),
    });
    return { ...ipc, ours, asked, refused, remove };
  }

  it('shows the picker over the asking window and returns the chosen path or null', async () => {
    const chosen = withPicker('/models/credit.gguf');
    expect(await chosen.invoke(pickModelFileChannel, { sender: chosen.ours.contents, senderFrame: mainFrame('app://strongroom/models') })).toEqual({ ok: true, value: '/models/credit.gguf' });
    expect(chosen.asked).toEqual([1]);
    const cancelled = withPicker(null);
    expect(await cancelled.invoke(pickModelFileChannel, { sender: cancelled.ours.contents, senderFrame: mainFrame('app://strongroom/models') })).toEqual({ ok: true, value: null });
  });

  it('never opens it for a frame that is not ours', async () => {
    const t = withPicker('/models/credit.gguf');
    expect(await t.invoke(pickModelFileChannel, { sender: t.ours.contents, senderFrame: subFrame('app://strongroom/') })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(await t.invoke(pickModelFileChannel, { sender: fakeContents(9).contents, senderFrame: mainFrame('app://strongroom/') })).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(t.asked).toEqual([]);
    expect(t.refused).toEqual([`${pickModelFileChannel} sender`, `${pickModelFileChannel} sender`]);
  });

  it('registers its channel only when given, and removes it with the rest', () => {
    const t = withPicker(null);
    expect([...t.handlers.keys()]).toContain(pickModelFileChannel);
    t.remove();
    expect(t.handlers.size).toBe(0);
    expect([...setup().handlers.keys()]).not.toContain(pickModelFileChannel);
  });
});
