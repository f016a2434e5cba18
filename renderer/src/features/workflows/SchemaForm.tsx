import { createContext, useContext, useId, useMemo, useState } from 'react';
import type { JsonSchema } from './schemaValues.ts';
import { initialValue, labelFor, optionLabel, pruneBlank, setIn, typeOf } from './schemaValues.ts';
import { relaxNullable, restoreNulls } from './nullableFields.ts';
import { constraintHint, constraintProblem } from './constraints.ts';

interface FieldProps {
  schema: JsonSchema;
  label: string;
  value: unknown;
  required: boolean;
  onChange: (value: unknown) => void;
  id: string;
  /** Where the field sits in the value, dotted (`customer.bsaId`, `years.0`); '' for the whole value. */
  path: string;
}

/**
 * What the API refused in the last submit, by field path (serverIssues.ts), and the fields changed
 * since: a field says its refusal until someone edits it.
 */
interface ServerIssues {
  issues: ReadonlyMap<string, string>;
  edited: ReadonlySet<string>;
  edit: (path: string) => void;
}
const ServerIssuesContext = createContext<ServerIssues>({ issues: new Map(), edited: new Set(), edit: () => undefined });
const noPaths: ReadonlySet<string> = new Set();
const childPath = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

function Description({ schema, id }: { schema: JsonSchema; id: string }) {
  return schema.description ? <p className="hint" id={id}>{schema.description}</p> : null;
}

/**
 * Characters against a text field's limit. The control has no maxLength, so a long paste is kept
 * whole (not silently cut) and this says how much to shorten; the API refuses it until then.
 */
function CharCount({ value, max, id }: { value: string; max: number; id: string }) {
  const over = value.length - max;
  return (
    <p id={id} className={over > 0 ? 'field-error' : 'hint'} aria-live="polite">
      {value.length.toLocaleString('en')} of {max.toLocaleString('en')} characters{over > 0 ? ` — ${over.toLocaleString('en')} too many; shorten it before you submit.` : ''}
    </p>
  );
}

/** The field's rule (a format, a row count, a range) and, once the value breaks it, what to change. */
function Rule({ hint, problem, id }: { hint: string | undefined; problem: string | undefined; id: string }) {
  if (hint === undefined && problem === undefined) return null;
  return (
    <p id={id} className={problem ? 'field-error' : 'hint'} aria-live="polite" data-testid={`${id}`}>
      {[hint, problem].filter(Boolean).join(' ')}
    </p>
  );
}

/** One field of a generated form, by JSON Schema type; objects and arrays recurse. */
function SchemaField({ schema, label, value, required, onChange: change, id, path }: FieldProps) {
  const server = useContext(ServerIssuesContext);
  const type = typeOf(schema);
  const hint = constraintHint(schema, type);
  const refused = server.edited.has(path) ? undefined : server.issues.get(path);
  const problem = constraintProblem(schema, type, value) ?? refused;
  const onChange = (next: unknown) => { server.edit(path); change(next); };
  const ruleId = `${id}-rule`;
  const rule = hint !== undefined || problem !== undefined;
  const describedBy = [schema.description ? `${id}-description` : undefined, rule ? ruleId : undefined].filter(Boolean).join(' ') || undefined;
  if (type === 'object') {
    const object = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    const requiredKeys = new Set(schema.required ?? []);
    return (
      <fieldset className="field schema-object" aria-describedby={describedBy}>
        <legend>{label}{required ? ' (required)' : ''}</legend>
        <Description schema={schema} id={`${id}-description`} />
        {Object.entries(schema.properties ?? {}).map(([key, sub]) => (
          <SchemaField key={key} id={`${id}-${key}`} path={childPath(path, key)} schema={sub} label={labelFor(key, sub)} required={requiredKeys.has(key)} value={object[key]} onChange={(v) => change({ ...object, [key]: v })} />
        ))}
      </fieldset>
    );
  }
  if (type === 'array') {
    const items = Array.isArray(value) ? (value as unknown[]) : [];
    const itemSchema = schema.items ?? {};
    return (
      <fieldset className="field schema-array" aria-describedby={describedBy}>
        <legend>{label}{required ? ' (required)' : ''} <span className="tag">{items.length} {items.length === 1 ? 'row' : 'rows'}</span></legend>
        <Description schema={schema} id={`${id}-description`} />
        <Rule hint={hint} problem={problem} id={ruleId} />
        <ol className="schema-rows">
          {items.map((item, index) => (
            <li key={index} className="schema-row">
              <SchemaField id={`${id}-${index}`} path={childPath(path, index)} schema={itemSchema} label={`${label} ${index + 1}`} required value={item} onChange={(v) => change(setIn(items, [index], v))} />
              <button type="button" className="danger" onClick={() => onChange(items.filter((_, i) => i !== index))} aria-label={`Remove ${label} ${index + 1}`}>Remove</button>
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => onChange([...items, initialValue(itemSchema)])}>Add {label.toLowerCase()}</button>
      </fieldset>
    );
  }
  if (type === 'boolean') {
    return (
      <div className="field">
        <label className="check" htmlFor={id}>
          <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} aria-describedby={describedBy} />
          {label}
        </label>
        <Description schema={schema} id={`${id}-description`} />
      </div>
    );
  }
  let control;
  if (type === 'enum') {
    control = (
      <select id={id} value={typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : ''} required={required} aria-describedby={describedBy} onChange={(e) => onChange(schema.enum?.find((option) => String(option) === e.target.value) ?? '')}>
        <option value="">Choose…</option>
        {(schema.enum ?? []).map((option) => <option key={String(option)} value={String(option)}>{optionLabel(option)}</option>)}
      </select>
    );
  } else if (type === 'number' || type === 'integer') {
    control = <input id={id} type="number" step={type === 'integer' ? 1 : 'any'} min={schema.minimum} max={schema.maximum} required={required} aria-describedby={describedBy} value={typeof value === 'number' ? value : ''} onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))} />;
  } else if (type === 'string') {
    const text = typeof value === 'string' ? value : '';
    const countId = `${id}-count`;
    const over = (schema.maxLength !== undefined && text.length > schema.maxLength) || problem !== undefined;
    // Shown from 80% of the limit on, so a field far from it stays quiet.
    const counted = schema.maxLength !== undefined && text.length >= schema.maxLength * 0.8;
    const described = [describedBy, counted ? countId : undefined].filter(Boolean).join(' ') || undefined;
    const common = { id, required, 'aria-describedby': described, 'aria-invalid': over || undefined, value: text, onChange: (e: { target: { value: string } }) => onChange(e.target.value) };
    control = (
      <>
        {(schema.maxLength ?? 0) > 200 ? <textarea rows={3} {...common} /> : <input type={schema.format === 'date' ? 'date' : 'text'} {...common} />}
        {counted && <CharCount value={text} max={schema.maxLength!} id={countId} />}
      </>
    );
  } else {
    control = <textarea id={id} rows={3} aria-describedby={describedBy} value={JSON.stringify(value ?? null)} onChange={(e) => { try { onChange(JSON.parse(e.target.value) as unknown); } catch { /* keeps the last valid value until the JSON parses */ } }} />;
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}{required ? ' (required)' : ''}</label>
      {control}
      <Description schema={schema} id={`${id}-description`} />
      <Rule hint={hint} problem={problem} id={ruleId} />
    </div>
  );
}

