import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Tool } from '../tools.ts';
import { createCalculatorTool } from './calculator.ts';
import { createCustomerLookupTool, defaultCustomerTableFile } from './customerLookup.ts';
import { createDateMathTool } from './dateMath.ts';
import { createToolRegistry } from './registry.ts';
import type { ToolAllowList, ToolSource } from './registry.ts';

function remoteTool(name: string): Tool {
  return { name, description: name, input: z.object({}), output: z.object({}), sideEffects: false, call: async () => ({}) };
}

/** A source whose tools change, like an MCP server's. */
function source(name: string, toolNames: string[]): ToolSource & { names: string[] } {
  const state = { name, names: toolNames, tools: () => state.names.map((tool) => remoteTool(`${name}.${tool}`)) };
  return state;
}

const allowLists: Record<string, ToolAllowList> = {
  'account-a': new Set(['calculator', 'sanctions.screen']),
  'account-b': new Set(['date_math', 'crm.*']),
  admin: 'all',
};

function registry(sources: ToolSource[] = [source('sanctions', ['screen', 'refresh']), source('crm', ['lookup', 'update'])]) {
  return createToolRegistry({
    builtins: [createCalculatorTool(), createDateMathTool()],
    mcpSources: sources,
    allowList: (accountId) => allowLists[accountId] ?? new Set(),
  });
}

const names = (tools: Tool[]) => tools.map((tool) => tool.name).sort();

describe('createToolRegistry', () => {
  it("keeps each account's tools invisible to the others", () => {
    const tools = registry();
    expect(names(tools.list('account-a'))).toEqual(['calculator', 'sanctions.screen']);
    expect(names(tools.list('account-b'))).toEqual(['crm.lookup', 'crm.update', 'date_math']);
    expect(tools.get('calculator', 'account-a')?.name).toBe('calculator');
    expect(tools.get('calculator', 'account-b')).toBeUndefined();
    expect(tools.get('sanctions.screen', 'account-b')).toBeUndefined();
    expect(tools.get('crm.lookup', 'account-a')).toBeUndefined();
    expect(tools.get('sanctions.refresh', 'account-a')).toBeUndefined(); // same server, not listed
  });

  it('shows nothing to an account without an allow-list, and everything for "all"', () => {
    const tools = registry();
    expect(tools.list('account-unknown')).toEqual([]);
    expect(tools.get('calculator', 'account-unknown')).toBeUndefined();
    expect(names(tools.list('admin'))).toEqual(['calculator', 'crm.lookup', 'crm.update', 'date_math', 'sanctions.refresh', 'sanctions.screen']);
  });

  it('returns undefined for tools that do not exist, even when allowed', () => {
    const tools = registry();
    expect(tools.get('crm.delete', 'account-b')).toBeUndefined();
    expect(tools.get('nope', 'admin')).toBeUndefined();
    expect(tools.get('crm.', 'admin')).toBeUndefined();
    expect(tools.get('.lookup', 'admin')).toBeUndefined();
  });

  it('follows a source whose tool list changes', () => {
    const crm = source('crm', ['lookup']);
    const tools = registry([crm]);
    expect(tools.get('crm.update', 'account-b')).toBeUndefined();
    crm.names = ['lookup', 'update'];
    expect(tools.get('crm.update', 'account-b')?.name).toBe('crm.update');
  });

  it('reads the allow-list on every lookup, so a revoked tool disappears at once', () => {
    let allowed: ToolAllowList = new Set(['calculator']);
    const tools = createToolRegistry({ builtins: [createCalculatorTool()], allowList: () => allowed });
    expect(tools.get('calculator', 'account-a')).toBeDefined();
    allowed = new Set();
    expect(tools.get('calculator', 'account-a')).toBeUndefined();
  });

  it('refuses ambiguous names at construction', () => {
    const calculator = createCalculatorTool();
    const allowList = () => 'all' as const;
    expect(() => createToolRegistry({ builtins: [calculator, calculator], allowList })).toThrow(/Two built-in tools/);
    expect(() => createToolRegistry({ builtins: [{ ...calculator, name: 'crm.lookup' }], allowList })).toThrow(RangeError);
    expect(() => createToolRegistry({ builtins: [], mcpSources: [source('crm', []), source('crm', [])], allowList })).toThrow(/Two tool sources/);
    expect(() => createToolRegistry({ builtins: [], mcpSources: [source('a.b', [])], allowList })).toThrow(RangeError);
  });

  it('gives every built-in an input schema that converts to JSON Schema, as agent steps need', () => {
    for (const tool of [createCalculatorTool(), createDateMathTool(), createCustomerLookupTool({ files: [defaultCustomerTableFile] })]) {
      const schema = z.toJSONSchema(tool.input) as { type?: string; additionalProperties?: boolean };
      expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    }
  });
});
