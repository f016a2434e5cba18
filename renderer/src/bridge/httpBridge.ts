import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { ApiResult, EventName, EventPayload, StrongroomBridge } from '../../../core/contracts/index.ts';
import { apiEvents, ApiResultSchema, isEventName } from '../../../core/contracts/index.ts';
import { createStatusStore, isLaunchTokenRefusal, staleTokenError } from './status.ts';
import type { AccountAware, BridgeStatusSource } from './status.ts';

type Listener = (payload: unknown) => void;

function transportError(message: string): ApiResult<never> {
  return { ok: false, error: { code: 'ERR_TRANSPORT_FAILED', message } };
}

export type HttpBridge = StrongroomBridge & BridgeStatusSource & AccountAware;

/**
 * Serve mode's bridge: `POST /api/<method>` with the launch token as a bearer, and one shared
 * server-sent-event stream read with fetch (EventSource cannot send an Authorization header),
 * parsed by eventsource-parser and reconnected with backoff. Its status says at once when the
 * stream is lost or back, and when the server refuses the token (serve restarted with a new one):
 * then every call returns `staleTokenError()` and the stream stops trying.
 */
export function createHttpBridge(token: string, baseUrl = ''): HttpBridge {
  const listeners = new Map<EventName, Set<Listener>>();
  const status = createStatusStore();
  /** The account the page shows, sent with every call (see AccountAware); null until signed in. */
  let account: string | null = null;
  /**
   * The last payload of each state-like (`replayLatest`) event. The server replays it once, when the
   * shared stream opens; a component that subscribes later must get it too, as it would have from
   * its own stream.
   */
  const latest = new Map<EventName, unknown>();
  let stream: AbortController | undefined;

  async function readEvents(signal: AbortSignal): Promise<void> {
    let delayMs = 500;
    while (!signal.aborted) {
      try {
        const response = await fetch(`${baseUrl}/api/events`, { headers: { authorization: `Bearer ${token}` }, signal });
        if (response.status === 401 && isLaunchTokenRefusal(response.status, await response.json().catch(() => null))) {
          // A new serve, a new token: reconnecting can never succeed.
          if (!signal.aborted) status.update({ token: 'refused', stream: 'lost' });
          return;
        }
        if (!response.ok || !response.body) throw new Error(`event stream refused (${response.status})`);
        if (signal.aborted) return;
        status.update({ stream: 'open', token: 'accepted' });
        delayMs = 500;
        const reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (!value.event || !isEventName(value.event)) continue;
          const payload: unknown = JSON.parse(value.data);
          if ((apiEvents[value.event] as { replayLatest?: boolean }).replayLatest) latest.set(value.event, payload);
          for (const listener of listeners.get(value.event) ?? []) listener(payload);
        }
      } catch {
        if (signal.aborted) return;
      }
      // Errored or closed: said at once, not after a missed heartbeat.
      if (signal.aborted) return;
      status.update({ stream: 'lost' });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 10_000);
    }
  }

  return {
    status: status.status,
    onStatus: status.onStatus,
    setAccount(accountId) {
      account = accountId;
    },
    async invoke(method, input) {
      let response: Response;
      try {
        response = await fetch(`${baseUrl}/api/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(account === null ? {} : { 'x-strongroom-account': account }) },
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        return transportError('Strongroom is not reachable. Is `strongroom serve` still running?');
      }
      const body: unknown = await response.json().catch(() => null);
      if (isLaunchTokenRefusal(response.status, body)) {
        status.update({ token: 'refused' });
        return { ok: false, error: staleTokenError() };
      }
      const parsed = ApiResultSchema.safeParse(body);
      if (parsed.success && parsed.data.ok) status.update({ token: 'accepted' });
      return parsed.success ? (parsed.data as never) : transportError(`Unexpected response from the server (HTTP ${response.status}).`);
    },
    subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      const set = listeners.get(event) ?? new Set<Listener>();
      listeners.set(event, set);
      set.add(listener as Listener);
      if (latest.has(event)) {
        const payload = latest.get(event);
        queueMicrotask(() => { if (set.has(listener as Listener)) (listener as Listener)(payload); });
      }
      if (!stream) {
        stream = new AbortController();
        void readEvents(stream.signal);
      }
      return () => {
        set.delete(listener as Listener);
        if ([...listeners.values()].every((s) => s.size === 0)) {
          stream?.abort();
          stream = undefined;
          latest.clear();
          status.update({ stream: 'connecting' });
        }
      };
    },
  };
}
