/**
 * Quality of predictions against ground truth, defined as scikit-learn defines them and as
 * Berth's trainer reports them (src/train/metrics.ts), so live figures and the training figures in
 * a manifest compare directly. Restated here because the monitor may not import the train layer;
 * test/monitor/performance.test.ts checks both give the same numbers.
 *
 * Metrics that cannot be computed (ROC AUC with one class present, R² of a constant truth) are
 * null, never NaN: JSON has no NaN.
 */

/** Live classification quality. */
export interface ClassificationPerformance {
  readonly rows: number;
  readonly accuracy: number | null;
  /** Unweighted mean of per-class F1 over the classes present in truth or prediction. */
  readonly f1: number | null;
  /** Binary: ROC AUC of the positive (second) label; multiclass: one-vs-rest, macro-averaged. */
  readonly rocAuc: number | null;
}

/** Live regression quality. */
export interface RegressionPerformance {
  readonly rows: number;
  readonly rmse: number | null;
  readonly mae: number | null;
  readonly r2: number | null;
}

/**
 * Classification metrics. `scores[label][row]` are the predicted probabilities, when known (ROC
 * AUC needs them); `labels` lists the classes in the model's order (the positive class second).
 */
export function classificationPerformance(
  truth: readonly string[],
  predicted: readonly string[],
  labels: readonly string[],
  scores?: Readonly<Record<string, readonly number[]>>,
): ClassificationPerformance {
  const n = truth.length;
  if (n === 0) return { rows: 0, accuracy: null, f1: null, rocAuc: null };
  let correct = 0;
  const truePositives = new Map<string, number>();
  const actualCounts = new Map<string, number>();
  const predictedCounts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    actualCounts.set(t, (actualCounts.get(t) ?? 0) + 1);
    predictedCounts.set(p, (predictedCounts.get(p) ?? 0) + 1);
    if (t === p) {
      correct++;
      truePositives.set(t, (truePositives.get(t) ?? 0) + 1);
    }
  }
  let f1Sum = 0;
  let f1Classes = 0;
  for (const label of new Set([...actualCounts.keys(), ...predictedCounts.keys()])) {
    const denominator = (actualCounts.get(label) ?? 0) + (predictedCounts.get(label) ?? 0);
    f1Sum += denominator === 0 ? 0 : (2 * (truePositives.get(label) ?? 0)) / denominator;
    f1Classes++;
  }
  return { rows: n, accuracy: correct / n, f1: f1Classes > 0 ? f1Sum / f1Classes : null, rocAuc: rocAuc(truth, labels, scores) };
}

function rocAuc(truth: readonly string[], labels: readonly string[], scores: Readonly<Record<string, readonly number[]>> | undefined): number | null {
  if (scores === undefined || labels.length < 2) return null;
  if (labels.length === 2) {
    const positive = labels[1]!;
    const s = scores[positive];
    return s === undefined ? null : binaryAuc(truth, s, positive);
  }
  let sum = 0;
  let classes = 0;
  for (const label of labels) {
    const s = scores[label];
    if (s === undefined) continue;
    const auc = binaryAuc(truth, s, label);
    if (auc === null) continue;
    sum += auc;
    classes++;
  }
  return classes > 0 ? sum / classes : null;
}

/** ROC AUC of one class against the rest (Mann-Whitney, ties share their average rank); null with one side absent. */
export function binaryAuc(truth: readonly string[], scores: readonly number[], positive: string): number | null {
  const rows: number[] = [];
  for (let i = 0; i < truth.length; i++) if (Number.isFinite(scores[i])) rows.push(i);
  rows.sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < rows.length; ) {
    let j = i;
    while (j + 1 < rows.length && scores[rows[j + 1]!] === scores[rows[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) {
      if (truth[rows[m]!] === positive) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = rows.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Regression metrics of finite pairs (others are left out). */
export function regressionPerformance(truth: readonly number[], predicted: readonly number[]): RegressionPerformance {
  const t: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < truth.length; i++) {
    if (Number.isFinite(truth[i]) && Number.isFinite(predicted[i])) {
      t.push(truth[i]!);
      p.push(predicted[i]!);
    }
  }
  const n = t.length;
  if (n === 0) return { rows: 0, rmse: null, mae: null, r2: null };
  const mean = t.reduce((a, b) => a + b, 0) / n;
  let squares = 0;
  let absolute = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = t[i]! - p[i]!;
    squares += e * e;
    absolute += Math.abs(e);
    total += (t[i]! - mean) ** 2;
  }
  return { rows: n, rmse: Math.sqrt(squares / n), mae: absolute / n, r2: total > 0 ? 1 - squares / total : squares === 0 ? 1 : null };
}
