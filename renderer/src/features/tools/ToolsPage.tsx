import { useCallback, useState } from 'react';
import type { ToolView } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { AllowListPanel } from './AllowListPanel.tsx';
import { McpServersPanel } from './McpServersPanel.tsx';
import { sortTools } from './tools.ts';
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

/**
 * `/tools`: the tools workflow steps (tool and agent steps) may call in this account — the
 * built-ins, always allowed, and the MCP tools the account's allow-list lets in. Those who manage
 * workflows also change the allow-list here, and installation administrators add and remove the
 * MCP servers themselves (as `strongroom tools mcp add|remove` does).
 */
export function ToolsPage() {
  const { can, account, roles } = useAuth();
  const { state, reload } = useApiQuery('tools.list', {});
  const [announcement, setAnnouncement] = useState('');
  // Bumped when a server is added or removed here: removing one takes its tools and allow-list
  // entries from every account, so the tools and the allow-list are read again.
  const [serversRevision, setServersRevision] = useState(0);
  const serversChanged = useCallback(() => {
    setServersRevision((revision) => revision + 1);
    // An earlier "may now use …" may name a server that is gone.
    setAnnouncement('');
    reload();
  }, [reload]);
  const mcpTools = state.status === 'ok' ? state.value.filter((tool) => tool.source !== 'builtin').length : 0;

  return (
    <section className="tools-page" aria-labelledby="page-title">
      <h1 id="page-title">Tools</h1>
      <p className="hint">What tool and agent steps of workflows in {account.name} may call. The built-ins are always allowed; an MCP server’s tools only once the server is configured on this installation and allowed for the account. Every call is recorded in the run’s trace.</p>
      <p role="status" className="announcement">{announcement}</p>
      {state.status === 'loading' && <p className="notice">Loading tools… (allowed MCP servers are asked for their tools first)</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && (
        <>
          <ToolTable tools={state.value} />
          {mcpTools === 0 && <p className="hint" data-testid="no-mcp-tools">No MCP server’s tools are allowed in this account: only the built-ins.</p>}
        </>
      )}
      {can('workflows.manage') && <AllowListPanel accountId={account.id} accountName={account.name} serversRevision={serversRevision} onSaved={(message) => { setAnnouncement(message); reload(); }} />}
      {/* can() never offers installation.manage (it counts only in the administration account, which
          auth.status does not name): any admin may be one, and the panel asks the API when opened. */}
      {roles.includes('admin') && <McpServersPanel onChanged={serversChanged} />}
    </section>
  );
}
