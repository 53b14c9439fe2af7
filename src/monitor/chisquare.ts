/**
 * The chi-square test of homogeneity between a reference and a current sample of categories, as
 * scipy.stats.chi2_contingency on the 2 x K table of counts (Pearson's statistic; Yates'
 * continuity correction when the table is 2 x 2, scipy's default). Categories seen on neither side
 * are dropped first (scipy would refuse a zero expected count); a category seen only in production
 * is a column with a zero reference count and is tested like any other.
 *
 * Conventions: one category in all (a single-category feature) leaves no degree of freedom:
 * statistic 0, p-value 1, as scipy. An empty side: statistic 0, p-value 1 (no evidence).
 */
import { alignCategories, type CategoricalSketchData } from './categorical-sketch.js';
import { chiSquareSf } from './regularized-gamma.js';

/** Result of a chi-square test of homogeneity. */
export interface ChiSquareResult {
  readonly statistic: number;
  readonly pValue: number;
  /** Degrees of freedom, K - 1 for K categories observed. */
  readonly dof: number;
  /** Cramér's V, sqrt(statistic / N) for a 2 x K table: an effect size in [0, 1] that does not grow with N. */
  readonly effectSize: number;
}

/** Options of the chi-square test. */
export interface ChiSquareOptions {
  /** Yates' correction for 2 x 2 tables (default true, as scipy). */
  readonly correction?: boolean;
}

/** Chi-square test of homogeneity on counts per category (same order on both sides). */
export function chisquare(reference: readonly number[], current: readonly number[], options: ChiSquareOptions = {}): ChiSquareResult {
  if (reference.length !== current.length) throw new RangeError('chisquare: the two count vectors have different lengths');
  const ref: number[] = [];
  const cur: number[] = [];
  for (let i = 0; i < reference.length; i++) {
    if (reference[i]! + current[i]! > 0) {
      ref.push(reference[i]!);
      cur.push(current[i]!);
    }
  }
  const rowRef = ref.reduce((a, b) => a + b, 0);
  const rowCur = cur.reduce((a, b) => a + b, 0);
  const total = rowRef + rowCur;
  const dof = ref.length - 1;
  if (rowRef === 0 || rowCur === 0 || dof <= 0) return { statistic: 0, pValue: 1, dof: Math.max(0, dof), effectSize: 0 };
  const yates = dof === 1 && (options.correction ?? true);
  let statistic = 0;
  for (let j = 0; j < ref.length; j++) {
    const column = ref[j]! + cur[j]!;
    for (const [observed, row] of [[ref[j]!, rowRef], [cur[j]!, rowCur]] as const) {
      const expected = (row * column) / total;
      let diff = observed - expected;
      // Yates: move each observation towards its expectation by 0.5, never past it.
      if (yates) diff = Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5);
      statistic += (diff * diff) / expected;
    }
  }
  return { statistic, pValue: chiSquareSf(statistic, dof), dof, effectSize: Math.min(1, Math.sqrt(statistic / total)) };
}

/** Chi-square test of homogeneity between two categorical sketches (exact counts, see alignCategories). */
export function chisquareSketch(reference: CategoricalSketchData, current: CategoricalSketchData, options: ChiSquareOptions = {}): ChiSquareResult {
  const aligned = alignCategories(reference, current);
  return chisquare(aligned.reference, aligned.current, options);
}
