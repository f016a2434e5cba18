import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../base/index.ts';
import { classifyMcpFailure, mcpFailureMessage } from './mcpStatus.ts';

const oops = (code: string, message = 'connect failed: /secret/path token=abc') => Object.assign(new Error(message), { code });
const wrapped = (cause: unknown) => new CoreError('ERR_TOOL_FAILED', 'MCP server x is unavailable.', { details: { tool: 'x', reason: 'unavailable' }, cause });

describe('why an MCP server could not be used', () => {
  it('reads codes and classes, never messages', () => {
    expect(classifyMcpFailure(wrapped(oops('ENOENT')))).toEqual({ reason: 'command_not_found', httpStatus: null });
    expect(classifyMcpFailure(oops('EACCES')).reason).toBe('permission_denied');
    expect(classifyMcpFailure(new TypeError('fetch failed', { cause: oops('ECONNREFUSED') })).reason).toBe('unreachable');
    expect(classifyMcpFailure(new TypeError('fetch failed', { cause: oops('ENOTFOUND') })).reason).toBe('unreachable');
    expect(classifyMcpFailure(new TypeError('fetch failed', { cause: oops('UNABLE_TO_VERIFY_LEAF_SIGNATURE') })).reason).toBe('tls');
    expect(classifyMcpFailure(new TypeError('fetch failed', { cause: oops('ERR_SSL_WRONG_VERSION_NUMBER') })).reason).toBe('tls');
    expect(classifyMcpFailure(new StreamableHTTPError(401, 'no'))).toEqual({ reason: 'unauthorized', httpStatus: 401 });
    expect(classifyMcpFailure(new StreamableHTTPError(404, 'no'))).toEqual({ reason: 'http_error', httpStatus: 404 });
    expect(classifyMcpFailure(new McpError(ErrorCode.RequestTimeout, 'slow')).reason).toBe('timeout');
    expect(classifyMcpFailure(new McpError(ErrorCode.ConnectionClosed, 'closed')).reason).toBe('exited');
    expect(classifyMcpFailure(new McpError(ErrorCode.MethodNotFound, 'what')).reason).toBe('protocol');
    expect(classifyMcpFailure(new CoreError('ERR_SECRETS_UNAVAILABLE', 'keychain locked')).reason).toBe('token_unavailable');
    expect(classifyMcpFailure(new Error('something /secret/path')).reason).toBe('unknown');
  });

  it('says it in fixed words', () => {
    for (const cause of [oops('ENOENT'), oops('ECONNREFUSED'), new Error('/secret/path token=abc')]) {
      const message = mcpFailureMessage(classifyMcpFailure(cause));
      expect(message).not.toMatch(/secret|token=/);
      expect(message).toMatch(/\.$/);
    }
    expect(mcpFailureMessage({ reason: 'http_error', httpStatus: 502 })).toBe('It answered HTTP 502 instead of MCP: check its URL.');
  });
});
