import { useCallback, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { MethodOutput, ModelView } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiEvent } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { FormError, useApiAction } from '../admin/forms.tsx';

/** The label every surface shows for a generated model, so nobody reads meaning into its text. */
export function TestModelBadge() {
  return <span className="tag test-model-badge" data-testid="test-model-badge">Test model — text is meaningless</span>;
}

function HealthLine({ health }: { health: MethodOutput<'models.health'> }) {
  return (
    <p className={`health health-${health.status}`} data-testid="model-health">
      Health: <strong>{health.status}</strong>{health.detail ? ` — ${health.detail}` : ''}{health.latencyMs === null ? '' : ` (${Math.round(health.latencyMs)} ms)`}
    </p>
  );
}

function TestPrompt({ model }: { model: ModelView }) {
  const test = useApiAction('models.test');
  const [prompt, setPrompt] = useState('Say hello.');
  const [result, setResult] = useState<MethodOutput<'models.test'> | null>(null);
  // The text so far while the model generates: the reply streams as models.testDelta events
  // addressed to this user and tagged with this request's stream id.
  const [streamed, setStreamed] = useState<string | null>(null);
  const streamId = useRef<string | null>(null);
  const id = useId();
  const onDelta = useCallback((event: { streamId: string; text: string }) => {
    if (event.streamId === streamId.current) setStreamed((text) => (text ?? '') + event.text);
  }, []);
  useApiEvent('models.testDelta', onDelta);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    streamId.current = crypto.randomUUID();
    setResult(null);
    setStreamed('');
    const outcome = await test.run({ modelId: model.id, prompt, maxTokens: 32, streamId: streamId.current });
    streamId.current = null;
    setStreamed(null);
    setResult(outcome.ok ? outcome.value : null);
  }

  return (
    <form className="test-prompt" onSubmit={(event) => { void submit(event); }} aria-label={`Test prompt for ${model.name}`}>
      <label htmlFor={id}>Test prompt</label>
      <input id={id} value={prompt} onChange={(event) => setPrompt(event.target.value)} maxLength={2000} />
      <button type="submit" disabled={test.pending}>{test.pending ? 'Generating…' : 'Run test prompt'}</button>
      <FormError error={test.error} />
      {streamed !== null && (
        <div className="test-result" data-testid="test-streaming" aria-live="polite" aria-busy="true">
          {model.testModel && <TestModelBadge />}
          <pre>{streamed === '' ? 'Waiting for the first token…' : streamed}</pre>
        </div>
      )}
      {result && (
        <div className="test-result" data-testid="test-result">
          {result.testModel && <TestModelBadge />}
          <pre>{result.text === '' ? '(no text)' : result.text}</pre>
          <p className="hint">{result.usage.inputTokens} input and {result.usage.outputTokens} output tokens in {result.latencyMs} ms ({result.usage.tokensPerSecond.toFixed(1)} tokens/s, first token after {Math.round(result.usage.timeToFirstTokenMs)} ms).</p>
        </div>
      )}
    </form>
  );
}

function Availability({ model, onChanged }: { model: ModelView; onChanged: (message: string) => void }) {
  const auth = useAuth();
  const save = useApiAction('models.setAvailability');
  const [all, setAll] = useState(model.allAccounts);
  const [chosen, setChosen] = useState(new Set(model.accounts.map((a) => a.id)));
  const toggle = (accountId: string) => setChosen((previous) => {
    const next = new Set(previous);
    if (next.has(accountId)) next.delete(accountId);
    else next.add(accountId);
    return next;
  });

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const result = await save.run({ modelId: model.id, accounts: [...chosen], allAccounts: all });
    if (result.ok) onChanged(`Availability of ${model.id} saved.`);
  }

  return (
    <form className="availability" onSubmit={(event) => { void submit(event); }}>
      <fieldset>
        <legend>Accounts that may use it</legend>
        <label><input type="checkbox" checked={all} onChange={(event) => setAll(event.target.checked)} /> Every account</label>
        {auth.accounts.map((account) => (
          <label key={account.id}><input type="checkbox" disabled={all} checked={all || chosen.has(account.id)} onChange={() => toggle(account.id)} /> {account.name}</label>
        ))}
      </fieldset>
      <button type="submit" disabled={save.pending}>Save availability</button>
      <FormError error={save.error} />
    </form>
  );
}

