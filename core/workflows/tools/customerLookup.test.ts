import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCustomerLookupTool, defaultCustomerTableFile } from './customerLookup.ts';
import { contextFor, failure } from './testing/helpers.ts';

const ada = { id: 'C-1001', name: 'Ada Synthetic', segment: 'retail', riskRating: 'low', kycStatus: 'verified', branch: 'Zurich' };
const bob = { id: 'C-1002', name: 'Bob Example', segment: 'sme', riskRating: 3, kycStatus: 'pending' };
/** The shape of resources/samples/customers.json. */
const carla = { customerId: 'CUST-100482', legalName: 'Carla Synthetic Ltd', customerRiskRating: 'low', kyc: { status: 'current' }, synthetic: true };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-customers-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function table(file: string, rows: unknown): string {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(rows));
  return path;
}

const lookup = (tool: ReturnType<typeof createCustomerLookupTool>, customerId: string) => tool.call({ customerId }, contextFor());

describe('customer_lookup', () => {
  it('finds a customer with every field, extra ones included', async () => {
    const tool = createCustomerLookupTool({ files: [table('customers.json', [ada, bob])] });
    const result = await lookup(tool, 'C-1001');
    expect(result).toEqual({ found: true, customer: ada });
    expect(tool.output.parse(result)).toEqual(result); // the output schema keeps the extra field
    expect(await lookup(tool, 'C-1002')).toEqual({ found: true, customer: bob });
  });

  it('takes the id from `customerId` when there is no `id`, or from configured fields', async () => {
    const tool = createCustomerLookupTool({ files: [table('customers.json', [ada, carla])] });
    expect(await lookup(tool, 'CUST-100482')).toEqual({ found: true, customer: carla });
    const custom = createCustomerLookupTool({ files: [table('custom.json', [{ ref: 'R-1', name: 'Dan' }])], idFields: ['ref'] });
    expect((await lookup(custom, 'R-1')).found).toBe(true);
  });

  it('answers found: false for an unknown id, not an exception', async () => {
    const tool = createCustomerLookupTool({ files: [table('customers.json', [ada])] });
    expect(await lookup(tool, 'C-9999')).toEqual({ found: false });
    expect(await lookup(tool, 'c-1001')).toEqual({ found: false }); // ids match exactly
  });

  it('treats the id as a key only: a path in it reads no file', async () => {
    const other = table('other.json', [{ ...bob, id: 'secret' }]);
    const tool = createCustomerLookupTool({ files: [table('customers.json', [ada])] });
    for (const customerId of [other, '../other.json', 'other.json', `${dir}/other.json`, '__proto__', 'constructor']) {
      expect(await lookup(tool, customerId)).toEqual({ found: false });
    }
  });

  it('merges several files and rejects a duplicate id across them', async () => {
    const merged = createCustomerLookupTool({ files: [table('a.json', [ada]), table('b.json', [bob])] });
    expect((await lookup(merged, 'C-1002')).found).toBe(true);
    const duplicated = createCustomerLookupTool({ files: [table('c.json', [ada]), table('d.json', [ada])] });
    const error = await failure(lookup(duplicated, 'C-1001'));
    expect(error.code).toBe('ERR_TOOL_FAILED');
    expect(error.details).toMatchObject({ reason: 'table_invalid', file: 1, row: 0 });
  });

  it('reloads the table when the file changes', async () => {
    const file = table('customers.json', [ada]);
    const tool = createCustomerLookupTool({ files: [file] });
    expect((await lookup(tool, 'C-1002')).found).toBe(false);
    writeFileSync(file, JSON.stringify([ada, bob]));
    utimesSync(file, new Date(), new Date(Date.now() + 5000)); // a distinct mtime even on coarse clocks
    expect((await lookup(tool, 'C-1002')).found).toBe(true);
  });

  it('reports a missing, malformed or off-schema table as a typed error naming no content', async () => {
    const missing = createCustomerLookupTool({ files: [join(dir, 'absent.json')] });
    expect((await failure(lookup(missing, 'C-1001'))).details).toMatchObject({ reason: 'table_unavailable' });
    writeFileSync(join(dir, 'broken.json'), '[{"id": ');
    const broken = createCustomerLookupTool({ files: [join(dir, 'broken.json')] });
    expect((await failure(lookup(broken, 'C-1001'))).details).toMatchObject({ reason: 'table_invalid' });
    const notRecords = createCustomerLookupTool({ files: [table('x.json', [ada, 'Secret Name'])] });
    const error = await failure(lookup(notRecords, 'C-1001'));
    expect(error.details).toMatchObject({ reason: 'table_invalid', paths: ['[1]'] });
    expect(JSON.stringify(error.toApiError())).not.toContain('Secret Name');
    const noId = createCustomerLookupTool({ files: [table('y.json', [ada, { name: 'Secret Name' }])] });
    expect((await failure(lookup(noId, 'C-1001'))).details).toMatchObject({ reason: 'table_invalid', row: 1 });
  });

  it('validates its input', async () => {
    const tool = createCustomerLookupTool({ files: [table('customers.json', [ada])] });
    for (const input of [{}, { customerId: '' }, { customerId: 42 }, { customerId: 'C-1001', extra: true }]) {
      expect(tool.input.safeParse(input).success).toBe(false);
      expect((await failure(tool.call(input as { customerId: string }, contextFor()))).code).toBe('ERR_TOOL_INPUT_INVALID');
    }
  });

  // The shipped sample table is written separately; once it exists it must fit the schema.
  it.skipIf(!existsSync(defaultCustomerTableFile))('reads the shipped sample table', async () => {
    const tool = createCustomerLookupTool({ files: [defaultCustomerTableFile] });
    expect(await lookup(tool, 'no-such-customer')).toEqual({ found: false });
    expect(await lookup(tool, 'CUST-100482')).toMatchObject({ found: true, customer: { customerId: 'CUST-100482' } });
  });
});
