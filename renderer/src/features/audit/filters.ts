import type { AuditEntryView, AuditFilterInput, MethodOutput } from '../../../../core/contracts/index.ts';
import { AuditFilterSchema } from '../../../../core/contracts/index.ts';
import type { ParamProblem, UrlFilterSpec } from '../../app/urlFilters.ts';
import { readFilterParams, toLocalInput, writeFilterParams } from '../../app/urlFilters.ts';

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

/**
 * The audit page's filters and the open entry live in the URL (`/audit?action=auth.*&entry=42`),
 * so a reload, Back and a shared link show the same view. Short parameter names.
 */
export const auditParams = {
  from: 'from',
  to: 'to',
  actor: 'actor',
  accountId: 'account',
  action: 'action',
  outcome: 'outcome',
  text: 'text',
} as const satisfies Record<keyof AuditFilterInput, string>;

type AuditFilterKey = keyof typeof auditParams;
/** The open entry's parameter. */
export const entryParam = 'entry';

export type { ParamProblem };

const urlSpec: UrlFilterSpec<AuditFilterKey> = { params: auditParams, shape: AuditFilterSchema.shape };

/**
 * A query string → the filter and the open entry. A parameter that does not validate is left out
 * and named in `problems`, so a mangled link still opens with everything else applied.
 */
export function auditStateFromParams(params: URLSearchParams): { filter: AuditFilterInput; entry: number | null; problems: ParamProblem[] } {
  const { filter, problems } = readFilterParams(params, urlSpec);
  let entry: number | null = null;
  const rawEntry = params.get(entryParam)?.trim();
  if (rawEntry !== undefined && rawEntry !== '') {
    if (/^[1-9][0-9]{0,15}$/.test(rawEntry)) entry = Number(rawEntry);
    else problems.push({ param: entryParam, message: `${entryParam}: must be an entry number (1, 2, …), so no entry was opened` });
  }
  return { filter: filter as AuditFilterInput, entry, problems };
}

/** The filter and the open entry → a query string, in a fixed order so equal views give equal links. */
export function auditStateToParams(filter: AuditFilterInput, entry: number | null): URLSearchParams {
  const params = writeFilterParams(filter, urlSpec);
  if (entry !== null) params.set(entryParam, String(entry));
  return params;
}


/** The API's filter → the form's fields (the inverse of toApiFilter). */
export function fieldsFromFilter(filter: AuditFilterInput): FilterFields {
  return {
    from: filter.from ? toLocalInput(filter.from) : '',
    to: filter.to ? toLocalInput(filter.to) : '',
    actor: filter.actor ?? '',
    accountId: filter.accountId ?? '',
    action: filter.action ?? '',
    outcome: filter.outcome ?? '',
    text: filter.text ?? '',
  };
}

/** The account an entry concerns, for people: its name; a deleted one says so, with its id. */
export function accountLabel(entry: { accountId: string | null; accountName?: string | null; accountDeleted?: boolean }, known?: (accountId: string) => string | undefined): string {
  if (entry.accountId === null) return 'Installation';
  const name = entry.accountName ?? known?.(entry.accountId) ?? null;
  if (entry.accountDeleted === true) return name === null ? `deleted account ${entry.accountId}` : `${name} (deleted account ${entry.accountId})`;
  return name ?? entry.accountId;
}

/**
 * What a filter selects, in words, the account by name: "account Alpha Credit, action auth.*, …";
 * the actor as the one person it matched, when it matched one.
 */
