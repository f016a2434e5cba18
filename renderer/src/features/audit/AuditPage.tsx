import { useCallback, useEffect, useId, useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import type { ApiError, AuditEntryView, AuditFilterInput } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { EntryDetail } from './EntryDetail.tsx';
import { ExportDialog } from './ExportDialog.tsx';
import { accountLabel as labelOf, actorLabel, actorMatchWording, auditStateFromParams, auditStateToParams, emptyFilter, fieldsFromFilter, knownActions, toApiFilter } from './filters.ts';
import type { ActorMatch, FilterFields } from './filters.ts';
import { ResourceCell } from './ResourceCell.tsx';
import { RetentionPanel } from './RetentionPanel.tsx';
import { VerifyPanel } from './VerifyPanel.tsx';
import './audit.css';

const pageSize = 50;

type Listing = { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ok'; entries: AuditEntryView[]; nextBeforeSeq: number | null; actorMatch: ActorMatch | null; loadingMore: boolean };
type KeyedListing = Listing & { key: string };

/**
 * The audit log: search and filter (newest first, a page at a time), an entry's detail, a Verify
 * button that checks the whole chain and every signed checkpoint, an export dialog, and the
 * account's retention. What a person sees is scoped by the API to their account, unless they
 * administer the installation. The filters and the open entry live in the URL
 * (`/audit?action=auth.*&entry=42`): a reload, Back or a shared link shows the same view.
 */
export function AuditPage() {
  const auth = useAuth();
  const bridge = useBridge();
  const [searchParams, setSearchParams] = useSearchParams();
  const { filter, entry: selected, problems } = useMemo(() => auditStateFromParams(searchParams), [searchParams]);
  const filterKey = auditStateToParams(filter, null).toString();
  const [fields, setFields] = useState<FilterFields>(() => fieldsFromFilter(filter));
  const [fieldsFor, setFieldsFor] = useState(filterKey);
  if (fieldsFor !== filterKey) {
    // The URL changed (Back, a link): the form shows its filter.
    setFieldsFor(filterKey);
    setFields(fieldsFromFilter(filter));
  }
  const [keyed, setListing] = useState<KeyedListing>({ key: '', status: 'loading' });
  const listing: Listing = keyed.key === filterKey ? keyed : { status: 'loading' };
  const [exporting, setExporting] = useState(false);
  const [generation, setGeneration] = useState(0);
  const accounts = useApiQuery('admin.accounts.list', {});
  const accountList = accounts.state.status === 'ok' ? accounts.state.value : [];
  const accountNames = new Map(accountList.map((a) => [a.id, a.name]));
  // A deleted account is not listed, but its entries carry its name.
  if (listing.status === 'ok') for (const entry of listing.entries) if (entry.accountId !== null && entry.accountName !== null && !accountNames.has(entry.accountId)) accountNames.set(entry.accountId, entry.accountName);
  // auth.status does not say whether the caller administers the installation; the API lists every
  // account only to those who do, and the local administrator does in the first account.
  const installationAdmin = accountList.length > 1 || (auth.status.user?.kind === 'local-admin' && accountList[0]?.id === auth.account.id);
  const id = useId();

  useEffect(() => {
    let live = true;
    const query = { ...(auditStateFromParams(new URLSearchParams(filterKey)).filter), limit: pageSize };
    void bridge.invoke('audit.list', query).then((result) => {
      if (!live) return;
      setListing(result.ok ? { key: filterKey, status: 'ok', entries: result.value.entries, nextBeforeSeq: result.value.nextBeforeSeq, actorMatch: result.value.actorMatch, loadingMore: false } : { key: filterKey, status: 'error', error: result.error });
    });
    return () => { live = false; };
  }, [bridge, filterKey, generation]);

  async function loadMore(): Promise<void> {
    if (listing.status !== 'ok' || listing.nextBeforeSeq === null) return;
    setListing({ ...listing, key: filterKey, loadingMore: true });
    const result = await bridge.invoke('audit.list', { ...filter, limit: pageSize, beforeSeq: listing.nextBeforeSeq });
    if (!result.ok) setListing({ key: filterKey, status: 'error', error: result.error });
    else setListing({ key: filterKey, status: 'ok', entries: [...listing.entries, ...result.value.entries], nextBeforeSeq: result.value.nextBeforeSeq, actorMatch: listing.actorMatch, loadingMore: false });
  }

  /** Lists again from the newest entry, with the same filter. */
  const refresh = useCallback(() => {
    setListing({ key: '', status: 'loading' });
    setGeneration((g) => g + 1);
  }, []);

  /** A new view goes into the history, so Back returns to the one before. */
  const show = useCallback((next: AuditFilterInput, entry: number | null) => setSearchParams(auditStateToParams(next, entry)), [setSearchParams]);

  function search(event: FormEvent): void {
    event.preventDefault();
    const next = toApiFilter(fields);
    // The same search again lists afresh (new entries may have arrived).
    if (auditStateToParams(next, null).toString() !== filterKey) show(next, null);
    else {
      refresh();
      if (selected !== null) show(next, null);
    }
  }

  const set = <K extends keyof FilterFields>(key: K) => (value: FilterFields[K]) => setFields((current) => ({ ...current, [key]: value }));
  const accountLabel = (accountId: string | null) => labelOf({ accountId }, (id) => accountNames.get(id));

  return (
    <section aria-labelledby="page-title" className="audit">
      <h1 id="page-title">Audit</h1>
      <p className="hint">Every security-relevant action, hash-chained and signed. {installationAdmin ? 'You see every account.' : `You see entries of ${auth.account.name}.`}</p>

      <div className="audit-actions">
        <VerifyPanel />
        {auth.can('audit.export') && <button type="button" onClick={() => setExporting(true)}>Export…</button>}
      </div>

      <form className="audit-filters" onSubmit={search} aria-label="Filter the audit log">
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-from`}>From</label>
            <input id={`${id}-from`} type="datetime-local" value={fields.from} onChange={(e) => set('from')(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-to`}>To</label>
            <input id={`${id}-to`} type="datetime-local" value={fields.to} onChange={(e) => set('to')(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-action`}>Action</label>
            <input id={`${id}-action`} list={`${id}-actions`} value={fields.action} placeholder="auth.* or groups.map" onChange={(e) => set('action')(e.target.value)} />
            <datalist id={`${id}-actions`}>{knownActions.map((action) => <option key={action} value={action} />)}</datalist>
          </div>
          <div className="field">
            <label htmlFor={`${id}-outcome`}>Outcome</label>
            <select id={`${id}-outcome`} value={fields.outcome} onChange={(e) => set('outcome')(e.target.value as FilterFields['outcome'])}>
              <option value="">Any</option>
              <option value="success">Success</option>
              <option value="failure">Failure</option>
              <option value="denied">Denied</option>
            </select>
          </div>
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-actor`}>Actor</label>
            <input id={`${id}-actor`} type="search" value={fields.actor} placeholder="name, email or user id" aria-describedby={`${id}-actor-hint`} onChange={(e) => set('actor')(e.target.value)} />
            <p id={`${id}-actor-hint`} className="hint">Part of a name or email finds everyone it matches.</p>
          </div>
          {accountList.length > 1 && (
            <div className="field">
              <label htmlFor={`${id}-account`}>Account</label>
              <select id={`${id}-account`} value={fields.accountId} onChange={(e) => set('accountId')(e.target.value)}>
                <option value="">All accounts</option>
                {accountList.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
              </select>
            </div>
          )}
          <div className="field">
            <label htmlFor={`${id}-text`}>Contains</label>
            <input id={`${id}-text`} type="search" value={fields.text} placeholder="resource or detail" onChange={(e) => set('text')(e.target.value)} />
          </div>
          <div className="field audit-filter-buttons">
            <button type="submit" className="primary">Search</button>
            <button type="button" onClick={() => { setFields(emptyFilter); if (filterKey === '') refresh(); if (searchParams.toString() !== '') show({}, null); }}>Clear</button>
          </div>
        </div>
      </form>

      {problems.length > 0 && (
        <div className="warning-panel" role="note" data-testid="audit-filter-problems">
          <p>Some parts of this link were not understood and are not applied:</p>
          <ul>{problems.map((problem) => <li key={problem.param}>{problem.message}</li>)}</ul>
        </div>
      )}

      {listing.status === 'ok' && listing.actorMatch !== null && (
        <div className="audit-matches" role="status" data-testid="audit-actor-matches">
          <p>{actorMatchWording(listing.actorMatch, listing.entries.length)}</p>
          {!listing.actorMatch.exactId && listing.actorMatch.people.length > 1 && (
            <ul className="audit-match-people" aria-label="Narrow to one person">
              {listing.actorMatch.people.map((person) => (
                <li key={person.userId}><button type="button" className="link-button" onClick={() => show({ ...filter, actor: person.userId }, null)}>Only {person.displayName}</button></li>
              ))}
            </ul>
          )}
        </div>
      )}

      <div className="audit-body">
        <div className="audit-results">
          {listing.status === 'loading' && <p>Loading…</p>}
          {listing.status === 'error' && <ApiErrorView error={listing.error} onRetry={() => refresh()} />}
          {listing.status === 'ok' && (
            <>
              <table className="table audit-table" data-testid="audit-entries">
                <caption className="visually-hidden">Audit entries, newest first</caption>
                <thead>
                  <tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Account</th><th scope="col">Resource</th></tr>
                </thead>
                <tbody>
                  {listing.entries.map((entry) => (
                    <tr key={entry.seq} aria-selected={selected === entry.seq} className={selected === entry.seq ? 'selected' : undefined}>
                      <td>{entry.seq}</td>
                      <td><time dateTime={entry.at}>{new Date(entry.at).toLocaleString()}</time></td>
                      <td><button type="button" className="link-button" onClick={() => show(filter, entry.seq)} aria-label={`Details of entry ${entry.seq}, ${entry.action}`}>{entry.action}</button></td>
                      <td><span className={`outcome outcome-${entry.outcome}`}>{entry.outcome}</span></td>
                      <td>{actorLabel(entry)}</td>
                      <td>{labelOf(entry, (id) => accountNames.get(id))}</td>
                      <td><ResourceCell entry={entry} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {listing.entries.length === 0 && <p className="notice" data-testid="audit-empty">No entries match.</p>}
              {listing.nextBeforeSeq !== null && <button type="button" onClick={() => { void loadMore(); }} disabled={listing.loadingMore}>{listing.loadingMore ? 'Loading…' : 'Load older entries'}</button>}
            </>
          )}
        </div>
        {selected !== null && <EntryDetail key={selected} seq={selected} accountLabel={accountLabel} onClose={() => show(filter, null)} onActor={(userId) => show({ ...filter, actor: userId }, selected)} />}
      </div>

      <RetentionPanel />
      {exporting && <ExportDialog filter={filter} actorMatch={listing.status === 'ok' ? listing.actorMatch : null} accountName={(id) => accountNames.get(id)} onClose={() => setExporting(false)} onExported={() => refresh()} />}
    </section>
  );
}
