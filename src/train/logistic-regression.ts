/**
 * Logistic regression with an L2 penalty: binary (one logit, sigmoid) or multinomial (one logit
 * per class, softmax), minimised with L-BFGS. The objective is scikit-learn's,
 * C·Σ loss + ½‖W‖² (intercept unpenalised), divided by C·n to keep its scale steady.
 */
import type { LinearModel } from './fitted-model.js';
import { minimizeLbfgs } from './lbfgs.js';

/** Options for {@link fitLogistic}. */
export interface LogisticOptions {
  /** Inverse penalty strength, as scikit-learn's `C`. */
  readonly c: number;
  /** A previous model to start from (warm start along a path of `c`). */
  readonly start?: LinearModel;
  readonly maxIterations?: number;
  /** A weight per row (class weights for imbalanced targets); absent: every row weighs 1. */
  readonly weights?: ArrayLike<number>;
}

/** Fits on rows of `x` (row-major `[n, k]`) with class indices `classes` in [0, labels). */
export function fitLogistic(x: Float32Array, n: number, k: number, classes: ArrayLike<number>, labels: number, options: LogisticOptions): LinearModel {
  const m = labels === 2 ? 1 : labels;
  const penalty = 1 / (options.c * n);
  const xs = Float64Array.from(x);
  const ys = Int32Array.from(classes);
  // Parameters as [m, k] weights then m biases, so every inner loop is a contiguous dot product.
  const biasAt = k * m;
  const z = new Float64Array(m);
  const rowWeights = options.weights;
  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const base = r * k;
      for (let j = 0; j < m; j++) {
        let s = w[biasAt + j]!;
        const wj = j * k;
        for (let f = 0; f < k; f++) s += xs[base + f]! * w[wj + f]!;
        z[j] = s;
      }
      const t = ys[r]!;
      const weight = rowWeights ? rowWeights[r]! : 1;
      if (m === 1) {
        const s = z[0]!;
        const yv = t === 1 ? 1 : 0;
        // log(1 + e^s) − y·s, computed without overflow.
        loss += weight * ((s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - yv * s);
        z[0] = weight * ((s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s))) - yv);
      } else {
        let max = -Infinity;
        for (let j = 0; j < m; j++) max = Math.max(max, z[j]!);
        let sum = 0;
        for (let j = 0; j < m; j++) sum += Math.exp(z[j]! - max);
        loss += weight * (max + Math.log(sum) - z[t]!);
        for (let j = 0; j < m; j++) z[j] = weight * (Math.exp(z[j]! - max) / sum - (j === t ? 1 : 0));
      }
      // z now holds the weighted residuals w·(p − y).
      for (let j = 0; j < m; j++) {
        const e = z[j]!;
        const gj = j * k;
        for (let f = 0; f < k; f++) grad[gj + f] = grad[gj + f]! + e * xs[base + f]!;
        grad[biasAt + j] = grad[biasAt + j]! + e;
      }
    }
    let squares = 0;
    for (let i = 0; i < biasAt; i++) {
      squares += w[i]! * w[i]!;
      grad[i] = grad[i]! / n + penalty * w[i]!;
    }
    for (let j = 0; j < m; j++) grad[biasAt + j] = grad[biasAt + j]! / n;
    return loss / n + 0.5 * penalty * squares;
  };
  const start = new Float64Array(biasAt + m);
  if (options.start) {
    for (let f = 0; f < k; f++) for (let j = 0; j < m; j++) start[j * k + f] = options.start.weights[f * m + j]!;
    start.set(options.start.bias, biasAt);
  }
  // scikit-learn's lbfgs stops at a gradient of 1e-4 on the same objective.
  const { w } = minimizeLbfgs(objective, start, { maxIterations: options.maxIterations ?? 500, gradientTolerance: 1e-4 });
  const weights = new Float64Array(k * m);
  for (let f = 0; f < k; f++) for (let j = 0; j < m; j++) weights[f * m + j] = w[j * k + f]!;
  return { kind: 'linear', inputs: k, scores: m, weights, bias: w.slice(biasAt), link: m === 1 ? 'sigmoid' : 'softmax' };
}
