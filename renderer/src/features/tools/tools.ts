import type { McpServerView, MethodOutput, ToolView } from '../../../../core/contracts/index.ts';
import { ToolAllowEntrySchema } from '../../../../core/contracts/index.ts';

/** Built-ins first, then each MCP server's tools, by name within each. */
export function sortTools(tools: readonly ToolView[]): ToolView[] {
  const rank = (tool: ToolView) => (tool.source === 'builtin' ? '' : tool.source);
  return [...tools].sort((a, b) => rank(a).localeCompare(rank(b)) || a.name.localeCompare(b.name));
}

/** Where an MCP server is: its URL, or its command line (parts with spaces or quotes quoted as JSON strings). */
export function serverLocation(server: Pick<McpServerView, 'transport' | 'url' | 'command' | 'args'>): string {
  if (server.transport === 'http') return server.url ?? '';
  const quoted = (part: string) => (part === '' || /[\s"']/.test(part) ? JSON.stringify(part) : part);
  return [server.command ?? '', ...server.args].map(quoted).join(' ');
}

/** The allow-list entry that lets in every tool of an MCP server. */
export const wholeServer = (server: string): string => `${server}.*`;

/**
 * Adds an entry to an allow-list being edited: trimmed, checked as the API checks it, once.
 * The API still decides (it also refuses servers that are not configured).
 */
export function addAllowEntry(entries: readonly string[], typed: string): { ok: true; entries: string[] } | { ok: false; problem: string } {
  const entry = typed.trim();
  if (entry === '') return { ok: false, problem: 'Type a tool name or <server>.*.' };
  const checked = ToolAllowEntrySchema.safeParse(entry);
  if (!checked.success) return { ok: false, problem: `“${entry}” does not fit: ${checked.error.issues[0]?.message ?? 'a tool name, or <server>.*'}.` };
  if (entries.includes(entry)) return { ok: false, problem: `“${entry}” is already in the list.` };
  const dot = entry.indexOf('.');
  if (dot > 0 && entries.includes(wholeServer(entry.slice(0, dot)))) return { ok: false, problem: `“${entry}” is already allowed: every tool of its server is.` };
  return { ok: true, entries: [...entries, entry] };
}

export type McpServerStatus = McpServerView['status'];
/** An MCP server the account's allow-list names, with its status (`tools.servers`). */
export type AccountMcpServer = MethodOutput<'tools.servers'>[number];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** A server's status in a sentence: connected with how many tools, or why not. */
export function describeServerStatus(status: McpServerStatus): string {
  switch (status.state) {
    case 'connected':
      return `Connected: ${plural(status.tools ?? 0, 'tool', 'tools')}.`;
    case 'connecting':
      return 'Connecting…';
    case 'not_tried':
      return 'Not tried since Strongroom started: it connects when its tools are first used.';
    case 'failed':
      return `Not reachable: ${status.message ?? 'it could not be reached.'}`;
  }
}

/**
 * What the page says about MCP tools in the account, from the servers its allow-list names: that
 * none is allowed, or, per allowed server that is down, that its entries are allowed but cannot
 * be called. Never "none allowed" while an entry is.
 */
export function mcpToolsNote(servers: readonly AccountMcpServer[]): string[] {
  if (servers.length === 0) return ['No MCP server’s tools are allowed in this account: only the built-ins.'];
  return servers
    .filter((server) => server.state !== 'connected')
    .map((server) => `${server.entries.join(', ')} ${server.entries.length === 1 ? 'is' : 'are'} allowed, but MCP server ${server.name} is not connected, so ${server.entries.length === 1 && !server.entries[0]!.endsWith('.*') ? 'that tool is' : 'its tools are'} not listed above and workflow steps calling ${server.entries.length === 1 && !server.entries[0]!.endsWith('.*') ? 'it' : 'them'} fail. ${describeServerStatus(server)}`);
}

/**
 * The announcement after the allow-list is saved: what the account may now use, and, for a
 * server it names that is down, that saying so does not make it reachable. `servers` is null
 * while the page is still asking.
 */
export function allowListSavedMessage(accountName: string, entries: readonly string[], servers: readonly AccountMcpServer[] | null): string {
  if (entries.length === 0) return `${accountName} may now use the built-in tools only.`;
  const allowed = `${accountName} may now use, beyond the built-ins: ${entries.join(', ')}.`;
  if (servers === null) return `${allowed} Checking the MCP servers…`;
  const down = servers.filter((server) => server.state !== 'connected' && server.entries.some((entry) => entries.includes(entry)));
  if (down.length === 0) return allowed;
  return `${allowed} But ${down.map((server) => server.name).join(', ')} ${down.length === 1 ? 'is' : 'are'} not connected: see below.`;
}

/** What adding a server did: it is kept either way, and whether it answered when tried. */
export function addedServerMessage(server: Pick<McpServerView, 'name' | 'status'>): string {
  if (server.status.state === 'connected') return `MCP server ${server.name} added and connected (${describeServerStatus(server.status).replace(/^Connected: |\.$/g, '')}). Allow its tools for an account in that account’s allow-list.`;
  return `MCP server ${server.name} added, but it could not be reached when tried: ${server.status.message ?? 'no reason given.'} It is kept; use Test connection once it runs. Allow its tools for an account in that account’s allow-list.`;
}
