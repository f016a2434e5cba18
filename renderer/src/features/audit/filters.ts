import type { AuditFilterInput } from '../../../../core/contracts/index.ts';

/** The filter form's fields, as typed (datetime-local values are local times without a zone). */
export interface FilterFields {
  from: string;
  to: string;
  actor: string;
  accountId: string;
  action: string;
  outcome: '' | 'success' | 'failure' | 'denied';
  text: string;
}

export const emptyFilter: FilterFields = { from: '', to: '', actor: '', accountId: '', action: '', outcome: '', text: '' };

/** Form fields → the API's filter (blank fields dropped, local times → ISO-8601 UTC). */
export function toApiFilter(fields: FilterFields): AuditFilterInput {
  const time = (value: string) => (value === '' ? undefined : new Date(value).toISOString());
  const from = time(fields.from);
  const to = time(fields.to);
  return {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(fields.actor.trim() ? { actor: fields.actor.trim() } : {}),
    ...(fields.accountId ? { accountId: fields.accountId } : {}),
    ...(fields.action.trim() ? { action: fields.action.trim() } : {}),
    ...(fields.outcome ? { outcome: fields.outcome } : {}),
    ...(fields.text.trim() ? { text: fields.text.trim() } : {}),
  };
}

/** Actions the log records today, offered as suggestions in the action field. */
export const knownActions = [
  'auth.*', 'auth.signIn', 'auth.signOut', 'auth.switchAccount', 'account.create', 'account.delete', 'idp.configure',
  'groups.map', 'groups.unmap', 'boundaries.set', 'audit.*', 'audit.export', 'audit.retention.set', 'audit.legalHold.set', 'audit.purge',
  'traces.*', 'traces.export', 'traces.purge', 'traces.retention.set', 'drafts.approve', 'runs.answer',
  'keys.*', 'keys.rotate', 'keys.reencrypt', 'backup.*', 'backup.create', 'backup.restore',
];

/**
 * Who an entry names as its actor, for people: the display name, else the user id; an entry
 * Strongroom wrote on its own (automatic trace retention) says so; else a dash (e.g. an
 * unauthenticated call).
 */
export function actorLabel(entry: { actor: { userId: string | null; displayName: string | null }; details: Record<string, unknown> }): string {
  const named = entry.actor.displayName ?? entry.actor.userId;
  if (named !== null) return named;
  return entry.details.automatic === true ? 'Strongroom (automatic)' : '—';
}
