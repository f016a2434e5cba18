import { useCallback, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { localModelDefaults } from '../../../../core/contracts/index.ts';
import type { MethodOutput, ModelView } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { TestModelBadge } from '../../app/TestModelBadge.tsx';
import { useApiEvent } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { FormError, useApiAction } from '../admin/forms.tsx';
import { ClassificationsEditor } from './ClassificationChoice.tsx';


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

/**
 * What Verify found, said truthfully: a match, a mismatch (the file will not load), or no recorded
 * checksum — then nothing was compared, and the computed one can be recorded.
 */
function VerifyResult({ model, result, canManage, onRecorded }: { model: ModelView; result: MethodOutput<'models.verify'>; canManage: boolean; onRecorded: (message: string) => void }) {
  const record = useApiAction('models.recordChecksum');
  if (result.matches === true) return <p data-testid="verify-result" className="health-ok">Recomputed now: the file matches its recorded SHA-256.</p>;
  if (result.matches === false) {
    return <p data-testid="verify-result" className="health-failed">Recomputed now: the file’s SHA-256 is <code className="digest">{result.sha256}</code>, not the recorded <code className="digest">{result.recorded}</code>. It is out of service now (runs already using it finish) and will not load until the file is replaced.</p>;
  }
  return (
    <div data-testid="verify-result">
      <p>No checksum is recorded for this model, so nothing was compared and its file is not verified before it loads. Its SHA-256 now: <code className="digest">{result.sha256}</code></p>
      {canManage && (
        <button type="button" disabled={record.pending} onClick={() => { void record.run({ modelId: model.id, sha256: result.sha256 }).then((r) => { if (r.ok) onRecorded(`Checksum of ${model.id} recorded: its file is verified against it before every load.`); }); }}>Record this checksum</button>
      )}
      <FormError error={record.error} />
    </div>
  );
}

/** A manifest's value, or the default it runs with (said so). */
function orDefault(value: number | null, fallback: number, unit = ''): string {
  return value === null ? `${fallback}${unit} (default)` : `${value}${unit}`;
}

/**
 * Which model the account's runs use when nobody names one (`models.setDefault`, audited): a real
 * model available to the account may be chosen; the chosen one can go back to the first real model.
 */
function DefaultChoice({ model, onChanged }: { model: ModelView; onChanged: (message: string) => void }) {
  const { account } = useAuth();
  const setDefault = useApiAction('models.setDefault');
  const available = model.allAccounts || model.accounts.some((a) => a.id === account.id);
  if (!available || model.testModel || (model.isDefault && !model.chosenDefault)) return null;
  const modelId = model.chosenDefault ? null : model.id;
  const label = model.chosenDefault ? `Stop using ${model.id} as ${account.name}’s default` : `Make it ${account.name}’s default`;
  return (
    <div className="default-choice">
      <button type="button" disabled={setDefault.pending} onClick={() => { void setDefault.run({ accountId: account.id, modelId }).then((r) => { if (r.ok) onChanged(modelId === null ? `${account.name} uses its first real model again when a workflow names none.` : `${model.name} is now ${account.name}’s default model.`); }); }}>{label}</button>
      {setDefault.error && <ApiErrorView error={setDefault.error} />}
    </div>
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
  // A model other accounts use too is changed by an installation administrator only: its controls are not offered.
  const mayChange = canManage && model.manageable;

  return (
    <article className="model-card" aria-labelledby={`model-${model.id}`} data-testid={`model-${model.id}`}>
      <h2 id={`model-${model.id}`}>
        {model.name} <code>{model.id}</code>
        {model.testModel && <TestModelBadge />}
        {model.isDefault && <span className="tag" title={model.chosenDefault ? 'Chosen as this account’s default' : 'This account’s first real model, used when a workflow names none'}>{model.chosenDefault ? 'default (chosen)' : 'default'}</span>}
      </h2>
      {model.description && <p>{model.description}</p>}
      <dl className="model-facts">
        <dt>Kind</dt><dd>{model.kind === 'local' ? 'Local GGUF' : 'Endpoint'} ({model.source})</dd>
        <dt>{model.kind === 'local' ? 'File' : 'URL'}</dt><dd>{model.location === null ? <span className="hint">Shown to those who manage this model.</span> : <code>{model.location}</code>}</dd>
        {model.kind === 'local' && (<><dt>SHA-256</dt><dd>{model.sha256 ? <code className="digest">{model.sha256}</code> : 'none recorded: the file is not verified before it loads'}</dd></>)}
        {model.kind === 'local' && (<><dt>Context</dt><dd>{orDefault(model.contextSize, localModelDefaults.contextSize, ' tokens')}</dd><dt>Threads</dt><dd>{orDefault(model.threads, localModelDefaults.threads)}</dd></>)}
        {model.kind === 'remote' && model.contextSize !== null && (<><dt>Context</dt><dd>{model.contextSize} tokens</dd></>)}
        {model.chatTemplate && (<><dt>Chat template</dt><dd>the manifest’s override, not the file’s own</dd></>)}
        {model.kind === 'remote' && (<><dt>TLS trust</dt><dd>{model.caFile === null ? 'the public CAs' : <>the CA in <code>{model.caFile}</code></>}</dd></>)}
        {model.kind === 'remote' && (<><dt>API key</dt><dd>{model.hasApiKey ? 'stored in the keychain' : 'none'}</dd></>)}
        <dt>Data it may see</dt><dd>{model.classifications.join(', ')}</dd>
        <dt>Available to</dt><dd>{who}</dd>
      </dl>
      <div className="actions">
        <button type="button" disabled={health.pending} onClick={() => { void health.run({ modelId: model.id }).then((r) => setHealthResult(r.ok ? r.value : null)); }}>Check health</button>
        {canManage && model.kind === 'local' && (
          <button type="button" disabled={verify.pending} onClick={() => { void verify.run({ modelId: model.id }).then((r) => setVerifyResult(r.ok ? r.value : null)); }}>Verify checksum</button>
        )}
        {mayChange && model.source === 'added' && !confirmRemove && <button type="button" className="danger" onClick={() => setConfirmRemove(true)}>Remove…</button>}
        {confirmRemove && (
          <>
            <button type="button" className="danger" disabled={remove.pending} onClick={() => { void remove.run({ modelId: model.id }).then((r) => { if (r.ok) onChanged(`Model ${model.id} removed.`); }); }}>Remove {model.id} now</button>
            <button type="button" onClick={() => setConfirmRemove(false)}>Keep it</button>
          </>
        )}
      </div>
      {healthResult && <HealthLine health={healthResult} />}
      {health.error && <ApiErrorView error={health.error} />}
      {verifyResult && <VerifyResult model={model} result={verifyResult} canManage={mayChange} onRecorded={(message) => { setVerifyResult(null); onChanged(message); }} />}
      {verify.error && <ApiErrorView error={verify.error} />}
      {remove.error && <ApiErrorView error={remove.error} />}
      {canUse && <TestPrompt model={model} />}
      {canManage && <DefaultChoice model={model} onChanged={onChanged} />}
      {canManage && !model.manageable && <p className="hint" data-testid="model-shared">Other accounts use this model too: only an installation administrator can change or remove it.</p>}
      {mayChange && <ClassificationsEditor model={model} onChanged={onChanged} />}
      {mayChange && <Availability model={model} onChanged={onChanged} />}
    </article>
  );
}
