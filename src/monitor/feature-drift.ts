/**
 * One feature's drift statistic between a reference sketch and a current sketch, by any method.
 */
import { type CategoricalSketchData } from './categorical-sketch.js';
import { chisquare, chisquareSketch } from './chisquare.js';
import { type DriftMethod } from './drift-method.js';
import { jensenshannonSketch } from './jensenshannon.js';
import { type KsPValueMethod } from './ks-p-value.js';
import { ksSketch } from './ks.js';
import { type NumericSketchData, numericSample } from './numeric-sketch.js';
import { psiSketch } from './psi.js';
import { wassersteinSketch } from './wasserstein.js';

/** A method's outcome: the statistic, the p-value of tests, and the effect size tests are judged by too. */
export interface FeatureDriftStatistic {
  readonly statistic: number;
  /** p-value of ks and chisquare; null for distances. */
  readonly pValue: number | null;
  /** KS: the statistic D; chisquare: Cramér's V; null for distances (the statistic is the effect). */
  readonly effectSize: number | null;
}

/** Options of the statistics. */
export interface FeatureDriftOptions {
  readonly ksMethod?: KsPValueMethod;
  /** Yates' correction for 2 x 2 chi-square tables (default true, as scipy). */
  readonly yates?: boolean;
}

/**
 * The drift statistic of `method` between two sketches of one kind. The caller checks that the
 * method applies (methodApplies); both sketches must be non-empty for a meaningful value, and an
 * empty one gives statistic 0, p-value 1.
 */
export function featureDrift(
  reference: NumericSketchData | CategoricalSketchData,
  current: NumericSketchData | CategoricalSketchData,
  method: DriftMethod,
  options: FeatureDriftOptions = {},
): FeatureDriftStatistic {
  if (reference.kind === 'numeric' && current.kind === 'numeric') return numericDrift(reference, current, method, options);
  if (reference.kind === 'categorical' && current.kind === 'categorical') return categoricalDrift(reference, current, method, options);
  throw new RangeError('featureDrift: the two sketches are of different kinds');
}

function numericDrift(reference: NumericSketchData, current: NumericSketchData, method: DriftMethod, options: FeatureDriftOptions): FeatureDriftStatistic {
  switch (method) {
    case 'ks': {
      const result = ksSketch(reference, current, { method: options.ksMethod });
      return { statistic: result.statistic, pValue: result.pValue, effectSize: result.statistic };
    }
    case 'wasserstein':
      return distance(wassersteinSketch(reference, current));
    case 'psi':
      return distance(psiSketch(reference, current));
    case 'jensenshannon':
      return distance(jensenshannonSketch(reference, current));
    case 'chisquare': {
      // Numbers with few distinct values: one column per value, counts from the exact value counts.
      const a = numericSample(reference);
      const b = numericSample(current);
      const values = [...new Set([...a.values, ...b.values])].sort((x, y) => x - y);
      const countsOf = (s: typeof a): number[] => {
        const byValue = new Map<number, number>();
        s.values.forEach((v, i) => byValue.set(v, s.weights[i]!));
        return values.map((v) => byValue.get(v) ?? 0);
      };
      const result = chisquare(countsOf(a), countsOf(b), { correction: options.yates });
      return { statistic: result.statistic, pValue: result.pValue, effectSize: result.effectSize };
    }
  }
}

function categoricalDrift(reference: CategoricalSketchData, current: CategoricalSketchData, method: DriftMethod, options: FeatureDriftOptions): FeatureDriftStatistic {
  switch (method) {
    case 'chisquare': {
      const result = chisquareSketch(reference, current, { correction: options.yates });
      return { statistic: result.statistic, pValue: result.pValue, effectSize: result.effectSize };
    }
    case 'psi':
      return distance(psiSketch(reference, current));
    case 'jensenshannon':
      return distance(jensenshannonSketch(reference, current));
    default:
      throw new RangeError(`featureDrift: ${method} does not apply to categorical features`);
  }
}

function distance(statistic: number): FeatureDriftStatistic {
  return { statistic, pValue: null, effectSize: null };
}
