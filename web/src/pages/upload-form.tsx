import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { berthApi } from '../api/berth-api.js';
import { keys } from '../api/queries.js';
import { type CsvPreview, PREVIEW_BYTES, modelNameOf, parseCsvPreview } from '../lib/csv-preview.js';
import { navigate } from '../router/use-hash-route.js';
import { FormError } from '../components/form-error.js';

/**
 * Step one of the no-code path: pick a CSV, see its first rows, choose the target column and
 * start training. The job's page (`#/train/{id}`) follows it from there.
 */
export function UploadForm() {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [target, setTarget] = useState('');
  const [task, setTask] = useState('auto');
  const [algorithm, setAlgorithm] = useState('auto');
  const [validation, setValidation] = useState('holdout');
  const [classWeight, setClassWeight] = useState('none');
  const [strict, setStrict] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const client = useQueryClient();
  const upload = useMutation({
    mutationFn: (form: FormData) => berthApi.startTraining(form),
    onSuccess: async (job) => {
      await client.invalidateQueries({ queryKey: keys.training() });
      navigate(`#/train/${encodeURIComponent(job.id)}`);
    },
  });
  const busy = upload.isPending || upload.isSuccess;

  const choose = async (chosen: File | undefined): Promise<void> => {
    setProblem(null);
    setFile(chosen ?? null);
    setPreview(null);
    if (!chosen) return;
    const parsed = parseCsvPreview(await chosen.slice(0, PREVIEW_BYTES).text());
    if (parsed.header.length < 2) {
      setProblem(`${chosen.name} does not look like a CSV file with a header row and at least two columns.`);
      return;
    }
    setPreview(parsed);
    setTarget(parsed.header[parsed.header.length - 1]!);
  };

  const start = (): void => {
    if (!file || !target) return;
    setProblem(null);
    const form = new FormData();
    // Fields before the file: a streaming multipart parser sees them first.
    form.append('target', target);
    if (task !== 'auto') form.append('task', task);
    if (algorithm !== 'auto') form.append('algorithm', algorithm);
    if (validation !== 'holdout') form.append('folds', validation);
    if (classWeight !== 'none' && task !== 'regression') form.append('classWeight', classWeight);
    if (strict) form.append('strict', 'true');
    form.append('name', modelNameOf(file.name));
    form.append('file', file, file.name);
    upload.mutate(form);
  };

  return (
    <form
      className="panel"
      aria-labelledby="upload-title"
      onSubmit={(event) => {
        event.preventDefault();
        start();
      }}
    >
      <h2 id="upload-title">1. Data</h2>
      <p className="muted">
        Berth reads the columns, infers their types, holds out a fifth of the rows for validation, trains a linear model and gradient-boosted
        trees, and keeps the better one. Training runs on the server; it keeps serving meanwhile.
      </p>
      <label className="field file-field">
        <span>CSV file with a header row</span>
        <input type="file" accept=".csv,text/csv" onChange={(e) => void choose(e.target.files?.[0])} required />
      </label>
      {preview ? (
        <>
          <div className="table-scroll preview">
            <table className="table">
              <caption>
                First rows of <b>{file?.name}</b> ({preview.header.length} columns)
              </caption>
              <thead>
                <tr>
                  {preview.header.map((h) => (
                    <th key={h} scope="col" className={h === target ? 'target-column' : undefined}>
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row, i) => (
                  <tr key={i}>
                    {preview.header.map((h, j) => (
                      <td key={h} className={h === target ? 'target-column' : undefined}>
                        {row[j] ?? ''}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="field-grid">
            <label className="field">
              <span>Target: the column to predict</span>
              <select value={target} onChange={(e) => setTarget(e.target.value)} required>
                {preview.header.map((h) => (
                  <option key={h} value={h}>
                    {h}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Task</span>
              <select value={task} onChange={(e) => setTask(e.target.value)}>
                <option value="auto">Decide from the target</option>
                <option value="classification">Classification</option>
                <option value="regression">Regression</option>
              </select>
            </label>
            <label className="field">
              <span>Algorithm</span>
              <select value={algorithm} onChange={(e) => setAlgorithm(e.target.value)}>
                <option value="auto">Best on validation</option>
                <option value="linear">Linear</option>
                <option value="gbdt">Gradient-boosted trees</option>
              </select>
            </label>
            <label className="field">
              <span>Validation</span>
              <select value={validation} onChange={(e) => setValidation(e.target.value)}>
                <option value="holdout">Hold out a fifth of the rows</option>
                <option value="5">5-fold cross-validation (small data)</option>
                <option value="10">10-fold cross-validation (small data)</option>
              </select>
            </label>
            <label className="field">
              <span>Class weights</span>
              <select value={classWeight} onChange={(e) => setClassWeight(e.target.value)} disabled={task === 'regression'}>
                <option value="none">Every row counts alike</option>
                <option value="balanced">Balanced: rare classes count as much</option>
              </select>
            </label>
            <label className="field field-check">
              <input type="checkbox" checked={strict} onChange={(e) => setStrict(e.target.checked)} />
              <span>Strict schema: refuse values training never saw</span>
            </label>
          </div>
        </>
      ) : null}
      <FormError message={problem ?? upload.error?.message ?? null} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={!preview || busy}>
          {busy ? 'Uploading…' : 'Train'}
        </button>
      </div>
    </form>
  );
}
