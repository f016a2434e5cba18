import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { FormError, useApiAction } from '../admin/forms.tsx';
import type { MethodOutput } from '../../../../core/contracts/index.ts';

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

/** The account's minimum retention and legal hold; editable with `audit.retention`. */
export function RetentionPanel() {
  const auth = useAuth();
  const { state, reload } = useApiQuery('audit.retention.get', {});
  const setDays = useApiAction('audit.retention.set');
  const setHold = useApiAction('audit.legalHold.set');
  const [days, setDaysText] = useState('');
  const [reason, setReason] = useState('');
  const id = useId();
  const editable = auth.can('audit.retention');

  async function saveDays(event: FormEvent): Promise<void> {
    event.preventDefault();
    if ((await setDays.run({ retentionDays: Number(days) })).ok) {
      setDaysText('');
      reload();
    }
  }

  async function toggleHold(hold: boolean): Promise<void> {
    if ((await setHold.run({ hold, ...(hold && reason.trim() ? { reason: reason.trim() } : {}) })).ok) {
      setReason('');
      reload();
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} className="audit-retention">
      <h2 id={`${id}-title`}>Retention in {auth.account.name}</h2>
      {state.status === 'loading' && <p>Loading…</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && (
        <>
          <p data-testid="audit-retention">
            Entries are kept at least <strong>{state.value.retentionDays} days</strong> (about {(state.value.retentionDays / 365.25).toFixed(1)} years).
            Legal hold: <strong>{state.value.legalHold ? `on${state.value.legalHoldReason ? ` — ${state.value.legalHoldReason}` : ''}` : 'off'}</strong>.
            {state.value.legalHoldReasonWithheld && ' Its reason is withheld: your role sees metadata only.'}
          </p>
          {editable && (
            <div className="field-row">
              <form className="inline-form" onSubmit={(event) => { void saveDays(event); }}>
                <label htmlFor={`${id}-days`}>Minimum retention (days)</label>{' '}
                <input id={`${id}-days`} type="number" min={1} max={36500} value={days} onChange={(e) => setDaysText(e.target.value)} />{' '}
                <button type="submit" disabled={days === '' || setDays.pending}>Set</button>
                <FormError error={setDays.error} />
              </form>
              <form className="inline-form" onSubmit={(event) => { event.preventDefault(); void toggleHold(!state.value.legalHold); }}>
                {!state.value.legalHold && <><label htmlFor={`${id}-reason`}>Reason</label>{' '}<input id={`${id}-reason`} value={reason} placeholder="e.g. a case number" onChange={(e) => setReason(e.target.value)} />{' '}</>}
                <button type="submit" disabled={setHold.pending}>{state.value.legalHold ? 'Release legal hold' : 'Place legal hold'}</button>
                <FormError error={setHold.error} />
              </form>
            </div>
          )}
          {editable && <PurgePanel onPurged={reload} />}
        </>
      )}
    </section>
  );
}
