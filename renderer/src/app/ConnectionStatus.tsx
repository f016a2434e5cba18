import { useCallback, useEffect, useState } from 'react';
import { useApiEvent, useBridgeStatus } from '../bridge/context.tsx';
import type { BridgeStatus } from '../bridge/status.ts';

/** Without a word from the core for this long, it is taken as gone (a hung server, or the desktop's core). */
export const staleAfterMs = 45_000;

export type Connection = 'waiting' | 'connected' | 'lost' | 'refused';

/**
 * What the indicator says. Serve mode's event stream says it at once: lost as soon as it errors or
 * closes, connected again when it reopens, refused when the server no longer takes this page's
 * token (a restart). The heartbeat gap still catches a stream that stays open while nothing comes,
 * and is all the desktop app (no stream status) has.
 */
export function connectionState(stream: Pick<BridgeStatus, 'stream' | 'token'> | null, lastBeat: number | null, now: number): Connection {
  if (stream?.token === 'refused') return 'refused';
  if (stream?.stream === 'lost') return 'lost';
  if (lastBeat !== null && now - lastBeat > staleAfterMs) return 'lost';
  if (stream?.stream === 'open') return 'connected';
  return lastBeat === null ? 'waiting' : 'connected';
}

const labels: Record<Connection, string> = {
  waiting: 'Connecting…',
  connected: 'Connected',
  lost: 'Connection lost',
  refused: 'Connection lost: open the new address',
};

/** Shows whether the core is reachable, from the event stream's state and its periodic `system.heartbeat` events. */
export function ConnectionStatus() {
  const status = useBridgeStatus();
  const [lastBeat, setLastBeat] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  // A beat from before the stream was lost says nothing about the new one: the gap counts afresh.
  const [stream, setStream] = useState(status?.stream);
  if (status?.stream !== stream) {
    setStream(status?.stream);
    setLastBeat(null);
  }
  useApiEvent('system.heartbeat', useCallback(() => {
    const at = Date.now();
    setLastBeat(at);
    setNow(at);
  }, []));
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5_000);
    return () => clearInterval(timer);
  }, []);
  const state = connectionState(status, lastBeat, now);
  return (
    <p className={`connection connection-${state === 'refused' ? 'lost' : state}`} role="status" aria-live="polite" data-testid="connection-status">
      {labels[state]}
    </p>
  );
}
