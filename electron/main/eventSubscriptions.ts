// Which window wants which push events. The core host has already filtered events by what the
// session may receive (router.canReceive); this only routes them to the windows that asked.
// Checklist #17 again: events go to our own webContents only, never to a frame that merely asked.
import type { EventName } from '../../core/contracts/index.ts';
import { eventChannel } from '../shared/ipcChannels.ts';

/** The part of a WebContents subscriptions use. */
export interface SubscriberContents {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

export class EventSubscriptions {
  private readonly byContents = new Map<SubscriberContents, Set<EventName>>();

  add(contents: SubscriberContents, name: EventName): void {
    let names = this.byContents.get(contents);
    if (!names) {
      names = new Set();
      this.byContents.set(contents, names);
      contents.once('destroyed', () => this.byContents.delete(contents));
    }
    names.add(name);
  }

  remove(contents: SubscriberContents, name: EventName): void {
    this.byContents.get(contents)?.delete(name);
  }

  /** Sends `(name, payload)` on the event channel to every live webContents subscribed to it. */
  publish(name: EventName, payload: unknown): void {
    for (const [contents, names] of this.byContents) {
      if (contents.isDestroyed()) this.byContents.delete(contents);
      else if (names.has(name)) contents.send(eventChannel, name, payload);
    }
  }

  subscribers(name: EventName): number {
    let count = 0;
    for (const names of this.byContents.values()) if (names.has(name)) count += 1;
    return count;
  }
}
