import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { keptReasons } from '../../../../core/contracts/index.ts';
import type { TracePurge } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { FormError, useApiAction } from '../admin/forms.tsx';

const plural = (count: number, word: string): string => `${count.toLocaleString()} ${word}${count === 1 ? '' : 's'}`;

/** What stays although it is older, as a sentence to append. */
function keptText(kept: TracePurge['kept']): string {
  const reasons = keptReasons(kept);
  return reasons.length > 0 ? ` Older traces that stay: ${reasons.join(', ')}.` : '';
}

/** How long traces are kept before Strongroom deletes them (every six hours); set or turned off here. */
function AutomaticRetention() {
  const { state, reload } = useApiQuery('traces.retention.get', {});
  const save = useApiAction('traces.retention.set');
  const id = useId();
  const [days, setDays] = useState('');

  async function set(retentionDays: number | null): Promise<void> {
    if ((await save.run({ retentionDays })).ok) {
      setDays('');
      reload();
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} className="trace-retention-policy">
      <h3 id={`${id}-title`}>Delete automatically</h3>
      {state.status === 'loading' && <p>Loading…</p>}
      {state.status === 'error' && <ApiErrorView error={state.error} onRetry={reload} />}
      {state.status === 'ok' && (
        <>
          <p data-testid="trace-retention-policy">
            {state.value.retentionDays === null
              ? 'Off: traces are kept until someone deletes them here.'
              : `Traces are deleted ${plural(state.value.retentionDays, 'day')} after they started (checked every six hours).`}
          </p>
          <form className="inline-form" onSubmit={(event) => { event.preventDefault(); void set(Number(days)); }}>
            <label htmlFor={`${id}-days`}>Keep traces for (days)</label>{' '}
            <input id={`${id}-days`} type="number" min={1} max={36500} required value={days} onChange={(event) => setDays(event.target.value)} />{' '}
            <button type="submit" disabled={days === '' || save.pending}>Save</button>{' '}
            {state.value.retentionDays !== null && <button type="button" disabled={save.pending} onClick={() => void set(null)}>Turn off</button>}
          </form>
          <FormError error={save.error} fields={['retentionDays']} />
        </>
      )}
    </section>
  );
}

/**
 * `/traces/retention` (with `audit.retention`): how long traces are kept, and deleting the
 * account's traces started before a date now. Counting comes first (a dry run); deleting asks for
 * the count just shown to be confirmed, and the server decides again — open, flagged and
 * commented traces and those behind drafts stay, and nothing goes while the account is on legal
 * hold. Every purge is audited.
 */
export function TraceRetention() {
  const auth = useAuth();
  const purge = useApiAction('traces.purge');
  const id = useId();
  const [date, setDate] = useState('');
  const [counted, setCounted] = useState<TracePurge | null>(null);
  const [announcement, setAnnouncement] = useState('');

  if (!auth.can('audit.retention')) return <p className="notice">Deleting old traces needs the retention permission (compliance or administrator).</p>;

  const before = date ? new Date(`${date}T00:00:00Z`).toISOString() : null;

  async function count(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!before) return;
    setAnnouncement('');
    const result = await purge.run({ before, dryRun: true });
    setCounted(result.ok ? result.value : null);
  }

  async function remove(): Promise<void> {
    if (!before || !counted) return;
    const result = await purge.run({ before, dryRun: false });
    setCounted(null);
    if (result.ok) {
      const done = result.value;
      setAnnouncement(done.legalHold ? 'The account is on legal hold: no trace was deleted.' : `Deleted ${plural(done.purged.traceCount, 'trace')} (${plural(done.purged.spanCount, 'span')}).${keptText(done.kept)}`);
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} className="trace-retention">
      <h2 id={`${id}-title`}>Trace retention in {auth.account.name}</h2>
      <p className="hint">Traces hold the inputs and outputs of every run. Deleting them is audited and cannot be undone; traces still open, flagged, with feedback or behind a draft stay, and nothing is deleted while the account is on legal hold (see Audit).</p>
      <AutomaticRetention />
      <h3>Delete now</h3>
      <form className="inline-form" onSubmit={(event) => { void count(event); }}>
        <label htmlFor={`${id}-before`}>Started before</label>{' '}
        <input id={`${id}-before`} type="date" required value={date} onChange={(event) => { setDate(event.target.value); setCounted(null); }} />{' '}
        <button type="submit" disabled={!date || purge.pending}>Count</button>
      </form>
      {counted && (
        <div className="purge-confirm" data-testid="purge-count">
          {counted.legalHold ? (
            <p>The account is on legal hold: nothing would be deleted.</p>
          ) : (
            <>
              <p>{plural(counted.purged.traceCount, 'trace')} ({plural(counted.purged.spanCount, 'span')}) started before {date} 00:00 UTC would be deleted.{keptText(counted.kept)}</p>
              {counted.purged.traceCount > 0 && (
                <div className="button-row">
                  <button type="button" className="danger" disabled={purge.pending} onClick={() => void remove()}>Delete {plural(counted.purged.traceCount, 'trace')}</button>
                  <button type="button" onClick={() => setCounted(null)}>Cancel</button>
                </div>
              )}
            </>
          )}
        </div>
      )}
      <FormError error={purge.error} />
      <p className="announcement" role="status">{announcement}</p>
    </section>
  );
}
