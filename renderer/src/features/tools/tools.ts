import type { McpServerView, ToolView } from '../../../../core/contracts/index.ts';
import { ToolAllowEntrySchema } from '../../../../core/contracts/index.ts';

/** Built-ins first, then each MCP server's tools, by name within each. */
export function sortTools(tools: readonly ToolView[]): ToolView[] {
  const rank = (tool: ToolView) => (tool.source === 'builtin' ? '' : tool.source);
  return [...tools].sort((a, b) => rank(a).localeCompare(rank(b)) || a.name.localeCompare(b.name));
}

/** Where an MCP server is: its URL, or its command line (parts with spaces or quotes quoted as JSON strings). */
export function serverLocation(server: McpServerView): string {
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
