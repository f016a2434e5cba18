import { describe, expect, it } from 'vitest';
import { addAllowEntry, addedServerMessage, allowListSavedMessage, describeServerStatus, mcpToolsNote, serverLocation, sortTools } from './tools.ts';
import type { AccountMcpServer } from './tools.ts';

describe('tools page helpers', () => {
  it('lists the built-ins first, then each MCP server’s tools, by name', () => {
    const tool = (name: string, source: string) => ({ name, source, description: '', sideEffects: false });
    const sorted = sortTools([tool('sanctions.screen', 'sanctions'), tool('date_math', 'builtin'), tool('crm.note', 'crm'), tool('calculator', 'builtin')]);
    expect(sorted.map((t) => t.name)).toEqual(['calculator', 'date_math', 'crm.note', 'sanctions.screen']);
  });

  it('adds an allow-list entry once, trimmed, refusing what the API would refuse and what is already allowed', () => {
    expect(addAllowEntry([], '  sanctions.*  ')).toEqual({ ok: true, entries: ['sanctions.*'] });
    expect(addAllowEntry(['sanctions.*'], 'crm.note')).toEqual({ ok: true, entries: ['sanctions.*', 'crm.note'] });
    expect(addAllowEntry(['sanctions.*'], 'sanctions.*')).toMatchObject({ ok: false, problem: '“sanctions.*” is already in the list.' });
    expect(addAllowEntry(['sanctions.*'], 'sanctions.screen')).toMatchObject({ ok: false, problem: expect.stringContaining('every tool of its server') as string });
    expect(addAllowEntry([], 'Sanctions!')).toMatchObject({ ok: false, problem: expect.stringContaining('<server>.*') as string });
    expect(addAllowEntry([], '   ')).toMatchObject({ ok: false });
  });

  it('says where an MCP server is: its URL, or its command line with spaced parts quoted', () => {
    const server = { name: 'crm', command: null, args: [], inheritEnv: [], url: null, hasToken: false, createdAt: '2025-01-01T00:00:00.000Z' };
    expect(serverLocation({ ...server, transport: 'http', url: 'https://crm.bank.internal/mcp' })).toBe('https://crm.bank.internal/mcp');
    expect(serverLocation({ ...server, transport: 'stdio', command: '/usr/bin/node', args: ['/opt/My Tools/crm.js', '--stdio', ''] })).toBe('/usr/bin/node "/opt/My Tools/crm.js" --stdio ""');
  });

  const down: AccountMcpServer = { name: 'sanctions', entries: ['sanctions.*'], state: 'failed', tools: null, reason: 'command_not_found', httpStatus: null, message: 'Its command was not found on this machine.', checkedAt: '2026-01-01T00:00:00.000Z' };
  const up: AccountMcpServer = { name: 'crm', entries: ['crm.note'], state: 'connected', tools: 3, reason: null, httpStatus: null, message: null, checkedAt: '2026-01-01T00:00:00.000Z' };

  it('describes a server’s status: connected with its tools, or why not', () => {
    expect(describeServerStatus(up)).toBe('Connected: 3 tools.');
    expect(describeServerStatus({ ...up, tools: 1 })).toBe('Connected: 1 tool.');
    expect(describeServerStatus(down)).toBe('Not reachable: Its command was not found on this machine.');
    expect(describeServerStatus({ ...down, state: 'not_tried', reason: null, message: null })).toMatch(/^Not tried/);
  });

  it('never says no MCP tool is allowed while an entry is: a down server is named as allowed but not connected', () => {
    expect(mcpToolsNote([])).toEqual(['No MCP server’s tools are allowed in this account: only the built-ins.']);
    expect(mcpToolsNote([up])).toEqual([]);
    const [note] = mcpToolsNote([down, up]);
    expect(note).toBe('sanctions.* is allowed, but MCP server sanctions is not connected, so its tools are not listed above and workflow steps calling them fail. Not reachable: Its command was not found on this machine.');
    expect(note).not.toMatch(/No MCP/);
    expect(mcpToolsNote([{ ...down, entries: ['sanctions.screen'] }])[0]).toMatch(/^sanctions\.screen is allowed, but .* so that tool is not listed above and workflow steps calling it fail/);
  });

  it('announces a saved allow-list, and that a server it names is down', () => {
    expect(allowListSavedMessage('Default', [], null)).toBe('Default may now use the built-in tools only.');
    expect(allowListSavedMessage('Default', ['sanctions.*'], null)).toBe('Default may now use, beyond the built-ins: sanctions.*. Checking the MCP servers…');
    expect(allowListSavedMessage('Default', ['sanctions.*', 'crm.note'], [down, up])).toBe('Default may now use, beyond the built-ins: sanctions.*, crm.note. But sanctions is not connected: see below.');
    expect(allowListSavedMessage('Default', ['crm.note'], [up])).toBe('Default may now use, beyond the built-ins: crm.note.');
  });

  it('says an added server that could not be reached is kept, and why it failed', () => {
    expect(addedServerMessage({ name: 'sanctions', status: down })).toBe('MCP server sanctions added, but it could not be reached when tried: Its command was not found on this machine. It is kept; use Test connection once it runs. Allow its tools for an account in that account’s allow-list.');
    expect(addedServerMessage({ name: 'crm', status: up })).toBe('MCP server crm added and connected (3 tools). Allow its tools for an account in that account’s allow-list.');
  });
});
