/**
 * Growing one regression tree on binned features from gradients and hessians, leaf-wise (always
 * splitting the leaf with the largest gain, as LightGBM and scikit-learn's HistGradientBoosting
 * do). Histograms are built for the smaller child only; the larger one is its parent's minus the
 * smaller's. Rows are kept in one index array, partitioned in place so each node owns a range.
 * Bins are row-major and a histogram interleaves (gradient, hessian, count) per bin: measured in
 * V8, this beats scikit-learn's column-major layout with gathered gradients by about 1.5×.
 */
import type { BinThresholds } from './feature-binning.js';
import type { DecisionTree } from './fitted-model.js';

/** Tree-shape parameters. */
export interface TreeParameters {
  readonly maxLeafNodes: number;
  readonly minSamplesLeaf: number;
  /** L2 penalty on leaf values. */
  readonly l2Regularization: number;
  /** Undefined for no limit. */
  readonly maxDepth: number | undefined;
  readonly learningRate: number;
}

/** Training data prepared once for every tree. */
export interface BinnedData {
  /** Row-major `[n, k]` bins. */
  readonly bins: Uint8Array;
  readonly n: number;
  readonly k: number;
  readonly thresholds: BinThresholds;
}

/** A grown tree and, per training row, the leaf value it adds. */
export interface GrownTree {
  readonly tree: DecisionTree;
  /** Leaf ranges of the row index array, to update training scores without walking the tree. */
  readonly leaves: readonly { readonly start: number; readonly end: number; readonly value: number }[];
  /** The row index array the ranges refer to. */
  readonly rows: Uint32Array;
}

const MIN_HESSIAN = 1e-3;

/** Per (feature offset + bin) × 3: sums of gradients and hessians, and row counts. */
type Histogram = Float64Array;

interface Node {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly sumG: number;
  readonly sumH: number;
  hist: Histogram | undefined;
  gain: number;
  feature: number;
  bin: number;
  leftCount: number;
  leftG: number;
  leftH: number;
}

/**
 * Grows trees for one dataset; reuses its buffers between trees, so build one per training run.
 */
export class TreeGrower {
  readonly #data: BinnedData;
  readonly #params: TreeParameters;
  readonly #offsets: Int32Array;
  readonly #binCounts: Int32Array;
  readonly #totalBins: number;
  readonly #rows: Uint32Array;
  readonly #scratch: Uint32Array;
  readonly #pool: Histogram[] = [];

  constructor(data: BinnedData, params: TreeParameters) {
    this.#data = data;
    this.#params = params;
    this.#offsets = new Int32Array(data.k);
    this.#binCounts = new Int32Array(data.k);
    let total = 0;
    for (let f = 0; f < data.k; f++) {
      this.#offsets[f] = total;
      this.#binCounts[f] = data.thresholds[f]!.length + 1;
      total += this.#binCounts[f]!;
    }
    this.#totalBins = total;
    this.#rows = new Uint32Array(data.n);
    this.#scratch = new Uint32Array(data.n);
  }

