import { createContext, useCallback, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import type { ReactNode } from 'react';
import type { ApiError, EventName, EventPayload, MethodInput, MethodName, MethodOutput, StrongroomBridge } from '../../../core/contracts/index.ts';
import { statusSourceOf } from './status.ts';
import type { BridgeStatus } from './status.ts';

const BridgeContext = createContext<StrongroomBridge | null>(null);

export function BridgeProvider({ bridge, children }: { bridge: StrongroomBridge; children: ReactNode }) {
  return <BridgeContext.Provider value={bridge}>{children}</BridgeContext.Provider>;
}

export function useBridge(): StrongroomBridge {
  const bridge = useContext(BridgeContext);
  if (!bridge) throw new Error('useBridge outside BridgeProvider');
  return bridge;
}

const noSource = { subscribe: () => () => undefined, snapshot: () => null };

/**
 * The bridge's connection status (serve mode: the event stream and the launch token), or null for
 * a bridge that has none (the desktop app) and outside a provider (error views drawn before it).
 */
export function useBridgeStatus(): BridgeStatus | null {
  return useBridgeStatusOf(useContext(BridgeContext));
}

/** The same for a given bridge (where no provider is around it yet). */
export function useBridgeStatusOf(bridge: StrongroomBridge | null): BridgeStatus | null {
  const source = bridge ? statusSourceOf(bridge) : null;
  const snapshot = source ? source.status : noSource.snapshot;
  return useSyncExternalStore(source ? source.onStatus : noSource.subscribe, snapshot, snapshot);
}

/** A typed error from the API, thrown so the nearest error boundary can show it. */
export class ApiCallError extends Error {
  readonly apiError: ApiError;
  constructor(apiError: ApiError) {
    super(apiError.message);
    this.name = 'ApiCallError';
    this.apiError = apiError;
  }
}

export type QueryState<T> = { status: 'loading' } | { status: 'ok'; value: T } | { status: 'error'; error: ApiError };

/** Calls one API method when the component mounts and whenever `reload` is called. */
export function useApiQuery<M extends MethodName>(method: M, input: MethodInput<M>): { state: QueryState<MethodOutput<M>>; reload: () => void } {
  const bridge = useBridge();
  const [state, setState] = useState<QueryState<MethodOutput<M>>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const inputKey = JSON.stringify(input);
  useEffect(() => {
    let live = true;
    void bridge.invoke(method, JSON.parse(inputKey) as MethodInput<M>).then((result) => {
      if (!live) return;
      setState(result.ok ? { status: 'ok', value: result.value } : { status: 'error', error: result.error });
    });
    return () => { live = false; };
  }, [bridge, method, inputKey, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { state, reload };
}

/** Subscribes to one push event for the component's lifetime. */
export function useApiEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const bridge = useBridge();
  useEffect(() => bridge.subscribe(event, listener), [bridge, event, listener]);
}
