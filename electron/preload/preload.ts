// The preload: exposes exactly `window.strongroom` = { invoke, subscribe } and
// `window.strongroomDesktop` = { pickModelFile } (what only the desktop app can do) and nothing
// else — never ipcRenderer (CONVENTIONS 6; security checklist #20, "Do not expose Electron APIs to
// untrusted web content"). It runs in a sandboxed renderer, which can `require('electron')` but
// no other module, so scripts/build-electron.mjs bundles it into one CommonJS file. Only types
// come from core/contracts; main validates every method and event name.
import { contextBridge, ipcRenderer } from 'electron';
import type { ApiResult, EventName, EventPayload, MethodName, MethodInput, MethodOutput, StrongroomBridge, StrongroomDesktop } from '../../core/contracts/index.ts';
import { eventChannel, invokeChannel, pickModelFileChannel, subscribeChannel, unsubscribeChannel } from '../shared/ipcChannels.ts';

type Listener = (payload: unknown) => void;
const listeners = new Map<string, Set<Listener>>();

ipcRenderer.on(eventChannel, (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string') return;
  for (const listener of listeners.get(name) ?? []) {
    try {
      listener(payload);
    } catch (error) {
      // One failing listener must not starve the others.
      console.error(`strongroom: a listener for ${name} failed`, error);
    }
  }
});

function send(channel: string, name: string): void {
  ipcRenderer.invoke(channel, name).then(
    (result: ApiResult<null>) => {
      if (!result.ok) console.error(`strongroom: ${channel} ${name} refused: ${result.error.code}`);
    },
    (error: unknown) => console.error(`strongroom: ${channel} ${name} failed`, error),
  );
}

const bridge = {
  invoke<M extends MethodName>(method: M, input: MethodInput<M>): Promise<ApiResult<MethodOutput<M>>> {
    return ipcRenderer.invoke(invokeChannel, method, input) as Promise<ApiResult<MethodOutput<M>>>;
  },
  subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    // A fresh wrapper per call, so subscribing the same function twice needs two unsubscribes.
    const wrapped: Listener = (payload) => listener(payload as EventPayload<E>);
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
      send(subscribeChannel, event);
    }
    set.add(wrapped);
    return () => {
      const current = listeners.get(event);
      if (!current?.delete(wrapped) || current.size > 0) return;
      listeners.delete(event);
      send(unsubscribeChannel, event);
    };
  },
} satisfies StrongroomBridge;

const desktop = {
  async pickModelFile(): Promise<string | null> {
    const result = (await ipcRenderer.invoke(pickModelFileChannel)) as ApiResult<string | null>;
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    return result.value;
  },
} satisfies StrongroomDesktop;

contextBridge.exposeInMainWorld('strongroom', bridge);
contextBridge.exposeInMainWorld('strongroomDesktop', desktop);
