/**
 * The reference profile: the statistics of the data a model was trained on, stored inside its
 * bundle as plain JSON and used by the monitor as the baseline of every drift report. Each feature
 * carries a readable summary (counts, moments, exact quantiles, a histogram or the category
 * frequencies) and the same sketch the live windows keep, so a profile and a window compare
 * directly.
 */
import { type Calibration } from './calibration.js';
import { type CategoricalSketchData } from './categorical-sketch.js';
import { type NumericSketchData } from './numeric-sketch.js';

/** Version of the profile's JSON layout; readers refuse versions they do not know. */
export const PROFILE_FORMAT_VERSION = 1;

/** The profile of a numeric feature or output. */
export interface NumericFeatureProfile {
  readonly name: string;
  readonly kind: 'numeric';
  /** Rows, missing values, invalid values, values outside the schema's range. */
  readonly count: number;
  readonly missing: number;
  readonly invalid: number;
  readonly outOfRange: number;
  /** Finite values measured. */
  readonly n: number;
  /** null when n = 0. */
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** Population variance (ddof = 0, numpy.var's default). */
  readonly variance: number | null;
  /** Exact quantiles, linear interpolation between order statistics (numpy.quantile's default). */
  readonly quantiles: readonly { readonly q: number; readonly value: number }[];
  /** Equal-width bins over [min, max], Sturges' rule: counts[i] values in [edges[i], edges[i+1]). */
  readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] };
  readonly sketch: NumericSketchData;
}

/** The profile of a categorical feature or output. */
export interface CategoricalFeatureProfile {
  readonly name: string;
  readonly kind: 'categorical';
  readonly count: number;
  readonly missing: number;
  readonly invalid: number;
  readonly n: number;
  /** [category, count], most frequent first. */
  readonly frequencies: readonly (readonly [string, number])[];
  /** Values of categories beyond the kept maximum. */
  readonly other: number;
  readonly sketch: CategoricalSketchData;
}

/** The profile of one feature or output. */
export type FeatureProfile = NumericFeatureProfile | CategoricalFeatureProfile;

/** A reference profile. */
export interface Profile {
  readonly formatVersion: typeof PROFILE_FORMAT_VERSION;
  /** Rows of the reference data. */
  readonly rows: number;
  readonly features: readonly FeatureProfile[];
  /** The model's outputs on the reference data (for prediction drift); may be empty. */
  readonly outputs: readonly FeatureProfile[];
  /**
   * A classifier's calibration on the reference rows whose target was known (what performance
   * estimation without labels needs); absent for regressors and when the target was not given.
   */
  readonly calibration?: Calibration;
}
