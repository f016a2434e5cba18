import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { exportTraces } from '../../../../core/contracts/index.ts';
import type { ApiError, TraceExport, TraceExportInput } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useBridge } from '../../bridge/context.tsx';
import { saveFile } from '../audit/download.ts';
import { formatCount } from './badges.tsx';
import { exportFileName, exportInputFromFields } from './exportWindow.ts';
import type { ExportWindowErrors, ExportWindowFields } from './exportWindow.ts';
import { toLocalInput } from './filters.ts';

/** An API refusal carried out of `exportTraces`, which throws on a failed part. */
class ExportRefused extends Error {
  readonly apiError: ApiError;
  constructor(apiError: ApiError) {
    super(apiError.message);
    this.apiError = apiError;
  }
}

/**
 * Export every trace started in a window as one OTLP/JSON file (`traces.export`, shown only with
 * that permission): the server hands it over in parts of whole traces and this joins them, saying
 * how far it is, then saves the file. The window starts from the list's own time filter; the
 * other filters do not narrow an export (it is evidence of everything in the window).
 */
export function TraceExportByTime({ from, to }: { from?: string; to?: string }) {
  const bridge = useBridge();
  const id = useId();
  const [fields, setFields] = useState<ExportWindowFields>({ since: from ? toLocalInput(from) : '', until: to ? toLocalInput(to) : '' });
  const [errors, setErrors] = useState<ExportWindowErrors>({});
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState('');
  const [error, setError] = useState<ApiError | null>(null);

  async function run(event: FormEvent): Promise<void> {
    event.preventDefault();
    const checked = exportInputFromFields(fields);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    setError(null);
    setBusy(true);
    setProgress('Exporting…');
    const pieces: string[] = [];
    const call = async (input: TraceExportInput): Promise<TraceExport> => {
      const result = await bridge.invoke('traces.export', input);
      if (!result.ok) throw new ExportRefused(result.error);
      return result.value;
    };
    try {
      const done = await exportTraces(call, checked.input, (text) => void pieces.push(text), (written, total) => setProgress(`Exported ${formatCount(written)} of ${formatCount(total)} traces…`));
      const fileName = exportFileName(checked.input);
      saveFile({ fileName, mediaType: 'application/json', encoding: 'utf8', content: pieces.join('') });
      const unreadable = done.unreadableSpans > 0 ? ` Warning: the content of ${formatCount(done.unreadableSpans)} spans cannot be decrypted (altered, or copied from another row); they are in the file without content, marked strongroom.content.unreadable.` : '';
      setProgress(`Saved ${fileName}: ${formatCount(done.traces)} traces, ${formatCount(done.spans)} spans, ${done.contentIncluded ? 'content included' : 'metadata only (your role does not include content)'}.${unreadable}`);
    } catch (failure) {
      setProgress('');
      setError(failure instanceof ExportRefused ? failure.apiError : { code: 'ERR_INTERNAL', message: failure instanceof Error ? failure.message : 'The export failed.' });
    } finally {
      setBusy(false);
    }
  }

  const field = (key: keyof ExportWindowFields, label: string, required: boolean) => {
    const inputId = `${id}-${key}`;
    return (
      <div className="field">
        <label htmlFor={inputId}>{label}</label>
        <input
          id={inputId}
          type="datetime-local"
          value={fields[key]}
          required={required}
          onChange={(event) => setFields((current) => ({ ...current, [key]: event.target.value }))}
          {...(errors[key] ? { 'aria-invalid': true, 'aria-describedby': `${inputId}-error` } : {})}
        />
        {errors[key] && <p id={`${inputId}-error`} className="field-error">{errors[key]}</p>}
      </div>
    );
  };

  return (
    <details className="trace-export" data-testid="trace-export-by-time">
      <summary>Export traces by time (OTLP/JSON)</summary>
      <form className="field-row" onSubmit={(event) => { void run(event); }} aria-label="Export traces by time" noValidate>
        {field('since', 'Started from', true)}
        {field('until', 'Started before (empty: now)', false)}
        <div className="field trace-filter-buttons">
          <button type="submit" className="primary" disabled={busy}>{busy ? 'Exporting…' : 'Export traces'}</button>
        </div>
      </form>
      <p className="hint">Every trace that started in this window, however many — the other filters do not apply. Content is included only if your role may read it. The export is audited.</p>
      <p className="announcement" role="status" data-testid="trace-export-progress">{progress}</p>
      {error && <ApiErrorView error={error} />}
    </details>
  );
}
