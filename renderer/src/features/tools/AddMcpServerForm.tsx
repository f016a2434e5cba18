import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { AddMcpServerInput, McpServerView } from '../../../../core/contracts/index.ts';
import { fieldErrorFor, FormError, useApiAction } from '../admin/forms.tsx';
import type { McpServerFormValues, McpTransport } from './mcpServerForm.ts';
import { emptyMcpServerForm, mcpServerInput, withListItemsNamed } from './mcpServerForm.ts';

type TextField = Exclude<keyof McpServerFormValues, 'transport'>;

const fields: readonly TextField[] = ['name', 'command', 'args', 'inheritEnv', 'url', 'token'];

/**
 * Configures an MCP server on the installation (`tools.mcp.add`, audited): a command started over
 * stdio, or an http(s) URL with an optional bearer token kept in the OS keychain. A refusal keeps
 * every field as typed, with the API's issues beside their fields; success empties the form.
 */
export function AddMcpServerForm({ onAdded }: { onAdded: (server: McpServerView) => void }) {
  const add = useApiAction('tools.mcp.add');
  const [values, setValues] = useState<McpServerFormValues>(emptyMcpServerForm);
  // What the last attempt sent: the API names list items by index, so their messages are read against it.
  const [sent, setSent] = useState<AddMcpServerInput | null>(null);
  const base = useId();
  const error = withListItemsNamed(add.error, sent?.transport === 'stdio' ? { args: sent.args ?? [], inheritEnv: sent.inheritEnv ?? [] } : {});
  const set = (key: TextField) => (event: { target: { value: string } }) => setValues((current) => ({ ...current, [key]: event.target.value }));

  function choose(transport: McpTransport): void {
    setValues((current) => ({ ...current, transport }));
    // The last refusal was about the other transport's fields, now hidden.
    add.reset();
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const input = mcpServerInput(values);
    setSent(input);
    const result = await add.run(input);
    if (result.ok) {
      setValues(emptyMcpServerForm);
      setSent(null);
      onAdded(result.value);
    }
  }

  const field = (name: TextField, label: string, options: { hint?: string; multiline?: boolean; type?: string; autoComplete?: string } = {}) => {
    const inputId = `${base}-${name}`;
    const hintId = options.hint ? `${inputId}-hint` : undefined;
    const problem = fieldErrorFor(error, name, inputId, hintId);
    const common = { id: inputId, value: values[name], onChange: set(name), spellCheck: false, ...problem.inputProps };
    return (
      <div className="field">
        <label htmlFor={inputId}>{label}</label>
        {options.hint && <p className="hint" id={hintId}>{options.hint}</p>}
        {options.multiline
          ? <textarea {...common} rows={3} />
          : <input {...common} type={options.type ?? 'text'} autoComplete={options.autoComplete ?? 'off'} />}
        {problem.message}
      </div>
    );
  };

  return (
    <form className="add-mcp-server" onSubmit={(event) => { void submit(event); }} noValidate aria-labelledby={`${base}-title`} data-testid="add-mcp-server-form">
      <h3 id={`${base}-title`}>Add an MCP server</h3>
      {field('name', 'Name', { hint: 'Its tools are named <name>.<tool>. A lower-case letter first, then lower-case letters, digits, _ or -.' })}
      <fieldset className="field transport-choice">
        <legend>Transport</legend>
        <label className="check"><input type="radio" name={`${base}-transport`} checked={values.transport === 'stdio'} onChange={() => choose('stdio')} /> stdio: a command started on this machine</label>
        <label className="check"><input type="radio" name={`${base}-transport`} checked={values.transport === 'http'} onChange={() => choose('http')} /> HTTP: a server at a URL</label>
      </fieldset>
      {values.transport === 'stdio' ? (
        <>
          {field('command', 'Command', { hint: 'The executable, on the machine running Strongroom, e.g. /opt/crm/bin/crm-mcp. It is started directly, not through a shell.' })}
          {field('args', 'Arguments (optional)', { multiline: true, hint: 'One per line, exactly as typed; blank lines are skipped.' })}
          {field('inheritEnv', 'Environment variables to pass through (optional)', { multiline: true, hint: 'Names only, separated by commas or new lines, e.g. CRM_API_KEY. The server gets their values from Strongroom’s environment, and nothing else of it beyond HOME, LOGNAME, PATH, SHELL, TERM and USER.' })}
        </>
      ) : (
        <>
          {field('url', 'URL', { type: 'url', hint: 'Its streamable-HTTP endpoint, e.g. https://crm.bank.internal/mcp. Only this host is ever contacted.' })}
          {field('token', 'Bearer token (optional)', { type: 'password', autoComplete: 'new-password', hint: 'Kept in the OS keychain and never shown again. With a token, the URL must be https unless the server is on this machine.' })}
        </>
      )}
      <p className="hint">Adding it is recorded in the audit log. Its tools stay out of every account until that account’s allow-list lets them in.</p>
      <FormError error={error} fields={fields} />
      <button type="submit" className="primary" disabled={add.pending}>{add.pending ? 'Adding…' : 'Add MCP server'}</button>
    </form>
  );
}
