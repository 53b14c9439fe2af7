/**
 * What the monitor needs to know about a feature: its name and whether it is measured as a number
 * or counted as a category. Kept local and small on purpose: the schema of issue 4 (src/core)
 * maps onto it (number, integer, boolean -> numeric; category, string -> categorical).
 */
import { type OutlierReference } from './outlier-reference.js';

/** How a feature is summarised and compared. */
export type FeatureKind = 'numeric' | 'categorical';

/** One feature (or model output) to sketch. */
export interface FeatureSpec {
  readonly name: string;
  readonly kind: FeatureKind;
  /** Allowed range of a numeric feature, when the schema has one; values outside it are counted. */
  readonly min?: number;
  readonly max?: number;
}

/** A column left out of monitoring, and why (an identifier, a date, free text, or the user's choice). */
export interface SkippedColumn {
  readonly name: string;
  readonly reason: string;
}

/** The features and the model outputs to sketch; a bare list means features only. */
export interface MonitorSchema {
  readonly features: readonly FeatureSpec[];
  readonly outputs?: readonly FeatureSpec[];
  /** Input columns never sketched, even when a request carries them. */
  readonly skipped?: readonly SkippedColumn[];
  /** The reference's ranges and categories, when the version has a profile: each row gets an outlier score. */
  readonly outliers?: OutlierReference;
  /**
   * A classifier's labels, when its profile carries a calibration: windows then keep histograms of
   * the outputs `probability_<label>` for performance estimation without labels.
   */
  readonly classes?: readonly string[];
}

/** Accepts a MonitorSchema or a bare feature list. */
export function toMonitorSchema(schema: MonitorSchema | readonly FeatureSpec[]): MonitorSchema {
  return isFeatureList(schema)
    ? { features: schema, outputs: [], skipped: [] }
    : { features: schema.features, outputs: schema.outputs ?? [], skipped: schema.skipped ?? [] };
}

function isFeatureList(schema: MonitorSchema | readonly FeatureSpec[]): schema is readonly FeatureSpec[] {
  return Array.isArray(schema);
}
