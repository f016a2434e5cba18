import { escapeLike } from './auditLog.ts';

/** What a search or an export selects. Times are epoch milliseconds, inclusive. */
export interface AuditFilter {
  from?: number;
  to?: number;
  /** The acting user's id. */
  actorUserId?: string;
  /**
   * Searches only: any of these actor ids (a name or email that matched several people). Exports
   * never take it — their manifest names one actor (`AuditService.export` refuses it).
   */
  actorUserIds?: readonly string[];
  /** The account entries concern. */
  accountId?: string;
  /** An exact action, or a prefix when it ends with `*` or `.` (`auth.*`, `admin.`). */
  action?: string;
  outcome?: 'success' | 'failure' | 'denied';
  /** Substring of the resource, action or plaintext details. */
  text?: string;
}

/** The filter's SQL (over unpurged entries) and its parameters. */
export function filterSql(filter: AuditFilter): { where: string; params: Array<string | number> } {
  const clauses = ['purged_at IS NULL'];
  const params: Array<string | number> = [];
  if (filter.from !== undefined) {
    clauses.push('at >= ?');
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    clauses.push('at <= ?');
    params.push(filter.to);
  }
  if (filter.actorUserId !== undefined) {
    clauses.push('actor_user_id = ?');
    params.push(filter.actorUserId);
  }
  if (filter.actorUserIds !== undefined) {
    clauses.push('actor_user_id IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.actorUserIds));
  }
  if (filter.accountId !== undefined) {
    clauses.push('account_id = ?');
    params.push(filter.accountId);
  }
  if (filter.action !== undefined) {
    const action = filter.action;
    if (action.endsWith('*') || action.endsWith('.')) {
      clauses.push("action LIKE ? ESCAPE '\\'");
      params.push(`${escapeLike(action.replace(/\*$/, ''))}%`);
    } else {
      clauses.push('action = ?');
      params.push(action);
    }
  }
  if (filter.outcome !== undefined) {
    clauses.push('outcome = ?');
    params.push(filter.outcome);
  }
  if (filter.text !== undefined && filter.text !== '') {
    const pattern = `%${escapeLike(filter.text)}%`;
    clauses.push("(action LIKE ? ESCAPE '\\' OR resource LIKE ? ESCAPE '\\' OR details LIKE ? ESCAPE '\\')");
    params.push(pattern, pattern, pattern);
  }
  return { where: clauses.join(' AND '), params };
}

/** True when the filter selects every entry (a complete export). */
export function isEmptyFilter(filter: AuditFilter): boolean {
  return Object.values(filter).every((value) => value === undefined || value === '');
}

/** The filter as it is recorded in an export's manifest and its audit entry: defined fields only, times in ISO form. */
export function describeFilter(filter: AuditFilter): Record<string, string> {
  const described: Record<string, string> = {};
  if (filter.from !== undefined) described.from = new Date(filter.from).toISOString();
  if (filter.to !== undefined) described.to = new Date(filter.to).toISOString();
  if (filter.actorUserId !== undefined) described.actor = filter.actorUserId;
  if (filter.accountId !== undefined) described.account = filter.accountId;
  if (filter.action !== undefined) described.action = filter.action;
  if (filter.outcome !== undefined) described.outcome = filter.outcome;
  if (filter.text !== undefined && filter.text !== '') described.text = filter.text;
  return described;
}
