import { describe, expect, it } from 'vitest';
import { addAllowEntry, serverLocation, sortTools } from './tools.ts';

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
});
