import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { AddModelInput } from '../../../../core/contracts/index.ts';
import { fieldErrorFor, FormError, useApiAction } from '../admin/forms.tsx';

type Kind = 'local' | 'remote';

/**
 * Add a local GGUF by path or an OpenAI-compatible endpoint. In Electron a native file picker
 * fills the path; in serve mode (a browser) a page cannot read local paths, so the path is typed.
 */
export function AddModelForm({ onAdded }: { onAdded: (id: string) => void }) {
  const add = useApiAction('models.add');
  const [kind, setKind] = useState<Kind>('local');
  const [values, setValues] = useState({ id: '', name: '', path: '', sha256: '', endpoint: '', remoteModel: '', apiKey: '' });
  const base = useId();
  const set = (key: keyof typeof values) => (event: { target: { value: string } }) => setValues({ ...values, [key]: event.target.value });
  const field = (name: keyof typeof values) => fieldErrorFor(add.error, name, `${base}-${name}`);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const common = { id: values.id, name: values.name };
    const input: AddModelInput =
      kind === 'local'
        ? { ...common, kind, path: values.path, ...(values.sha256 ? { sha256: values.sha256.trim() } : {}) }
        : { ...common, kind, endpoint: values.endpoint, ...(values.remoteModel ? { remoteModel: values.remoteModel } : {}), ...(values.apiKey ? { apiKey: values.apiKey } : {}) };
    const result = await add.run(input);
    if (result.ok) {
      setValues({ id: '', name: '', path: '', sha256: '', endpoint: '', remoteModel: '', apiKey: '' });
      onAdded(result.value.id);
    }
  }

  const text = (name: keyof typeof values, label: string, options: { type?: string; hint?: string; autoComplete?: string } = {}) => {
    const f = field(name);
    return (
      <div className="field">
        <label htmlFor={`${base}-${name}`}>{label}</label>
        {options.hint && <p className="hint" id={`${base}-${name}-hint`}>{options.hint}</p>}
        <input id={`${base}-${name}`} type={options.type ?? 'text'} value={values[name]} onChange={set(name)} autoComplete={options.autoComplete ?? 'off'} {...f.inputProps} />
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
          {text('path', 'GGUF file path on the server', { hint: 'An absolute path. In the desktop app a file picker fills this; in a browser type the path.' })}
          {text('sha256', 'Expected SHA-256 (optional)', { hint: 'Computed and recorded when left empty; a mismatch is refused.' })}
        </>
      ) : (
        <>
          {text('endpoint', 'Endpoint URL', { hint: 'The OpenAI-compatible base, e.g. https://llm.bank.internal/v1.' })}
          {text('remoteModel', 'Model name on the server (optional)')}
          {text('apiKey', 'API key (optional)', { type: 'password', hint: 'Kept in the OS keychain and never shown again.', autoComplete: 'new-password' })}
        </>
      )}
      <button type="submit" className="primary" disabled={add.pending}>{add.pending ? 'Verifying…' : 'Add model'}</button>
      <FormError error={add.error} fields={['id', 'name', 'path', 'sha256', 'endpoint', 'remoteModel', 'apiKey']} />
    </form>
  );
}
