import type { ApiError, AuthStatus, Permission } from '../../../../core/contracts/index.ts';
import type { SessionEndReason } from './signInErrors.ts';

export type Loaded = { status: AuthStatus; permissions: ReadonlySet<Permission> };
export type GateState =
  | { kind: 'loading' }
  | { kind: 'error'; error: ApiError }
  | { kind: 'ready'; loaded: Loaded }
  /** A signed-in page learnt that its session is over: it shows nothing more and leaves for the sign-in page. */
  | { kind: 'ended'; reason: SessionEndReason | null; userId?: string }
  /** The shared cookie now names another person's session (signed in in another tab): start afresh as them. */
  | { kind: 'otherPerson' };

export const showsApp = (state: GateState): boolean => state.kind === 'ready' && state.loaded.status.signedIn;

/**
 * The state after `next` was loaded: a page that shows the app and learns that its session is over
 * ends (and leaves); one that could not ask the server keeps what it shows rather than an error.
 */
export function settled(previous: GateState, next: GateState, hint: SessionEndReason | null): GateState {
  if (previous.kind === 'ended' || previous.kind === 'otherPerson') return previous;
  if (!showsApp(previous)) return next;
  if (next.kind !== 'ready') return previous;
  const shown = previous.kind === 'ready' ? previous.loaded.status.user?.id : undefined;
  if (!next.loaded.status.signedIn) return { kind: 'ended', reason: next.loaded.status.sessionEnded?.reason ?? hint, ...(shown === undefined ? {} : { userId: shown }) };
  // Another person's session now (a background tab rechecking late): never their view of this page.
  return next.loaded.status.user?.id === shown ? next : { kind: 'otherPerson' };
}

