/**
 * Ridge regression (least squares with an L2 penalty on the weights, not the intercept), solved
 * exactly through the normal equations with a Cholesky factorisation. Tabular feature counts are
 * small, so the k×k system is cheap, and one Gram matrix serves every penalty tried.
 */
import type { LinearModel } from './fitted-model.js';

/**
 * Fits one model per penalty `alpha` (minimising ‖y − Xw − b‖² + alpha‖w‖², as scikit-learn's
 * Ridge does) on rows of `x` (row-major `[n, k]`).
 */
export function fitRidgePath(x: Float32Array, n: number, k: number, y: ArrayLike<number>, alphas: readonly number[]): LinearModel[] {
  const means = new Float64Array(k);
  let yMean = 0;
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < k; f++) means[f]! += x[r * k + f]!;
    yMean += y[r]!;
  }
  for (let f = 0; f < k; f++) means[f]! /= n;
  yMean /= n;
  const gram = new Float64Array(k * k);
  const xty = new Float64Array(k);
  const row = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < k; f++) row[f] = x[r * k + f]! - means[f]!;
    const yc = y[r]! - yMean;
    for (let a = 0; a < k; a++) {
      const va = row[a]!;
      if (va === 0) continue;
      xty[a]! += va * yc;
      for (let b = a; b < k; b++) gram[a * k + b]! += va * row[b]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) gram[a * k + b] = gram[b * k + a]!;
  return alphas.map((alpha) => {
    const system = Float64Array.from(gram);
    // A tiny jitter keeps the factorisation defined for constant or duplicated columns.
    for (let f = 0; f < k; f++) system[f * k + f]! += alpha + 1e-10;
    const w = choleskySolve(system, xty, k);
    let bias = yMean;
    for (let f = 0; f < k; f++) bias -= means[f]! * w[f]!;
    const model: LinearModel = { kind: 'linear', inputs: k, scores: 1, weights: w, bias: Float64Array.of(bias), link: 'identity' };
    return model;
  });
}

/** Solves `A x = b` for a symmetric positive-definite `A` (row-major, overwritten). */
function choleskySolve(a: Float64Array, b: Float64Array, k: number): Float64Array {
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j]!;
    for (let p = 0; p < j; p++) d -= a[j * k + p]! ** 2;
    const l = Math.sqrt(Math.max(d, 1e-300));
    a[j * k + j] = l;
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j]!;
      for (let p = 0; p < j; p++) s -= a[i * k + p]! * a[j * k + p]!;
      a[i * k + j] = s / l;
    }
  }
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let p = 0; p < i; p++) s -= a[i * k + p]! * z[p]!;
    z[i] = s / a[i * k + i]!;
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let p = i + 1; p < k; p++) s -= a[p * k + i]! * x[p]!;
    x[i] = s / a[i * k + i]!;
  }
  return x;
}
