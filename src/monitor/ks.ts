/**
 * The two-sample Kolmogorov-Smirnov test (two-sided), as scipy.stats.ks_2samp: the statistic is
 * the largest distance between the two empirical CDFs; the p-value is exact for samples of at most
 * 10,000 values and asymptotic beyond (`method: 'auto'`, scipy's default).
 *
 * `ks` works on raw values and matches scipy to rounding. `ksSketch` works on two numeric sketches:
 * exact while both sketches still hold every value (or counted their distinct values); otherwise
 * the statistic is off by at most the two quantile sketches' rank errors (about 1.7/k each) and the
 * p-value is computed from the true sample sizes.
 */
import { type KsPValueMethod, ksPValue } from './ks-p-value.js';
import { type NumericSketchData, numericSample } from './numeric-sketch.js';
import { type WeightedSample, sampleOf, walkCdfs } from './weighted-sample.js';

/** Result of a Kolmogorov-Smirnov test. */
export interface KsResult {
  /** sup |F_reference - F_current|, in [0, 1]. */
  readonly statistic: number;
  /** Two-sided p-value in [0, 1]; 1 when either sample is empty. */
  readonly pValue: number;
  /** How the p-value was computed. */
  readonly method: 'exact' | 'asymp';
}

/** Options of the Kolmogorov-Smirnov test. */
export interface KsOptions {
  readonly method?: KsPValueMethod;
}

/**
 * Two-sample KS test on raw values; non-finite values are left out. With an empty sample the
 * statistic is 0 and the p-value 1 (nothing to compare is no evidence of drift).
 */
export function ks(reference: readonly number[] | Float64Array, current: readonly number[] | Float64Array, options: KsOptions = {}): KsResult {
  return ksSamples(sampleOf(reference), sampleOf(current), options);
}

/** Two-sample KS test between two numeric sketches (see the module comment for its accuracy). */
export function ksSketch(reference: NumericSketchData, current: NumericSketchData, options: KsOptions = {}): KsResult {
  return ksSamples(numericSample(reference), numericSample(current), options, reference.n, current.n);
}

/** KS test between weighted samples; n1 and n2 default to their total weights. */
export function ksSamples(a: WeightedSample, b: WeightedSample, options: KsOptions = {}, n1 = a.total, n2 = b.total): KsResult {
  const method = options.method ?? 'auto';
  if (a.total === 0 || b.total === 0) return { statistic: 0, pValue: 1, method: method === 'asymp' ? 'asymp' : 'exact' };
  const statistic = ksStatistic(a, b);
  const p = ksPValue(n1, n2, statistic, method);
  return { statistic, pValue: p.pValue, method: p.method };
}

/** sup |F_a - F_b| over all values of both samples. */
export function ksStatistic(a: WeightedSample, b: WeightedSample): number {
  let d = 0;
  walkCdfs(a, b, (_value, fa, fb) => {
    const diff = Math.abs(fa - fb);
    if (diff > d) d = diff;
  });
  return Math.min(1, d);
}
