import type { z } from 'zod';
import { auditMethods } from './audit.ts';
import { draftEvents, draftMethods } from './drafts.ts';
import type { ApiResult } from './errors.ts';
import { identityEvents, identityMethods } from './identity.ts';
import { modelEvents, modelMethods } from './models.ts';
import { systemEvents, systemMethods } from './system.ts';
import { toolMethods } from './tools.ts';
import { tracingEvents, tracingMethods } from './tracing.ts';
import { workflowEvents, workflowMethods } from './workflows.ts';

/** The whole API: every method any client can call. Add an area's methods here. */
export const apiMethods = {
  ...systemMethods,
  ...identityMethods,
  ...auditMethods,
  ...workflowMethods,
  ...modelMethods,
  ...toolMethods,
  ...tracingMethods,
  ...draftMethods,
};

/** Every push event a client can subscribe to. */
export const apiEvents = {
  ...systemEvents,
  ...identityEvents,
  ...workflowEvents,
  ...modelEvents,
  ...tracingEvents,
  ...draftEvents,
};

export type ApiMethods = typeof apiMethods;
export type MethodName = keyof ApiMethods;
export type MethodInput<M extends MethodName> = z.input<ApiMethods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<ApiMethods[M]['output']>;

export type ApiEvents = typeof apiEvents;
export type EventName = keyof ApiEvents;
export type EventPayload<E extends EventName> = z.output<ApiEvents[E]['payload']>;

export const methodNames = Object.keys(apiMethods) as MethodName[];
export const eventNames = Object.keys(apiEvents) as EventName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(apiMethods, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(apiEvents, name);
}

/**
 * What every client sees, whatever the transport: the Electron preload exposes exactly this as
 * `window.strongroom`, serve mode implements it over HTTP, tests over an in-process router.
 */
export interface StrongroomBridge {
  invoke<M extends MethodName>(method: M, input: MethodInput<M>): Promise<ApiResult<MethodOutput<M>>>;
  subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/**
 * What only the desktop app can do for its pages, exposed by the Electron preload as
 * `window.strongroomDesktop`. Absent in serve mode (a browser), where pages fall back — e.g. a
 * typed path instead of the native file picker.
 */
export interface StrongroomDesktop {
  /** The native open dialog for a GGUF file: its absolute path, or null when cancelled. */
  pickModelFile(): Promise<string | null>;
}
