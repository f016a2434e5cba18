import { z } from 'zod';
import { DataClassificationSchema, ModelManifestSchema } from '../../contracts/index.ts';
import type { DataClassification, ModelManifest } from '../../contracts/index.ts';
import { Repository } from '../../storage/index.ts';
import type { SqliteDatabase } from '../../storage/index.ts';

/** Who may use a model: every account, or the listed account ids. */
export interface Availability {
  allAccounts: boolean;
  accountIds: string[];
}

/**
 * What this installation changed about a shipped models/*.json manifest (the file itself stays
 * read-only): its availability, its classifications, a checksum recorded where it had none.
 */
const ShippedOverrideSchema = z.object({
  /** Whether `all_accounts` and `model_access` replace the manifest's `accounts`. */
  availability: z.boolean(),
  classifications: z.array(DataClassificationSchema).min(1).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type ShippedOverride = z.infer<typeof ShippedOverrideSchema>;

export type StoredModel =
  | { id: string; source: 'added'; manifest: ModelManifest; availability: Availability; createdAt: number }
  | { id: string; source: 'shipped'; override: ShippedOverride; availability: Availability; createdAt: number };

interface ModelRow {
  id: string;
  source: 'added' | 'shipped';
  manifest: string | null;
  all_accounts: number;
  created_at: number;
}

/**
 * Installation-added model manifests and overrides of shipped ones (installation-wide, not
 * account-scoped: availability is itself the per-account rule). Manifests are configuration and
 * stay plaintext; API keys are never here. A shipped row's `manifest` column holds its
 * `ShippedOverride` as JSON; NULL (rows written before overrides had more than availability)
 * means an availability override only.
 */
export class ModelStore extends Repository {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    super(db);
    this.statements = {
      all: db.prepare<[], ModelRow>('SELECT id, source, manifest, all_accounts, created_at FROM models ORDER BY created_at, id'),
      one: db.prepare<[string], ModelRow>('SELECT id, source, manifest, all_accounts, created_at FROM models WHERE id = ?'),
      access: db.prepare<[], { model_id: string; account_id: string }>('SELECT model_id, account_id FROM model_access ORDER BY account_id'),
      insert: db.prepare('INSERT INTO models (id, source, manifest, all_accounts, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      setManifest: db.prepare('UPDATE models SET manifest = ?, updated_at = ? WHERE id = ?'),
      setAll: db.prepare('UPDATE models SET all_accounts = ?, updated_at = ? WHERE id = ?'),
      clearAccess: db.prepare('DELETE FROM model_access WHERE model_id = ?'),
      grant: db.prepare('INSERT OR IGNORE INTO model_access (model_id, account_id) VALUES (?, ?)'),
      remove: db.prepare('DELETE FROM models WHERE id = ?'),
      defaultFor: db.prepare<[string], string>('SELECT model_id FROM model_defaults WHERE account_id = ?').pluck(),
      setDefault: db.prepare('INSERT INTO model_defaults (account_id, model_id, updated_by, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET model_id = excluded.model_id, updated_by = excluded.updated_by, updated_at = excluded.updated_at'),
      clearDefault: db.prepare('DELETE FROM model_defaults WHERE account_id = ?'),
      forgetDefault: db.prepare('DELETE FROM model_defaults WHERE model_id = ?'),
    };
  }

  list(): StoredModel[] {
    const access = new Map<string, string[]>();
    for (const row of this.statements.access.all()) access.set(row.model_id, [...(access.get(row.model_id) ?? []), row.account_id]);
    return this.statements.all.all().map((row): StoredModel => {
      const availability = { allAccounts: row.all_accounts === 1, accountIds: access.get(row.id) ?? [] };
      return row.source === 'added'
        ? { id: row.id, source: 'added', manifest: ModelManifestSchema.parse(JSON.parse(row.manifest ?? 'null')), availability, createdAt: row.created_at }
        : { id: row.id, source: 'shipped', override: overrideOf(row), availability, createdAt: row.created_at };
    });
  }

  /** Within the caller's transaction (the audit entry shares it). */
  insert(manifest: ModelManifest, availability: Availability, createdBy: string, now: number): void {
    this.transaction(() => {
      this.statements.insert.run(manifest.id, 'added', JSON.stringify(manifest), availability.allAccounts ? 1 : 0, createdBy, now, now);
      for (const accountId of availability.accountIds) this.statements.grant.run(manifest.id, accountId);
    });
  }

  /** Replaces an installation-added model's manifest (its classifications, a recorded checksum). */
  updateManifest(manifest: ModelManifest, now: number): void {
    this.transaction(() => this.statements.setManifest.run(JSON.stringify(manifest), now, manifest.id));
  }

  setAvailability(id: string, source: 'added' | 'shipped', availability: Availability, changedBy: string, now: number): void {
    this.transaction(() => {
      if (source === 'shipped') this.overrideShipped(id, { availability: true }, changedBy, now);
      this.statements.setAll.run(availability.allAccounts ? 1 : 0, now, id);
      this.statements.clearAccess.run(id);
      for (const accountId of availability.accountIds) this.statements.grant.run(id, accountId);
    });
  }

  /** Merges a change into a shipped model's override, creating its row (availability untouched) if needed. */
  overrideShipped(id: string, change: Partial<ShippedOverride>, changedBy: string, now: number): void {
    this.transaction(() => {
      const row = this.statements.one.get(id);
      if (row === undefined) {
        this.statements.insert.run(id, 'shipped', JSON.stringify({ availability: false, ...change }), 0, changedBy, now, now);
      } else {
        this.statements.setManifest.run(JSON.stringify({ ...overrideOf(row), ...change }), now, id);
      }
    });
  }

  /** Removes an added model; no account keeps it as its default. */
  remove(id: string): boolean {
    return this.transaction(() => {
      this.statements.forgetDefault.run(id);
      return this.statements.remove.run(id).changes > 0;
    });
  }

  /** The model the account chose as its default; undefined when it chose none. */
  defaultFor(accountId: string): string | undefined {
    return this.statements.defaultFor.get(accountId);
  }

  /** An account's default model; null goes back to its first real model. */
  setDefault(accountId: string, modelId: string | null, changedBy: string, now: number): void {
    this.transaction(() => {
      if (modelId === null) this.statements.clearDefault.run(accountId);
      else this.statements.setDefault.run(accountId, modelId, changedBy, now);
    });
  }

  /** Joins an enclosing transaction; used so a change and its audit entry commit together. */
  atomically<T>(fn: () => T): T {
    return this.durably(fn);
  }
}

function overrideOf(row: ModelRow): ShippedOverride {
  return row.manifest === null ? { availability: true } : ShippedOverrideSchema.parse(JSON.parse(row.manifest));
}

/** A shipped manifest as this installation runs it. A recorded checksum never replaces the manifest's own. */
export function withOverride(manifest: ModelManifest, override: ShippedOverride | undefined): ModelManifest {
  if (override === undefined) return manifest;
  const classifications: DataClassification[] = override.classifications ?? manifest.classifications;
  if (manifest.kind === 'local') return { ...manifest, classifications, ...(manifest.sha256 === undefined && override.sha256 !== undefined ? { sha256: override.sha256 } : {}) };
  return { ...manifest, classifications };
}
