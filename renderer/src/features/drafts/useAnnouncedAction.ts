import { useState } from 'react';
import type { ApiError } from '../../../../core/contracts/index.ts';

/**
 * One API action at a time, announced: `run` marks the component busy, clears the last error and
 * announcement, awaits the call, then shows its refusal or announces `label` and calls `onDone`
 * (the draft reloads). Resolves whether the call succeeded, so callers can close a panel;
 * `announce` says what other work (an editor, a comment form) did.
 */
export function useAnnouncedAction(onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [announcement, setAnnouncement] = useState('');

  async function run(label: string, call: () => Promise<{ ok: true } | { ok: false; error: ApiError }>): Promise<boolean> {
    setBusy(true);
    setError(null);
    setAnnouncement('');
    const result = await call();
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return false;
    }
    setAnnouncement(label);
    onDone();
    return true;
  }

  return { busy, error, setError, announcement, announce: setAnnouncement, run };
}
