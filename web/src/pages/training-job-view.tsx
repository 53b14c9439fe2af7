import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { TrainingJob } from '../api/api-types.js';
import { berthApi } from '../api/berth-api.js';
import { afterModelChange, keys } from '../api/queries.js';
import { ConfusionMatrix, isConfusionMatrix } from '../components/confusion-matrix.js';
import { ErrorState } from '../components/error-state.js';
import { LoadingState } from '../components/loading-state.js';
import { MetricsList } from '../components/metrics-list.js';
import { StatusBadge } from '../components/status-badge.js';
import { isFinished, useTrainingJob } from '../hooks/use-training-job.js';
import { modelNameOf } from '../lib/csv-preview.js';
import { formatNumber, metricLabel } from '../lib/format.js';
import { href, navigate } from '../router/use-hash-route.js';
import { FormError } from '../components/form-error.js';
import { DataStepDone } from './data-step-done.js';
import { RetrainOutcome } from './retrain-outcome.js';

const STATE_LEVEL = { queued: 'none', running: 'warn', succeeded: 'ok', failed: 'bad' } as const;

/** Steps two and three of the no-code path: training with live progress, then register and deploy. */
export function TrainingJobView({ id }: { readonly id: string }) {
  const { job, error, refresh } = useTrainingJob(id);
  if (!job) return error ? <ErrorState error={error} title="Could not follow the training run" onRetry={refresh} /> : <LoadingState label="Loading the training run…" />;
  return (
    <>
      <DataStepDone job={job} />
      <section className="panel" aria-labelledby="progress-title">
        <div className="panel-head">
          <h2 id="progress-title">2. Training</h2>
          <StatusBadge level={STATE_LEVEL[job.state]} label={job.state} />
        </div>
        <p className="muted">
          {job.file} · target <code>{job.target}</code>
        </p>
        {!isFinished(job) ? <Progress job={job} /> : null}
        {error ? <ErrorState error={error} title="Lost track of the training run" onRetry={refresh} /> : null}
        {job.state === 'failed' ? (
          <div className="state state-error" role="alert">
            <p className="state-title">Training failed</p>
            <p className="state-body">{job.error?.error ?? 'The server gave no reason.'}</p>
            {job.error?.code ? <p className="state-code">{job.error.code}</p> : null}
            <a className="button" href="#/train">
              Start again
            </a>
          </div>
        ) : null}
        {job.state === 'succeeded' && job.result ? <TrainingResult result={job.result} folds={job.options.folds} /> : null}
      </section>
      {job.state === 'succeeded' ? job.retrain ? <RetrainOutcome job={job} /> : <RegisterForm job={job} /> : null}
    </>
  );
}

function Progress({ job }: { readonly job: TrainingJob }) {
  const fraction = job.progress?.fraction ?? 0;
  return (
    <div className="progress" aria-live="polite">
      <progress max={1} value={job.state === 'queued' ? undefined : fraction} aria-label="Training progress">
        {Math.round(fraction * 100)}%
      </progress>
      <p>
        <b>{job.state === 'queued' ? 'Waiting to start' : `${Math.round(fraction * 100)}%`}</b> {job.progress?.stage ? `· ${job.progress.stage}` : ''}{' '}
        <span className="muted">{job.progress?.message}</span>
      </p>
    </div>
  );
}

function TrainingResult({ result, folds }: { readonly result: NonNullable<TrainingJob['result']>; readonly folds?: number | undefined }) {
  const confusion = result.metrics.confusionMatrix;
  const judged = folds !== undefined ? `every row, predicted out of fold (${folds}-fold cross-validation)` : 'the validation rows';
  return (
    <div className="training-result">
      <p>
        A <b>{result.task}</b> model by <b>{(result.method ?? result.algorithm).replace(/-/g, ' ')}</b>
        {result.rows !== undefined ? ` from ${formatNumber(result.rows)} rows` : ''}
        {result.schema ? `, ${result.schema.features.length} features` : ''}. Metrics on {judged}:
      </p>
      <MetricsList metrics={result.metrics} omit={['rows']} />
      {result.candidates && result.candidates.length > 1 ? (
        <div className="table-scroll">
          <table className="table">
            <caption>Every algorithm tried, on {folds !== undefined ? 'the same folds' : 'the same validation rows'}</caption>
            <thead>
              <tr>
                <th scope="col">Algorithm</th>
                {Object.keys(result.candidates[0]!.metrics)
                  .filter((k) => typeof result.candidates![0]!.metrics[k] === 'number' && k !== 'rows')
                  .map((k) => (
                    <th key={k} scope="col" className="num">
                      {metricLabel(k)}
                    </th>
                  ))}
              </tr>
            </thead>
            <tbody>
              {result.candidates.map((c) => (
                <tr key={c.algorithm} className={c.algorithm === result.algorithm ? 'selected' : undefined}>
                  <th scope="row">
                    {c.method ?? c.algorithm}
                    {c.algorithm === result.algorithm ? <span className="chip chip-production">chosen</span> : null}
                  </th>
                  {Object.entries(c.metrics)
                    .filter(([k, v]) => typeof v === 'number' && k !== 'rows')
                    .map(([k, v]) => (
                      <td key={k} className="num">
                        {formatNumber(v as number)}
                      </td>
                    ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {isConfusionMatrix(confusion) ? <ConfusionMatrix matrix={confusion} rows={folds !== undefined ? 'every row, out of fold' : 'the validation rows'} /> : null}
    </div>
  );
}

function RegisterForm({ job }: { readonly job: TrainingJob }) {
  const [name, setName] = useState(job.registered?.model ?? job.name ?? modelNameOf(job.file));
  const [alias, setAlias] = useState('production');
  const client = useQueryClient();
  const register = useMutation({
    mutationFn: (body: { name: string; alias?: string }) => berthApi.registerTraining(job.id, body),
    onSuccess: async (registered) => {
      await Promise.all([afterModelChange(client, registered.version.model), client.invalidateQueries({ queryKey: keys.training() })]);
      navigate(href('models', registered.version.model));
    },
  });
  const busy = register.isPending || register.isSuccess;
  if (job.registered) {
    return (
      <section className="panel" aria-labelledby="register-title">
        <h2 id="register-title">3. Deploy</h2>
        <p>
          Registered as <a href={href('models', job.registered.model)}>{job.registered.model}</a> version {job.registered.version}.
        </p>
      </section>
    );
  }
  return (
    <form
      className="panel"
      aria-labelledby="register-title"
      onSubmit={(event) => {
        event.preventDefault();
        register.mutate({ name: name.trim(), ...(alias.trim() ? { alias: alias.trim() } : {}) });
      }}
    >
      <h2 id="register-title">3. Deploy</h2>
      <p className="muted">Register the model as a new version; with an alias such as production, the server starts serving it.</p>
      <div className="field-grid">
        <label className="field">
          <span>Model name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required pattern="[A-Za-z0-9_][A-Za-z0-9._\-]*" maxLength={128} />
        </label>
        <label className="field">
          <span>Alias (empty: register only)</span>
          <input value={alias} onChange={(e) => setAlias(e.target.value)} list="deploy-aliases" pattern="[A-Za-z0-9_][A-Za-z0-9._\-]*" />
          <datalist id="deploy-aliases">
            <option value="production" />
            <option value="staging" />
          </datalist>
        </label>
      </div>
      <FormError message={register.error?.message ?? null} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Registering…' : alias.trim() ? `Register and set ${alias.trim()}` : 'Register'}
        </button>
      </div>
    </form>
  );
}
