import { createInProcessBridge, localOperator } from '../../api/index.ts';
import { CoreError } from '../../base/index.ts';
import type { AddMcpServerInput, McpServerView, MethodInput, MethodName, MethodOutput } from '../../contracts/index.ts';
import type { Core } from '../../createCore.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { accountApi, withCliCore } from './workflows.ts';

/**
 * `strongroom tools …`: the tools workflows may call. MCP servers are installation-wide and
 * added by the installation operator; each account's allow-list (beyond the built-ins, which
 * every account has) is set as the local administrator of that account. Every call goes through
 * the router, so validation, authorization and audit entries are those of the app.
 */

/** Calls the API as the installation operator (who acts in no account). */
async function asOperator<M extends MethodName>(core: Core, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const bridge = createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id);
  const result = await bridge.invoke(method, input);
  if (!result.ok) throw new CoreError(result.error.code, result.error.message, result.error.details ? { details: result.error.details } : undefined);
  return result.value;
}

function print(io: CliIo, json: boolean, value: unknown, text: string): number {
  io.out(json ? JSON.stringify({ ok: true, value }) : text);
  return 0;
}

function describeStatus(status: McpServerView['status']): string {
  if (status.state === 'connected') return `connected, ${status.tools ?? 0} tool(s)`;
  if (status.state === 'failed') return `NOT REACHABLE (${status.reason ?? 'unknown'}): ${status.message ?? ''}`;
  return status.state === 'connecting' ? 'connecting' : 'not tried';
}

function describeServer(server: McpServerView): string {
  const where = server.transport === 'stdio' ? [server.command ?? '', ...server.args].join(' ') : `${server.url ?? ''}${server.hasToken ? ' (bearer token in the keychain)' : ''}`;
  return `${server.name}  ${server.transport}  ${where}  ${describeStatus(server.status)}`;
}

export interface ToolsListOptions extends StorageCommandOptions {
  account?: string;
}

/** `strongroom tools list [--account NAME]`: the tools the account may use. */
export function toolsListCommand(io: CliIo, options: ToolsListOptions): Promise<number> {
  return withCliCore(io, options, async (core) => {
    const api = accountApi(core, options.account);
    const tools = await api.call('tools.list', {});
    const servers = await api.call('tools.servers', {});
    const lines = tools.map((tool) => `${tool.name}  ${tool.source}  ${tool.sideEffects ? 'side effects' : 'read-only'}  ${tool.description.split('\n')[0] ?? ''}`);
    // An allowed server that is down has no tools to list: say so rather than leave it out silently.
    for (const server of servers.filter((candidate) => candidate.state !== 'connected')) lines.push(`(${server.entries.join(', ')} allowed, but MCP server ${server.name} is not reachable: ${server.message ?? server.state})`);
    return print(io, options.json, tools, lines.join('\n'));
  });
}

/** `strongroom tools mcp list`: the configured MCP servers (never their tokens). */
export function toolsMcpListCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return withCliCore(io, options, async (core) => {
    const servers = await asOperator(core, 'tools.mcp.list', {});
    return print(io, options.json, servers, servers.length > 0 ? servers.map(describeServer).join('\n') : 'No MCP servers are configured.');
  });
}

export interface ToolsMcpAddOptions extends StorageCommandOptions {
  name: string;
  command?: string;
  arg: string[];
  inheritEnv: string[];
  url?: string;
  /** Read from standard input by the caller; kept in the SecretStore only. */
  token?: string;
}

/** `strongroom tools mcp add NAME (--command CMD [--arg A]... | --url URL [--token-stdin])`. */
export function toolsMcpAddCommand(io: CliIo, options: ToolsMcpAddOptions): Promise<number> {
  return withCliCore(io, options, async (core) => {
    if ((options.command === undefined) === (options.url === undefined)) {
      throw new CoreError('ERR_INPUT_INVALID', 'Give either --command (a server started over stdio) or --url (a server over http), not both.');
    }
    if (options.command === undefined && (options.arg.length > 0 || options.inheritEnv.length > 0)) {
      throw new CoreError('ERR_INPUT_INVALID', '--arg and --inherit-env apply to --command servers only.');
    }
    if (options.url === undefined && options.token !== undefined) throw new CoreError('ERR_INPUT_INVALID', '--token-stdin applies to --url servers only.');
    const input: AddMcpServerInput = options.command !== undefined
      ? { name: options.name, transport: 'stdio', command: options.command, args: options.arg, inheritEnv: options.inheritEnv }
      : { name: options.name, transport: 'http', url: options.url ?? '', ...(options.token === undefined ? {} : { token: options.token }) };
    const server = await asOperator(core, 'tools.mcp.add', input);
    const warning = server.status.state === 'failed' ? `\nWarning: it could not be reached when tried (${server.status.reason ?? 'unknown'}): ${server.status.message ?? ''} It is kept; check it with strongroom tools mcp list.` : '';
    return print(io, options.json, server, `Added MCP server ${describeServer(server)}. Its tools are available to no account until allowed: strongroom tools allow --account NAME ${server.name}.*${warning}`);
  });
}

/** `strongroom tools mcp remove NAME`: the server, its token and every allow-list entry naming it. */
export function toolsMcpRemoveCommand(io: CliIo, options: StorageCommandOptions & { name: string }): Promise<number> {
  return withCliCore(io, options, async (core) => {
    const result = await asOperator(core, 'tools.mcp.remove', { name: options.name });
    return print(io, options.json, result, `Removed MCP server ${options.name}.`);
  });
}

export interface ToolsAllowOptions extends StorageCommandOptions {
  account: string;
  entries: string[];
  /** Set exactly these entries instead of adding them (none: clear the list). */
  replace: boolean;
}

/** `strongroom tools allow --account NAME ENTRY...`: adds tool names or `server.*` to the account's allow-list. */
export function toolsAllowCommand(io: CliIo, options: ToolsAllowOptions): Promise<number> {
  return withCliCore(io, options, async (core) => {
    if (!options.replace && options.entries.length === 0) throw new CoreError('ERR_INPUT_INVALID', 'Name at least one tool or <server>.* to allow (or pass --replace to clear the list).');
    const api = accountApi(core, options.account);
    const current = options.replace ? [] : (await api.call('tools.allow.get', { accountId: api.accountId })).entries;
    const result = await api.call('tools.allow.set', { accountId: api.accountId, entries: [...new Set([...current, ...options.entries])] });
    const text = result.entries.length > 0 ? `Account ${options.account} may use, beyond the built-ins: ${result.entries.join(', ')}.` : `Account ${options.account} may use the built-in tools only.`;
    return print(io, options.json, result, text);
  });
}
