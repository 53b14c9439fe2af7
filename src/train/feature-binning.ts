/**
 * Binning features for histogram-based tree learning: each feature's values map to at most 255
 * bins, cut at float32 thresholds. A row's bin is the index of the first threshold its value does
 * not exceed, so "bin ≤ b" and "x ≤ threshold[b]" pick the same rows, which is what lets trees
 * learned on bins be evaluated (in memory and in ONNX) on the raw float32 features.
 */
import { SeededRandom } from './seeded-random.js';

/** Per feature, its ascending float32 thresholds; a feature has `thresholds.length + 1` bins. */
export type BinThresholds = readonly Float32Array[];

/** Largest number of bins a feature may have (bin indices fit a byte). */
export const MAX_BINS = 255;

/** Rows sampled to place thresholds on large data, as scikit-learn does. */
const SAMPLE_ROWS = 200_000;

/**
 * Chooses thresholds from rows of `x` (row-major `[n, k]`): midpoints between distinct values
 * when there are at most `maxBins` of them, else midpoints at evenly spaced quantiles.
 */
export function fitBinThresholds(x: Float32Array, n: number, k: number, maxBins = MAX_BINS, seed = 0): BinThresholds {
  let rows: ArrayLike<number> | undefined;
  if (n > SAMPLE_ROWS) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    rows = new SeededRandom(seed).shuffle(all).subarray(0, SAMPLE_ROWS).sort();
  }
  const count = rows ? rows.length : n;
  const column = new Float64Array(count);
  const thresholds: Float32Array[] = [];
  for (let f = 0; f < k; f++) {
    for (let i = 0; i < count; i++) column[i] = x[(rows ? rows[i]! : i) * k + f]!;
    column.sort();
    const distinct: number[] = [];
    for (let i = 0; i < count; i++) if (i === 0 || column[i] !== column[i - 1]) distinct.push(column[i]!);
    const cuts: number[] = [];
    if (distinct.length <= maxBins) {
      for (let i = 1; i < distinct.length; i++) cuts.push(midpoint(distinct[i - 1]!, distinct[i]!));
    } else {
      for (let q = 1; q < maxBins; q++) {
        const position = (q / maxBins) * (count - 1);
        const lo = column[Math.floor(position)]!;
        const hi = column[Math.ceil(position)]!;
        const cut = lo === hi ? lo : midpoint(lo, hi);
        if (cuts.length === 0 || cut > cuts[cuts.length - 1]!) cuts.push(cut);
      }
      // A cut at the largest value would leave an empty last bin.
      while (cuts.length > 0 && cuts[cuts.length - 1]! >= distinct[distinct.length - 1]!) cuts.pop();
    }
    thresholds.push(Float32Array.from(cuts));
  }
  return thresholds;
}

/** A float32 threshold between two float32 values, never equal to the upper one. */
function midpoint(lo: number, hi: number): number {
  const mid = Math.fround((lo + hi) / 2);
  return mid >= hi ? lo : mid;
}

/** Bins rows of `x` (row-major `[n, k]`) into a row-major `[n, k]` byte matrix. */
export function binRows(x: Float32Array, n: number, k: number, thresholds: BinThresholds): Uint8Array {
  const out = new Uint8Array(n * k);
  for (let f = 0; f < k; f++) {
    const cuts = thresholds[f]!;
    const bins = cuts.length;
    for (let r = 0; r < n; r++) {
      const v = x[r * k + f]!;
      // First cut with v <= cut: binary search.
      let lo = 0;
      let hi = bins;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= cuts[mid]!) hi = mid;
        else lo = mid + 1;
      }
      out[r * k + f] = lo;
    }
  }
  return out;
}
