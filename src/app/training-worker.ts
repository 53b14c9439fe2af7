/**
 * The worker thread of one training job (see training-jobs.ts): reads the uploaded CSV, trains,
 * profiles and packages the bundle, reporting progress on the way; for a retraining job, trains,
 * evaluates and packages a challenger (retraining/train-challenger.ts). Training is CPU-bound for
 * seconds to minutes; here it cannot hold up the server's event loop.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { BerthError, Errors } from '../core/errors.js';
import type { TrainProgress } from '../train/index.js';
import { trainChallenger } from './retraining/train-challenger.js';
import { trainBundle, trainingSummary } from './train-bundle.js';
import type { TrainingWorkerMessage, TrainingWorkerRequest } from './training-jobs.js';

const request = workerData as TrainingWorkerRequest;
const post = (message: TrainingWorkerMessage): void => parentPort!.postMessage(message);

// Progress comes per boosting iteration; the job needs a fraction of that.
let lastStage = '';
let lastFraction = -1;
let lastAt = 0;
function onProgress(progress: TrainProgress): void {
  const now = Date.now();
  if (progress.stage === lastStage && progress.fraction - lastFraction < 0.01 && now - lastAt < 500) return;
  lastStage = progress.stage;
  lastFraction = progress.fraction;
  lastAt = now;
  post({ type: 'progress', progress: { stage: progress.stage, fraction: progress.fraction, message: progress.message } });
}

try {
  if (request.retrain) {
    const { result, report } = await trainChallenger({ ...request.retrain, outDir: request.outDir, onProgress });
    post({ type: 'succeeded', result: trainingSummary(result), retrain: report });
  } else {
    await train();
  }
} catch (error) {
  const berthError = error instanceof BerthError ? error : Errors.TRAINING_FAILED.create(request.id, error instanceof Error ? error.message : String(error));
  const detail = error instanceof BerthError ? undefined : error instanceof Error ? error.stack : undefined;
  post({ type: 'failed', error: { code: berthError.code, message: berthError.message }, ...(detail ? { detail } : {}) });
}

async function train(): Promise<void> {
  const data = await readFile(request.csv);
  const { summary } = await trainBundle({
    csv: { data, name: request.file },
    target: request.target,
    ...(request.task ? { task: request.task } : {}),
    ...(request.algorithm ? { algorithm: request.algorithm } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.classWeight !== undefined ? { classWeight: request.classWeight } : {}),
    ...(request.strict ? { strict: true } : {}),
    ...(request.folds !== undefined ? { folds: request.folds } : {}),
    name: request.name,
    outDir: request.outDir,
    ...(request.keepData ? { keepData: true } : {}),
    onProgress,
  });
  post({ type: 'succeeded', result: summary });
}
