/**
 * Performance from feedback: the rows of joined feedback turned into truth and predictions, and
 * the metrics per step and over the whole range, beside the metrics measured at training.
 *
 * Predictions are read from the logged outputs: `label` and `probability_<label>` (or `value`)
 * from named-feature predictions, or the columns of the pipeline's output tensor
 * (`probabilities[j]` is the probability of label j) from OIP requests.
 */
import { type PerformanceMetric } from '../core/alert-rule.js';
import { type PipelineSpec } from '../core/pipeline-spec.js';
import { type JoinedFeedback } from './feedback.js';
import { type ClassificationPerformance, classificationPerformance, type RegressionPerformance, regressionPerformance } from './performance-metrics.js';

/** What a model predicts. */
export type PerformanceTask = 'classification' | 'regression';

/** Metrics that are better when higher (the others, rmse and mae, are better when lower). */
export const HIGHER_IS_BETTER: ReadonlySet<PerformanceMetric> = new Set(['accuracy', 'f1', 'rocAuc', 'r2']);

/** The task of a model: from its pipeline, else from what its logged outputs look like. */
export function performanceTask(pipeline: PipelineSpec | undefined, items: readonly JoinedFeedback[]): PerformanceTask | null {
  if (pipeline !== undefined) return pipeline.output.task;
  for (const item of items) {
    const names = Object.keys(item.outputs);
    if (names.includes('label') || names.some((n) => n.startsWith('probability_'))) return 'classification';
    if (names.includes('value')) return 'regression';
  }
  return null;
}

/** The metrics of feedback items. */
export function performanceOf(items: readonly JoinedFeedback[], task: PerformanceTask, pipeline: PipelineSpec | undefined): ClassificationPerformance | RegressionPerformance {
  return task === 'classification' ? classificationOf(items, pipeline) : regressionOf(items, pipeline);
}

/** Training metrics under the names live metrics use (`macroF1` is `f1`). */
export function trainingMetrics(metrics: Readonly<Record<string, number>>, task: PerformanceTask | null): Partial<Record<PerformanceMetric, number>> {
  const names: readonly PerformanceMetric[] = task === 'regression' ? ['rmse', 'mae', 'r2'] : task === 'classification' ? ['accuracy', 'f1', 'rocAuc'] : ['accuracy', 'f1', 'rocAuc', 'rmse', 'mae', 'r2'];
  const out: Partial<Record<PerformanceMetric, number>> = {};
  for (const name of names) {
    const value = metrics[name] ?? (name === 'f1' ? (metrics.macroF1 ?? metrics.f1Macro) : undefined);
    if (typeof value === 'number' && Number.isFinite(value)) out[name] = value;
  }
  return out;
}

function classificationOf(items: readonly JoinedFeedback[], pipeline: PipelineSpec | undefined): ClassificationPerformance {
  const labels = labelsOf(items, pipeline);
  const tensor = pipeline?.output.tensor;
  const truth: string[] = [];
  const predicted: string[] = [];
  const scores: Record<string, number[]> = Object.fromEntries(labels.map((l) => [l, []]));
  let haveScores = labels.length > 0;
  for (const item of items) {
    const columns = labels.map((label, j) => item.outputs[`probability_${label}`] ?? (tensor !== undefined ? item.outputs[`${tensor}[${j}]`] : undefined));
    if (columns.some((c) => c === undefined)) haveScores = false;
    const given = item.outputs.label;
    for (let r = 0; r < item.rows; r++) {
      const actual = Array.isArray(item.actual) ? item.actual[r] : item.actual;
      truth.push(asLabel(actual, labels));
      const rowScores = columns.map((c) => Number(c?.[r]));
      labels.forEach((label, j) => scores[label]!.push(rowScores[j]!));
      if (given !== undefined) predicted.push(asLabel(given[r], labels));
      else predicted.push(labels[argmax(rowScores)] ?? '');
    }
  }
  return classificationPerformance(truth, predicted, labels, haveScores ? scores : undefined);
}

function regressionOf(items: readonly JoinedFeedback[], pipeline: PipelineSpec | undefined): RegressionPerformance {
  const tensor = pipeline?.output.tensor;
  const truth: number[] = [];
  const predicted: number[] = [];
  for (const item of items) {
    const names = Object.keys(item.outputs);
    const column =
      item.outputs.value ??
      (tensor !== undefined ? (item.outputs[`${tensor}[0]`] ?? item.outputs[tensor]) : undefined) ??
      (names.length === 1 ? item.outputs[names[0]!] : undefined);
    for (let r = 0; r < item.rows; r++) {
      const actual = Array.isArray(item.actual) ? item.actual[r] : item.actual;
      truth.push(Number(actual));
      predicted.push(Number(column?.[r]));
    }
  }
  return regressionPerformance(truth, predicted);
}

/** Class labels in the model's order: the pipeline's, else the probability columns', else those seen. */
function labelsOf(items: readonly JoinedFeedback[], pipeline: PipelineSpec | undefined): string[] {
  if (pipeline?.output.task === 'classification') return [...pipeline.output.labels];
  for (const item of items) {
    const labels = Object.keys(item.outputs).filter((n) => n.startsWith('probability_')).map((n) => n.slice('probability_'.length));
    if (labels.length > 0) return labels;
  }
  const seen = new Set<string>();
  for (const item of items) {
    for (const value of item.outputs.label ?? []) seen.add(String(value));
    for (const value of Array.isArray(item.actual) ? item.actual : [item.actual]) seen.add(String(value));
  }
  return [...seen].sort();
}

/** A true or predicted value as a label: booleans match labels '1'/'0' when the model's labels are those. */
function asLabel(value: unknown, labels: readonly string[]): string {
  if (typeof value === 'boolean' && !labels.includes(String(value))) return value ? '1' : '0';
  return String(value);
}

function argmax(values: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && (best < 0 || values[i]! > values[best]!)) best = i;
  return best;
}
