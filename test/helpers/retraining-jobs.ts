/**
 * Retraining wired to training jobs on one registry, as a server wires them, for tests of
 * retraining without a server; and the wait for a job's end that every job test needs.
 */
import { Retraining } from '../../dist/app/retraining/retraining.js';
import { type TrainingJob, TrainingJobs } from '../../dist/app/training-jobs.js';
import { buildConfig } from '../../dist/core/config.js';
import type { LabelledRowSource } from '../../dist/monitor/index.js';
import type { Registry } from '../../dist/registry/index.js';
import { RetrainPolicyStore } from '../../dist/store/index.js';

/** Resolves with the job once it has succeeded or failed. */
export async function finished(jobs: TrainingJobs, id: string): Promise<TrainingJob> {
  let done: (job: TrainingJob) => void = () => undefined;
  const job = new Promise<TrainingJob>((resolve) => (done = resolve));
  const unsubscribe = await jobs.subscribe(id, (j) => (j.state === 'succeeded' || j.state === 'failed') && done(j));
  try {
    return await job;
  } finally {
    unsubscribe();
  }
}

/** Retraining on `registry`, reading `labelled` at `now()`, its jobs run in `workDir` with the default training settings. */
export function retrainingJobs(options: { registry: Registry; labelled: LabelledRowSource; now: () => number; workDir: string }): { retraining: Retraining; jobs: TrainingJobs } {
  const { registry } = options;
  const retraining = new Retraining({ registry, labelled: options.labelled, policies: new RetrainPolicyStore(registry.store.db), now: options.now });
  const jobs = new TrainingJobs({ config: buildConfig({}).training, db: registry.store.db, blobs: registry.blobs, workDir: options.workDir, retraining });
  retraining.attach(jobs);
  return { retraining, jobs };
}
