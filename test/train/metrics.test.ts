import { describe, expect, it } from 'vitest';
import { classificationMetrics, regressionMetrics } from '../../src/train/metrics.js';

// Expected values worked out by hand (and as scikit-learn's metrics compute them).
describe('classificationMetrics', () => {
  it('computes binary accuracy, macro F1, ROC AUC with ties, log loss and the confusion matrix', () => {
    const truth = [0, 0, 1, 1, 1];
    const p1 = [0.1, 0.6, 0.6, 0.8, 0.3];
    const m = classificationMetrics(truth, p1.flatMap((p) => [1 - p, p]), ['no', 'yes']);
    // predicted [0, 1, 1, 1, 0]: 3 of 5 right.
    expect(m.accuracy).toBeCloseTo(0.6, 12);
    expect(m.confusionMatrix).toEqual({ labels: ['no', 'yes'], counts: [[1, 1], [1, 2]] });
    // F1(no) = 2·1/(2+2) = 0.5, F1(yes) = 2·2/(3+3) = 2/3.
    expect(m.macroF1).toBeCloseTo((0.5 + 2 / 3) / 2, 12);
    // Pairs (pos, neg): 0.6>0.1, 0.6=0.6 (½), 0.8>both, 0.3>0.1, 0.3<0.6 → 4.5 of 6.
    expect(m.rocAuc).toBeCloseTo(4.5 / 6, 12);
    const ll = -(Math.log(0.9) + Math.log(0.4) + Math.log(0.6) + Math.log(0.8) + Math.log(0.3)) / 5;
    expect(m.logLoss).toBeCloseTo(ll, 12);
  });

  it('averages one-vs-rest AUC over classes for multiclass', () => {
    const truth = [0, 1, 2, 2];
    const p = [
      [0.7, 0.2, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.6, 0.3],
      [0.2, 0.2, 0.6],
    ];
    const m = classificationMetrics(truth, p.flat(), ['a', 'b', 'c']);
    // Class a: perfect (1). Class b: positive 0.5 vs negatives 0.2, 0.6, 0.2 → 2/3. Class c:
    // positives 0.3, 0.6 vs negatives 0.1, 0.3 → (1 + ½ + 1 + 1)/4 = 7/8.
    expect(m.rocAuc).toBeCloseTo((1 + 2 / 3 + 7 / 8) / 3, 12);
    expect(m.accuracy).toBeCloseTo(0.75, 12);
  });

  it('clips probabilities of zero in log loss', () => {
    expect(classificationMetrics([1], [1, 0], ['a', 'b']).logLoss).toBeCloseTo(-Math.log(1e-15), 6);
  });
});

describe('regressionMetrics', () => {
  it('computes RMSE, MAE and R²', () => {
    const m = regressionMetrics([1, 2, 3, 4], [1.5, 2, 2, 5]);
    expect(m.rmse).toBeCloseTo(Math.sqrt((0.25 + 0 + 1 + 1) / 4), 12);
    expect(m.mae).toBeCloseTo((0.5 + 0 + 1 + 1) / 4, 12);
    expect(m.r2).toBeCloseTo(1 - 2.25 / 5, 12);
  });
});
