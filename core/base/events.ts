import type { EventName, EventPayload } from '../contracts/index.ts';

export type EventListener = (event: EventName, payload: EventPayload<EventName>) => void;

/**
 * Core's push channel. Transports subscribe once and forward events to their clients after the
 * router has checked the client may receive them.
 */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  publish<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) {
      try {
        listener(event, payload);
      } catch {
        // A failing subscriber must not break the publisher or the other subscribers.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
