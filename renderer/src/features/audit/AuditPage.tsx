import { useCallback, useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { ApiError, AuditEntryView, AuditFilterInput } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { EntryDetail } from './EntryDetail.tsx';
import { ExportDialog } from './ExportDialog.tsx';
import { actorLabel, emptyFilter, knownActions, toApiFilter } from './filters.ts';
import type { FilterFields } from './filters.ts';
import { RetentionPanel } from './RetentionPanel.tsx';
import { VerifyPanel } from './VerifyPanel.tsx';
import './audit.css';

const pageSize = 50;

type Listing = { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ok'; entries: AuditEntryView[]; nextBeforeSeq: number | null; loadingMore: boolean };

/**
 * The audit log: search and filter (newest first, a page at a time), an entry's detail, a Verify
 * button that checks the whole chain and every signed checkpoint, an export dialog, and the
 * account's retention. What a person sees is scoped by the API to their account, unless they
 * administer the installation.
 */
export function AuditPage() {
  const auth = useAuth();
  const bridge = useBridge();
  const [fields, setFields] = useState<FilterFields>(emptyFilter);
  const [filter, setFilter] = useState<AuditFilterInput>({});
  const [listing, setListing] = useState<Listing>({ status: 'loading' });
  const [selected, setSelected] = useState<number | null>(null);
  const [exporting, setExporting] = useState(false);
  const [generation, setGeneration] = useState(0);
  const accounts = useApiQuery('admin.accounts.list', {});
  const accountList = accounts.state.status === 'ok' ? accounts.state.value : [];
  const accountNames = new Map(accountList.map((a) => [a.id, a.name]));
  // auth.status does not say whether the caller administers the installation; the API lists every
  // account only to those who do, and the local administrator does in the first account.
  const installationAdmin = accountList.length > 1 || (auth.status.user?.kind === 'local-admin' && accountList[0]?.id === auth.account.id);
  const id = useId();

  useEffect(() => {
    let live = true;
    void bridge.invoke('audit.list', { ...filter, limit: pageSize }).then((result) => {
      if (!live) return;
      setListing(result.ok ? { status: 'ok', entries: result.value.entries, nextBeforeSeq: result.value.nextBeforeSeq, loadingMore: false } : { status: 'error', error: result.error });
    });
    return () => { live = false; };
  }, [bridge, filter, generation]);

  const loadMore = useCallback(async () => {
    if (listing.status !== 'ok' || listing.nextBeforeSeq === null) return;
    setListing({ ...listing, loadingMore: true });
    const result = await bridge.invoke('audit.list', { ...filter, limit: pageSize, beforeSeq: listing.nextBeforeSeq });
    if (!result.ok) setListing({ status: 'error', error: result.error });
    else setListing({ status: 'ok', entries: [...listing.entries, ...result.value.entries], nextBeforeSeq: result.value.nextBeforeSeq, loadingMore: false });
  }, [bridge, filter, listing]);

  /** Lists again from the newest entry, with a new filter or the same one. */
  const refresh = useCallback((next?: AuditFilterInput) => {
    setListing({ status: 'loading' });
    if (next) setFilter(next);
    setGeneration((g) => g + 1);
  }, []);

  function search(event: FormEvent): void {
    event.preventDefault();
    setSelected(null);
    refresh(toApiFilter(fields));
  }

  const set = <K extends keyof FilterFields>(key: K) => (value: FilterFields[K]) => setFields((current) => ({ ...current, [key]: value }));
  const accountLabel = (accountId: string | null) => (accountId === null ? 'Installation' : (accountNames.get(accountId) ?? accountId));

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
            <label htmlFor={`${id}-actor`}>Actor (user id)</label>
            <input id={`${id}-actor`} value={fields.actor} onChange={(e) => set('actor')(e.target.value)} />
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
            <button type="button" onClick={() => { setFields(emptyFilter); setSelected(null); refresh({}); }}>Clear</button>
          </div>
        </div>
      </form>

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
                      <td><button type="button" className="link-button" onClick={() => setSelected(entry.seq)} aria-label={`Details of entry ${entry.seq}, ${entry.action}`}>{entry.action}</button></td>
                      <td><span className={`outcome outcome-${entry.outcome}`}>{entry.outcome}</span></td>
                      <td>{actorLabel(entry)}</td>
                      <td>{accountLabel(entry.accountId)}</td>
                      <td>{entry.resource ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {listing.entries.length === 0 && <p className="notice" data-testid="audit-empty">No entries match.</p>}
              {listing.nextBeforeSeq !== null && <button type="button" onClick={() => { void loadMore(); }} disabled={listing.loadingMore}>{listing.loadingMore ? 'Loading…' : 'Load older entries'}</button>}
            </>
          )}
        </div>
        {selected !== null && <EntryDetail key={selected} seq={selected} accountLabel={accountLabel} onClose={() => setSelected(null)} />}
      </div>

      <RetentionPanel />
      {exporting && <ExportDialog filter={filter} onClose={() => setExporting(false)} onExported={() => refresh()} />}
    </section>
  );
}
