/**
 * K-fold cross-validation of one trainer: on each fold the trainer fits on the other folds and
 * picks its hyperparameters on this one, exactly as a held-out split does; every row is predicted
 * once by a model that never saw it, and the metrics are computed on those out-of-fold predictions
 * pooled, which on small data is steadier than any single split. The hyperparameters the folds
 * agree on (the median penalty, the mean number of boosting iterations) are what the final model
 * is refitted on every row with.
 */
import type { Algorithm, CandidateReport } from './candidate-report.js';
import { type CandidateFit, type CandidateInput, type CandidateSettings, type EncodedRows, fitCandidate, outputMetrics } from './fit-candidates.js';
import { outputWidth, predictOutputs } from './fitted-model.js';
import type { TargetColumn } from './infer-schema.js';
import type { Metrics } from './metrics.js';
import type { RowSplit } from './split-rows.js';

/** A cross-validated trainer: its report (pooled out-of-fold metrics, agreed hyperparameters, per-fold metrics). */
export interface CrossValidatedCandidate extends CandidateFit {
  readonly report: CandidateReport & { readonly foldMetrics: readonly Metrics[] };
}

/** What cross-validation needs from training: encoders fitted on a fold's training rows. */
export interface FoldInputs {
  readonly target: TargetColumn;
  readonly splits: readonly RowSplit[];
  /** Rows every fold covers once, ascending (the metrics are over them). */
  readonly rows: Uint32Array;
  /** Encodes rows with a pipeline fitted on `trainRows`: its width and the encoded rows. */
  readonly encoderFor: (trainRows: Uint32Array) => { readonly width: number; readonly encode: (rows: Uint32Array) => EncodedRows };
  readonly weights?: Float64Array | undefined;
}

/** Cross-validates `algorithm`; `onStep(completed, total)` counts folds. */
export function crossValidate(algorithm: Algorithm, inputs: FoldInputs, settings: CandidateSettings, onStep: (completed: number, total: number) => void): CrossValidatedCandidate {
  const { target, splits, rows } = inputs;
  const position = new Map<number, number>();
  rows.forEach((row, i) => position.set(row, i));
  let pooled: Float64Array | undefined;
  const fits: CandidateFit[] = [];
  const foldMetrics: Metrics[] = [];
  for (const [f, split] of splits.entries()) {
    const encoder = inputs.encoderFor(split.train);
    const input: CandidateInput = { target, k: encoder.width, train: encoder.encode(split.train), validation: encoder.encode(split.validation), weights: inputs.weights };
    const fit = fitCandidate(algorithm, input, settings, () => {});
    const width = outputWidth(fit.model);
    const outputs = predictOutputs(fit.model, input.validation.x, split.validation.length);
    pooled ??= new Float64Array(rows.length * width);
    split.validation.forEach((row, i) => pooled!.set(outputs.subarray(i * width, (i + 1) * width), position.get(row)! * width));
    fits.push(fit);
    foldMetrics.push(fit.report.metrics);
    onStep(f + 1, splits.length);
  }
  const last = fits[fits.length - 1]!;
  return {
    model: last.model,
    report: { ...last.report, parameters: agreedParameters(fits), metrics: outputMetrics(target, rows, pooled!), foldMetrics },
  };
}

/** The hyperparameters the folds agree on: the median penalty, or the mean number of iterations rounded. */
function agreedParameters(fits: readonly CandidateFit[]): CandidateReport['parameters'] {
  const parameters = { ...fits[0]!.report.parameters };
  const values = (name: string) => fits.map((fit) => fit.report.parameters[name] as number).sort((a, b) => a - b);
  for (const name of ['C', 'alpha']) {
    if (typeof parameters[name] === 'number') parameters[name] = values(name)[Math.floor((fits.length - 1) / 2)]!;
  }
  if (typeof parameters.iterations === 'number') parameters.iterations = Math.max(1, Math.round(values('iterations').reduce((a, b) => a + b, 0) / fits.length));
  return parameters;
}
