import { ModelManifestSchema } from '../../contracts/index.ts';
import type { ModelManifest } from '../../contracts/index.ts';
import { Repository } from '../../storage/index.ts';
import type { SqliteDatabase } from '../../storage/index.ts';

/** Who may use a model: every account, or the listed account ids. */
export interface Availability {
  allAccounts: boolean;
  accountIds: string[];
}

export interface StoredModel {
  id: string;
  source: 'added' | 'shipped';
  /** The manifest of an installation-added model; null for a shipped model's availability override. */
  manifest: ModelManifest | null;
  availability: Availability;
  createdAt: number;
}

interface ModelRow {
  id: string;
  source: 'added' | 'shipped';
  manifest: string | null;
  all_accounts: number;
  created_at: number;
}

/**
 * Installation-added model manifests and availability overrides (installation-wide, not
 * account-scoped: availability is itself the per-account rule). Manifests are configuration and
 * stay plaintext; API keys are never here.
 */
export class ModelStore extends Repository {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    super(db);
    this.statements = {
      all: db.prepare<[], ModelRow>('SELECT id, source, manifest, all_accounts, created_at FROM models ORDER BY created_at, id'),
      access: db.prepare<[], { model_id: string; account_id: string }>('SELECT model_id, account_id FROM model_access ORDER BY account_id'),
      insert: db.prepare('INSERT INTO models (id, source, manifest, all_accounts, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      upsertShipped: db.prepare("INSERT INTO models (id, source, manifest, all_accounts, created_by, created_at, updated_at) VALUES (?, 'shipped', NULL, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET all_accounts = excluded.all_accounts, updated_at = excluded.updated_at"),
      setAll: db.prepare('UPDATE models SET all_accounts = ?, updated_at = ? WHERE id = ?'),
      clearAccess: db.prepare('DELETE FROM model_access WHERE model_id = ?'),
      grant: db.prepare('INSERT OR IGNORE INTO model_access (model_id, account_id) VALUES (?, ?)'),
      remove: db.prepare('DELETE FROM models WHERE id = ?'),
    };
  }

  list(): StoredModel[] {
    const access = new Map<string, string[]>();
    for (const row of this.statements.access.all()) access.set(row.model_id, [...(access.get(row.model_id) ?? []), row.account_id]);
    return this.statements.all.all().map((row) => ({
      id: row.id,
      source: row.source,
      manifest: row.manifest === null ? null : ModelManifestSchema.parse(JSON.parse(row.manifest)),
      availability: { allAccounts: row.all_accounts === 1, accountIds: access.get(row.id) ?? [] },
      createdAt: row.created_at,
    }));
  }

  /** Within the caller's transaction (the audit entry shares it). */
  insert(manifest: ModelManifest, availability: Availability, createdBy: string, now: number): void {
    this.transaction(() => {
      this.statements.insert.run(manifest.id, 'added', JSON.stringify(manifest), availability.allAccounts ? 1 : 0, createdBy, now, now);
      for (const accountId of availability.accountIds) this.statements.grant.run(manifest.id, accountId);
    });
  }

  setAvailability(id: string, source: 'added' | 'shipped', availability: Availability, changedBy: string, now: number): void {
    this.transaction(() => {
      if (source === 'shipped') this.statements.upsertShipped.run(id, availability.allAccounts ? 1 : 0, changedBy, now, now);
      else this.statements.setAll.run(availability.allAccounts ? 1 : 0, now, id);
      this.statements.clearAccess.run(id);
      for (const accountId of availability.accountIds) this.statements.grant.run(id, accountId);
    });
  }

  remove(id: string): boolean {
    return this.transaction(() => this.statements.remove.run(id).changes > 0);
  }

  /** Joins an enclosing transaction; used so a change and its audit entry commit together. */
  atomically<T>(fn: () => T): T {
    return this.durably(fn);
  }
}
