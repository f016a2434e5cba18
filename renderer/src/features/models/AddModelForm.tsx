import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { localModelDefaults } from '../../../../core/contracts/index.ts';
import type { AddModelInput, DataClassification } from '../../../../core/contracts/index.ts';
import { fieldErrorFor, FormError, useApiAction } from '../admin/forms.tsx';
import { ClassificationChoice } from './ClassificationChoice.tsx';

type Kind = 'local' | 'remote';

/**
 * What a new model may see unless the administrator changes it: a local model runs on this
 * machine, so the data does not leave it; an endpoint receives the data over the network, so
 * confidential and restricted data need a deliberate tick.
 */
const defaultClassifications: Record<Kind, DataClassification[]> = {
  local: ['public', 'internal', 'confidential', 'restricted'],
  remote: ['public', 'internal'],
};

const classificationHints: Record<Kind, string> = {
  local: 'A local model runs on this machine, so the data does not leave it: every classification is ticked unless you untick one.',
  remote: 'An endpoint receives the data over the network: tick confidential or restricted only for a server approved for that data.',
};

/** A whole number typed in a field; empty means "not given". Anything else goes to the API as typed, which names the problem beside the field. */
function numberField(value: string): number | undefined {
  return value.trim() === '' ? undefined : Number(value);
}

/**
 * Add a local GGUF by path or an OpenAI-compatible endpoint. In Electron a native file picker
 * (window.strongroomDesktop) fills the path; in serve mode (a browser) a page cannot read local
 * paths, so the path is typed. Either way models.add checks the file, checksum and architecture.
 */
