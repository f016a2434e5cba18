import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreError } from '../base/index.ts';
import type { WorkflowDefinition } from '../contracts/index.ts';
import type { AccountScope } from '../storage/index.ts';
import { RunStore } from './store.ts';
import type { CompiledWorkflow } from './validate.ts';
import { parseDefinitionText, validateDefinition } from './validate.ts';

export const shippedWorkflowsDir = fileURLToPath(new URL('../../resources/workflows', import.meta.url));

export interface CatalogEntry extends CompiledWorkflow {
  source: 'shipped' | 'imported';
  importedAt: number | null;
}

/**
 * Every workflow an account can run: the shipped ones (resources/workflows, the same for every
 * account) and those the account imported, each version identified by its content hash. The
 * latest version of an id is the most recently imported one, else the shipped one.
 */
export class WorkflowCatalog {
  private readonly shipped: CatalogEntry[];

  constructor(shippedDir: string = shippedWorkflowsDir) {
    const raw = readdirSync(shippedDir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((file) => parseDefinitionText(readFileSync(join(shippedDir, file), 'utf8')) as WorkflowDefinition);
    const byId = new Map(raw.map((d) => [d.id, d]));
    this.shipped = raw.map((definition) => ({ ...validateDefinition(definition, (id) => byId.get(id)), source: 'shipped' as const, importedAt: null }));
  }

  /** All versions visible to the account, oldest first. */
  entries(scope: AccountScope): CatalogEntry[] {
    const imported = new RunStore(scope).definitions().map(({ definition, version, importedAt }) => ({ definition, version, source: 'imported' as const, importedAt }));
    return [...this.shipped, ...imported];
  }

  get(scope: AccountScope, id: string, version?: string): CatalogEntry | undefined {
    const candidates = this.entries(scope).filter((e) => e.definition.id === id);
    if (version) return candidates.find((e) => e.version === version);
    return candidates.at(-1);
  }

  /** Validates against the account's other workflows (nesting, cycles) and stores a new version. */
  import(scope: AccountScope, text: string, importedBy: string, now: number): { entry: CatalogEntry; created: boolean } {
    const compiled = validateDefinition(parseDefinitionText(text), (id) => this.get(scope, id)?.definition);
    const exists = this.entries(scope).some((e) => e.definition.id === compiled.definition.id && e.version === compiled.version);
    if (!exists) new RunStore(scope).saveDefinition(compiled.definition, compiled.version, importedBy, now);
    const entry = this.get(scope, compiled.definition.id, compiled.version);
    if (!entry) throw new CoreError('ERR_INTERNAL', 'The imported workflow could not be read back.');
    return { entry, created: !exists };
  }

  validate(scope: AccountScope, text: string): CompiledWorkflow {
    return validateDefinition(parseDefinitionText(text), (id) => this.get(scope, id)?.definition);
  }
}
