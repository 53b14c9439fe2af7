/**
 * Turns two numeric samples into proportions per bin for PSI and Jensen-Shannon, the way Evidently
 * does (evidently/calculations/stattests/utils.py, get_binned_data): when the reference has more
 * than 20 distinct values, equal-width bins over the combined range, as many as Sturges' rule
 * gives for the combined size (numpy.histogram_bin_edges(bins='sturges')); otherwise one bin per
 * distinct value seen on either side. Categorical sketches give one bin per category (see
 * alignCategories), which is also Evidently's rule.
 */
import { alignCategories, type CategoricalSketchData } from './categorical-sketch.js';
import { type NumericSketchData, numericSample } from './numeric-sketch.js';
import { type WeightedSample, sampleOf } from './weighted-sample.js';

/** Proportions of the reference and the current sample per bin (each sums to 1, or all 0 when empty). */
export interface BinnedProportions {
  readonly reference: readonly number[];
  readonly current: readonly number[];
  /** Bin edges (equal-width bins), or undefined when each bin is one value. */
  readonly edges?: readonly number[];
  /** The value of each bin, when each bin is one value. */
  readonly values?: readonly number[];
}

/** Reference samples with at most this many distinct values are binned per value, as Evidently does. */
export const PER_VALUE_BINS_MAX_DISTINCT = 20;

/** Evidently's bins on raw values. */
export function binNumeric(reference: readonly number[] | Float64Array, current: readonly number[] | Float64Array): BinnedProportions {
  const ref = sampleOf(reference);
  return binSamples(ref, sampleOf(current), ref.values.length);
}

/**
 * Evidently's bins on two numeric sketches. The number of distinct reference values is known
 * exactly up to 32, which is all the rule needs. Bin counts are exact when the sketches are;
 * otherwise each bin's proportion is off by at most about twice the quantile sketch's rank error.
 */
export function binNumericSketches(reference: NumericSketchData, current: NumericSketchData): BinnedProportions {
  const distinct = reference.distinct === null ? Infinity : reference.distinct.length;
  return binSamples(numericSample(reference), numericSample(current), distinct, {
    min: Math.min(reference.min ?? Infinity, current.min ?? Infinity),
    max: Math.max(reference.max ?? -Infinity, current.max ?? -Infinity),
  });
}

/** Per-bin proportions of two sketches of one kind: Evidently's bins for numbers, categories otherwise. */
export function sketchProportions(
  reference: NumericSketchData | CategoricalSketchData,
  current: NumericSketchData | CategoricalSketchData,
): [readonly number[], readonly number[]] {
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const bins = binNumericSketches(reference, current);
    return [bins.reference, bins.current];
  }
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const aligned = alignCategories(reference, current);
    return [toProportions(aligned.reference), toProportions(aligned.current)];
  }
  throw new RangeError('sketchProportions: the two sketches are of different kinds');
}

/** Counts divided by their sum (all zeros when the sum is 0). */
export function toProportions(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/** Bins two weighted samples; `range` overrides the combined min and max (sketches know them exactly). */
export function binSamples(
  reference: WeightedSample,
  current: WeightedSample,
  referenceDistinct: number,
  range?: { readonly min: number; readonly max: number },
): BinnedProportions {
  if (reference.total === 0 || current.total === 0) return { reference: [], current: [] };
  if (referenceDistinct > PER_VALUE_BINS_MAX_DISTINCT) {
    const low = range?.min ?? Math.min(reference.values[0]!, current.values[0]!);
    const high = range?.max ?? Math.max(reference.values[reference.values.length - 1]!, current.values[current.values.length - 1]!);
    const edges = sturgesEdges(low, high, reference.total + current.total);
    return { reference: histogram(reference, edges), current: histogram(current, edges), edges };
  }
  const values = [...new Set([...reference.values, ...current.values])].sort((a, b) => a - b);
  return { reference: perValue(reference, values), current: perValue(current, values), values };
}

/**
 * numpy.histogram_bin_edges(data, bins='sturges') for data with this min, max and size. Where the
 * range itself overflows (max - min past Number.MAX_VALUE) the same edges are computed on halves,
 * so every edge is finite for any finite data.
 */
export function sturgesEdges(min: number, max: number, size: number): number[] {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  // Halving is exact, so on ranges that fit this is numpy's arithmetic to the last bit.
  const halved = !Number.isFinite(last - first) || !Number.isFinite(max - min);
  const scale = halved ? 0.5 : 1;
  const ptp = max * scale - min * scale;
  const span = last * scale - first * scale;
  const width = ptp / (Math.log2(size) + 1);
  const bins = width ? Math.ceil(span / width) : 1;
  const step = span / bins;
  const edges: number[] = [];
  for (let i = 0; i < bins; i++) edges.push(halved ? first + i * step + i * step : i * step + first);
  edges.push(last);
  return edges;
}

/** Half-way between two finite numbers, finite even where their sum is not. */
function midpoint(a: number, b: number): number {
  return a / 2 + b / 2;
}

/**
 * Proportion of the sample in each bin [e_i, e_i+1), the last bin closed, as numpy.histogram.
 * A value of a compacted sketch that stands for several values has its weight spread uniformly
 * from half-way to its lower neighbour to half-way to its upper one (the sketch's min and max at
 * the ends), rather than put on one point: on the loans data this halves the sketch's error in PSI
 * and Jensen-Shannon on heavy-tailed columns (a lone tail value of weight 16 otherwise fills a bin
 * that holds one or two values).
 */
function histogram(sample: WeightedSample, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  const first = edges[0]!;
  const last = edges[edges.length - 1]!;
  const binOf = (v: number): number => {
    let low = 0;
    let high = counts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (v >= edges[mid]!) low = mid;
      else high = mid - 1;
    }
    return low;
  };
  const n = sample.values.length;
  for (let i = 0; i < n; i++) {
    const v = sample.values[i]!;
    const w = sample.weights[i]!;
    if (v < first || v > last) continue;
    const from = sample.approximate === undefined || w <= 1 ? v : i === 0 ? sample.approximate.min : midpoint(sample.values[i - 1]!, v);
    const to = sample.approximate === undefined || w <= 1 ? v : i === n - 1 ? sample.approximate.max : midpoint(v, sample.values[i + 1]!);
    if (!(to > from)) {
      counts[binOf(v)]! += w;
      continue;
    }
    for (let bin = binOf(Math.max(from, first)); bin < counts.length && edges[bin]! < to; bin++) {
      // Lengths in halves: a span between two huge values of opposite signs would overflow.
      const overlap = Math.min(to, edges[bin + 1]!) / 2 - Math.max(from, edges[bin]!) / 2;
      if (overlap > 0) counts[bin]! += (w * overlap) / (to / 2 - from / 2);
    }
  }
  return counts.map((c) => c / sample.total);
}

function perValue(sample: WeightedSample, values: readonly number[]): number[] {
  const byValue = new Map<number, number>();
  for (let i = 0; i < sample.values.length; i++) byValue.set(sample.values[i]!, sample.weights[i]!);
  return values.map((v) => (byValue.get(v) ?? 0) / sample.total);
}
