import { useState } from 'react';
import type { FeatureSchema, FeatureSpec, Profile } from '../api/api-types.js';
import { type FormValue, exampleRow, recordOf } from '../lib/example-row.js';
import { formatNumber } from '../lib/format.js';

/** Props of {@link SchemaForm}. */
export interface SchemaFormProps {
  readonly schema: FeatureSchema;
  readonly profile: Profile | undefined;
  readonly busy: boolean;
  readonly onSubmit: (record: Record<string, unknown>) => void;
  /** Called instead of onSubmit when the browser refuses the form, with the fields it refused. */
  readonly onInvalid?: (fields: readonly string[]) => void;
}

function FeatureInput({ feature, value, onChange }: { feature: FeatureSpec; value: FormValue; onChange: (v: FormValue) => void }) {
  const id = `feature-${feature.name}`;
  const label = (
    <span>
      {feature.name}
      {feature.required ? null : <span className="muted"> (optional)</span>}
    </span>
  );
  if (feature.type === 'boolean') {
    return (
      <label className="field field-check" htmlFor={id}>
        <input id={id} name={feature.name} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
    );
  }
  if (feature.type === 'category') {
    return (
      <label className="field" htmlFor={id}>
        {label}
        <select id={id} name={feature.name} value={String(value)} onChange={(e) => onChange(e.target.value)} required={feature.required}>
          {feature.required ? null : <option value="">(missing)</option>}
          {(feature.categories ?? []).map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
    );
  }
  const numeric = feature.type === 'number' || feature.type === 'integer';
  const range = numeric && (feature.min !== undefined || feature.max !== undefined) ? `${formatNumber(feature.min ?? null)} … ${formatNumber(feature.max ?? null)}` : null;
  return (
    <label className="field" htmlFor={id}>
      {label}
      <input
        id={id}
        name={feature.name}
        type={numeric ? 'number' : 'text'}
        inputMode={numeric ? 'decimal' : undefined}
        step={feature.type === 'integer' ? 1 : 'any'}
        // The schema's range is shown, not enforced: the server decides (clip, reject or accept) and says why.
        value={String(value)}
        onChange={(e) => onChange(e.target.value)}
        required={feature.required}
        aria-describedby={range ? `${id}-range` : undefined}
      />
      {range ? (
        <span id={`${id}-range`} className="field-hint">
          {range}
        </span>
      ) : null}
    </label>
  );
}

/** A form with one field per feature of the schema, started from a typical training row. */
export function SchemaForm({ schema, profile, busy, onSubmit, onInvalid }: SchemaFormProps) {
  const [values, setValues] = useState<Record<string, FormValue>>(() => exampleRow(schema, profile));
  return (
    <form
      className="feature-form"
      aria-label="Features"
      // The browser fires `invalid` on each refused field before it blocks the submit.
      onInvalidCapture={(event) => {
        const form = event.currentTarget;
        const refused = Array.from(form.elements).flatMap((e) => (e instanceof HTMLInputElement || e instanceof HTMLSelectElement) && !e.validity.valid ? [e.name] : []);
        onInvalid?.(refused);
      }}
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit(recordOf(schema, values));
      }}
    >
      <div className="field-grid">
        {schema.features.map((f) => (
          <FeatureInput key={f.name} feature={f} value={values[f.name] ?? ''} onChange={(v) => setValues((old) => ({ ...old, [f.name]: v }))} />
        ))}
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Predicting…' : 'Predict'}
        </button>
        <button type="button" className="button button-quiet" onClick={() => setValues(exampleRow(schema, profile))} disabled={busy}>
          Reset to a typical row
        </button>
      </div>
    </form>
  );
}
