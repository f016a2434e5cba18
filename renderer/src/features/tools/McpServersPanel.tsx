import { useId, useRef, useState } from 'react';
import type { McpServerView } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { ConfirmDialog } from '../../app/ConfirmDialog.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { FormError, formatDateTime, useApiAction } from '../admin/forms.tsx';
import { AddMcpServerForm } from './AddMcpServerForm.tsx';
import { addedServerMessage, describeServerStatus, serverLocation, wholeServer } from './tools.ts';

/** Removing a server takes its tools from every account, so a modal dialog says so and asks first. */
function RemoveMcpServerDialog({ server, onClose, onRemoved }: { server: McpServerView; onClose: () => void; onRemoved: () => void }) {
  const remove = useApiAction('tools.mcp.remove');
  return (
    <ConfirmDialog
      title={<>Remove the MCP server {server.name}?</>}
      warning={<>
        <p><strong>Its tools leave every account at once.</strong> The allow-list entries naming it (<code>{wholeServer(server.name)}</code> and any <code>{server.name}.&lt;tool&gt;</code>) are removed from the allow-list of every account on this installation, so workflow steps there can no longer call its tools.</p>
        <p>Adding a server of this name again does not bring those entries back: each account would have to allow it again.</p>
        {server.hasToken && <p>Its bearer token is deleted from the OS keychain.</p>}
      </>}
      note={<p className="hint">The removal is recorded in the audit log.</p>}
      keepLabel="Keep the server"
      confirmLabel="Remove the server"
      error={remove.error}
      pending={remove.pending}
      onConfirm={async () => { if ((await remove.run({ name: server.name })).ok) onRemoved(); }}
      onClose={onClose}
      testId="remove-mcp-server-dialog"
    />
  );
}

function ServerRow({ server: listed, onRemoved }: { server: McpServerView; onRemoved: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const test = useApiAction('tools.mcp.test');
  const [tested, setTested] = useState<McpServerView | null>(null);
  const status = useRef<HTMLParagraphElement>(null);
  const server = tested ?? listed;

  async function runTest(): Promise<void> {
    const result = await test.run({ name: listed.name });
    if (result.ok) setTested(result.value);
    // The button is disabled while the test runs, which drops focus: the result takes it.
    setTimeout(() => status.current?.focus(), 0);
  }

  return (
    <li className="mcp-server" data-testid={`mcp-server-${server.name}`}>
      <p className="mcp-server-title"><code>{server.name}</code> <span className="hint">{server.transport === 'http' ? 'HTTP' : 'stdio'}, added {formatDateTime(server.createdAt)}</span></p>
      <p className="mcp-server-location"><code>{serverLocation(server)}</code></p>
      {server.inheritEnv.length > 0 && <p className="hint">Passes through: {server.inheritEnv.map((name, index) => <span key={name}>{index > 0 && ', '}<code>{name}</code></span>)}</p>}
      {server.hasToken && <p className="hint">Sends a bearer token kept in the OS keychain.</p>}
      <p ref={status} tabIndex={-1} aria-live="polite" className={`mcp-server-status mcp-server-${server.status.state}`} data-testid={`mcp-server-${server.name}-status`}>{test.pending ? 'Testing the connection…' : describeServerStatus(server.status)}</p>
      <FormError error={test.error} />
      <p className="button-row">
        <button type="button" onClick={() => { void runTest(); }} disabled={test.pending}>Test connection<span className="visually-hidden"> to {server.name}</span></button>
        <button ref={button} type="button" className="danger" onClick={() => setConfirming(true)}>Remove<span className="visually-hidden"> {server.name}</span></button>
      </p>
      {confirming && (
        <RemoveMcpServerDialog
          server={server}
          onClose={() => { setConfirming(false); setTimeout(() => button.current?.focus(), 0); }}
          onRemoved={() => { setConfirming(false); onRemoved(); }}
        />
      )}
    </li>
  );
}

function ManageMcpServers({ onChanged }: { onChanged: () => void }) {
  const { state, reload } = useApiQuery('tools.mcp.list', {});
  const [announcement, setAnnouncement] = useState('');
  const status = useRef<HTMLParagraphElement>(null);

  function changed(message: string, moveFocus: boolean): void {
    setAnnouncement(message);
    reload();
    onChanged();
    // A removed server's button is gone with it: focus the announcement instead.
    if (moveFocus) setTimeout(() => status.current?.focus(), 0);
  }

  if (state.status === 'loading') return <p className="notice">Loading MCP servers…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  return (
    <>
      <p ref={status} tabIndex={-1} role="status" className="announcement">{announcement}</p>
      {state.value.length === 0
        ? <p className="notice" data-testid="no-installation-mcp-servers">No MCP server is configured on this installation.</p>
        : (
          <ul className="mcp-server-list" aria-label="Configured MCP servers" data-testid="installation-mcp-servers">
            {state.value.map((server) => (
              <ServerRow key={server.name} server={server} onRemoved={() => changed(`MCP server ${server.name} removed, with its allow-list entries in every account.`, true)} />
            ))}
          </ul>
        )}
      <AddMcpServerForm onAdded={(server) => changed(addedServerMessage(server), false)} />
    </>
  );
}

/**
 * The installation's MCP servers, added and removed by its administrators (`tools.mcp.*`,
 * `installation.manage`). The UI cannot tell who they are without asking, and a refusal is
 * audited, so an administrator asks by opening the disclosure; the list and the form appear
 * only when the API lists the servers.
 */
export function McpServersPanel({ onChanged }: { onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <section className="mcp-servers-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>MCP servers on this installation</h2>
      <p className="hint">Servers are configured once for the whole installation; each account’s allow-list decides whether its workflows may call their tools.</p>
      <details className="manage-servers" open={open} onToggle={(event) => setOpen(event.currentTarget.open)} data-testid="manage-mcp-servers">
        <summary>Add or remove MCP servers (installation administrators)</summary>
        {open && <ManageMcpServers onChanged={onChanged} />}
      </details>
    </section>
  );
}
