/**
 * Confidence-based performance estimation (CBPE, as NannyML defines it): a classifier's accuracy
 * and ROC AUC estimated without labels, from the probabilities it gave in a window and its
 * calibration on the reference data. With calibrated probabilities q, a row predicted as c is
 * right with probability q_c, so expected accuracy is the mean of q over the predicted classes;
 * and each row counts as q positive and 1 - q negative in the ROC curve of a class.
 *
 * It assumes that the probability of the truth given the inputs is the same live as in the
 * reference (no concept drift) and that the calibration map holds over the live inputs: under
 * covariate shift alone the estimate follows the change, under concept drift it does not.
 */
import { type Calibration, calibrate, type ClassCalibration } from './calibration.js';
import { type ScoreHistogramsData, type SparseHistogram } from './score-histograms.js';

/** Estimated metrics of a window (or several merged). */
export interface EstimatedPerformance {
  /** Rows estimated from. */
  readonly rows: number;
  /** null without rows. */
  readonly accuracy: number | null;
  /** Binary: of the positive (second) label; multiclass: one-vs-rest, macro-averaged; null when a class has no expected positives or negatives. */
  readonly rocAuc: number | null;
}

/** Estimates accuracy and ROC AUC from a window's histograms and the version's calibration. */
export function estimatePerformance(histograms: ScoreHistogramsData | undefined, calibration: Calibration): EstimatedPerformance {
  const rows = histograms?.rows ?? 0;
  if (histograms === undefined || rows === 0) return { rows: 0, accuracy: null, rocAuc: null };
  let correct = 0;
  let predicted = 0;
  for (const map of calibration.classes) {
    for (const [, n, sum] of histograms.classes[map.label]?.predicted ?? []) {
      correct += n * calibrate(map, sum / n);
      predicted += n;
    }
  }
  const accuracy = predicted > 0 ? correct / predicted : null;
  const aucOf = (map: ClassCalibration) => rocAucOf(histograms.classes[map.label]?.all ?? [], map);
  let rocAuc: number | null;
  if (calibration.classes.length === 2) rocAuc = aucOf(calibration.classes[1]!);
  else {
    const aucs = calibration.classes.map(aucOf);
    rocAuc = aucs.some((a) => a === null) ? null : (aucs as number[]).reduce((a, b) => a + b, 0) / aucs.length;
  }
  return { rows, accuracy, rocAuc };
}

/**
 * The expected ROC AUC of one class: bins from the highest probability down, each contributing
 * its expected negatives times the expected positives ranked above them (half of those in the
 * same bin, counted as ties), over all positive-negative pairs.
 */
function rocAucOf(histogram: SparseHistogram, map: ClassCalibration): number | null {
  let positives = 0;
  let negatives = 0;
  let pairs = 0;
  for (let b = histogram.length - 1; b >= 0; b--) {
    const [, n, sum] = histogram[b]!;
    const q = calibrate(map, sum / n);
    const pos = n * q;
    const neg = n - pos;
    pairs += neg * (positives + pos / 2);
    positives += pos;
    negatives += neg;
  }
  return positives > 0 && negatives > 0 ? pairs / (positives * negatives) : null;
}
