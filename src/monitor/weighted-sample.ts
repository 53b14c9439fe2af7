/**
 * A weighted sample: sorted distinct values with a weight (a count) each. Raw samples (every
 * weight 1), exact value counts and quantile sketches (weights 2^level) all reduce to it, so the
 * distance between two distributions is computed by one piece of code whatever summarises them.
 */

/** Sorted distinct finite values, each with a positive weight; `total` is the sum of weights. */
export interface WeightedSample {
  readonly values: Float64Array;
  readonly weights: Float64Array;
  readonly total: number;
  /**
   * Present when the sample comes from a compacted quantile sketch: a value of weight w > 1 then
   * stands for w values spread between its neighbours, and [min, max] is the exact range.
   */
  readonly approximate?: { readonly min: number; readonly max: number };
}

/**
 * A sample of raw values (every weight 1). Values that are not finite numbers are left out:
 * missing and invalid values are counted by the sketches, never measured.
 */
export function sampleOf(values: readonly number[] | Float64Array): WeightedSample {
  const finite: number[] = [];
  for (const v of values) if (Number.isFinite(v)) finite.push(v);
  return fromPairs(finite.map((v) => [v, 1] as const));
}

/** A sample from (value, weight) pairs in any order; equal values are combined. */
export function fromPairs(pairs: readonly (readonly [number, number])[]): WeightedSample {
  const sorted = pairs.filter(([v, w]) => Number.isFinite(v) && w > 0).sort((a, b) => a[0] - b[0]);
  const values: number[] = [];
  const weights: number[] = [];
  let total = 0;
  for (const [v, w] of sorted) {
    if (values.length > 0 && values[values.length - 1] === v) weights[weights.length - 1]! += w;
    else {
      values.push(v);
      weights.push(w);
    }
    total += w;
  }
  return { values: Float64Array.from(values), weights: Float64Array.from(weights), total };
}

/**
 * Walks the union of both samples' values in ascending order, calling `visit` with each value and
 * the two empirical CDFs just after it (right-continuous, as numpy.searchsorted(side='right')).
 */
export function walkCdfs(a: WeightedSample, b: WeightedSample, visit: (value: number, cdfA: number, cdfB: number) => void): void {
  let i = 0;
  let j = 0;
  let cumA = 0;
  let cumB = 0;
  while (i < a.values.length || j < b.values.length) {
    const va = i < a.values.length ? a.values[i]! : Infinity;
    const vb = j < b.values.length ? b.values[j]! : Infinity;
    const value = Math.min(va, vb);
    if (va === value) cumA += a.weights[i++]!;
    if (vb === value) cumB += b.weights[j++]!;
    visit(value, cumA / a.total, cumB / b.total);
  }
}

/**
 * Population mean and standard deviation (ddof = 0) of a weighted sample. Values beyond 2^500 are
 * summed scaled down by 2^-600 (exact), so sums and squares stay finite for any finite values.
 */
export function meanAndStd(sample: WeightedSample): { readonly mean: number; readonly std: number } {
  if (sample.total === 0) return { mean: 0, std: 0 };
  const n = sample.values.length;
  const largest = Math.max(Math.abs(sample.values[0]!), Math.abs(sample.values[n - 1]!));
  const scale = largest > 2 ** 500 ? 2 ** -600 : 1;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sample.values[i]! * scale * sample.weights[i]!;
  mean /= sample.total;
  let m2 = 0;
  for (let i = 0; i < n; i++) m2 += sample.weights[i]! * (sample.values[i]! * scale - mean) ** 2;
  return { mean: mean / scale, std: Math.min(Number.MAX_VALUE, Math.sqrt(m2 / sample.total) / scale) };
}
