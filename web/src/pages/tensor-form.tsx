import { useState } from 'react';
import type { OipTensor, TensorSpec } from '../api/api-types.js';
import { type TensorDraft, tensorDraft, tensorOf } from '../lib/tensor-input.js';
import { FormError } from '../components/form-error.js';

/** Props of {@link TensorForm}. */
export interface TensorFormProps {
  readonly inputs: readonly TensorSpec[];
  readonly busy: boolean;
  readonly onSubmit: (inputs: OipTensor[]) => void;
}

/** For models without a schema: a shape and a JSON data field per tensor input. */
export function TensorForm({ inputs, busy, onSubmit }: TensorFormProps) {
  const [drafts, setDrafts] = useState<TensorDraft[]>(() => inputs.map(tensorDraft));
  const [problem, setProblem] = useState<string | null>(null);
  const update = (i: number, change: Partial<TensorDraft>): void => setDrafts((old) => old.map((d, j) => (j === i ? { ...d, ...change } : d)));
  return (
    <form
      className="feature-form"
      aria-label="Tensor inputs"
      onSubmit={(event) => {
        event.preventDefault();
        try {
          const tensors = drafts.map(tensorOf);
          setProblem(null);
          onSubmit(tensors);
        } catch (error) {
          setProblem((error as Error).message);
        }
      }}
    >
      {drafts.map((d, i) => (
        <fieldset key={d.name} className="tensor-input">
          <legend>
            <code>{d.name}</code> <span className="muted">{d.datatype}</span>
          </legend>
          <label className="field">
            <span>Shape</span>
            <input value={d.shape} onChange={(e) => update(i, { shape: e.target.value })} required />
          </label>
          <label className="field">
            <span>Data (JSON list, row-major)</span>
            <textarea rows={3} value={d.data} onChange={(e) => update(i, { data: e.target.value })} spellCheck={false} required />
          </label>
        </fieldset>
      ))}
      <FormError message={problem} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Running…' : 'Infer'}
        </button>
      </div>
    </form>
  );
}
