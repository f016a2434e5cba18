import { useCallback, useRef, useState } from 'react';
import type { ToolView } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { FormError, useApiAction } from '../admin/forms.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { AllowListPanel } from './AllowListPanel.tsx';
import { McpServersPanel } from './McpServersPanel.tsx';
import { allowListSavedMessage, describeServerStatus, mcpToolsNote, sortTools } from './tools.ts';
import type { AccountMcpServer } from './tools.ts';
import './tools.css';

function ToolTable({ tools }: { tools: readonly ToolView[] }) {
  return (
    <table className="table tool-table" data-testid="tool-list">
      <caption className="visually-hidden">Tools workflows may call in this account</caption>
      <thead>
        <tr><th scope="col">Tool</th><th scope="col">What it does</th><th scope="col">Source</th><th scope="col">Side effects</th></tr>
      </thead>
      <tbody>
        {sortTools(tools).map((tool) => (
          <tr key={tool.name} data-testid={`tool-${tool.name}`}>
            <td><code>{tool.name}</code></td>
            <td>{tool.description}</td>
            <td>{tool.source === 'builtin' ? 'Built-in' : <>MCP server <code>{tool.source}</code></>}</td>
            <td>{tool.sideEffects ? <span className="tool-effects">Yes — changes something outside Strongroom; each call is recorded and never repeated</span> : 'No — reads or computes only'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One server the allow-list names: its status, and a button that tries it again now. */
function AllowedServer({ server, onTested }: { server: AccountMcpServer; onTested: (server: AccountMcpServer) => void }) {
  const test = useApiAction('tools.servers');
  const status = useRef<HTMLParagraphElement>(null);

  async function run(): Promise<void> {
    const result = await test.run({ test: server.name });
    const tested = result.ok ? result.value.find((candidate) => candidate.name === server.name) : undefined;
    if (tested) onTested(tested);
    // The button is disabled while the test runs, which drops focus: the result takes it.
    setTimeout(() => status.current?.focus(), 0);
  }

  return (
    <li className={`mcp-server mcp-server-${server.state}`} data-testid={`allowed-server-${server.name}`}>
      <p className="mcp-server-title"><code>{server.name}</code> <span className="hint">allowed here as {server.entries.map((entry, index) => <span key={entry}>{index > 0 && ', '}<code>{entry}</code></span>)}</span></p>
      <p ref={status} tabIndex={-1} aria-live="polite" className="mcp-server-status" data-testid={`allowed-server-${server.name}-status`}>{test.pending ? 'Testing the connection…' : describeServerStatus(server)}</p>
      <button type="button" onClick={() => { void run(); }} disabled={test.pending}>Test connection<span className="visually-hidden"> to {server.name}</span></button>
      <FormError error={test.error} />
    </li>
  );
}

/** The MCP servers the account's allow-list names, each with whether it is reachable (`tools.servers`). */
function AllowedServers({ servers, onTested }: { servers: readonly AccountMcpServer[]; onTested: (server: AccountMcpServer) => void }) {
  if (servers.length === 0) return null;
  return (
    <section className="allowed-servers" aria-labelledby="allowed-servers-title">
      <h2 id="allowed-servers-title">MCP servers allowed in this account</h2>
      <ul className="mcp-server-list" data-testid="allowed-servers">
        {servers.map((server) => <AllowedServer key={server.name} server={server} onTested={onTested} />)}
      </ul>
    </section>
  );
}

/**
 * `/tools`: the tools workflow steps (tool and agent steps) may call in this account — the
 * built-ins, always allowed, and the MCP tools the account's allow-list lets in. Those who manage
 * workflows also change the allow-list here, and installation administrators add and remove the
 * MCP servers themselves (as `strongroom tools mcp add|remove` does).
 */
export function ToolsPage() {
  const { can, account, roles } = useAuth();
  const { state, reload: reloadTools } = useApiQuery('tools.list', {});
  const servers = useApiQuery('tools.servers', {});
  const reloadServers = servers.reload;
  const reload = useCallback(() => { reloadTools(); reloadServers(); }, [reloadTools, reloadServers]);
  // A test on one server answers for it alone; the rest of the list stays as it was read.
  // (Kept with the answer it amends: a new reading of the list replaces them all.)
  const [tested, setTested] = useState<{ of: unknown; servers: ReadonlyMap<string, AccountMcpServer> }>({ of: null, servers: new Map() });
  const testedNow = tested.of === servers.state ? tested.servers : new Map<string, AccountMcpServer>();
  const serverList = servers.state.status === 'ok' ? servers.state.value.map((server) => testedNow.get(server.name) ?? server) : null;
  // What was saved last, announced with what the servers it names are doing (read again after the save).
  const [saved, setSaved] = useState<{ entries: string[]; serversBefore: unknown } | null>(null);
  // Bumped when a server is added or removed here: removing one takes its tools and allow-list
  // entries from every account, so the tools and the allow-list are read again.
  const [serversRevision, setServersRevision] = useState(0);
  const serversChanged = () => {
    setServersRevision((revision) => revision + 1);
    // An earlier "may now use …" may name a server that is gone.
    setSaved(null);
    reload();
  };
  // Until the servers are read again after the save, their state is not known yet.
  const serversAfterSave = saved === null || servers.state === saved.serversBefore || servers.state.status === 'loading' ? null : (serverList ?? []);
  const shown = saved === null ? '' : allowListSavedMessage(account.name, saved.entries, serversAfterSave);

  return (
    <section className="tools-page" aria-labelledby="page-title">
      <h1 id="page-title">Tools</h1>
      <p className="hint">What tool and agent steps of workflows in {account.name} may call. The built-ins are always allowed; an MCP server’s tools only once the server is configured on this installation and allowed for the account. Every call is recorded in the run’s trace.</p>
      <p role="status" className="announcement" data-testid="tools-announcement">{shown}</p>
      {state.status === 'loading' && <p className="notice">Loading tools… (allowed MCP servers are asked for their tools first)</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reloadTools} />}
      {state.status === 'ok' && <ToolTable tools={state.value} />}
      {servers.state.status === 'error' && <ApiErrorView error={servers.state.error} onRetry={reloadServers} />}
      {serverList !== null && (
        <>
          {mcpToolsNote(serverList).map((note) => <p key={note} className={serverList.length === 0 ? 'hint' : 'notice'} data-testid={serverList.length === 0 ? 'no-mcp-tools' : 'mcp-server-down'}>{note}</p>)}
          <AllowedServers servers={serverList} onTested={(server) => { setTested({ of: servers.state, servers: new Map(testedNow).set(server.name, server) }); reloadTools(); }} />
        </>
      )}
      {can('workflows.manage') && <AllowListPanel accountId={account.id} accountName={account.name} serversRevision={serversRevision} onSaved={(entries) => { setSaved({ entries, serversBefore: servers.state }); reload(); }} />}
      {/* can() never offers installation.manage (it counts only in the administration account, which
          auth.status does not name): any admin may be one, and the panel asks the API when opened. */}
      {roles.includes('admin') && <McpServersPanel onChanged={serversChanged} />}
    </section>
  );
}
