import { useCallback, useEffect, useState } from 'react';
import { useApiEvent } from '../bridge/context.tsx';

const staleAfterMs = 45_000;

/** Shows whether the core is reachable, from its periodic `system.heartbeat` events. */
export function ConnectionStatus() {
  const [lastBeat, setLastBeat] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useApiEvent('system.heartbeat', useCallback(() => setLastBeat(Date.now()), []));
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5_000);
    return () => clearInterval(timer);
  }, []);
  const state = lastBeat === null ? 'waiting' : now - lastBeat > staleAfterMs ? 'lost' : 'connected';
  const label = { waiting: 'Connecting…', connected: 'Connected', lost: 'Connection lost' }[state];
  return (
    <p className={`connection connection-${state}`} role="status" aria-live="polite" data-testid="connection-status">
      {label}
    </p>
  );
}
