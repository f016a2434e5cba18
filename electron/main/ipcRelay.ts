// The renderer's only door into main. Security checklist #17, "Validate the sender of all IPC
// messages" (VS Code's validatedIpcMain): every message must come from the main frame of one of
// our windows, on the app's own origin, and name a method or event the contract declares.
// Errors travel as ApiResult data, because Electron passes only `message` of a thrown error.
import type { ApiResult } from '../../core/contracts/index.ts';
import { isEventName, isMethodName } from '../../core/contracts/index.ts';
import { invokeChannel, pickModelFileChannel, subscribeChannel, unsubscribeChannel } from '../shared/ipcChannels.ts';
import { originOf } from './appOrigin.ts';
import type { EventSubscriptions, SubscriberContents } from './eventSubscriptions.ts';

/** The part of a WebFrameMain the check reads. `parent` is null for a window's main frame. */
export interface SenderFrame {
  readonly url: string;
  readonly parent: unknown;
}

/** True when `frame` is a top-level frame whose URL is on one of `allowedOrigins`. */
export function validateIpcSender(frame: SenderFrame | null | undefined, allowedOrigins: readonly string[]): boolean {
  if (!frame || frame.parent !== null) return false;
  const origin = originOf(frame.url);
  return origin !== null && allowedOrigins.includes(origin);
}

export interface IpcInvokeEvent {
  readonly sender: SubscriberContents;
  readonly senderFrame: SenderFrame | null;
}

/** The part of Electron's ipcMain the relay uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface IpcRelayOptions {
  ipcMain: IpcMainLike;
  allowedOrigins: readonly string[];
  /** Whether the sending webContents is one of our windows (WindowRegistry.owns). */
  ownsSender: (sender: SubscriberContents) => boolean;
  call: (method: string, input: unknown) => Promise<ApiResult<unknown>>;
  subscriptions: EventSubscriptions;
  /**
   * Shows the native open dialog for a GGUF file over the sender's window and resolves to the
   * chosen absolute path, or null when cancelled. The path is only a suggestion for the Models
   * page's form: models.add still checks the file, its checksum and its architecture.
   */
  pickModelFile?: (sender: SubscriberContents) => Promise<string | null>;
  onRefused?: (channel: string, reason: 'sender' | 'method' | 'event', url: string | undefined) => void;
}

function refusal(code: 'ERR_AUTH_FORBIDDEN' | 'ERR_API_UNKNOWN_METHOD' | 'ERR_API_UNKNOWN_EVENT'): ApiResult<never> {
  const message = code === 'ERR_AUTH_FORBIDDEN' ? 'This frame may not call Strongroom.' : code === 'ERR_API_UNKNOWN_METHOD' ? 'There is no API method with this name.' : 'There is no API event with this name.';
  return { ok: false, error: { code, message } };
}

/** Registers the channels (the file picker's only when given); returns a function that removes them. */
export function registerIpcRelay(options: IpcRelayOptions): () => void {
  const { ipcMain, allowedOrigins, ownsSender, call, subscriptions, pickModelFile, onRefused } = options;
  const trusted = (channel: string, event: IpcInvokeEvent): boolean => {
    if (ownsSender(event.sender) && validateIpcSender(event.senderFrame, allowedOrigins)) return true;
    onRefused?.(channel, 'sender', event.senderFrame?.url);
    return false;
  };

  ipcMain.handle(invokeChannel, async (event, method, input) => {
    if (!trusted(invokeChannel, event)) return refusal('ERR_AUTH_FORBIDDEN');
    if (!isMethodName(method)) {
      onRefused?.(invokeChannel, 'method', event.senderFrame?.url);
      return refusal('ERR_API_UNKNOWN_METHOD');
    }
    return call(method, input);
  });
  for (const channel of [subscribeChannel, unsubscribeChannel]) {
    ipcMain.handle(channel, async (event, name) => {
      if (!trusted(channel, event)) return refusal('ERR_AUTH_FORBIDDEN');
      if (!isEventName(name)) {
        onRefused?.(channel, 'event', event.senderFrame?.url);
        return refusal('ERR_API_UNKNOWN_EVENT');
      }
      if (channel === subscribeChannel) subscriptions.add(event.sender, name);
      else subscriptions.remove(event.sender, name);
      return { ok: true, value: null };
    });
  }
  const channels = [invokeChannel, subscribeChannel, unsubscribeChannel];
  if (pickModelFile !== undefined) {
    channels.push(pickModelFileChannel);
    ipcMain.handle(pickModelFileChannel, async (event): Promise<ApiResult<string | null>> => {
      if (!trusted(pickModelFileChannel, event)) return refusal('ERR_AUTH_FORBIDDEN');
      return { ok: true, value: await pickModelFile(event.sender) };
    });
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}
