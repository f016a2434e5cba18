import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiError, ApiResult } from '../../../core/contracts/index.ts';

export type AutosaveState = { status: 'idle' } | { status: 'saving' } | { status: 'saved'; at: string } | { status: 'failed'; error: ApiError };

export interface Autosave<T> {
  state: AutosaveState;
  /** Keep this value as the working copy after `delay` ms without another change. */
  schedule(value: T): void;
  /** Write a scheduled working copy now (on blur, before leaving); resolves when written. */
  flush(): Promise<void>;
  /** Drop a scheduled write and wait for one in flight: before a save, so nothing lands after it. */
  cancel(): Promise<void>;
  /** Drop the working copy on the server (after a save, or when the edit is discarded). */
  clear(): Promise<void>;
}

/**
 * A working copy kept on the server as someone types (a draft section's text through
 * `drafts.autosave`, a waiting step's answer through `runs.autosaveAnswer`), so a reload or a crash
 * loses nothing: debounced while typing, written at once on blur and when the editor closes.
 * Writes go one after another, so an older value never lands after a newer one. `save(null)`
 * drops the copy; `save` must keep its identity between renders (useCallback).
 */
export function useAutosave<T>(save: (value: T | null) => Promise<ApiResult<{ savedAt: string }>>, delay = 800): Autosave<T> {
  const [state, setState] = useState<AutosaveState>({ status: 'idle' });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const pending = useRef<T | null | undefined>(undefined);
  const chain = useRef<Promise<void>>(Promise.resolve());
  const mounted = useRef(true);
  const writing = useRef(0);

  const write = useCallback((value: T | null): Promise<void> => {
    writing.current += 1;
    chain.current = chain.current.then(async () => {
      try {
        if (mounted.current) setState({ status: 'saving' });
        const result = await save(value);
        if (!mounted.current) return;
        setState(result.ok ? (value === null ? { status: 'idle' } : { status: 'saved', at: result.value.savedAt }) : { status: 'failed', error: result.error });
      } finally {
        writing.current -= 1;
      }
    });
    return chain.current;
  }, [save]);

  const flush = useCallback((): Promise<void> => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const value = pending.current;
    pending.current = undefined;
    return value === undefined ? chain.current : write(value);
  }, [write]);

  const schedule = useCallback((value: T) => {
    pending.current = value;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => { void flush(); }, delay);
  }, [delay, flush]);

  const cancel = useCallback((): Promise<void> => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    pending.current = undefined;
    return chain.current;
  }, []);

  const clear = useCallback(async (): Promise<void> => {
    await cancel();
    await write(null);
  }, [cancel, write]);

  // A reload or closed tab within the debounce would lose the last keystrokes: write them at once,
  // and let the browser ask before leaving while a write is still on its way.
  useEffect(() => {
    const beforeUnload = (event: BeforeUnloadEvent) => {
      if (pending.current === undefined && writing.current === 0) return;
      void flush();
      event.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => window.removeEventListener('beforeunload', beforeUnload);
  }, [flush]);

  // Leaving the page (or the editor closing) writes what was typed since the last save.
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      void flush();
    };
  }, [flush]);

  return useMemo(() => ({ state, schedule, flush, cancel, clear }), [state, schedule, flush, cancel, clear]);
}
