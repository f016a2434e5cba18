import { useId } from 'react';
import type { DataClassification, ModelView } from '../../../../core/contracts/index.ts';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';

/** A model's line in the picker: what it is, whether it is the default, a test model, or not cleared for the data. */
export function modelOptionLabel(model: ModelView, classification: DataClassification | undefined): string {
  const parts = [`${model.name} (${model.id})`];
  if (model.isDefault) parts.push('default');
  if (model.testModel) parts.push('test model, meaningless text');
  if (classification && !model.classifications.includes(classification)) parts.push(`not cleared for ${classification} data`);
  return parts.join(' — ');
}

/**
 * The model a run uses: the account's default unless the person picks one of the models
 * available to the account (an installation administrator's list also holds other accounts'
 * models, which are left out). Models not cleared for the workflow's classification are listed
 * but cannot be chosen; the run would be refused.
 */
export function ModelChoice({ classification, value, onChange, label = 'Model' }: { classification: DataClassification | undefined; value: string; onChange: (modelId: string) => void; label?: string }) {
  const id = useId();
  const { account } = useAuth();
  const { state } = useApiQuery('models.list', {});
  const models = state.status === 'ok' ? state.value.filter((model) => model.allAccounts || model.accounts.some((a) => a.id === account.id)) : [];
  const fallback = models.find((model) => model.isDefault);
  const chosen = models.find((model) => model.id === value) ?? (value === '' ? fallback : undefined);
  let hint = `Only models cleared for ${classification ?? 'this workflow’s'} data can run it.`;
  if (state.status === 'error') hint = `The model list could not be loaded (${state.error.code}); the account’s default model will be used.`;
  else if (state.status === 'ok' && models.length === 0) hint = 'No model is available to this account: ask an administrator to add one on the Models page.';
  return (
    <div className="field">
      <label htmlFor={`${id}-model`}>{label}</label>
      <select id={`${id}-model`} value={value} onChange={(event) => onChange(event.target.value)} aria-describedby={`${id}-model-hint${chosen?.testModel ? ` ${id}-test-model` : ''}`} data-testid="run-model">
        <option value="">The account’s default model{fallback ? ` — ${fallback.name} (${fallback.id})` : ''}</option>
        {models.map((model) => (
          <option key={model.id} value={model.id} disabled={classification !== undefined && !model.classifications.includes(classification)}>
            {modelOptionLabel(model, classification)}
          </option>
        ))}
      </select>
      <p className="hint" id={`${id}-model-hint`}>{hint}</p>
      {chosen?.testModel && <p className="warning-panel" id={`${id}-test-model`} data-testid="run-test-model">{chosen.name} is a test model: its text is meaningless. Use it to try the workflow, never for a real case.</p>}
    </div>
  );
}
