import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { FormError, useApiAction } from '../admin/forms.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { addAllowEntry, describeServerStatus, serverLocation, wholeServer } from './tools.ts';

/**
 * The installation's MCP servers, each one a click from the allow-list. Only installation
 * administrators may list them, and the UI cannot tell who they are without asking (a refusal is
 * audited), so an administrator asks by opening this disclosure.
 */
function ConfiguredServersDisclosure({ entries, serversRevision, onAllow }: { entries: readonly string[]; serversRevision: number; onAllow: (entry: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="configured-servers" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>MCP servers configured on this installation (installation administrators)</summary>
      {/* Keyed by the revision: a server added or removed on this page is listed afresh. */}
      {open && <ConfiguredServers key={serversRevision} entries={entries} onAllow={onAllow} />}
    </details>
  );
}

function ConfiguredServers({ entries, onAllow }: { entries: readonly string[]; onAllow: (entry: string) => void }) {
  const { state, reload } = useApiQuery('tools.mcp.list', {});
  if (state.status === 'loading') return <p className="notice">Loading MCP servers…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  if (state.value.length === 0) return <p className="hint" data-testid="no-mcp-servers">No MCP server is configured on this installation: add one under “MCP servers on this installation” below (or with <code>strongroom tools mcp add</code>).</p>;
  return (
    <ul className="mcp-servers" aria-label="MCP servers configured on this installation" data-testid="mcp-servers">
      {state.value.map((server) => (
        <li key={server.name}>
          <code>{server.name}</code> <span className="hint">{server.transport === 'http' ? 'HTTP' : 'stdio'}: <code>{serverLocation(server)}</code>. {describeServerStatus(server.status)}</span>{' '}
          <button type="button" disabled={entries.includes(wholeServer(server.name))} onClick={() => onAllow(wholeServer(server.name))}>
            Allow every tool of {server.name}
          </button>
        </li>
      ))}
    </ul>
  );
}

function AllowListEditor({ accountId, saved, serversRevision, onSaved }: { accountId: string; saved: readonly string[]; serversRevision: number; onSaved: (entries: string[]) => void }) {
  const { roles } = useAuth();
  const save = useApiAction('tools.allow.set');
  const [entries, setEntries] = useState<string[]>([...saved]);
  const [typed, setTyped] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const changed = entries.length !== saved.length || entries.some((entry, index) => entry !== saved[index]);

  function add(entry: string): boolean {
    const result = addAllowEntry(entries, entry);
    if (!result.ok) {
      setProblem(result.problem);
      return false;
    }
    setEntries(result.entries);
    setProblem(null);
    return true;
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const result = await save.run({ accountId, entries });
    if (result.ok) onSaved(result.value.entries);
  }

  return (
    <form onSubmit={(event) => { void submit(event); }} data-testid="allow-list">
      {entries.length === 0 ? <p className="notice">Nothing beyond the built-ins.</p> : (
        <ul className="allow-entries">
          {entries.map((entry) => (
            <li key={entry}>
              <code>{entry}</code>{entry.endsWith('.*') && <span className="hint"> every tool of the server {entry.slice(0, -2)}</span>}{' '}
              <button type="button" className="danger" onClick={() => setEntries(entries.filter((candidate) => candidate !== entry))}>Remove<span className="visually-hidden"> {entry}</span></button>
            </li>
          ))}
        </ul>
      )}
      <div className="field allow-add">
        <label htmlFor={`${id}-entry`}>Allow a tool</label>
        <div className="allow-add-row">
          <input
            id={`${id}-entry`}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            onKeyDown={(event) => { if (event.key === 'Enter') { event.preventDefault(); if (add(typed)) setTyped(''); } }}
            aria-describedby={`${id}-entry-hint${problem ? ` ${id}-entry-error` : ''}`}
            aria-invalid={problem !== null}
            autoComplete="off"
            spellCheck={false}
          />
          <button type="button" onClick={() => { if (add(typed)) setTyped(''); }}>Add</button>
        </div>
        <p className="hint" id={`${id}-entry-hint`}>An MCP tool’s full name (<code>sanctions.screen</code>) or a whole server (<code>sanctions.*</code>). The server must be configured on this installation.</p>
        {problem && <p className="field-error" id={`${id}-entry-error`}>{problem}</p>}
      </div>
      {roles.includes('admin') && <ConfiguredServersDisclosure entries={entries} serversRevision={serversRevision} onAllow={(entry) => { add(entry); }} />}
      <FormError error={save.error} />
      <p className="button-row">
        <button type="submit" className="primary" disabled={save.pending || !changed}>Save the allow-list</button>
        {changed && <button type="button" onClick={() => { setEntries([...saved]); setProblem(null); }}>Undo changes</button>}
      </p>
      {changed && <p className="hint" data-testid="allow-list-unsaved">Not saved yet. Saving is recorded in the audit log.</p>}
    </form>
  );
}

/**
 * The account's MCP allow-list, for those who manage its workflows (`tools.allow.get` /
 * `tools.allow.set`). `serversRevision` changes when an MCP server is added or removed on the
 * page: removing one also removes its entries from every allow-list, so the list is read again
 * (unsaved edits survive unless the saved list changed).
 */
export function AllowListPanel({ accountId, accountName, serversRevision, onSaved }: { accountId: string; accountName: string; serversRevision: number; onSaved: (entries: string[]) => void }) {
  const { state, reload } = useApiQuery('tools.allow.get', { accountId });
  const id = useId();
  const readAt = useRef(serversRevision);
  useEffect(() => {
    if (readAt.current === serversRevision) return;
    readAt.current = serversRevision;
    reload();
  }, [serversRevision, reload]);
  return (
    <section className="allow-list-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>MCP tools allowed in {accountName}</h2>
      {state.status === 'loading' && <p className="notice">Loading the allow-list…</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && (
        <AllowListEditor key={state.value.entries.join('\n')} accountId={accountId} saved={state.value.entries} serversRevision={serversRevision} onSaved={(entries) => { reload(); onSaved(entries); }} />
      )}
    </section>
  );
}
