// The core host's side of the relay, free of Electron so it is tested in-process against a real
// createCore: calls go through the router with transport 'ipc' and the window's session slot
// (empty until the user signs in; sign-in and sign-out set it), and events are forwarded only
// when that session may receive them (router.canReceive).
import type { Core } from '../../core/index.ts';
import type { SessionSlot } from '../../core/identity/index.ts';
import type { HostToMainMessage, MainToHostMessage } from '../shared/coreHostProtocol.ts';
import { isMainToHostMessage } from '../shared/coreHostProtocol.ts';

export interface CoreHostHandler {
  /** Handles one message from main; resolves once its reply (if any) has been posted. */
  handle(message: unknown): Promise<'handled' | 'shutdown' | 'ignored'>;
  /** Stops forwarding events. */
  dispose(): void;
}

export function createCoreHostHandler(core: Core, session: SessionSlot, post: (message: HostToMainMessage) => void): CoreHostHandler {
  const unsubscribe = core.events.subscribe((name, payload) => {
    if (core.router.canReceive(name, session.get(), payload)) post({ kind: 'event', name, payload });
  });

  async function call(message: Extract<MainToHostMessage, { kind: 'call' }>): Promise<void> {
    try {
      const result = await core.router.call(message.method, message.input, { sessionId: session.get(), transport: 'ipc', requestId: message.id, setSession: (id) => session.set(id) });
      post({ kind: 'result', id: message.id, result });
    } catch (error) {
      // The router turns handler errors into envelopes; reaching here is a bug in the router.
      core.logger.error({ requestId: message.id, errorType: error instanceof Error ? error.name : typeof error }, 'core host relay failed');
      post({ kind: 'result', id: message.id, result: { ok: false, error: { code: 'ERR_INTERNAL', message: 'An internal error occurred. The request id is in the log.', details: { requestId: message.id } } } });
    }
  }

  return {
    async handle(message) {
      if (!isMainToHostMessage(message)) {
        core.logger.warn('core host ignored a malformed message');
        return 'ignored';
      }
      if (message.kind === 'shutdown') return 'shutdown';
      await call(message);
      return 'handled';
    },
    dispose: () => void unsubscribe(),
  };
}
