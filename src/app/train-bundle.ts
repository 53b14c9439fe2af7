/**
 * Training straight into a bundle: trains on a CSV, builds the reference profile from every row
 * used, and packages the ONNX model with its schema, pipeline, metrics, evaluation, lineage and
 * profile. `berth train` runs it in-process; training jobs run it in a worker thread.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureSchema } from '../core/feature-schema.js';
import { type Bundle, type JsonObject, packageModel } from '../registry/index.js';
import {
  type Algorithm,
  type CandidateReport,
  type IgnoredColumn,
  type Metrics,
  type Task,
  type TrainFromCsvOptions,
  type TrainFromCsvResult,
  trainFromCsv,
} from '../train/index.js';
import { trainingProfile } from './reference-profile.js';

/** Options for {@link trainBundle}: what to train on and how, and where the bundle goes. */
export type TrainBundleOptions = TrainFromCsvOptions & {
  /** The bundle folder to create; it must not exist or be empty. */
  readonly outDir: string;
  /** The model name the bundle suggests. */
  readonly name: string;
  readonly description?: string | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
  /** The training CSV (and the validation file, if any) will be kept in the registry's blob store: lineage names their blobs. */
  readonly keepData?: boolean | undefined;
  /** More lineage (a retrained version's parent, trigger and data windows). */
  readonly lineage?: JsonObject | undefined;
};

/** What a training run produced, as plain JSON: the job result of the API, `berth train --json`. */
export interface TrainingSummary {
  readonly target: string;
  readonly task: Task;
  readonly algorithm: Algorithm;
  readonly method: CandidateReport['method'];
  /** The chosen model's metrics on the validation rows. */
  readonly metrics: Metrics;
  /** Every trainer tried, the chosen one included. */
  readonly candidates: readonly CandidateReport[];
  readonly schema: FeatureSchema;
  /** Data rows in the file. */
  readonly rows: number;
  /** Rows left out of training because their target was missing. */
  readonly droppedRows: number;
  readonly ignoredColumns: readonly IgnoredColumn[];
  /** The validation file the metrics come from, when one was given instead of a random split. */
  readonly validationSource?: string;
  /** The number of folds, when the metrics are k-fold cross-validated (out-of-fold predictions of every row). */
  readonly folds?: number;
}

/** The outcome of {@link trainBundle}. */
export interface TrainedBundle {
  readonly bundle: Bundle;
  readonly result: TrainFromCsvResult;
  readonly summary: TrainingSummary;
}

/**
 * Trains and packages. Throws the training errors (BERTH_TRAIN_*), and the packaging ones
 * (BERTH_BUNDLE_OUTPUT_EXISTS, BERTH_REGISTRY_NAME_INVALID) only after training: callers that
 * can check the output and the name first should.
 *
 * @example
 *   const { bundle, summary } = await trainBundle({ csv: { file: 'loans.csv' }, target: 'defaulted', name: 'loans', outDir: 'loans.bundle' });
 */
export async function trainBundle(options: TrainBundleOptions): Promise<TrainedBundle> {
  const { outDir, name, description, tags, keepData, lineage, ...trainOptions } = options;
  const result = await trainFromCsv(trainOptions);
  return packageTrainResult(result, { outDir, name, description, tags, keepData, lineage });
}

/**
 * Packages what training produced: the reference profile from every row used, and the ONNX model
 * with its schema, pipeline, metrics, evaluation and lineage (`lineage` merged over the
 * trainer's). Retraining trains on a table it assembled and packages through here too.
 */
export async function packageTrainResult(
  result: TrainFromCsvResult,
  options: Pick<TrainBundleOptions, 'outDir' | 'name' | 'description' | 'tags' | 'keepData' | 'lineage'>,
): Promise<TrainedBundle> {
  const { outDir, name, description, tags, keepData, lineage } = options;
  const profile = trainingProfile(result);
  const summary = trainingSummary(result);
  // packageModel reads the model from a file; it lives in a scratch folder only until then.
  const scratch = await mkdtemp(join(tmpdir(), 'berth-train-'));
  try {
    const onnxPath = join(scratch, 'model.onnx');
    await writeFile(onnxPath, result.onnx);
    const bundle = await packageModel(onnxPath, {
      outDir,
      name,
      description,
      tags,
      schema: result.schema,
      pipeline: result.pipeline,
      profile: profile as unknown as JsonObject,
      metrics: headlineMetrics(result.metrics),
      evaluation: {
        split: result.lineage.folds !== undefined ? 'cross-validation' : 'validation',
        rows: result.metrics.rows,
        task: result.task,
        algorithm: result.algorithm,
        method: summary.method,
        metrics: result.metrics,
        candidates: result.candidates,
      },
      lineage: {
        ...result.lineage,
        ...(keepData ? { data: { ...result.lineage.data, blob: `sha256:${result.table.sha256}` } } : {}),
        ...(keepData && result.lineage.validationData ? { validationData: { ...result.lineage.validationData, blob: `sha256:${result.lineage.validationData.sha256}` } } : {}),
        ignoredColumns: result.ignoredColumns,
        ...(lineage ?? {}),
      } as unknown as JsonObject,
    });
    return { bundle, result, summary };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The JSON-ready summary of a training result. */
export function trainingSummary(result: TrainFromCsvResult): TrainingSummary {
  return {
    target: result.lineage.target,
    task: result.task,
    algorithm: result.algorithm,
    method: result.lineage.method,
    metrics: result.metrics,
    candidates: result.candidates,
    schema: result.schema,
    rows: result.table.rows.length,
    droppedRows: result.lineage.droppedRows,
    ignoredColumns: result.ignoredColumns,
    ...(result.lineage.validationSource !== undefined ? { validationSource: result.lineage.validationSource } : {}),
    ...(result.lineage.folds !== undefined ? { folds: result.lineage.folds } : {}),
  };
}

/**
 * The scalar figures of the manifest's `metrics`. A figure that is not a number (ROC AUC when the
 * validation rows hold a single class) is left out: JSON has no NaN.
 */
function headlineMetrics(metrics: Metrics): Record<string, number> {
  const figures: Record<string, number> =
    metrics.task === 'classification'
      ? { accuracy: metrics.accuracy, macroF1: metrics.macroF1, rocAuc: metrics.rocAuc, logLoss: metrics.logLoss }
      : { rmse: metrics.rmse, mae: metrics.mae, r2: metrics.r2 };
  figures.validationRows = metrics.rows;
  return Object.fromEntries(Object.entries(figures).filter(([, value]) => Number.isFinite(value)));
}
