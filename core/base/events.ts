import type { EventName, EventPayload } from '../contracts/index.ts';
import { apiEvents } from '../contracts/index.ts';

export type EventListener = (event: EventName, payload: EventPayload<EventName>) => void;

/**
 * Core's push channel. Transports subscribe once and forward events to their clients after the
 * router has checked the client may receive them. Events declared `replayLatest` are delivered to
 * a new subscriber straight away with their latest payload, so a client that connects between two
 * heartbeats need not wait for the next one.
 */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly latest = new Map<EventName, EventPayload<EventName>>();

  publish<E extends EventName>(event: E, payload: EventPayload<E>): void {
    if (apiEvents[event].replayLatest === true) this.latest.set(event, payload);
    for (const listener of this.listeners) deliver(listener, event, payload);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    for (const [event, payload] of this.latest) deliver(listener, event, payload);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

function deliver(listener: EventListener, event: EventName, payload: EventPayload<EventName>): void {
  try {
    listener(event, payload);
  } catch {
    // A failing subscriber must not break the publisher or the other subscribers.
  }
}
