import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { MethodInput, MethodOutput } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { fieldErrorFor, FormError, useApiAction } from './forms.tsx';

type Config = MethodOutput<'traces.pushConfig'>;
const fields = ['enabled', 'endpoint', 'includeContent', 'caFile', 'tokenHeader', 'token'] as const;

function PushForm({ current, onSaved }: { current: Config; onSaved: (config: Config) => void }) {
  const save = useApiAction('traces.setPushConfig');
  const id = useId();
  const [enabled, setEnabled] = useState(current.enabled);
  const [endpoint, setEndpoint] = useState(current.endpoint ?? '');
  const [includeContent, setIncludeContent] = useState(current.includeContent);
  const [caFile, setCaFile] = useState(current.caFile ?? '');
  const [tokenHeader, setTokenHeader] = useState(current.tokenHeader);
  // Write-only: empty keeps the token the installation has; the box below removes it.
  const [token, setToken] = useState('');
  const [removeToken, setRemoveToken] = useState(false);
  const endpointError = fieldErrorFor(save.error, 'endpoint', `${id}-endpoint`, `${id}-endpoint-hint`);
  const caFileError = fieldErrorFor(save.error, 'caFile', `${id}-ca`, `${id}-ca-hint`);
  const headerError = fieldErrorFor(save.error, 'tokenHeader', `${id}-header`, `${id}-header-hint`);
  const tokenError = fieldErrorFor(save.error, 'token', `${id}-token`, `${id}-token-hint`);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const input: MethodInput<'traces.setPushConfig'> = {
      enabled,
      endpoint: endpoint.trim() === '' ? null : endpoint.trim(),
      includeContent: enabled && includeContent,
      caFile: caFile.trim() === '' ? null : caFile.trim(),
      tokenHeader: tokenHeader.trim() === '' ? 'authorization' : tokenHeader.trim(),
      ...(removeToken ? { token: null } : token !== '' ? { token } : {}),
    };
    const result = await save.run(input);
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
      <div className="field">
        <label htmlFor={`${id}-ca`}>CA file (optional)</label>
        <input id={`${id}-ca`} value={caFile} onChange={(event) => setCaFile(event.target.value)} placeholder="/etc/strongroom/bank-root-ca.pem" autoComplete="off" {...caFileError.inputProps} />
        <p id={`${id}-ca-hint`} className="hint">Absolute path, on the machine running Strongroom, to the PEM of the CA that signs the collector's certificate. Set, it replaces the public CAs for the collector. Empty: the public CAs.</p>
        {caFileError.message}
      </div>
      <div className="field">
        <label htmlFor={`${id}-header`}>Token header</label>
        <input id={`${id}-header`} value={tokenHeader} onChange={(event) => setTokenHeader(event.target.value)} autoComplete="off" {...headerError.inputProps} />
        <p id={`${id}-header-hint`} className="hint"><code>authorization</code> sends <code>Bearer TOKEN</code>; any other header (e.g. <code>x-api-key</code>) sends the token as it is.</p>
        {headerError.message}
      </div>
      <div className="field">
        <label htmlFor={`${id}-token`}>Token {current.tokenSet ? '(one is kept; type a new one to replace it)' : '(optional)'}</label>
        <input id={`${id}-token`} type="password" value={token} disabled={removeToken} onChange={(event) => setToken(event.target.value)} autoComplete="new-password" {...tokenError.inputProps} />
        <p id={`${id}-token-hint`} className="hint">Kept in the OS keychain, never shown again.</p>
        {tokenError.message}
        {current.tokenSet && <label><input type="checkbox" checked={removeToken} onChange={(event) => setRemoveToken(event.target.checked)} /> Remove the token</label>}
      </div>
      <FormError error={save.error} fields={fields} />
      <button type="submit" className="primary" disabled={save.pending}>Save trace push</button>
    </form>
  );
}

/** What the push has done since the app started: the admin's first look when a collector stays empty. */
function PushStatus({ status }: { status: Config['status'] }) {
  const when = (iso: string) => new Date(iso).toLocaleString();
  return (
    <div data-testid="trace-push-status">
      <h3>Since Strongroom started</h3>
      <p>{status.pushedSpans.toLocaleString()} spans pushed, {status.failedSpans.toLocaleString()} failed, {status.droppedSpans.toLocaleString()} dropped (the collector was too slow).</p>
      <p>Last success: {status.lastSuccessAt ? <time dateTime={status.lastSuccessAt}>{when(status.lastSuccessAt)}</time> : 'none yet'}.</p>
      {status.lastFailure && (
        <p className="field-error" data-testid="trace-push-last-failure">
          Last failure, <time dateTime={status.lastFailure.at}>{when(status.lastFailure.at)}</time>: {status.lastFailure.message}
        </p>
      )}
    </div>
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
              ? <>Spans are pushed to <code>{current.state.value.endpoint}</code>, {current.state.value.includeContent ? 'with content' : 'metadata only'}{current.state.value.caFile ? <>, trusting the CA in <code>{current.state.value.caFile}</code></> : null}{current.state.value.tokenSet ? <>, with a token in <code>{current.state.value.tokenHeader}</code></> : null}.</>
              : <>Off: traces stay in this installation's encrypted database.</>}
          </p>
          {current.state.value.enabled && <PushStatus status={current.state.value.status} />}
          <p className="hint">The same setting from a terminal: <code>strongroom traces push --endpoint URL [--ca-file FILE] [--token-stdin]</code> or <code>--off</code>.</p>
          <PushForm
            key={JSON.stringify({ ...current.state.value, status: null })}
            current={current.state.value}
            onSaved={(config) => {
              setSaved(config.enabled ? `Saved. Spans now go to ${config.endpoint ?? ''}.` : 'Saved. The push is off.');
              current.reload();
            }}
          />
          <button type="button" onClick={current.reload}>Refresh the status</button>
        </>
      )}
      <p role="status" className="announcement">{saved}</p>
    </>
  );
}
