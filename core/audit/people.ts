import type Database from 'better-sqlite3';
import type { Principal } from '../api/index.ts';
import type { Storage } from '../storage/index.ts';
import { administrationAccountId } from './signing.ts';

/** A person the audit page may name: as the log names them, and the email they sign in with. */
export interface AuditPerson {
  userId: string;
  displayName: string;
  email: string | null;
}

/** Who the CLI acts as (`localOperator()`): no row in `users`, named as the identity area names it. */
const localOperatorPerson: AuditPerson = { userId: 'local-operator', displayName: 'Local operator (CLI)', email: null };

interface UserRow {
  id: string;
  kind: 'local-admin' | 'user';
  display_name: string;
  email: string | null;
  subject: string | null;
}

/** How the log names a user: the IdP's display name; the local administrator by what it is; else their email or IdP subject. */
function personOf(row: UserRow): AuditPerson {
  const displayName = row.display_name || (row.kind === 'local-admin' ? 'Local administrator' : (row.email ?? row.subject ?? row.id));
  return { userId: row.id, displayName, email: row.email };
}

/** Case- and accent-width-insensitive text for matching ("Ångström" finds "ångström", SQLite's lower() would not). */
const folded = (text: string) => text.normalize('NFKC').toLowerCase();

/** Whose people a principal may know about: everyone, or one account's. */
type Knowing = { installationAdmin: boolean; accountId: string | null };

/**
 * Reads the identity area's tables (users, memberships), read-only, to name people on the audit
 * page and to find them by name or email. A principal knows about the people of its own account:
 * its members, the installation's administrators and the local administrator (who act in every
 * account) and the CLI operator; an installation administrator knows everyone. Nobody else is
 * matched or named, so a search cannot tell another account's people from nobody.
 * (The identity area owns these tables; its `admin.people.names` draws the same line.)
 */
export class AuditPeople {
  private readonly storage: Storage;
  private readonly statements = new Map<string, Database.Statement<string[], UserRow>>();

  constructor(storage: Storage) {
    this.storage = storage;
  }

  /** Everyone the principal may know about, or only those of `userIds` (one query either way). */
  known(principal: Knowing, userIds?: readonly string[]): Map<string, AuditPerson> {
    const people = new Map(this.rows(principal, userIds).map((row) => [row.id, personOf(row)]));
    if (userIds === undefined || userIds.includes(localOperatorPerson.userId)) people.set(localOperatorPerson.userId, localOperatorPerson);
    return people;
  }

  /**
   * The people an actor filter means: the one whose user id it is exactly, else everyone whose
   * name or email contains it, ignoring case — among those the principal may know about.
   */
  match(principal: Principal, query: string): { people: AuditPerson[]; exactId: boolean } {
    const wanted = query.trim();
    const people = this.known(principal);
    const exact = people.get(wanted);
    if (exact) return { people: [exact], exactId: true };
    const fragment = folded(wanted);
    if (fragment === '') return { people: [], exactId: false };
    const matched = [...people.values()].filter((person) => folded(person.displayName).includes(fragment) || (person.email !== null && folded(person.email).includes(fragment)));
    matched.sort((a, b) => a.displayName.localeCompare(b.displayName) || a.userId.localeCompare(b.userId));
    return { people: matched, exactId: false };
  }

  /**
   * Actors' names as the log has always given them (like `displayName` for exports), whoever they
   * are: an entry the principal sees was written in its account, and says who acted there.
   */
  actorNames(userIds: readonly string[]): Map<string, string> {
    const named = new Map<string, string>();
    for (const row of this.rows({ installationAdmin: true, accountId: null }, userIds)) {
      const name = row.display_name || (row.kind === 'local-admin' ? 'Local administrator' : '');
      if (name !== '') named.set(row.id, name);
    }
    if (userIds.includes(localOperatorPerson.userId)) named.set(localOperatorPerson.userId, localOperatorPerson.displayName);
    return named;
  }

  private rows(principal: Knowing, userIds: readonly string[] | undefined): UserRow[] {
    const clauses: string[] = [];
    const params: string[] = [];
    if (!principal.installationAdmin) {
      if (principal.accountId === null) return [];
      // Members as the identity area lists them (disabled users are not), and the installation's administrators.
      clauses.push(`(u.kind = 'local-admin' OR u.id IN (
        SELECT m.user_id FROM memberships m JOIN users member ON member.id = m.user_id
        WHERE member.disabled_at IS NULL AND (m.account_id = ? OR (m.account_id = ? AND m.role = 'admin'))))`);
      params.push(principal.accountId, administrationAccountId(this.storage));
    }
    if (userIds !== undefined) {
      if (userIds.length === 0) return [];
      clauses.push('u.id IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify([...new Set(userIds)]));
    }
    const sql = `SELECT u.id, u.kind, u.display_name, u.email, u.subject FROM users u${clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : ''}`;
    let statement = this.statements.get(sql);
    if (statement === undefined) this.statements.set(sql, (statement = this.storage.db.prepare<string[], UserRow>(sql)));
    return statement.all(...params);
  }
}
