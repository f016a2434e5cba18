import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreError, shippedPath } from '../base/index.ts';
import type { WorkflowDefinition } from '../contracts/index.ts';
import type { AccountScope } from '../storage/index.ts';
import { RunStore } from './store.ts';
import type { StoredDefinitionRow } from './store.ts';
import type { CompiledWorkflow } from './validate.ts';
import { parseDefinitionText, validateDefinition } from './validate.ts';

export const shippedWorkflowsDir = shippedPath('resources', 'workflows');

export interface CatalogEntry extends CompiledWorkflow {
  /** 'shipped' also for a version an upgrade removed, kept because a run was created on it. */
  source: 'shipped' | 'imported';
  importedAt: number | null;
}

/**
 * Every workflow an account can run: the shipped ones (resources/workflows, the same for every
 * account) and those the account imported, each version identified by its content hash. The
 * latest version of an id is the most recently imported one, else the shipped one. A shipped
 * version a run was created on is retained in the account (sealed like an import), so the run
 * still resumes — days later — after an upgrade has replaced the shipped file; a retained version
 * is found by its exact version and listed, but is never "latest".
 */
export class WorkflowCatalog {
  private readonly shipped: CatalogEntry[];
  /** Opened stored definitions by account and key: a stored version never changes. */
  private readonly opened = new Map<string, WorkflowDefinition>();

  constructor(shippedDir: string = shippedWorkflowsDir) {
    const raw = readdirSync(shippedDir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((file) => parseDefinitionText(readFileSync(join(shippedDir, file), 'utf8')) as WorkflowDefinition);
    const byId = new Map(raw.map((d) => [d.id, d]));
    this.shipped = raw.map((definition) => ({ ...validateDefinition(definition, (id) => byId.get(id)), source: 'shipped' as const, importedAt: null }));
  }

  /** All versions visible to the account, oldest first (retained shipped ones before the current shipped ones). */
  entries(scope: AccountScope): CatalogEntry[] {
    const store = new RunStore(scope);
    const rows = store.definitionRows();
    const entry = (row: StoredDefinitionRow): CatalogEntry => ({ definition: this.open(scope, store, row.key)!, version: row.version, source: row.retained ? 'shipped' : 'imported', importedAt: row.retained ? null : row.importedAt });
    const retained = rows.filter((row) => row.retained && !this.shipped.some((e) => e.definition.id === row.workflowId && e.version === row.version));
    return [...retained.map(entry), ...this.shipped, ...rows.filter((row) => !row.retained).map(entry)];
  }

  get(scope: AccountScope, id: string, version?: string): CatalogEntry | undefined {
    const store = new RunStore(scope);
    const rows = store.definitionRows().filter((row) => row.workflowId === id && (version ? row.version === version : !row.retained));
    const row = rows.at(-1);
    if (row && !row.retained) return { definition: this.open(scope, store, row.key)!, version: row.version, source: 'imported', importedAt: row.importedAt };
    const shipped = this.shipped.filter((e) => e.definition.id === id && (!version || e.version === version)).at(-1);
    if (shipped) return shipped;
    return row ? { definition: this.open(scope, store, row.key)!, version: row.version, source: 'shipped', importedAt: null } : undefined;
  }

  /**
   * Keeps a shipped version a new run uses in the account (nothing to do for an imported one, or
   * when it is kept already). Called inside the transaction that creates the run.
   */
  retain(scope: AccountScope, id: string, version: string, now: number): void {
    const shipped = this.shipped.find((e) => e.definition.id === id && e.version === version);
    const store = new RunStore(scope);
    if (shipped && !store.hasDefinition(id, version)) store.saveDefinition(shipped.definition, version, null, now, { retained: true });
  }

  /** Validates against the account's other workflows (nesting, cycles) and stores a new version. */
  import(scope: AccountScope, text: string, importedBy: string, now: number): { entry: CatalogEntry; created: boolean } {
    const compiled = validateDefinition(parseDefinitionText(text), (id) => this.get(scope, id)?.definition);
    const exists = this.entries(scope).some((e) => e.definition.id === compiled.definition.id && e.version === compiled.version && (e.source === 'imported' || this.shipped.includes(e)));
    if (!exists) new RunStore(scope).saveDefinition(compiled.definition, compiled.version, importedBy, now);
    const entry = this.get(scope, compiled.definition.id, compiled.version);
    if (!entry) throw new CoreError('ERR_INTERNAL', 'The imported workflow could not be read back.');
    return { entry, created: !exists };
  }

  validate(scope: AccountScope, text: string): CompiledWorkflow {
    return validateDefinition(parseDefinitionText(text), (id) => this.get(scope, id)?.definition);
  }

  private open(scope: AccountScope, store: RunStore, key: string): WorkflowDefinition | undefined {
    const cacheKey = `${scope.accountId}|${key}`;
    let definition = this.opened.get(cacheKey);
    if (!definition) {
      definition = store.definition(key);
      if (definition) this.opened.set(cacheKey, definition);
    }
    return definition;
  }
}
