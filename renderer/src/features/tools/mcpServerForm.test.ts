import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../../../core/contracts/index.ts';
import { AddMcpServerInputSchema } from '../../../../core/contracts/index.ts';
import { emptyMcpServerForm, mcpServerInput, splitArguments, splitEnvNames, withListItemsNamed } from './mcpServerForm.ts';

describe('the add-an-MCP-server form', () => {
  it('reads one argument per line, exactly as typed, skipping blank lines', () => {
    expect(splitArguments('--port\r\n8080\n\n   \n  --label=two words  \n')).toEqual(['--port', '8080', '  --label=two words  ']);
    expect(splitArguments('')).toEqual([]);
  });

  it('reads environment variable names separated by commas, spaces or lines, each once', () => {
    expect(splitEnvNames(' CRM_API_KEY, HTTPS_PROXY\nNO_PROXY,,CRM_API_KEY\n')).toEqual(['CRM_API_KEY', 'HTTPS_PROXY', 'NO_PROXY']);
    expect(splitEnvNames(' \n , ')).toEqual([]);
  });

  it('sends only the chosen transport’s fields, and a token only when one is typed', () => {
    const typed = { ...emptyMcpServerForm, name: ' crm ', command: ' /opt/crm/bin/crm-mcp ', args: '--stdio\n', inheritEnv: 'CRM_API_KEY', url: ' https://crm.bank.internal/mcp ', token: '' };
    const stdio = mcpServerInput(typed);
    expect(stdio).toEqual({ name: 'crm', transport: 'stdio', command: '/opt/crm/bin/crm-mcp', args: ['--stdio'], inheritEnv: ['CRM_API_KEY'] });
    expect(AddMcpServerInputSchema.safeParse(stdio).success).toBe(true);
    const http = mcpServerInput({ ...typed, transport: 'http' });
    expect(http).toEqual({ name: 'crm', transport: 'http', url: 'https://crm.bank.internal/mcp' });
    expect(AddMcpServerInputSchema.safeParse(http).success).toBe(true);
    expect(mcpServerInput({ ...typed, transport: 'http', token: ' s3cret \n' })).toMatchObject({ token: 's3cret' });
    expect(mcpServerInput({ ...typed, transport: 'http', token: '   ' })).not.toHaveProperty('token');
  });

  it('names the list item an issue is about, from what was sent, and leaves other issues alone', () => {
    const error: ApiError = {
      code: 'ERR_INPUT_INVALID',
      message: 'Input is invalid.',
      details: { issues: [{ path: 'inheritEnv[1]', message: 'an environment variable name' }, { path: 'args[0]', message: 'Too big' }, { path: 'name', message: 'lower-case letter first' }, { path: 'inheritEnv[7]', message: 'out of range' }] },
    };
    const named = withListItemsNamed(error, { args: ['x'.repeat(80)], inheritEnv: ['OK', 'CRM-KEY'] });
    expect(named?.details?.issues).toEqual([
      { path: 'inheritEnv[1]', message: '“CRM-KEY”: an environment variable name' },
      { path: 'args[0]', message: `“${'x'.repeat(59)}…”: Too big` },
      { path: 'name', message: 'lower-case letter first' },
      { path: 'inheritEnv[7]', message: 'out of range' },
    ]);
    expect(named).toMatchObject({ code: 'ERR_INPUT_INVALID', message: 'Input is invalid.' });
    const conflict: ApiError = { code: 'ERR_CONFLICT', message: 'exists', details: { server: 'crm' } };
    expect(withListItemsNamed(conflict, {})).toBe(conflict);
    expect(withListItemsNamed(null, {})).toBeNull();
  });
});
