import type { AutosaveState } from './useAutosave.ts';

/**
 * Where a working copy stands (`useAutosave`): kept, being kept, or not kept — then the person is
 * told their text is still on the page. `what` names it: "edit", "answer".
 */
export function AutosaveStatus({ state, what }: { state: AutosaveState; what: string }) {
  if (state.status === 'failed') {
    return (
      <div className="inline-error" role="alert" data-testid="autosave-status" data-state="failed">
        Could not keep a working copy of your {what} ({state.error.message}, <code>{state.error.code}</code>). Your text is still here; save it, or keep the page open and try again.
      </div>
    );
  }
  const text = state.status === 'saving' ? 'Keeping a working copy…' : state.status === 'saved' ? `Working copy kept at ${new Date(state.at).toLocaleTimeString()}. A reload or crash will not lose it.` : 'Changes are kept as a working copy as you type.';
  return <p className="hint" data-testid="autosave-status" data-state={state.status}>{text}</p>;
}
