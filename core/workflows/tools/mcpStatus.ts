import { McpError, ErrorCode as McpErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { isCoreError } from '../../base/index.ts';
import type { McpServerView } from '../../contracts/index.ts';

export type McpServerStatus = McpServerView['status'];
export type McpFailureReason = NonNullable<McpServerStatus['reason']>;

/** Why a connection attempt failed: a fixed word and, for HTTP answers, the status code. */
export interface McpFailure {
  reason: McpFailureReason;
  httpStatus: number | null;
}

const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);
const tlsCode = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_OSSL_)/;

/**
 * Classifies why a connection to an MCP server failed from the error and its causes: the OS's
 * error code, the SDK's error class and code, the HTTP status. Never reads a message, which could
 * hold a path, a URL or what the server wrote.
 */
export function classifyMcpFailure(error: unknown): McpFailure {
  const found = (reason: McpFailureReason, httpStatus: number | null = null): McpFailure => ({ reason, httpStatus });
  for (let cause: unknown = error, depth = 0; cause !== undefined && cause !== null && depth < 6; cause = (cause as { cause?: unknown }).cause, depth += 1) {
    if (isCoreError(cause)) {
      if (cause.details?.reason === 'host_not_allowed') return found('host_not_allowed');
      if (cause.code.startsWith('ERR_SECRETS_')) return found('token_unavailable');
      continue;
    }
    if (cause instanceof UnauthorizedError) return found('unauthorized');
    if (cause instanceof StreamableHTTPError) {
      const status = typeof cause.code === 'number' ? cause.code : -1;
      if (status === 401 || status === 403) return found('unauthorized', status);
      return status > 0 ? found('http_error', status) : found('protocol');
    }
    if (cause instanceof McpError) {
      if (cause.code === Number(McpErrorCode.RequestTimeout)) return found('timeout');
      if (cause.code === Number(McpErrorCode.ConnectionClosed)) return found('exited');
      return found('protocol');
    }
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code === 'ENOENT') return found('command_not_found');
      if (code === 'EACCES' || code === 'EPERM' || code === 'ENOEXEC') return found('permission_denied');
      if (unreachableCodes.has(code)) return found('unreachable');
      if (tlsCode.test(code)) return found('tls');
    }
    if (cause instanceof Error && cause.name === 'ZodError') return found('protocol');
  }
  return found('unknown');
}

/** What a failure means, for people: fixed text per reason, so it names no secret. */
export function mcpFailureMessage(failure: McpFailure): string {
  switch (failure.reason) {
    case 'command_not_found':
      return 'Its command was not found on this machine.';
    case 'permission_denied':
      return 'Its command could not be run: it is not an executable this process may start.';
    case 'exited':
      return 'It closed the connection before the MCP handshake finished (the process exited, or is not an MCP server).';
    case 'timeout':
      return 'It did not answer in time.';
    case 'unreachable':
      return 'Its host could not be reached (connection refused, reset, or a name that does not resolve).';
    case 'tls':
      return 'The TLS connection to it failed (its certificate or protocol).';
    case 'unauthorized':
      return `It refused Strongroom${failure.httpStatus === null ? '' : ` (HTTP ${failure.httpStatus})`}: check its bearer token.`;
    case 'http_error':
      return `It answered HTTP ${failure.httpStatus ?? 'error'} instead of MCP: check its URL.`;
    case 'protocol':
      return 'It answered, but not as an MCP server should (the handshake or its tool list failed).';
    case 'token_unavailable':
      return 'Its bearer token could not be read from the secret store.';
    case 'host_not_allowed':
      return 'It redirected to another host, which Strongroom never contacts.';
    case 'connection_lost':
      return 'The connection to it was lost; Strongroom reconnects when its tools are next used.';
    case 'not_usable':
      return 'Its configuration cannot be used; remove it and add it again.';
    case 'unknown':
      return 'It could not be reached.';
  }
}

/** The status of a server whose configuration could not even make a tool source. */
export function notUsableStatus(): McpServerStatus {
  const failure: McpFailure = { reason: 'not_usable', httpStatus: null };
  return { state: 'failed', tools: null, reason: failure.reason, httpStatus: null, message: mcpFailureMessage(failure), checkedAt: null };
}
