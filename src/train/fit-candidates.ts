/**
 * Fitting the candidate models of a training run on encoded rows: each trainer picks its own
 * hyperparameters on the validation rows (the linear penalty; the GBDT's number of iterations by
 * early stopping), then the chosen configuration can be refitted on every row.
 */
import type { Algorithm, CandidateReport } from './candidate-report.js';
import type { FittedModel, LinearModel } from './fitted-model.js';
import { predictOutputs } from './fitted-model.js';
import { DEFAULT_GBDT_PARAMETERS, type GbdtParameters, fitGbdt } from './gbdt.js';
import type { TargetColumn } from './infer-schema.js';
import { fitLogistic } from './logistic-regression.js';
import { type Metrics, classificationMetrics, regressionMetrics } from './metrics.js';
import { fitRidgePath } from './ridge-regression.js';

/** Encoded rows (`x`, row-major `[rows.length, k]`) and their indices into the target column. */
export interface EncodedRows {
  readonly x: Float32Array;
  readonly rows: Uint32Array;
}

/** What a candidate is fitted on. */
export interface CandidateInput {
  readonly target: TargetColumn;
  readonly k: number;
  readonly train: EncodedRows;
  readonly validation: EncodedRows;
  /** A weight per row of the target column (class weights); absent: every row weighs 1. */
  readonly weights?: Float64Array | undefined;
}

/** Hyperparameter settings a caller may pass. */
export interface CandidateSettings {
  /** Penalties tried by the linear trainer: C for logistic regression, alpha for ridge. */
  readonly linearPenalties?: readonly number[];
  readonly gbdt?: Partial<GbdtParameters>;
}

/** A fitted candidate and its report. */
export interface CandidateFit {
  readonly report: CandidateReport;
  readonly model: FittedModel;
}

/** Called with work done and total within a candidate's fit. */
export type StepCallback = (completed: number, total: number) => void;

const DEFAULT_C = [0.01, 0.1, 1, 10, 100];
const DEFAULT_ALPHA = [0.01, 0.1, 1, 10, 100];

/** Fits one trainer, choosing its hyperparameters on the validation rows. */
export function fitCandidate(algorithm: Algorithm, input: CandidateInput, settings: CandidateSettings, onStep: StepCallback): CandidateFit {
  return algorithm === 'linear' ? fitLinear(input, settings.linearPenalties, onStep) : fitBoosted(input, settings.gbdt, onStep);
}

/**
 * Refits a chosen candidate on `all` rows with its hyperparameters fixed (no validation). A linear
 * model starts from the candidate's solution, which is close to the refitted one.
 */
export function refitCandidate(
  chosen: CandidateFit,
  target: TargetColumn,
  k: number,
  all: EncodedRows,
  settings: CandidateSettings,
  weights?: Float64Array,
): FittedModel {
  const rowWeights = weights ? pickWeights(weights, all.rows) : undefined;
  const { report } = chosen;
  const n = all.rows.length;
  if (report.method === 'ridge-regression') {
    if (target.task !== 'regression') throw new Error('ridge regression needs a regression target');
    return fitRidgePath(all.x, n, k, pick(target.values, all.rows), [report.parameters.alpha as number])[0]!;
  }
  if (report.method === 'logistic-regression') {
    if (target.task !== 'classification') throw new Error('logistic regression needs a classification target');
    const start = chosen.model.kind === 'linear' && chosen.model.inputs === k ? { start: chosen.model } : {};
    return fitLogistic(all.x, n, k, pick(target.classes, all.rows), target.labels.length, {
      c: report.parameters.C as number,
      ...start,
      ...(rowWeights ? { weights: rowWeights } : {}),
    });
  }
  const fit = fitGbdt(
    { x: all.x, n, y: targetValues(target, all.rows), ...(rowWeights ? { weights: rowWeights } : {}) },
    undefined,
    k,
    objectiveOf(target),
    { ...settings.gbdt, maxIterations: report.parameters.iterations as number },
  );
  return fit.model;
}

/** Metrics of a model on encoded rows. */
export function evaluateModel(model: FittedModel, target: TargetColumn, rows: EncodedRows): Metrics {
  return outputMetrics(target, rows.rows, predictOutputs(model, rows.x, rows.rows.length));
}

/** Metrics of a model's outputs (row-major, one row per entry of `rows`) against the target. */
export function outputMetrics(target: TargetColumn, rows: Uint32Array, outputs: Float64Array): Metrics {
  if (target.task === 'classification') return classificationMetrics(pick(target.classes, rows), outputs, target.labels);
  return regressionMetrics(pick(target.values, rows), outputs);
}

/**
 * True when `a` beats `b`: lower log loss for classifiers (a proper score, steadier than accuracy
 * on small validation sets), higher R² for regressors.
 */
export function betterMetrics(a: Metrics, b: Metrics): boolean {
  if (a.task === 'classification' && b.task === 'classification') return a.logLoss < b.logLoss;
  if (a.task === 'regression' && b.task === 'regression') return a.r2 > b.r2;
  return false;
}

