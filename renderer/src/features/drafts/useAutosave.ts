import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiError } from '../../../../core/contracts/index.ts';
import { useBridge } from '../../bridge/context.tsx';

export type AutosaveState = { status: 'idle' } | { status: 'saving' } | { status: 'saved'; at: string } | { status: 'failed'; error: ApiError };

export interface Autosave {
  state: AutosaveState;
  /** Keep this text as the working copy after `delay` ms without another change. */
  schedule(markdown: string): void;
  /** Write a scheduled working copy now (on blur, before leaving); resolves when written. */
  flush(): Promise<void>;
  /** Drop a scheduled write and wait for one in flight: before a save, so nothing lands after it. */
  cancel(): Promise<void>;
  /** Drop the working copy on the server (after a save, or when the edit is discarded). */
  clear(): Promise<void>;
}

/**
 * The editor's working copy, kept through `drafts.autosave` so a reload or a crash loses nothing:
 * debounced while typing, written at once on blur and when the editor closes. Writes go one after
 * another, so an older text never lands after a newer one.
 */
export function useAutosave(draftId: string, path: string, delay = 800): Autosave {
  const bridge = useBridge();
  const [state, setState] = useState<AutosaveState>({ status: 'idle' });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const pending = useRef<string | null | undefined>(undefined);
  const chain = useRef<Promise<void>>(Promise.resolve());
  const mounted = useRef(true);
  const writing = useRef(0);

  const write = useCallback((markdown: string | null): Promise<void> => {
    writing.current += 1;
    chain.current = chain.current.then(async () => {
      try {
        if (mounted.current) setState({ status: 'saving' });
        const result = await bridge.invoke('drafts.autosave', { draftId, path, markdown });
        if (!mounted.current) return;
        setState(result.ok ? (markdown === null ? { status: 'idle' } : { status: 'saved', at: result.value.savedAt }) : { status: 'failed', error: result.error });
      } finally {
        writing.current -= 1;
      }
    });
    return chain.current;
  }, [bridge, draftId, path]);

  const flush = useCallback((): Promise<void> => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const text = pending.current;
    pending.current = undefined;
    return text === undefined ? chain.current : write(text);
  }, [write]);

  const schedule = useCallback((markdown: string) => {
    pending.current = markdown;
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
