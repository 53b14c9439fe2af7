/**
 * Evaluation metrics, defined as scikit-learn defines them so that Berth's figures and the
 * reference figures mean the same thing.
 */

/** Classification quality on some rows. */
export interface ClassificationMetrics {
  readonly task: 'classification';
  readonly rows: number;
  readonly accuracy: number;
  /** Unweighted mean of per-class F1 over the classes present in truth or prediction. */
  readonly macroF1: number;
  /** Binary: ROC AUC of the positive (second) class; multiclass: one-vs-rest, macro-averaged. */
  readonly rocAuc: number;
  readonly logLoss: number;
  /** `counts[true][predicted]`, rows and columns in `labels` order. */
  readonly confusionMatrix: { readonly labels: readonly string[]; readonly counts: readonly (readonly number[])[] };
}

/** Regression quality on some rows. */
export interface RegressionMetrics {
  readonly task: 'regression';
  readonly rows: number;
  readonly rmse: number;
  readonly mae: number;
  readonly r2: number;
}

/** Either kind of metrics. */
export type Metrics = ClassificationMetrics | RegressionMetrics;

/** The probability floor of log loss, as scikit-learn clips it. */
const EPSILON = 1e-15;

/**
 * Classification metrics from true class indices and probabilities (`probabilities[r * K + c]`).
 * The predicted class is the most probable one (the first on ties).
 */
export function classificationMetrics(truth: ArrayLike<number>, probabilities: ArrayLike<number>, labels: readonly string[]): ClassificationMetrics {
  const n = truth.length;
  const k = labels.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let logLoss = 0;
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[r * k + c]! > probabilities[r * k + best]!) best = c;
    const t = truth[r]!;
    counts[t]![best]!++;
    if (best === t) correct++;
    logLoss -= Math.log(Math.min(Math.max(probabilities[r * k + t]!, EPSILON), 1 - EPSILON));
  }
  let f1Sum = 0;
  let f1Classes = 0;
  for (let c = 0; c < k; c++) {
    let predicted = 0;
    let actual = 0;
    for (let o = 0; o < k; o++) {
      predicted += counts[o]![c]!;
      actual += counts[c]![o]!;
    }
    if (predicted === 0 && actual === 0) continue;
    const tp = counts[c]![c]!;
    f1Sum += predicted + actual === 0 ? 0 : (2 * tp) / (predicted + actual);
    f1Classes++;
  }
  let rocAuc: number;
  if (k === 2) {
    rocAuc = binaryAuc(truth, probabilities, 2, 1);
  } else {
    let sum = 0;
    let classes = 0;
    for (let c = 0; c < k; c++) {
      const auc = binaryAuc(truth, probabilities, k, c);
      if (Number.isNaN(auc)) continue;
      sum += auc;
      classes++;
    }
    rocAuc = classes > 0 ? sum / classes : NaN;
  }
  return {
    task: 'classification',
    rows: n,
    accuracy: n > 0 ? correct / n : NaN,
    macroF1: f1Classes > 0 ? f1Sum / f1Classes : NaN,
    rocAuc,
    logLoss: n > 0 ? logLoss / n : NaN,
    confusionMatrix: { labels: [...labels], counts },
  };
}

/**
 * ROC AUC of class `positive` against the rest, by the Mann–Whitney statistic with tied scores
 * sharing their average rank. NaN when only one side is present.
 */
function binaryAuc(truth: ArrayLike<number>, probabilities: ArrayLike<number>, k: number, positive: number): number {
  const n = truth.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probabilities[a * k + positive]! - probabilities[b * k + positive]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    const score = probabilities[order[i]! * k + positive]!;
    while (j + 1 < n && probabilities[order[j + 1]! * k + positive]! === score) j++;
    const rank = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) {
      if (truth[order[m]!] === positive) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Regression metrics from true and predicted values. */
export function regressionMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>): RegressionMetrics {
  const n = truth.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i]!;
  mean /= n;
  let squares = 0;
  let absolute = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = truth[i]! - predicted[i]!;
    squares += e * e;
    absolute += Math.abs(e);
    total += (truth[i]! - mean) ** 2;
  }
  return {
    task: 'regression',
    rows: n,
    rmse: Math.sqrt(squares / n),
    mae: absolute / n,
    r2: total > 0 ? 1 - squares / total : squares === 0 ? 1 : 0,
  };
}