  /** Grows one tree for `score` from per-row gradients and hessians. */
  grow(gradients: Float32Array, hessians: Float32Array, score: number): GrownTree {
    const { n } = this.#data;
    const p = this.#params;
    const rows = this.#rows;
    for (let i = 0; i < n; i++) rows[i] = i;
    let sumG = 0;
    let sumH = 0;
    for (let i = 0; i < n; i++) {
      sumG += gradients[i]!;
      sumH += hessians[i]!;
    }
    const maxNodes = 2 * p.maxLeafNodes - 1;
    const feature = new Int32Array(maxNodes).fill(-1);
    const threshold = new Float32Array(maxNodes);
    const left = new Int32Array(maxNodes).fill(-1);
    const right = new Int32Array(maxNodes).fill(-1);
    const value = new Float32Array(maxNodes);
    let nodeCount = 1;

    const root: Node = this.#node(0, 0, n, 0, sumG, sumH);
    root.hist = this.#histogram(0, n, gradients, hessians);
    this.#findSplit(root);
    const open: Node[] = [root];
    const leaves: Node[] = [];
    let leafCount = 1;
    while (open.length > 0) {
      let bestIndex = -1;
      for (let i = 0; i < open.length; i++) if (open[i]!.gain > 0 && (bestIndex < 0 || open[i]!.gain > open[bestIndex]!.gain)) bestIndex = i;
      if (bestIndex < 0 || leafCount >= p.maxLeafNodes) break;
      const node = open[bestIndex]!;
      open.splice(bestIndex, 1);
      const mid = this.#partition(node);
      const leftNode = this.#node(nodeCount, node.start, mid, node.depth + 1, node.leftG, node.leftH);
      const rightNode = this.#node(nodeCount + 1, mid, node.end, node.depth + 1, node.sumG - node.leftG, node.sumH - node.leftH);
      feature[node.id] = node.feature;
      threshold[node.id] = this.#data.thresholds[node.feature]![node.bin]!;
      left[node.id] = leftNode.id;
      right[node.id] = rightNode.id;
      nodeCount += 2;
      leafCount++;
      // Histogram of the smaller child by scanning its rows; the larger one by subtraction.
      const [small, large] = mid - node.start <= node.end - mid ? [leftNode, rightNode] : [rightNode, leftNode];
      const parentHist = node.hist!;
      node.hist = undefined;
      const splittable = (c: Node): boolean =>
        c.end - c.start >= 2 * p.minSamplesLeaf && (p.maxDepth === undefined || c.depth < p.maxDepth) && leafCount < p.maxLeafNodes;
      if (splittable(small) || splittable(large)) {
        small.hist = this.#histogram(small.start, small.end, gradients, hessians);
        for (let i = 0; i < parentHist.length; i++) parentHist[i] = parentHist[i]! - small.hist[i]!;
        large.hist = parentHist;
        for (const child of [small, large]) {
          if (splittable(child)) {
            this.#findSplit(child);
            open.push(child);
          } else {
            this.#release(child);
            leaves.push(child);
          }
        }
      } else {
        this.#pool.push(parentHist);
        leaves.push(small, large);
      }
    }
    for (const node of open) {
      this.#release(node);
      leaves.push(node);
    }
    const leafRanges = leaves.map((node) => {
      const v = Math.fround((-node.sumG / (node.sumH + p.l2Regularization + 1e-12)) * p.learningRate);
      value[node.id] = v;
      return { start: node.start, end: node.end, value: v };
    });
    const tree: DecisionTree = {
      feature: feature.slice(0, nodeCount),
      threshold: threshold.slice(0, nodeCount),
      left: left.slice(0, nodeCount),
      right: right.slice(0, nodeCount),
      value: value.slice(0, nodeCount),
      score,
    };
    return { tree, leaves: leafRanges, rows };
  }

  #node(id: number, start: number, end: number, depth: number, sumG: number, sumH: number): Node {
    return { id, start, end, depth, sumG, sumH, hist: undefined, gain: 0, feature: -1, bin: -1, leftCount: 0, leftG: 0, leftH: 0 };
  }

  #release(node: Node): void {
    if (node.hist) this.#pool.push(node.hist);
    node.hist = undefined;
  }

  /** Sums of gradient, hessian and count per (feature, bin) over rows[start..end). */
  #histogram(start: number, end: number, gradients: Float32Array, hessians: Float32Array): Histogram {
    const hist = this.#pool.pop() ?? new Float64Array(this.#totalBins * 3);
    hist.fill(0);
    const { bins, k } = this.#data;
    const rows = this.#rows;
    const offsets = this.#offsets;
    for (let i = start; i < end; i++) {
      const r = rows[i]!;
      const g = gradients[r]!;
      const h = hessians[r]!;
      const base = r * k;
      for (let f = 0; f < k; f++) {
        const at = (offsets[f]! + bins[base + f]!) * 3;
        hist[at]! += g;
        hist[at + 1]! += h;
        hist[at + 2]! += 1;
      }
    }
    return hist;
  }

  /** Finds the node's best split (largest gain respecting the leaf-size and hessian floors). */
  #findSplit(node: Node): void {
    const p = this.#params;
    const hist = node.hist!;
    const count = node.end - node.start;
    const lambda = p.l2Regularization;
    const parentScore = (node.sumG * node.sumG) / (node.sumH + lambda);
    let bestGain = 0;
    for (let f = 0; f < this.#data.k; f++) {
      const offset = this.#offsets[f]!;
      const bins = this.#binCounts[f]!;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < bins - 1; b++) {
        const at = (offset + b) * 3;
        gl += hist[at]!;
        hl += hist[at + 1]!;
        cl += hist[at + 2]!;
        if (cl < p.minSamplesLeaf) continue;
        if (count - cl < p.minSamplesLeaf) break;
        const hr = node.sumH - hl;
        if (hl < MIN_HESSIAN || hr < MIN_HESSIAN) continue;
        const gr = node.sumG - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          node.feature = f;
          node.bin = b;
          node.leftCount = cl;
          node.leftG = gl;
          node.leftH = hl;
        }
      }
    }
    node.gain = bestGain > 1e-12 ? bestGain : 0;
  }

  /** Stable in-place partition of the node's rows: bin ≤ split bin first. Returns the boundary. */
  #partition(node: Node): number {
    const { bins, k } = this.#data;
    const rows = this.#rows;
    const scratch = this.#scratch;
    const f = node.feature;
    const cut = node.bin;
    let l = node.start;
    let r = 0;
    for (let i = node.start; i < node.end; i++) {
      const row = rows[i]!;
      if (bins[row * k + f]! <= cut) rows[l++] = row;
      else scratch[r++] = row;
    }
    rows.set(scratch.subarray(0, r), l);
    return l;
  }
}
