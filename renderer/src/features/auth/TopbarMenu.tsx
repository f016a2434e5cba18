import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { ReactNode } from 'react';

/**
 * A top-bar button that shows and hides a panel (the WAI-ARIA disclosure pattern): Escape closes
 * it and returns focus to the button; a click or focus outside closes it, and so does a click on
 * anything in the panel marked `data-closes-menu`.
 */
export function TopbarMenu({ label, testId, align = 'end', children }: { label: ReactNode; testId: string; align?: 'start' | 'end'; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const close = useCallback(() => {
    setOpen(false);
    button.current?.focus();
  }, []);

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') close();
    };
    const onOutside = (event: Event): void => {
      if (root.current && event.target instanceof Node && !root.current.contains(event.target)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onOutside);
    document.addEventListener('focusin', onOutside);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onOutside);
      document.removeEventListener('focusin', onOutside);
    };
  }, [open, close]);

  return (
    <div className="topbar-menu" ref={root}>
      <button ref={button} type="button" className="topbar-button" data-testid={testId} aria-expanded={open} aria-controls={panelId} onClick={() => setOpen((value) => !value)}>
        {label}
      </button>
      {/* Clicks bubble here from the panel's own buttons, which are keyboard operable. */}
      <div id={panelId} className={`topbar-panel topbar-panel-${align}`} hidden={!open} onClick={(event) => { if (event.target instanceof Element && event.target.closest('[data-closes-menu]')) close(); }}>
        {children}
      </div>
    </div>
  );
}
