/**
 * Fitted models as plain typed arrays, and their in-memory predictions. The ONNX exporter writes
 * exactly these numbers; the export check compares onnxruntime's answers with these predictions.
 */

/** How raw scores become outputs: values, a binary probability, or class probabilities. */
export type Link = 'identity' | 'sigmoid' | 'softmax';

/** A linear model: `scores = x · weights + bias`. */
export interface LinearModel {
  readonly kind: 'linear';
  /** Number of input columns `k`. */
  readonly inputs: number;
  /** Number of raw scores `m`: 1 for regression and binary classification, classes otherwise. */
  readonly scores: number;
  /** Row-major `[k, m]`. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly link: Link;
}

/**
 * One decision tree in flat arrays. Node 0 is the root; a node with `left[i] === -1` is a leaf
 * with value `value[i]`; otherwise rows with `x[feature[i]] <= threshold[i]` go left. Thresholds
 * and leaf values are float32, as ONNX stores them, so both evaluate identically.
 */
export interface DecisionTree {
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float32Array;
  /** Which raw score the tree adds to (the class, for multiclass). */
  readonly score: number;
}

/** A gradient-boosted tree ensemble: `scores = base + Σ trees`. */
export interface TreeEnsembleModel {
  readonly kind: 'gbdt';
  readonly inputs: number;
  readonly scores: number;
  /** Initial score per raw score, float32. */
  readonly base: Float32Array;
  readonly trees: readonly DecisionTree[];
  readonly link: Link;
}

/** A model fitted by one of Berth's trainers. */
export type FittedModel = LinearModel | TreeEnsembleModel;

/** Number of outputs per row: classes for classifiers (binary gives two), 1 for regressors. */
export function outputWidth(model: FittedModel): number {
  return model.link === 'sigmoid' ? 2 : model.scores;
}

/** Raw scores `[n, m]` for `n` rows of `x` (row-major `[n, k]`). */
export function predictScores(model: FittedModel, x: Float32Array, n: number): Float64Array {
  const k = model.inputs;
  const m = model.scores;
  const out = new Float64Array(n * m);
  if (model.kind === 'linear') {
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < m; j++) {
        let s = model.bias[j]!;
        for (let f = 0; f < k; f++) s += x[r * k + f]! * model.weights[f * m + j]!;
        out[r * m + j] = s;
      }
    }
    return out;
  }
  for (let r = 0; r < n; r++) for (let j = 0; j < m; j++) out[r * m + j] = model.base[j]!;
  for (const tree of model.trees) {
    for (let r = 0; r < n; r++) out[r * m + tree.score]! += leafValue(tree, x, r * k);
  }
  return out;
}

/** The value of the leaf a row reaches. */
export function leafValue(tree: DecisionTree, x: ArrayLike<number>, offset: number): number {
  let node = 0;
  while (tree.left[node] !== -1) node = x[offset + tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  return tree.value[node]!;
}

/**
 * The model's outputs `[n, outputWidth]`: class probabilities (binary as [1 - p, p]) or values.
 */
export function predictOutputs(model: FittedModel, x: Float32Array, n: number): Float64Array {
  return applyLink(model.link, predictScores(model, x, n), n, model.scores);
}

/** Applies a link to raw scores `[n, m]`. */
export function applyLink(link: Link, scores: Float64Array, n: number, m: number): Float64Array {
  if (link === 'identity') return scores;
  if (link === 'sigmoid') {
    const out = new Float64Array(n * 2);
    for (let r = 0; r < n; r++) {
      const p = sigmoid(scores[r]!);
      out[2 * r] = 1 - p;
      out[2 * r + 1] = p;
    }
    return out;
  }
  const out = new Float64Array(n * m);
  for (let r = 0; r < n; r++) softmaxInto(scores, r * m, m, out);
  return out;
}

/** The logistic function, stable for large |z|. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Softmax of `scores[offset..offset+m)` written to `out` at the same offset. */
export function softmaxInto(scores: ArrayLike<number>, offset: number, m: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < m; j++) max = Math.max(max, scores[offset + j]!);
  let sum = 0;
  for (let j = 0; j < m; j++) {
    const e = Math.exp(scores[offset + j]! - max);
    out[offset + j] = e;
    sum += e;
  }
  for (let j = 0; j < m; j++) out[offset + j]! /= sum;
}
