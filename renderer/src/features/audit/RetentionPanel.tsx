import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { ConfirmDialog } from '../../app/ConfirmDialog.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { FormError, useApiAction } from '../admin/forms.tsx';
import type { MethodOutput } from '../../../../core/contracts/index.ts';
import { retentionWording } from './filters.ts';

type AuditPurge = MethodOutput<'audit.purge'>;
const entries = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;

/**
 * Purging the entries past the account's retention: counted first (a dry run), then confirmed.
 * A purge removes their content and keeps their hashes, and signs a tombstone checkpoint, so the
 * chain still verifies; nothing goes while the account is on legal hold.
 */
function PurgePanel({ onPurged }: { onPurged: () => void }) {
  const purge = useApiAction('audit.purge');
  const [counted, setCounted] = useState<AuditPurge | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const held = counted?.accounts.some((account) => account.legalHold) ?? false;

  async function count(): Promise<void> {
    setAnnouncement('');
    const result = await purge.run({ dryRun: true });
    setCounted(result.ok ? result.value : null);
  }

  async function remove(): Promise<void> {
    const result = await purge.run({ dryRun: false });
    setCounted(null);
    if (result.ok) {
      setAnnouncement(`Purged ${entries(result.value.purged)}.${result.value.tombstone ? ` A tombstone checkpoint signs the log at ${result.value.tombstone.size} entries; it still verifies.` : ''}`);
      onPurged();
    }
  }

  return (
    <div className="audit-purge">
      <h3>Purge</h3>
      <p className="hint">Removes the content of entries older than the retention above and keeps their hashes. It is itself recorded, and cannot be undone.</p>
      <button type="button" onClick={() => { void count(); }} disabled={purge.pending}>Count entries past retention</button>
      {counted && (
        <div className="purge-confirm" data-testid="audit-purge-count">
          {held ? (
            <p>The account is on legal hold: nothing would be purged.</p>
          ) : counted.purged === 0 ? (
            <p>No entry is past its retention.</p>
          ) : (
            <>
              <p>{entries(counted.purged)}{counted.accounts[0] ? ` older than ${new Date(counted.accounts[0].cutoff).toLocaleDateString()}` : ''} would be purged.</p>
              <div className="button-row">
                <button type="button" className="danger" disabled={purge.pending} onClick={() => { void remove(); }}>Purge {entries(counted.purged)}</button>
                <button type="button" onClick={() => setCounted(null)}>Cancel</button>
              </div>
            </>
          )}
        </div>
      )}
      <FormError error={purge.error} />
      <p className="announcement" role="status" data-testid="audit-purge-result">{announcement}</p>
    </div>
  );
}

/**
 * Shortening the retention makes older entries purgeable: a modal says how many (a dry run of the
 * purge under the new retention) before anything changes.
 */
function ShortenRetentionDialog({ accountName, from, to, error, pending, onConfirm, onClose }: { accountName: string; from: number; to: number; error: ReturnType<typeof useApiAction>['error']; pending: boolean; onConfirm: () => Promise<void>; onClose: () => void }) {
  const count = useApiAction('audit.purge');
  const [counted, setCounted] = useState<AuditPurge | null>(null);
  const run = count.run;
  useEffect(() => {
    let live = true;
    void run({ dryRun: true, retentionDays: to }).then((result) => { if (live && result.ok) setCounted(result.value); });
    return () => { live = false; };
  }, [run, to]);
  const account = counted?.accounts[0];
  return (
    <ConfirmDialog
      title={<>Shorten the audit retention in {accountName} to {retentionWording(to)}?</>}
      warning={<>
        <p>Entries are kept at least <strong>{retentionWording(from)}</strong> now; from now on at least <strong>{retentionWording(to)}</strong>.</p>
        {count.error ? <p>How many entries this affects could not be counted ({count.error.code}).</p>
          : !counted ? <p>Counting the entries this makes purgeable…</p>
          : account?.legalHold ? <p>The account is on legal hold: nothing is purged while it holds, but once it is released, entries older than {new Date(account.cutoff).toLocaleDateString()} can be.</p>
          : <p data-testid="audit-retention-purgeable"><strong>{entries(counted.purged)}</strong>{account ? ` older than ${new Date(account.cutoff).toLocaleDateString()}` : ''} {counted.purged === 1 ? 'becomes' : 'become'} purgeable at once: the next purge removes their content for good.</p>}
      </>}
      note={<p className="hint">The change is recorded in the audit log. Nothing is purged until someone runs a purge.</p>}
      keepLabel={`Keep ${retentionWording(from).replace(/ \(.*\)$/, '')}`}
      confirmLabel={`Shorten to ${retentionWording(to).replace(/ \(.*\)$/, '')}`}
      error={error}
      pending={pending}
      onConfirm={onConfirm}
      onClose={onClose}
      testId="audit-shorten-retention-dialog"
    />
  );
}

