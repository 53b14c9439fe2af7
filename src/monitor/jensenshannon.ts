/**
 * The Jensen-Shannon distance: the square root of the Jensen-Shannon divergence between two
 * distributions, sqrt((KL(p||m) + KL(q||m)) / 2) with m = (p + q) / 2. It is symmetric, finite
 * when a bin is empty on one side (a category seen only in production counts fully) and, in base
 * 2, lies in [0, 1]. The drift report uses base 2 with Evidently's bins, threshold 0.1.
 */
import { type CategoricalSketchData } from './categorical-sketch.js';
import { binNumeric, sketchProportions } from './drift-bins.js';
import { type NumericSketchData } from './numeric-sketch.js';

/**
 * scipy.spatial.distance.jensenshannon(p, q, base): p and q are normalised to sum to 1 first;
 * the natural logarithm unless `base` is given. Returns 0 when either vector sums to 0.
 */
export function jensenshannon(p: readonly number[], q: readonly number[], base?: number): number {
  if (p.length !== q.length) throw new RangeError('jensenshannon: the two distributions have different lengths');
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  if (!(sp > 0) || !(sq > 0)) return 0;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const m = (pi + qi) / 2;
    js += relativeEntropy(pi, m) + relativeEntropy(qi, m);
  }
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(Math.max(0, js / 2));
}

/** Base-2 Jensen-Shannon distance between two samples of raw numeric values, Evidently's bins. */
export function jensenshannonNumeric(reference: readonly number[] | Float64Array, current: readonly number[] | Float64Array): number {
  const bins = binNumeric(reference, current);
  return jensenshannon(bins.reference, bins.current, 2);
}

/** Base-2 Jensen-Shannon distance between two sketches of the same feature. */
export function jensenshannonSketch(reference: NumericSketchData, current: NumericSketchData): number;
export function jensenshannonSketch(reference: CategoricalSketchData, current: CategoricalSketchData): number;
export function jensenshannonSketch(reference: NumericSketchData | CategoricalSketchData, current: NumericSketchData | CategoricalSketchData): number {
  const [r, c] = sketchProportions(reference, current);
  return jensenshannon(r, c, 2);
}

/** scipy.special.rel_entr: x log(x / y), 0 when x = 0. */
function relativeEntropy(x: number, y: number): number {
  if (x === 0) return 0;
  return x * Math.log(x / y);
}
