/**
 * The drift methods, which kinds of feature each applies to, their default thresholds, and the
 * default choice per feature, following Evidently's rules
 * (evidently/calculations/stattests/registry.py, _get_default_stattest):
 *
 * | reference rows | kind        | distinct values (both sides) | method                    |
 * | -------------- | ----------- | ---------------------------- | ------------------------- |
 * | <= 1000        | numeric     | <= 5                         | chisquare                 |
 * | <= 1000        | numeric     | > 5                          | ks (p < 0.05)             |
 * | <= 1000        | categorical | any                          | chisquare (p < 0.05)      |
 * | > 1000         | numeric     | <= 5                         | jensenshannon (>= 0.1)    |
 * | > 1000         | numeric     | > 5                          | wasserstein (>= 0.1)      |
 * | > 1000         | categorical | any                          | jensenshannon (>= 0.1)    |
 *
 * Evidently uses a two-proportion z-test where there are at most 2 values and few rows; Berth
 * uses the chi-square test there too: for two categories it is the same test (chi2 = z^2), with
 * scipy's continuity correction.
 */
import { type FeatureKind } from './feature-spec.js';

/** The statistics a drift report can use per feature. */
export type DriftMethod = 'ks' | 'wasserstein' | 'psi' | 'jensenshannon' | 'chisquare';

/** Every method name, for validation. */
export const DRIFT_METHODS: readonly DriftMethod[] = ['ks', 'wasserstein', 'psi', 'jensenshannon', 'chisquare'];

/** Methods whose statistic is a p-value test (drift when the p-value is below the threshold). */
export function isPValueMethod(method: DriftMethod): method is 'ks' | 'chisquare' {
  return method === 'ks' || method === 'chisquare';
}

/** Default thresholds, Evidently's: p-value 0.05 for tests, 0.1 for distances. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

/** Reference sizes up to this use tests (ks, chisquare); larger ones use distances, as Evidently. */
export const SMALL_REFERENCE_ROWS = 1000;
/** Numeric features with at most this many distinct values are compared as categories. */
export const FEW_DISTINCT_VALUES = 5;
/** Most distinct values for which a numeric feature's chi-square test has exact counts. */
export const CHISQUARE_MAX_NUMERIC_VALUES = 32;

/**
 * Evidently's default method for a feature with `referenceRows` non-missing reference values and
 * `distinctValues` distinct values on both sides together (Infinity when more than counted).
 */
export function defaultMethod(kind: FeatureKind, referenceRows: number, distinctValues: number): DriftMethod {
  const few = distinctValues <= FEW_DISTINCT_VALUES;
  if (referenceRows <= SMALL_REFERENCE_ROWS) return kind === 'categorical' || few ? 'chisquare' : 'ks';
  return kind === 'categorical' || few ? 'jensenshannon' : 'wasserstein';
}

/**
 * Whether a method can compare a feature: ks and wasserstein need numbers; chisquare needs
 * categories, or numbers with few enough distinct values to count each; psi and jensenshannon
 * take either.
 */
export function methodApplies(method: DriftMethod, kind: FeatureKind, distinctValues: number): boolean {
  switch (method) {
    case 'ks':
    case 'wasserstein':
      return kind === 'numeric';
    case 'chisquare':
      return kind === 'categorical' || distinctValues <= CHISQUARE_MAX_NUMERIC_VALUES;
    default:
      return true;
  }
}
