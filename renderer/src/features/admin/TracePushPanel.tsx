import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { MethodOutput } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { fieldErrorFor, FormError, useApiAction } from './forms.tsx';

type Config = MethodOutput<'traces.pushConfig'>;
const fields = ['enabled', 'endpoint', 'includeContent'] as const;

function PushForm({ current, onSaved }: { current: Config; onSaved: (config: Config) => void }) {
  const save = useApiAction('traces.setPushConfig');
  const id = useId();
  const [enabled, setEnabled] = useState(current.enabled);
  const [endpoint, setEndpoint] = useState(current.endpoint ?? '');
  const [includeContent, setIncludeContent] = useState(current.includeContent);
  const endpointError = fieldErrorFor(save.error, 'endpoint', `${id}-endpoint`, `${id}-endpoint-hint`);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const result = await save.run({ enabled, endpoint: endpoint.trim() === '' ? null : endpoint.trim(), includeContent: enabled && includeContent });
    if (result.ok) onSaved(result.value);
  }

  return (
    <form className="stacked-form" onSubmit={(event) => { void submit(event); }} noValidate>
      <div className="field">
        <label><input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} /> Push spans to a collector</label>
      </div>
      <div className="field">
        <label htmlFor={`${id}-endpoint`}>Collector traces endpoint (OTLP/HTTP, JSON)</label>
        <input id={`${id}-endpoint`} type="url" value={endpoint} onChange={(event) => setEndpoint(event.target.value)} placeholder="https://collector.bank.internal:4318/v1/traces" {...endpointError.inputProps} />
        <p id={`${id}-endpoint-hint`} className="hint">The only host the push ever contacts; redirects are not followed.</p>
        {endpointError.message}
      </div>
      <div className="field">
        <label><input type="checkbox" checked={includeContent} disabled={!enabled} onChange={(event) => setIncludeContent(event.target.checked)} /> Include content (model messages, outputs, tool arguments and results)</label>
        <p className="hint">Off: only metadata leaves this machine — names, times, statuses, token counts, model ids.</p>
      </div>
      <FormError error={save.error} fields={fields} />
      <button type="submit" className="primary" disabled={save.pending}>Save trace push</button>
    </form>
  );
}

/** The installation's OTLP/HTTP push of spans to a collector (what `strongroom traces push` sets). Off by default. */
export function TracePushPanel() {
  const current = useApiQuery('traces.pushConfig', {});
  const [saved, setSaved] = useState('');
  return (
    <>
      <h2>Trace push</h2>
      {current.state.status === 'loading' && <p role="status">Loading…</p>}
      {current.state.status === 'error' && <ApiErrorView error={current.state.error} onRetry={current.reload} />}
      {current.state.status === 'ok' && (
        <>
          <p data-testid="trace-push-summary">
            {current.state.value.enabled
              ? <>Spans are pushed to <code>{current.state.value.endpoint}</code>, {current.state.value.includeContent ? 'with content' : 'metadata only'}.</>
              : <>Off: traces stay in this installation's encrypted database.</>}
          </p>
          <p className="hint">The same setting from a terminal: <code>strongroom traces push --endpoint URL</code> or <code>--off</code>.</p>
          <PushForm
            key={JSON.stringify(current.state.value)}
            current={current.state.value}
            onSaved={(config) => {
              setSaved(config.enabled ? `Saved. Spans now go to ${config.endpoint ?? ''}.` : 'Saved. The push is off.');
              current.reload();
            }}
          />
        </>
      )}
      <p role="status" className="announcement">{saved}</p>
    </>
  );
}
