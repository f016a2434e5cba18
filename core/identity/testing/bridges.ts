import { createInProcessBridge, localOperator } from '../../api/index.ts';
import type { Clock } from '../../base/index.ts';
import type { MethodInput, MethodName, MethodOutput, StrongroomBridge } from '../../contracts/index.ts';
import type { Core } from '../../createCore.ts';

// What the identity tests share: a clock they move by hand, and API calls as the local operator
// or as a signed-in session, through the same in-process bridge the desktop app uses.

export function manualClock(start = Date.now()): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, monotonic: () => now, advance: (ms) => { now += ms; } };
}

/** The method's value; a refusal is thrown as an Error carrying the API error's code and details. */
export async function call<M extends MethodName>(bridge: StrongroomBridge, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const result = await bridge.invoke(method, input);
  if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
  return result.value;
}

/** The local operator (the CLI's principal). */
export const operator = (core: Core): StrongroomBridge => createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id);

/** Whoever holds this session. */
export const as = (core: Core, sessionId: string): StrongroomBridge => createInProcessBridge(core.router, core.events, sessionId);
