import { describe, expect, it } from 'vitest';
import { binRows, fitBinThresholds } from '../../src/train/feature-binning.js';
import { predictOutputs } from '../../src/train/fitted-model.js';
import { fitGbdt } from '../../src/train/gbdt.js';
import { regressionMetrics, classificationMetrics } from '../../src/train/metrics.js';
import { SeededRandom } from '../../src/train/seeded-random.js';

/** Seeded rows: x0, x1 uniform in [-2, 2], x2 pure noise; targets from x0 and x1 only. */
function data(n: number, seed: number): { x: Float32Array; value: Float64Array; cls: Int32Array } {
  const random = new SeededRandom(seed);
  const x = new Float32Array(n * 3);
  const value = new Float64Array(n);
  const cls = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < 3; f++) x[r * 3 + f] = random.next() * 4 - 2;
    const a = x[r * 3]!;
    const b = x[r * 3 + 1]!;
    value[r] = (a > 0 ? 2 : -1) + b * b + 0.1 * (random.next() - 0.5);
    cls[r] = a > 0.5 ? 2 : b > 0 ? 1 : 0;
  }
  return { x, value, cls };
}

describe('feature binning', () => {
  it('puts a value in bin b exactly when threshold[b-1] < x <= threshold[b]', () => {
    const random = new SeededRandom(5);
    const n = 5000;
    // Column 0 continuous (quantile bins), column 1 with 7 distinct values (midpoint bins).
    const x = Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? random.next() * 100 : random.int(7)));
    const thresholds = fitBinThresholds(x, n, 2, 255);
    expect(thresholds[0]!.length).toBeGreaterThan(200);
    expect(Array.from(thresholds[1]!)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
    const bins = binRows(x, n, 2, thresholds);
    for (let i = 0; i < n * 2; i++) {
      const cuts = thresholds[i % 2]!;
      const b = bins[i]!;
      if (b > 0) expect(x[i]! > cuts[b - 1]!).toBe(true);
      if (b < cuts.length) expect(x[i]! <= cuts[b]!).toBe(true);
    }
  });
});

describe('fitGbdt', () => {
  const train = data(4000, 1);
  const validation = data(1000, 2);

  it('learns a regression and stops early on validation loss', () => {
    const fit = fitGbdt({ x: train.x, n: 4000, y: train.value }, { x: validation.x, n: 1000, y: validation.value }, 3, { task: 'regression' });
    expect(fit.iterations).toBeLessThan(500);
    expect(fit.validationLoss.length).toBe(fit.iterations + 10);
    expect(fit.model.trees).toHaveLength(fit.iterations);
    const r2 = regressionMetrics(validation.value, predictOutputs(fit.model, validation.x, 1000)).r2;
    expect(r2).toBeGreaterThan(0.98);
  });

  it('learns multiclass with one tree per class per iteration, and probabilities sum to one', () => {
    const fit = fitGbdt({ x: train.x, n: 4000, y: train.cls }, { x: validation.x, n: 1000, y: validation.cls }, 3, { task: 'classification', classes: 3 });
    expect(fit.model.trees).toHaveLength(3 * fit.iterations);
    expect(fit.model.link).toBe('softmax');
    const p = predictOutputs(fit.model, validation.x, 1000);
    for (let r = 0; r < 1000; r++) expect(p[3 * r]! + p[3 * r + 1]! + p[3 * r + 2]!).toBeCloseTo(1, 12);
    expect(classificationMetrics(validation.cls, p, ['0', '1', '2']).accuracy).toBeGreaterThan(0.97);
  });

  it('learns binary classification as one logit', () => {
    const y = Int32Array.from(train.cls, (c) => (c === 2 ? 1 : 0));
    const vy = Int32Array.from(validation.cls, (c) => (c === 2 ? 1 : 0));
    const fit = fitGbdt({ x: train.x, n: 4000, y }, { x: validation.x, n: 1000, y: vy }, 3, { task: 'classification', classes: 2 });
    expect(fit.model.scores).toBe(1);
    expect(classificationMetrics(vy, predictOutputs(fit.model, validation.x, 1000), ['0', '1']).rocAuc).toBeGreaterThan(0.99);
  });

  it('is deterministic and respects the tree-shape limits', () => {
    const params = { maxIterations: 20, maxLeafNodes: 8, minSamplesLeaf: 50 };
    const a = fitGbdt({ x: train.x, n: 4000, y: train.value }, undefined, 3, { task: 'regression' }, params);
    const b = fitGbdt({ x: train.x, n: 4000, y: train.value }, undefined, 3, { task: 'regression' }, params);
    expect(a.model).toEqual(b.model);
    expect(a.model.trees).toHaveLength(20);
    for (const tree of a.model.trees) {
      const leaves = Array.from(tree.left).filter((l) => l === -1).length;
      expect(leaves).toBeLessThanOrEqual(8);
      // Feature 2 is noise; the early, large-gain splits never use it.
      expect(tree.feature[0]).not.toBe(2);
    }
  });
});