/**
 * A form generated from a JSON Schema (a workflow's `inputs`, a human step's `form`), with a JSON
 * mode for pasting a whole value — a sample input, say. Submits the value as it stands; the API
 * validates it and names any field that does not fit.
 */
export function SchemaForm({ schema: declared, submitLabel, busy, onSubmit, initial, onChange, issues }: { schema: JsonSchema; submitLabel: string; busy: boolean; onSubmit: (value: unknown) => void; initial?: unknown; onChange?: (value: unknown) => void; issues?: ReadonlyMap<string, string> }) {
  const id = useId();
  // The fields edited since the API's last refusal, kept with the refusal they follow: a new
  // refusal starts afresh.
  const [editedSince, setEditedSince] = useState<{ issues: typeof issues; paths: ReadonlySet<string> }>({ issues, paths: new Set() });
  const edited = editedSince.issues === issues ? editedSince.paths : noPaths;
  const server = useMemo<ServerIssues>(() => ({
    issues: issues ?? new Map<string, string>(),
    edited,
    edit: (path) => setEditedSince((current) => {
      const paths = current.issues === issues ? current.paths : noPaths;
      return paths.has(path) ? current : { issues, paths: new Set(paths).add(path) };
    }),
  }), [issues, edited]);
  // A required field that may be null is optional in the browser (its empty control is a valid
  // answer); the nulls are put back before submitting.
  const schema = useMemo(() => relaxNullable(declared), [declared]);
  const [value, setFormValue] = useState<unknown>(() => initial ?? initialValue(schema));
  // Every change is told (a working copy is kept of it); JSON text only once it parses.
  const setValue = (next: unknown) => { setFormValue(next); onChange?.(next); };
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const [text, setText] = useState('');
  const [parseError, setParseError] = useState<string | null>(null);

  const toJson = () => { setText(JSON.stringify(value, null, 2)); setParseError(null); setMode('json'); };
  const parsed = (): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (error) {
      setParseError(error instanceof Error ? error.message : 'The text is not JSON.');
      return { ok: false };
    }
  };
  const toForm = () => { const result = parsed(); if (result.ok) { setFormValue(result.value); setParseError(null); setMode('form'); } };

  return (
    <form className="schema-form" onSubmit={(event) => { event.preventDefault(); if (mode === 'form') onSubmit(restoreNulls(declared, pruneBlank(schema, value))); else { const result = parsed(); if (result.ok) onSubmit(result.value); } }}>
      <div className="schema-mode" role="group" aria-label="How to enter the input">
        <button type="button" aria-pressed={mode === 'form'} onClick={() => mode === 'json' && toForm()}>Form</button>
        <button type="button" aria-pressed={mode === 'json'} onClick={() => mode === 'form' && toJson()}>JSON</button>
      </div>
      {mode === 'form' ? (
        <ServerIssuesContext.Provider value={server}>
          <SchemaField id={`${id}-root`} path="" schema={schema} label="Input" required value={value} onChange={setValue} />
        </ServerIssuesContext.Provider>
      ) : (
        <div className="field field-wide">
          <label htmlFor={`${id}-json`}>Input as JSON (paste a sample here)</label>
          <textarea id={`${id}-json`} className="json-input" rows={18} spellCheck={false} value={text} aria-invalid={parseError !== null} aria-describedby={parseError ? `${id}-json-error` : undefined} onChange={(e) => { setText(e.target.value); try { onChange?.(JSON.parse(e.target.value) as unknown); } catch { /* told once it parses */ } }} />
          {parseError && <p className="field-error" id={`${id}-json-error`}>{parseError}</p>}
        </div>
      )}
      <button type="submit" className="primary" disabled={busy}>{busy ? 'Working…' : submitLabel}</button>
    </form>
  );
}