/** One model: what it is, who may use it, and its checks. */
export function ModelCard({ model, canManage, canUse, onChanged }: { model: ModelView; canManage: boolean; canUse: boolean; onChanged: (message: string) => void }) {
  const health = useApiAction('models.health');
  const verify = useApiAction('models.verify');
  const remove = useApiAction('models.remove');
  const [healthResult, setHealthResult] = useState<MethodOutput<'models.health'> | null>(null);
  const [verifyResult, setVerifyResult] = useState<MethodOutput<'models.verify'> | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const who = model.allAccounts ? 'every account' : model.accounts.map((a) => a.name).join(', ') || 'no account';

  return (
    <article className="model-card" aria-labelledby={`model-${model.id}`} data-testid={`model-${model.id}`}>
      <h2 id={`model-${model.id}`}>
        {model.name} <code>{model.id}</code>
        {model.testModel && <TestModelBadge />}
        {model.isDefault && <span className="tag">default</span>}
      </h2>
      {model.description && <p>{model.description}</p>}
      <dl className="model-facts">
        <dt>Kind</dt><dd>{model.kind === 'local' ? 'Local GGUF' : 'Endpoint'} ({model.source})</dd>
        <dt>{model.kind === 'local' ? 'File' : 'URL'}</dt><dd><code>{model.location}</code></dd>
        {model.sha256 && (<><dt>SHA-256</dt><dd><code className="digest">{model.sha256}</code></dd></>)}
        {model.chatTemplate && (<><dt>Chat template</dt><dd>the manifest’s override, not the file’s own</dd></>)}
        {model.kind === 'remote' && (<><dt>API key</dt><dd>{model.hasApiKey ? 'stored in the keychain' : 'none'}</dd></>)}
        <dt>Data it may see</dt><dd>{model.classifications.join(', ')}</dd>
        <dt>Available to</dt><dd>{who}</dd>
      </dl>
      <div className="actions">
        <button type="button" disabled={health.pending} onClick={() => { void health.run({ modelId: model.id }).then((r) => setHealthResult(r.ok ? r.value : null)); }}>Check health</button>
        {canManage && model.kind === 'local' && (
          <button type="button" disabled={verify.pending} onClick={() => { void verify.run({ modelId: model.id }).then((r) => setVerifyResult(r.ok ? r.value : null)); }}>Verify checksum</button>
        )}
        {canManage && model.source === 'added' && !confirmRemove && <button type="button" className="danger" onClick={() => setConfirmRemove(true)}>Remove…</button>}
        {confirmRemove && (
          <>
            <button type="button" className="danger" disabled={remove.pending} onClick={() => { void remove.run({ modelId: model.id }).then((r) => { if (r.ok) onChanged(`Model ${model.id} removed.`); }); }}>Remove {model.id} now</button>
            <button type="button" onClick={() => setConfirmRemove(false)}>Keep it</button>
          </>
        )}
      </div>
      {healthResult && <HealthLine health={healthResult} />}
      {health.error && <ApiErrorView error={health.error} />}
      {verifyResult && <p data-testid="verify-result" className={verifyResult.matches ? 'health-ok' : 'health-failed'}>{verifyResult.matches ? 'Checksum matches the manifest.' : `Checksum differs from the manifest: the file is now ${verifyResult.sha256}.`}</p>}
      {verify.error && <ApiErrorView error={verify.error} />}
      {remove.error && <ApiErrorView error={remove.error} />}
      {canUse && <TestPrompt model={model} />}
      {canManage && <Availability model={model} onChanged={onChanged} />}
    </article>
  );
}