/** The account's minimum retention and legal hold; editable with `audit.retention`. */
export function RetentionPanel() {
  const auth = useAuth();
  const { state, reload } = useApiQuery('audit.retention.get', {});
  const setDays = useApiAction('audit.retention.set');
  const setHold = useApiAction('audit.legalHold.set');
  const [days, setDaysText] = useState('');
  const [reason, setReason] = useState('');
  const [reasonProblem, setReasonProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<'shorten' | 'release' | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const status = useRef<HTMLParagraphElement>(null);
  const setButton = useRef<HTMLButtonElement>(null);
  const holdButton = useRef<HTMLButtonElement>(null);
  const id = useId();
  const editable = auth.can('audit.retention');
  const current = state.status === 'ok' ? state.value : null;

  /** An action's button is disabled while it runs (and a dialog closes): the outcome takes the focus. */
  function announce(message: string): void {
    setAnnouncement(message);
    setTimeout(() => status.current?.focus(), 0);
  }

  async function applyDays(retentionDays: number): Promise<void> {
    if ((await setDays.run({ retentionDays })).ok) {
      setConfirming(null);
      setDaysText('');
      reload();
      announce(`Entries are now kept at least ${retentionWording(retentionDays)}.`);
    }
  }

  function saveDays(event: FormEvent): void {
    event.preventDefault();
    const retentionDays = Number(days);
    if (current !== null && Number.isInteger(retentionDays) && retentionDays < current.retentionDays) {
      setDays.reset();
      setConfirming('shorten');
      return;
    }
    void applyDays(retentionDays);
  }

  async function applyHold(hold: boolean): Promise<void> {
    const result = await setHold.run({ hold, reason: reason.trim() });
    if (result.ok) {
      setConfirming(null);
      setReason('');
      reload();
      announce(hold ? 'Legal hold placed. Nothing of the account is purged or deleted while it holds.' : 'Legal hold released. Entries past retention can be purged again.');
    } else if (confirming === null) {
      setTimeout(() => document.getElementById(`${id}-reason`)?.focus(), 0);
    }
  }

  function submitHold(event: FormEvent, hold: boolean): void {
    event.preventDefault();
    if (reason.trim() === '') {
      setReasonProblem(hold ? 'Give the reason for the hold, e.g. a case number.' : 'Give the reason the hold ends, e.g. the order that lifts it.');
      document.getElementById(`${id}-reason`)?.focus();
      return;
    }
    setReasonProblem(null);
    if (hold) void applyHold(true);
    else {
      setHold.reset();
      setConfirming('release');
    }
  }

  const reasonIssue = reasonProblem ?? (setHold.error?.details?.issues !== undefined && confirming === null ? setHold.error.message : null);

  return (
    <section aria-labelledby={`${id}-title`} className="audit-retention">
      <h2 id={`${id}-title`}>Retention in {auth.account.name}</h2>
      {state.status === 'loading' && <p>Loading…</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && (
        <>
          <p data-testid="audit-retention">
            Entries are kept at least <strong>{retentionWording(state.value.retentionDays)}</strong>.
            Legal hold: <strong>{state.value.legalHold ? `on${state.value.legalHoldReason ? ` — ${state.value.legalHoldReason}` : ''}` : 'off'}</strong>.
            {state.value.legalHoldReasonWithheld && ' Its reason is withheld: your role sees metadata only.'}
          </p>
          <p ref={status} tabIndex={-1} role="status" className="announcement" data-testid="audit-retention-result">{announcement}</p>
          {editable && (
            <div className="field-row">
              <form className="inline-form" onSubmit={saveDays}>
                <label htmlFor={`${id}-days`}>Minimum retention (days)</label>{' '}
                <input id={`${id}-days`} type="number" min={1} max={36500} value={days} onChange={(e) => setDaysText(e.target.value)} />{' '}
                <button ref={setButton} type="submit" disabled={days === '' || setDays.pending}>Set</button>
                {confirming !== 'shorten' && <FormError error={setDays.error} />}
              </form>
              <form className="inline-form" noValidate onSubmit={(event) => submitHold(event, !state.value.legalHold)}>
                <label htmlFor={`${id}-reason`}>{state.value.legalHold ? 'Reason for releasing' : 'Reason'}</label>{' '}
                <input
                  id={`${id}-reason`}
                  value={reason}
                  required
                  maxLength={500}
                  placeholder={state.value.legalHold ? 'e.g. the order that lifts it' : 'e.g. a case number'}
                  aria-invalid={reasonIssue !== null}
                  aria-describedby={reasonIssue !== null ? `${id}-reason-error` : undefined}
                  onChange={(e) => { setReason(e.target.value); setReasonProblem(null); }}
                />{' '}
                <button ref={holdButton} type="submit" disabled={setHold.pending}>{state.value.legalHold ? 'Release legal hold…' : 'Place legal hold'}</button>
                {reasonIssue !== null && <p id={`${id}-reason-error`} className="field-error" data-testid="audit-hold-reason-error">{reasonIssue}</p>}
                {confirming !== 'release' && setHold.error?.details?.issues === undefined && <FormError error={setHold.error} />}
              </form>
            </div>
          )}
          {confirming === 'shorten' && (
            <ShortenRetentionDialog
              accountName={auth.account.name}
              from={state.value.retentionDays}
              to={Number(days)}
              error={setDays.error}
              pending={setDays.pending}
              onConfirm={() => applyDays(Number(days))}
              onClose={() => { setConfirming(null); setTimeout(() => setButton.current?.focus(), 0); }}
            />
          )}
          {confirming === 'release' && (
            <ConfirmDialog
              title={<>Release the legal hold on {auth.account.name}?</>}
              warning={<>
                <p><strong>The account’s records are no longer protected.</strong> Entries past their retention can be purged again, and the account can be deleted.</p>
                <p>Reason given: “{reason.trim()}”</p>
              </>}
              note={<p className="hint">The release and its reason are recorded in the audit log.</p>}
              keepLabel="Keep the hold"
              confirmLabel="Release the hold"
              error={setHold.error}
              pending={setHold.pending}
              onConfirm={() => applyHold(false)}
              onClose={() => { setConfirming(null); setTimeout(() => holdButton.current?.focus(), 0); }}
              testId="audit-release-hold-dialog"
            />
          )}
          {editable && <PurgePanel onPurged={reload} />}
        </>
      )}
    </section>
  );
}
