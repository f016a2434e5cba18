import type { z } from 'zod';
import type { Permission } from './permissions.ts';

/** The declaration of one API method: its schemas and the permission the router enforces. */
export type MethodPermission = Permission | 'signed-in' | 'public';

export interface MethodContract<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType, P extends MethodPermission = MethodPermission> {
  summary: string;
  input: I;
  output: O;
  /**
   * What the caller needs: a permission, `signed-in` (any signed-in principal), or `public`
   * (no sign-in: the sign-in methods themselves).
   */
  permission: P;
  /**
   * For methods that act on another account's resources: which account the input targets. The
   * router authorizes against it, so a principal from another account is refused before the handler.
   */
  resource?: (input: z.output<I>) => { accountId: string };
  /** Security-relevant methods are written to the audit log by the router. */
  audit?: boolean;
}

/** The declaration of one push event and the permission needed to receive it. */
export interface EventContract<P extends z.ZodType = z.ZodType> {
  payload: P;
  permission: Permission | 'public';
  /** A new subscriber first receives the latest payload published so far (state-like events). */
  replayLatest?: boolean;
  /** The payload carries `accountId`; only principals acting in that account receive it. */
  accountScoped?: boolean;
  /** The payload carries `userId`; only that user's sessions receive it (a reply streamed to its caller). */
  userScoped?: boolean;
}

export function defineMethod<I extends z.ZodType, O extends z.ZodType, P extends MethodPermission>(
  contract: MethodContract<I, O, P>,
): MethodContract<I, O, P> {
  return contract;
}

export function defineEvent<P extends z.ZodType>(contract: EventContract<P>): EventContract<P> {
  return contract;
}
