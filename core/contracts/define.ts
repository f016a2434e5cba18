import type { z } from 'zod';
import type { Permission } from './permissions.ts';

/** The declaration of one API method: its schemas and the permission the router enforces. */
export interface MethodContract<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  summary: string;
  input: I;
  output: O;
  permission: Permission;
  /** Security-relevant methods are written to the audit log by the router. */
  audit?: boolean;
}

/** The declaration of one push event and the permission needed to receive it. */
export interface EventContract<P extends z.ZodType = z.ZodType> {
  payload: P;
  permission: Permission;
  /** A new subscriber first receives the latest payload published so far (state-like events). */
  replayLatest?: boolean;
}

export function defineMethod<I extends z.ZodType, O extends z.ZodType>(
  contract: MethodContract<I, O>,
): MethodContract<I, O> {
  return contract;
}

export function defineEvent<P extends z.ZodType>(contract: EventContract<P>): EventContract<P> {
  return contract;
}
