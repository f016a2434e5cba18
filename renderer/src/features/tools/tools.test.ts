import { describe, expect, it } from 'vitest';
import { addAllowEntry, sortTools } from './tools.ts';

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
});