export function AddModelForm({ onAdded }: { onAdded: (id: string) => void }) {
  const add = useApiAction('models.add');
  const [kind, setKind] = useState<Kind>('local');
  const empty = { id: '', name: '', path: '', sha256: '', contextSize: String(localModelDefaults.contextSize), threads: String(localModelDefaults.threads), chatTemplate: '', endpoint: '', remoteModel: '', caFile: '', apiKey: '' };
  const [values, setValues] = useState(empty);
  // null: the kind's default, until the administrator ticks or unticks one.
  const [chosen, setChosen] = useState<DataClassification[] | null>(null);
  const classifications = chosen ?? defaultClassifications[kind];
  const [pickError, setPickError] = useState<string | null>(null);
  const desktop = window.strongroomDesktop;
  const base = useId();
  const set = (key: keyof typeof values) => (event: { target: { value: string } }) => setValues({ ...values, [key]: event.target.value });

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const common = { id: values.id, name: values.name, classifications };
    const contextSize = numberField(values.contextSize);
    const threads = numberField(values.threads);
    const input: AddModelInput =
      kind === 'local'
        ? { ...common, kind, path: values.path, ...(values.sha256 ? { sha256: values.sha256.trim() } : {}), ...(contextSize === undefined ? {} : { contextSize }), ...(threads === undefined ? {} : { threads }), ...(values.chatTemplate.trim() ? { chatTemplate: values.chatTemplate } : {}) }
        : { ...common, kind, endpoint: values.endpoint, ...(values.remoteModel ? { remoteModel: values.remoteModel } : {}), ...(values.caFile.trim() ? { caFile: values.caFile.trim() } : {}), ...(values.apiKey ? { apiKey: values.apiKey } : {}) };
    const result = await add.run(input);
    if (result.ok) {
      setValues(empty);
      setChosen(null);
      onAdded(result.value.id);
    }
  }

  const templateField = fieldErrorFor(add.error, 'chatTemplate', `${base}-chatTemplate`, `${base}-chatTemplate-hint`);

  async function browse(): Promise<void> {
    if (!desktop) return;
    setPickError(null);
    try {
      const path = await desktop.pickModelFile();
      if (path !== null) setValues((current) => ({ ...current, path }));
    } catch (error) {
      setPickError(error instanceof Error ? error.message : String(error));
    }
  }

  const text = (name: keyof typeof values, label: string, options: { type?: string; hint?: string; autoComplete?: string; min?: number } = {}) => {
    const hintId = options.hint ? `${base}-${name}-hint` : undefined;
    const f = fieldErrorFor(add.error, name, `${base}-${name}`, hintId);
    return (
      <div className="field">
        <label htmlFor={`${base}-${name}`}>{label}</label>
        {options.hint && <p className="hint" id={hintId}>{options.hint}</p>}
        <input id={`${base}-${name}`} type={options.type ?? 'text'} value={values[name]} onChange={set(name)} autoComplete={options.autoComplete ?? 'off'} {...(options.min === undefined ? {} : { min: options.min, step: 1 })} {...f.inputProps} />
        {f.message}
      </div>
    );
  };

  return (
    <form className="inline-form add-model" onSubmit={(event) => { void submit(event); }} noValidate aria-labelledby={`${base}-title`} data-testid="add-model-form">
      <h2 id={`${base}-title`}>Add a model</h2>
      <fieldset>
        <legend>Kind</legend>
        <label><input type="radio" name={`${base}-kind`} checked={kind === 'local'} onChange={() => setKind('local')} /> Local GGUF file</label>
        <label><input type="radio" name={`${base}-kind`} checked={kind === 'remote'} onChange={() => setKind('remote')} /> OpenAI-compatible endpoint</label>
      </fieldset>
      {text('id', 'Model id', { hint: 'Lower-case letters, digits, dot, dash or underscore, e.g. credit-llama-8b-q4.' })}
      {text('name', 'Display name')}
      {kind === 'local' ? (
        <>
          {desktop ? text('path', 'GGUF file', { hint: 'Choose the file, or type its absolute path.' }) : text('path', 'GGUF file path on the server', { hint: 'An absolute path on the machine running Strongroom.' })}
          {desktop && (
            <div className="field">
              <button type="button" onClick={() => { void browse(); }}>Choose file…</button>
              {pickError && <p role="alert" className="error">The file picker failed: {pickError}</p>}
            </div>
          )}
          {text('sha256', 'Expected SHA-256 (optional)', { hint: 'Computed and recorded when left empty; a mismatch is refused. The file is verified against it before every load.' })}
          {text('contextSize', 'Context size (tokens)', { type: 'number', min: 128, hint: `Default ${localModelDefaults.contextSize}, capped at what the model was trained for. The shipped credit memo needs about 16384.` })}
          {text('threads', 'Threads', { type: 'number', min: 1, hint: `Default ${localModelDefaults.threads}: on small machines one thread generates fastest. Raise it on machines with many cores.` })}
          <div className="field">
            <label htmlFor={`${base}-chatTemplate`}>Chat template override (optional)</label>
            <p className="hint" id={`${base}-chatTemplate-hint`}>A Jinja template used instead of the one inside the GGUF, for models whose embedded template is missing or wrong. Checked when the model is added.</p>
            <textarea id={`${base}-chatTemplate`} rows={4} value={values.chatTemplate} onChange={set('chatTemplate')} spellCheck={false} maxLength={20000} {...templateField.inputProps} />
            {templateField.message}
          </div>
        </>
      ) : (
        <>
          {text('endpoint', 'Endpoint URL', { hint: 'The OpenAI-compatible base, e.g. https://llm.bank.internal/v1.' })}
          {text('remoteModel', 'Model name on the server (optional)')}
          {text('caFile', 'CA certificate file (optional)', { hint: 'The full path of a PEM file on the machine running Strongroom with your bank’s CA; it replaces the public roots for this endpoint.' })}
          {text('apiKey', 'API key (optional)', { type: 'password', hint: 'Kept in the OS keychain and never shown again.', autoComplete: 'new-password' })}
        </>
      )}
      <ClassificationChoice legend="Data it may see" hint={`${classificationHints[kind]} The shipped workflows handle confidential or restricted data; a workflow refuses a model that may not see its data. You can change this later on the model’s card.`} value={classifications} onChange={setChosen} />
      {classifications.length === 0 && <p className="hint">Tick at least one.</p>}
      <button type="submit" className="primary" disabled={add.pending || classifications.length === 0}>{add.pending ? 'Verifying…' : 'Add model'}</button>
      <FormError error={add.error} fields={['id', 'name', 'path', 'sha256', 'contextSize', 'threads', 'chatTemplate', 'endpoint', 'remoteModel', 'caFile', 'apiKey']} />
    </form>
  );
}
