/**
 * The first Wasserstein (earth mover's) distance between two distributions, and Evidently's
 * drift measure built on it: the distance divided by the reference's standard deviation, so that
 * 0.1 means "the current values moved a tenth of a reference standard deviation" whatever the
 * feature's unit.
 *
 * Scale convention (Evidently divides by max(std, 0.001), which hides drift in features measured
 * in small units and overstates it in large ones): the scale is the reference's population
 * standard deviation; if the reference is constant, the current one's; if both are constant, the
 * statistic is 0 when they are equal and 1 (a full-scale move) when they are not. Never NaN.
 */
import { type NumericSketchData, numericSample, numericVariance } from './numeric-sketch.js';
import { type WeightedSample, meanAndStd, sampleOf, walkCdfs } from './weighted-sample.js';

/** W1 between two samples of raw values (scipy.stats.wasserstein_distance); 0 if either is empty. */
export function wassersteinDistance(u: readonly number[] | Float64Array, v: readonly number[] | Float64Array): number {
  return wassersteinBetween(sampleOf(u), sampleOf(v));
}

/** W1 divided by the reference's standard deviation, on raw values (see the module comment). */
export function wasserstein(reference: readonly number[] | Float64Array, current: readonly number[] | Float64Array): number {
  const ref = sampleOf(reference);
  const cur = sampleOf(current);
  return normalise(wassersteinBetween(ref, cur), meanAndStd(ref).std, meanAndStd(cur).std);
}

/**
 * Normalised W1 between two numeric sketches. The scale (standard deviations) is exact, from the
 * sketches' moments; the distance is exact while both sketches hold every value and otherwise
 * differs from the raw one by about the quantile sketches' rank error times the value range.
 */
export function wassersteinSketch(reference: NumericSketchData, current: NumericSketchData): number {
  const distance = wassersteinBetween(numericSample(reference), numericSample(current));
  return normalise(distance, Math.sqrt(numericVariance(reference)), Math.sqrt(numericVariance(current)));
}

/**
 * W1 = integral of |F_a - F_b| between two weighted samples. Where the values' range overflows
 * (max - min past Number.MAX_VALUE) the integral is taken over halved values and doubled, capped
 * at Number.MAX_VALUE, so the distance is a number for any finite values.
 */
export function wassersteinBetween(a: WeightedSample, b: WeightedSample): number {
  if (a.total === 0 || b.total === 0) return 0;
  const low = Math.min(a.values[0]!, b.values[0]!);
  const high = Math.max(a.values[a.values.length - 1]!, b.values[b.values.length - 1]!);
  const scale = Number.isFinite(high - low) ? 1 : 0.5;
  let sum = 0;
  let compensation = 0;
  let previous: number | undefined;
  let gap = 0;
  walkCdfs(a, b, (value, fa, fb) => {
    if (previous !== undefined) {
      // Neumaier summation: many small areas add up without losing the last digits.
      const term = gap * (value * scale - previous * scale);
      const t = sum + term;
      compensation += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
      sum = t;
    }
    previous = value;
    gap = Math.abs(fa - fb);
  });
  return Math.min(Number.MAX_VALUE, (sum + compensation) / scale);
}

function normalise(distance: number, referenceStd: number, currentStd: number): number {
  if (distance === 0) return 0;
  const scale = referenceStd > 0 ? referenceStd : currentStd;
  if (!(scale > 0)) return 1;
  const ratio = distance / scale;
  return Number.isFinite(ratio) ? ratio : Number.MAX_VALUE;
}