export function describeAuditFilter(filter: AuditFilterInput, accountName: (accountId: string) => string | undefined, actorMatch?: ActorMatch | null): string {
  const time = (iso: string) => new Date(iso).toLocaleString();
  const parts: string[] = [];
  if (filter.accountId !== undefined) parts.push(`account ${accountName(filter.accountId) ?? filter.accountId}`);
  if (filter.action !== undefined) parts.push(`action ${filter.action}`);
  if (filter.outcome !== undefined) parts.push(`outcome ${filter.outcome}`);
  if (filter.actor !== undefined) {
    const person = actorMatch?.query === filter.actor && actorMatch.total === 1 ? actorMatch.people[0] : undefined;
    parts.push(person ? `actor ${personLabel(person)}` : `actor ${filter.actor}`);
  }
  if (filter.from !== undefined) parts.push(`from ${time(filter.from)}`);
  if (filter.to !== undefined) parts.push(`to ${time(filter.to)}`);
  if (filter.text !== undefined && filter.text !== '') parts.push(`containing “${filter.text}”`);
  return parts.length > 0 ? parts.join(', ') : 'every entry you can see';
}

/** A retention in words: "1 day", "90 days (about 3 months)", "2557 days (about 7 years)". */
export function retentionWording(days: number): string {
  const count = `${days} ${days === 1 ? 'day' : 'days'}`;
  if (days >= 365) {
    const years = Math.round((days / 365.25) * 10) / 10;
    return `${count} (about ${Number.isInteger(years) ? years : years.toFixed(1)} ${years === 1 ? 'year' : 'years'})`;
  }
  if (days >= 60) return `${count} (about ${Math.round(days / 30.44)} months)`;
  return count;
}

/** Whom the actor filter matched (`audit.list`'s `actorMatch`). */
export type ActorMatch = NonNullable<MethodOutput<'audit.list'>['actorMatch']>;
type Person = ActorMatch['people'][number];
/** An entry's resource for people (`audit.list`'s `resourceLabel`). */
export type ResourceLabel = NonNullable<AuditEntryView['resourceLabel']>;

/** A person as the match line and the export dialog name them: "Anna Analyst <anna@bank.example>". */
export function personLabel(person: Person): string {
  return person.email !== null && person.email !== person.displayName ? `${person.displayName} <${person.email}>` : person.displayName;
}

/**
 * Who the actor filter found, in words: "2 people match “ann”: Anna Analyst, Anne Auditor". With
 * nobody, entries listed anyway are by that exact user id (someone no longer known here).
 */
export function actorMatchWording(match: ActorMatch, entriesShown: number): string {
  if (match.exactId && match.people[0]) return `User id of ${personLabel(match.people[0])}.`;
  if (match.total === 0) return entriesShown > 0 ? `Nobody you can see has a name or email containing “${match.query}”: these entries are by the user id “${match.query}”.` : `Nobody you can see has a name, email or user id matching “${match.query}”.`;
  const named = match.people.map(personLabel).join(', ');
  const more = match.total > match.people.length ? ` and ${match.total - match.people.length} more` : '';
  return `${match.total === 1 ? '1 person matches' : `${match.total} people match`} “${match.query}”: ${named}${more}.`;
}

/** An export names one person: a filter that matches several is narrowed first. */
export function exportBlockedByActor(filter: AuditFilterInput, match: ActorMatch | null | undefined): boolean {
  return filter.actor !== undefined && match?.query === filter.actor && !match.exactId && match.total > 1;
}

const kindWords: Record<ResourceLabel['kind'], string> = { account: 'account', user: 'person', run: 'run', draft: 'draft', trace: 'trace', span: 'span', model: 'model', other: '' };

/** A resource in words: "account Alpha Credit", "person Anna Analyst", "run 5f0c…" (ids in full), anything else as written. */
export function resourceText(resource: string | null, label: ResourceLabel | null | undefined): string {
  if (resource === null) return '—';
  if (!label || label.kind === 'other') return resource;
  return `${kindWords[label.kind]} ${label.name ?? label.id}`;
}

/** The page a resource opens in this app, when the API says the caller may open it. */
export function resourceHref(label: ResourceLabel | null | undefined): string | null {
  const open = label?.open;
  if (!open) return null;
  const id = encodeURIComponent(open.id);
  if (open.page === 'run') return `/workflows/runs/${id}`;
  if (open.page === 'draft') return `/drafts/${id}`;
  return open.spanId === undefined ? `/traces/${id}` : `/traces/${id}?span=${encodeURIComponent(open.spanId)}`;
}