/**
 * Logistic regression (classification) or ridge (regression), the penalty chosen on validation by
 * the one-standard-error rule: the most regularised model whose validation loss is within one
 * standard error of the best. Small validation sets cannot tell close penalties apart, and then
 * the simpler model generalises better; large ones make the rule pick the best.
 */
function fitLinear(input: CandidateInput, penalties: readonly number[] | undefined, onStep: StepCallback): CandidateFit {
  const { target, k, train, validation, weights } = input;
  const n = train.rows.length;
  const trainWeights = weights ? pickWeights(weights, train.rows) : undefined;
  // Fits ordered from the most to the least regularised.
  const fits: CandidateFit[] = [];
  if (target.task === 'regression') {
    const alphas = [...(penalties ?? DEFAULT_ALPHA)].sort((a, b) => b - a);
    fitRidgePath(train.x, n, k, pick(target.values, train.rows), alphas).forEach((model, i) => {
      fits.push({ model, report: { algorithm: 'linear', method: 'ridge-regression', parameters: { alpha: alphas[i]! }, metrics: evaluateModel(model, target, validation) } });
      onStep(i + 1, alphas.length);
    });
  } else {
    const cs = [...(penalties ?? DEFAULT_C)].sort((a, b) => a - b);
    const classes = pick(target.classes, train.rows);
    let previous: FittedModel | undefined;
    cs.forEach((c, i) => {
      // Warm start along increasing C: each solution is close to the next one's.
      const model = fitLogistic(train.x, n, k, classes, target.labels.length, {
        c,
        ...(previous ? { start: previous as LinearModel } : {}),
        ...(trainWeights ? { weights: trainWeights } : {}),
      });
      previous = model;
      fits.push({ model, report: { algorithm: 'linear', method: 'logistic-regression', parameters: { C: c }, metrics: evaluateModel(model, target, validation) } });
      onStep(i + 1, cs.length);
    });
  }
  const losses = fits.map((fit) => rowLosses(fit.model, target, validation, weights));
  let best = 0;
  for (let i = 1; i < fits.length; i++) if (mean(losses[i]!) < mean(losses[best]!)) best = i;
  const limit = mean(losses[best]!) + standardError(losses[best]!);
  return fits[losses.findIndex((l) => mean(l) <= limit)]!;
}

/** Per-row validation loss: squared error, or the (weighted) negative log-probability of the true class. */
function rowLosses(model: FittedModel, target: TargetColumn, rows: EncodedRows, weights?: Float64Array): Float64Array {
  const n = rows.rows.length;
  const outputs = predictOutputs(model, rows.x, n);
  const losses = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows.rows[i]!;
    if (target.task === 'regression') losses[i] = (outputs[i]! - target.values[r]!) ** 2;
    else losses[i] = -Math.log(Math.max(outputs[i * target.labels.length + target.classes[r]!]!, 1e-15)) * (weights ? weights[r]! : 1);
  }
  return losses;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function standardError(values: Float64Array): number {
  const m = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - m) ** 2;
  return values.length > 1 ? Math.sqrt(squares / (values.length - 1) / values.length) : 0;
}

/** Gradient-boosted trees with early stopping on the validation rows. */
function fitBoosted(input: CandidateInput, overrides: Partial<GbdtParameters> | undefined, onStep: StepCallback): CandidateFit {
  const { target, k, train, validation, weights } = input;
  const parameters = { ...DEFAULT_GBDT_PARAMETERS, ...overrides };
  const weighted = (rows: Uint32Array) => (weights ? { weights: pickWeights(weights, rows) } : {});
  const fit = fitGbdt(
    { x: train.x, n: train.rows.length, y: targetValues(target, train.rows), ...weighted(train.rows) },
    { x: validation.x, n: validation.rows.length, y: targetValues(target, validation.rows), ...weighted(validation.rows) },
    k,
    objectiveOf(target),
    parameters,
    onStep,
  );
  onStep(parameters.maxIterations, parameters.maxIterations);
  const report: CandidateReport = {
    algorithm: 'gbdt',
    method: 'gbdt',
    parameters: {
      learningRate: parameters.learningRate,
      maxLeafNodes: parameters.maxLeafNodes,
      minSamplesLeaf: parameters.minSamplesLeaf,
      l2Regularization: parameters.l2Regularization,
      maxDepth: parameters.maxDepth ?? null,
      maxBins: parameters.maxBins,
      iterations: fit.iterations,
    },
    metrics: evaluateModel(fit.model, target, validation),
  };
  return { report, model: fit.model };
}

function objectiveOf(target: TargetColumn): { task: 'regression' } | { task: 'classification'; classes: number } {
  return target.task === 'classification' ? { task: 'classification', classes: target.labels.length } : { task: 'regression' };
}

function targetValues(target: TargetColumn, rows: Uint32Array): number[] {
  return target.task === 'classification' ? pick(target.classes, rows) : pick(target.values, rows);
}

function pickWeights(weights: Float64Array, rows: Uint32Array): Float64Array {
  return Float64Array.from(rows, (r) => weights[r]!);
}

function pick(values: ArrayLike<number>, rows: Uint32Array): number[] {
  return Array.from(rows, (r) => values[r]!);
}
