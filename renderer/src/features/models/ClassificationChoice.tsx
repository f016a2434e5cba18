import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { dataClassifications } from '../../../../core/contracts/index.ts';
import type { DataClassification, ModelView } from '../../../../core/contracts/index.ts';
import { FormError, useApiAction } from '../admin/forms.tsx';

/** The data classifications as checkboxes, in their fixed order (the order the API keeps). */
export function ClassificationChoice({ legend, hint, value, onChange }: { legend: string; hint?: string; value: readonly DataClassification[]; onChange: (next: DataClassification[]) => void }) {
  const hintId = useId();
  const toggle = (changed: DataClassification) => onChange(dataClassifications.filter((classification) => (classification === changed ? !value.includes(classification) : value.includes(classification))));
  return (
    <fieldset className="classifications" aria-describedby={hint ? hintId : undefined}>
      <legend>{legend}</legend>
      {hint && <p className="hint" id={hintId}>{hint}</p>}
      {dataClassifications.map((classification) => (
        <label key={classification}><input type="checkbox" checked={value.includes(classification)} onChange={() => toggle(classification)} /> {classification}</label>
      ))}
    </fieldset>
  );
}

/** Which data a model may serve, changed on its card (models.setClassifications, audited). */
export function ClassificationsEditor({ model, onChanged }: { model: ModelView; onChanged: (message: string) => void }) {
  const save = useApiAction('models.setClassifications');
  const [chosen, setChosen] = useState<DataClassification[]>(model.classifications);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const result = await save.run({ modelId: model.id, classifications: chosen });
    if (result.ok) onChanged(`${model.id} may now serve ${result.value.classifications.join(', ')} data.`);
  }

  return (
    <form className="classifications-form" onSubmit={(event) => { void submit(event); }}>
      <ClassificationChoice legend="Data it may see" hint="A workflow runs on this model only if its data’s classification is ticked here." value={chosen} onChange={setChosen} />
      <button type="submit" disabled={save.pending || chosen.length === 0}>Save data classifications</button>
      {chosen.length === 0 && <p className="hint">Tick at least one.</p>}
      <FormError error={save.error} />
    </form>
  );
}
