import type { StrongroomBridge, StrongroomDesktop } from '../../../core/contracts/index.ts';
import { createHttpBridge } from './httpBridge.ts';

declare global {
  interface Window {
    /** Present in the desktop app, exposed by the Electron preload. */
    strongroom?: StrongroomBridge;
    /** Present in the desktop app only: the native shell's extras (file picker). */
    strongroomDesktop?: StrongroomDesktop;
  }
}

const tokenKey = 'strongroom.token';

/**
 * Takes the launch token from the URL fragment (`#token=…`, never sent to a server), keeps it for
 * this tab only, and removes it from the address bar and history.
 */
function takeLaunchToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(tokenKey, decodeURIComponent(match[1]));
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(tokenKey);
}

export type BridgeState = { kind: 'ready'; bridge: StrongroomBridge; transport: 'ipc' | 'http' } | { kind: 'missing-token' };

/** The desktop preload's bridge when present, otherwise serve mode's HTTP bridge. */
export function connectBridge(): BridgeState {
  if (window.strongroom) return { kind: 'ready', bridge: window.strongroom, transport: 'ipc' };
  const token = takeLaunchToken();
  return token ? { kind: 'ready', bridge: createHttpBridge(token), transport: 'http' } : { kind: 'missing-token' };
}
