import type Database from 'better-sqlite3';
import { can } from '../api/index.ts';
import type { Principal } from '../api/index.ts';
import type { Storage } from '../storage/index.ts';
import type { AuditPeople } from './people.ts';

/** What an entry's `resource` names, for people: presentation only, the entry keeps its string. */
export interface ResourceLabel {
  kind: 'account' | 'user' | 'run' | 'draft' | 'trace' | 'span' | 'model' | 'other';
  /** The id after the prefix (`span`: `traceId/spanId`); the whole string for `other`. */
  id: string;
  /** An account's or a person's name, where the principal may know it. */
  name: string | null;
  /** The page the principal may open for it: its own account's run, draft or trace, with the permission to read it. */
  open: { page: 'run' | 'draft' | 'trace'; id: string; spanId?: string } | null;
}

const prefixed = /^(account|user|run|draft|trace|span|model):(.+)$/;

/** A resource string → its kind and id (`other` when Strongroom does not name that kind). */
export function parseResource(resource: string): Pick<ResourceLabel, 'kind' | 'id'> {
  const match = prefixed.exec(resource);
  if (!match) return { kind: 'other', id: resource };
  const kind = match[1] as ResourceLabel['kind'];
  const id = match[2]!;
  if (kind === 'span' && !/^[^/]+\/[^/]+$/.test(id)) return { kind: 'other', id: resource };
  return { kind, id };
}

/**
 * Labels the resources of one page of entries: one query per kind of resource on the page (not
 * per entry), each confined to what the principal may know — accounts by name for the account
 * itself (every account for an installation administrator), people as `AuditPeople` allows, and
 * a run, draft or trace is openable only in the principal's own account. An id from elsewhere
 * reads exactly like one that exists nowhere.
 */
export class ResourceLabeler {
  private readonly storage: Storage;
  private readonly people: AuditPeople;
  private readonly statements = new Map<string, Database.Statement<string[]>>();

  constructor(storage: Storage, people: AuditPeople) {
    this.storage = storage;
    this.people = people;
  }

  label(principal: Principal, resources: ReadonlyArray<string | null>): Map<string, ResourceLabel> {
    const parsed = new Map<string, Pick<ResourceLabel, 'kind' | 'id'>>();
    for (const resource of resources) if (resource !== null && !parsed.has(resource)) parsed.set(resource, parseResource(resource));
    const idsOf = (kind: ResourceLabel['kind']) => [...new Set([...parsed.values()].filter((p) => p.kind === kind).map((p) => (kind === 'span' ? p.id.split('/')[0]! : p.id)))];

    const accountNames = this.accountNames(principal, idsOf('account'));
    const userIds = idsOf('user');
    const people = this.people.known(principal, userIds);
    const account = principal.accountId;
    const inAccount = (table: 'runs' | 'drafts' | 'traces', ids: string[]) => (account === null || ids.length === 0 ? new Map<string, string | undefined>() : this.existing(table, account, ids));
    const readsRuns = can(principal, 'runs.read');
    const readsDrafts = can(principal, 'drafts.read');
    const readsTraces = can(principal, 'traces.read');
    // A run the principal may not open links to its trace for those who read traces (compliance, auditors).
    const runs = readsRuns || readsTraces ? inAccount('runs', idsOf('run')) : new Map<string, string | undefined>();
    const drafts = readsDrafts ? inAccount('drafts', idsOf('draft')) : new Map<string, string | undefined>();
    const traces = readsTraces ? inAccount('traces', [...idsOf('trace'), ...idsOf('span')]) : new Map<string, string | undefined>();

    const labels = new Map<string, ResourceLabel>();
    for (const [resource, { kind, id }] of parsed) {
      let name: string | null = null;
      let open: ResourceLabel['open'] = null;
      if (kind === 'account') name = accountNames.get(id) ?? null;
      else if (kind === 'user') name = people.get(id)?.displayName ?? null;
      else if (kind === 'run' && runs.has(id)) {
        const traceId = runs.get(id);
        open = readsRuns ? { page: 'run', id } : traceId !== undefined && readsTraces ? { page: 'trace', id: traceId } : null;
      } else if (kind === 'draft' && drafts.has(id)) open = { page: 'draft', id };
      else if (kind === 'trace' && traces.has(id)) open = { page: 'trace', id };
      else if (kind === 'span') {
        const [traceId, spanId] = id.split('/') as [string, string];
        if (traces.has(traceId)) open = { page: 'trace', id: traceId, spanId };
      }
      labels.set(resource, { kind, id, name, open });
    }
    return labels;
  }

  /** Names of accounts the principal may know: its own, or any for an installation administrator (kept after deletion). */
  private accountNames(principal: Principal, ids: string[]): Map<string, string> {
    const known = principal.installationAdmin ? ids : ids.filter((id) => id === principal.accountId);
    if (known.length === 0) return new Map();
    const rows = this.statement('SELECT id, name FROM accounts WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(known)) as Array<{ id: string; name: string }>;
    return new Map(rows.map((row) => [row.id, row.name]));
  }

  /** Which of `ids` exist in the account, one query (runs map to their trace id). */
  private existing(table: 'runs' | 'drafts' | 'traces', accountId: string, ids: string[]): Map<string, string | undefined> {
    const sql = {
      runs: 'SELECT id, trace_id FROM runs WHERE account_id = ? AND id IN (SELECT value FROM json_each(?))',
      drafts: 'SELECT id FROM drafts WHERE account_id = ? AND id IN (SELECT value FROM json_each(?))',
      traces: 'SELECT trace_id AS id FROM traces WHERE account_id = ? AND trace_id IN (SELECT value FROM json_each(?))',
    }[table];
    const rows = this.statement(sql).all(accountId, JSON.stringify(ids)) as Array<{ id: string; trace_id?: string }>;
    return new Map(rows.map((row) => [row.id, row.trace_id]));
  }

  /** Each query is prepared once. */
  private statement(sql: string): Database.Statement<string[]> {
    let statement = this.statements.get(sql);
    if (statement === undefined) this.statements.set(sql, (statement = this.storage.db.prepare<string[]>(sql)));
    return statement;
  }
}
