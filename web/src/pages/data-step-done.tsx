import type { TrainingJob } from '../api/api-types.js';
import { StatusBadge } from '../components/status-badge.js';

/**
 * Step one of the no-code path once a run has started: what was uploaded and what is learned, so
 * the steps still read 1, 2, 3. Starting again is a new run (the page's "New training run").
 */
export function DataStepDone({ job }: { readonly job: TrainingJob }) {
  const ignored = job.result?.ignoredColumns.length ?? 0;
  return (
    <section className="panel panel-done" aria-labelledby="data-done-title">
      <div className="panel-head">
        <h2 id="data-done-title">1. Data</h2>
        <StatusBadge level="ok" label="done" />
      </div>
      <p className="muted">
        <b>{job.file}</b> · predicting <code>{job.target}</code> · {job.options.task === 'auto' ? 'task chosen from the target' : job.options.task}
        {job.options.folds !== undefined ? ` · ${job.options.folds}-fold cross-validation` : ''}
        {job.options.classWeight === 'balanced' ? ' · balanced class weights' : ''}
        {job.options.strict ? ' · strict schema' : ''}
        {ignored ? ` · ${ignored} column${ignored === 1 ? '' : 's'} left out (see below)` : ''}
      </p>
    </section>
  );
}
