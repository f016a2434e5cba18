import type { EventName, EventPayload, StrongroomBridge } from '../contracts/index.ts';
import type { EventBus } from '../base/index.ts';
import type { Router } from './router.ts';

/**
 * The in-process transport (CLI, tests): the same router and the same event filtering as IPC and
 * HTTP, minus serialisation.
 */
export function createInProcessBridge(router: Router, events: EventBus, sessionId: string | null): StrongroomBridge {
  return {
    invoke: (method, input) => router.call(method, input, { sessionId, transport: 'in-process' }) as never,
    subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      return events.subscribe((name, payload) => {
        if (name === event && router.canReceive(event, sessionId, payload)) listener(payload as EventPayload<E>);
      });
    },
  };
}
