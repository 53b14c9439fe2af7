/**
 * The monitor's statistics: mergeable sketches of features and outputs, reference profiles, drift
 * statistics (raw-sample versions that match scipy, sketch versions the live monitor uses) and the
 * drift report. Pure functions and small accumulators; no I/O.
 */
export { buildProfile, type BuildProfileOptions, PROFILE_KLL_K, PROFILE_MAX_CATEGORIES, PROFILE_QUANTILES } from './build-profile.js';
export {
  alignCategories,
  type AlignedCategories,
  CategoricalSketch,
  type CategoricalSketchData,
  type CategoricalSketchOptions,
  DEFAULT_MAX_CATEGORIES,
  mergeCategoricalSketches,
  unseenCategories,
  type UnseenCategories,
} from './categorical-sketch.js';
export { chisquare, type ChiSquareOptions, type ChiSquareResult, chisquareSketch } from './chisquare.js';
export { binNumeric, binNumericSketches, type BinnedProportions, sketchProportions } from './drift-bins.js';
export { DEFAULT_THRESHOLDS, defaultMethod, DRIFT_METHODS, type DriftMethod, isPValueMethod, methodApplies } from './drift-method.js';
export {
  driftReport,
  type DriftReport,
  type DriftReportOptions,
  type DriftSummary,
  type FeatureDrift,
  type FeatureDriftStatus,
} from './drift-report.js';
export { createSketch, mergeSketchData, type SketchData, type SketchOptions } from './feature-sketch.js';
export { featureDrift, type FeatureDriftOptions, type FeatureDriftStatistic } from './feature-drift.js';
export { type FeatureKind, type FeatureSpec, type MonitorSchema } from './feature-spec.js';
export { jensenshannon, jensenshannonNumeric, jensenshannonSketch } from './jensenshannon.js';
export { DEFAULT_KLL_K, KllSketch, type KllSketchData } from './kll-sketch.js';
export { kolmogorovSf, smirnovSf } from './kolmogorov-distribution.js';
export { type KsPValue, type KsPValueMethod, ksPValue } from './ks-p-value.js';
export { ks, type KsOptions, type KsResult, ksSketch } from './ks.js';
export { adjustPValues, type PValueCorrection } from './multiple-testing.js';
export {
  DISTINCT_VALUES_CAP,
  mergeNumericSketches,
  NumericSketch,
  type NumericSketchData,
  type NumericSketchOptions,
  numericVariance,
} from './numeric-sketch.js';
export { type CategoricalFeatureProfile, type FeatureProfile, type NumericFeatureProfile, type Profile, PROFILE_FORMAT_VERSION } from './profile.js';
export { psi, psiNumeric, psiSketch } from './psi.js';
export { chiSquareSf, regularizedGammaP, regularizedGammaQ } from './regularized-gamma.js';
export { emptyWindow, mergeWindows, WindowSketches, type WindowSketchesData } from './window-sketches.js';
export { wasserstein, wassersteinDistance, wassersteinSketch } from './wasserstein.js';
