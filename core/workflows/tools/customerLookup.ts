import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { shippedPath } from '../../base/index.ts';
import { formatIssuePath } from '../../contracts/index.ts';
import type { Tool } from '../tools.ts';
import { parseToolInput, toolError } from './toolErrors.ts';

const name = 'customer_lookup';
const maxTableBytes = 64 * 1024 * 1024;

/** The synthetic sample table shipped in resources/ (a default for demos and tests). */
export const defaultCustomerTableFile = shippedPath('resources', 'samples', 'customers.json');

/**
 * A customer record exactly as the table holds it. Tables differ between banks (the sample uses
 * `customerId`, `legalName`, `customerRiskRating`, `kyc.status`), so only the id is required —
 * by the loader, under one of the configured id fields — and every other field passes through.
 */
export const CustomerSchema = z.looseObject({});
export type Customer = z.infer<typeof CustomerSchema>;

const CustomerTableSchema = z.array(CustomerSchema);

export const CustomerLookupInputSchema = z.strictObject({
  customerId: z.string().min(1).max(200).describe('The customer id, exactly as in the customer table.'),
});
export type CustomerLookupInput = z.infer<typeof CustomerLookupInputSchema>;

export const CustomerLookupOutputSchema = z.discriminatedUnion('found', [
  z.object({ found: z.literal(true), customer: CustomerSchema }),
  z.object({ found: z.literal(false) }),
]);
export type CustomerLookupOutput = z.infer<typeof CustomerLookupOutputSchema>;

export interface CustomerLookupOptions {
  /** The table's JSON files (each an array of customers), fixed at construction; ids must be unique across them. */
  files: readonly string[];
  /** Where a record's id is: the first of these fields holding a non-empty string. Default `id`, then `customerId`. */
  idFields?: readonly string[];
}

interface LoadedTable {
  /** `size:mtime` per file, to reload when one changes. */
  signature: string;
  byId: Map<string, Customer>;
}

/**
 * Looks a customer up by id in the installation's customer table. Reads only the configured
 * files — the id is a map key, never part of a path — and reloads them when they change.
 */
export function createCustomerLookupTool(options: CustomerLookupOptions): Tool<CustomerLookupInput, CustomerLookupOutput> {
  const files = options.files.map((file) => resolve(file));
  const idFields = options.idFields ?? ['id', 'customerId'];
  if (files.length === 0) throw new RangeError('customer_lookup needs at least one table file');
  let table: LoadedTable | undefined;
  let loading: Promise<LoadedTable> | undefined;

  async function signature(): Promise<string> {
    const parts = await Promise.all(
      files.map(async (file, index) => {
        try {
          const info = await stat(file);
          if (!info.isFile()) throw new Error('not a regular file');
          if (info.size > maxTableBytes) throw new Error('larger than the limit');
          return `${info.size}:${info.mtimeMs}`;
        } catch (cause) {
          throw toolError('ERR_TOOL_FAILED', 'The customer table cannot be read; check the configured files.', { tool: name, reason: 'table_unavailable', file: index }, cause);
        }
      }),
    );
    return parts.join('|');
  }

  async function load(expected: string): Promise<LoadedTable> {
    const byId = new Map<string, Customer>();
    for (const [index, file] of files.entries()) {
      let records: unknown;
      try {
        records = JSON.parse(await readFile(file, 'utf8'));
      } catch (cause) {
        throw toolError('ERR_TOOL_FAILED', 'The customer table is not valid JSON.', { tool: name, reason: 'table_invalid', file: index }, cause);
      }
      const parsed = CustomerTableSchema.safeParse(records);
      if (!parsed.success) {
        const paths = parsed.error.issues.slice(0, 5).map((issue) => formatIssuePath(issue.path));
        throw toolError('ERR_TOOL_FAILED', 'The customer table does not match the customer schema.', { tool: name, reason: 'table_invalid', file: index, paths });
      }
      for (const [row, customer] of parsed.data.entries()) {
        const id = idFields.map((field) => customer[field]).find((value): value is string => typeof value === 'string' && value !== '');
        if (id === undefined) {
          throw toolError('ERR_TOOL_FAILED', 'A customer in the table has no id.', { tool: name, reason: 'table_invalid', file: index, row, idFields });
        }
        if (byId.has(id)) {
          throw toolError('ERR_TOOL_FAILED', 'The customer table has a duplicate id.', { tool: name, reason: 'table_invalid', file: index, row });
        }
        byId.set(id, customer);
      }
    }
    return { signature: expected, byId };
  }

  async function current(): Promise<LoadedTable> {
    const now = await signature();
    if (table?.signature === now) return table;
    // One load at a time; concurrent lookups share it.
    loading ??= load(now).finally(() => {
      loading = undefined;
    });
    table = await loading;
    return table;
  }

  return {
    name,
    description: 'Looks up a customer by id in the customer table: name, segment, risk rating, KYC status and more. Returns found: false if there is none.',
    input: CustomerLookupInputSchema,
    output: CustomerLookupOutputSchema,
    sideEffects: false,
    async call(input) {
      const { customerId } = parseToolInput(name, CustomerLookupInputSchema, input);
      const customer = (await current()).byId.get(customerId);
      return customer === undefined ? { found: false } : { found: true, customer: structuredClone(customer) };
    },
  };
}
