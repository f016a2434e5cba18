import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { toolError } from './toolErrors.ts';

/** An MCP server started as a child process, spoken to over its stdin/stdout. */
export interface McpStdioServerConfig {
  /** Names the server's tools `<name>.<tool>`; lowercase letters, digits, `_` and `-`. */
  name: string;
  transport: 'stdio';
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** Values set for the child. */
  env?: Readonly<Record<string, string>>;
  /**
   * Names of this process's environment variables the child may inherit. Nothing else is
   * passed, except the SDK's fixed minimum (HOME, LOGNAME, PATH, SHELL, TERM, USER).
   */
  inheritEnv?: readonly string[];
  /** The child's stderr: discarded (default) or shown on this process's stderr. */
  stderr?: 'ignore' | 'inherit';
}

/** An MCP server on the customer network, over streamable HTTP. Only `url`'s origin is ever contacted. */
export interface McpHttpServerConfig {
  name: string;
  transport: 'http';
  url: string;
  /** Called for every request, so a rotated token applies at once; null sends none. */
  getBearerToken?: () => Promise<string | null>;
}

export type McpServerConfig = McpStdioServerConfig | McpHttpServerConfig;

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Checks an HTTP server's URL once, at configuration time. */
export function parseMcpServerUrl(server: McpHttpServerConfig): URL {
  const url = new URL(server.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`MCP server ${server.name} must be http(s), got ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new RangeError(`MCP server ${server.name}'s URL must not carry credentials; use getBearerToken`);
  if (url.protocol === 'http:' && server.getBearerToken !== undefined && !loopbackHosts.has(url.hostname)) {
    throw new RangeError(`MCP server ${server.name} gets a bearer token, so it must use https unless it is on loopback`);
  }
  url.hash = '';
  return url;
}

/**
 * fetch for one server: refuses any other origin (also for redirects, which the SDK follows only
 * within the origin and which reach this function again), adds the bearer token, never follows
 * a redirect itself.
 */
function guardedFetch(server: McpHttpServerConfig, url: URL): FetchLike {
  return async (target, init) => {
    const address = new URL(target);
    if (address.origin !== url.origin) {
      throw toolError('ERR_TOOL_FAILED', `MCP server ${server.name} tried to reach another host; only its configured host is allowed.`, {
        tool: server.name,
        reason: 'host_not_allowed',
        outcome: 'not_applied',
      });
    }
    const headers = new Headers(init?.headers);
    const token = server.getBearerToken === undefined ? null : await server.getBearerToken();
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    return fetch(address, { ...init, headers, redirect: 'manual' });
  };
}

/** A fresh SDK transport for one connection attempt. */
export function createMcpTransport(server: McpServerConfig): Transport {
  if (server.transport === 'http') {
    const url = parseMcpServerUrl(server);
    return new StreamableHTTPClientTransport(url, { fetch: guardedFetch(server, url) });
  }
  const env: Record<string, string> = {};
  for (const name of server.inheritEnv ?? []) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, server.env);
  return new StdioClientTransport({
    command: server.command,
    args: [...(server.args ?? [])],
    env,
    stderr: server.stderr ?? 'ignore',
    ...(server.cwd === undefined ? {} : { cwd: server.cwd }),
  });
}
