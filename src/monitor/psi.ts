/**
 * The population stability index: sum over bins of (r - c) ln(r / c), where r and c are the
 * reference's and the current sample's proportions per bin. A bin empty on one side would make it
 * infinite, so, as Evidently does, empty proportions are replaced by 0.0001, or by a millionth of
 * the side's smallest non-zero proportion when that is 0.0001 or less. Rule of thumb: < 0.1 no
 * significant change, 0.1 to 0.25 moderate, > 0.25 large.
 */
import { type CategoricalSketchData } from './categorical-sketch.js';
import { binNumeric, sketchProportions } from './drift-bins.js';
import { type NumericSketchData } from './numeric-sketch.js';

/** PSI from two vectors of proportions over the same bins; 0 when either is empty or all zero. */
export function psi(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length) throw new RangeError('psi: the two distributions have different numbers of bins');
  const r = fillZeros(reference);
  const c = fillZeros(current);
  if (r === undefined || c === undefined) return 0;
  let sum = 0;
  for (let i = 0; i < r.length; i++) sum += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
  return Math.max(0, sum);
}

/** PSI between two samples of raw numeric values, binned as Evidently bins them. */
export function psiNumeric(reference: readonly number[] | Float64Array, current: readonly number[] | Float64Array): number {
  const bins = binNumeric(reference, current);
  return psi(bins.reference, bins.current);
}

/** PSI between two sketches of the same feature (numeric: Evidently's bins; categorical: per category). */
export function psiSketch(reference: NumericSketchData, current: NumericSketchData): number;
export function psiSketch(reference: CategoricalSketchData, current: CategoricalSketchData): number;
export function psiSketch(reference: NumericSketchData | CategoricalSketchData, current: NumericSketchData | CategoricalSketchData): number {
  const [r, c] = sketchProportions(reference, current);
  return psi(r, c);
}

function fillZeros(proportions: readonly number[]): number[] | undefined {
  let smallest = Infinity;
  for (const p of proportions) if (p > 0 && p < smallest) smallest = p;
  if (smallest === Infinity) return undefined;
  const fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
  return proportions.map((p) => (p === 0 ? fill : p));
}
