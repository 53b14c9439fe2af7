/**
 * Offline drift: two data sets (a reference and a current one, e.g. two CSV files) compared by the
 * same code the live monitor uses. Column kinds are inferred from the reference: a column whose
 * every present value reads as a number is numeric, any other is categorical. Both sides are
 * summarised exactly as a reference profile is (large sketches), then `driftReport` compares them.
 */
import { DEFAULT_MISSING_VALUES } from '../core/feature-schema.js';
import { buildProfile } from './build-profile.js';
import { driftReport, type DriftReport, type DriftReportOptions } from './drift-report.js';
import { type FeatureKind, type FeatureSpec, type MonitorSchema } from './feature-spec.js';
import { type Profile } from './profile.js';
import { type WindowSketchesData } from './window-sketches.js';

/** Options of {@link compareDatasets}. */
export interface CompareDatasetsOptions extends DriftReportOptions {
  /** A column compared as the prediction (prediction drift) rather than as a feature. */
  readonly target?: string;
  /** Strings that mean missing (default '', NA, N/A, NaN, nan, null, NULL). */
  readonly missingValues?: readonly string[];
}

/** The comparison: the report, and the summaries it was computed from (for renderers). */
export interface DatasetComparison {
  readonly report: DriftReport;
  readonly schema: MonitorSchema;
  readonly reference: Profile;
  readonly current: Profile;
  /** Columns of the current data that the reference lacks (not compared). */
  readonly ignored: readonly string[];
}

/**
 * Compares `current` with `reference`, both given as columns (name → values, one per row).
 *
 * @example
 *   const { report } = compareDatasets(readColumns('reference.csv'), readColumns('current.csv'), { target: 'defaulted' });
 */
export function compareDatasets(
  reference: Readonly<Record<string, readonly unknown[]>>,
  current: Readonly<Record<string, readonly unknown[]>>,
  options: CompareDatasetsOptions = {},
): DatasetComparison {
  const missing = new Set(options.missingValues ?? DEFAULT_MISSING_VALUES);
  const clean = (columns: Readonly<Record<string, readonly unknown[]>>) =>
    Object.fromEntries(Object.entries(columns).map(([name, values]) => [name, values.map((v) => (typeof v === 'string' && missing.has(v.trim()) ? null : v))]));
  const ref = clean(reference);
  const cur = clean(current);
  const specs: FeatureSpec[] = Object.entries(ref).map(([name, values]) => ({ name, kind: inferColumnKind(values) }));
  const schema: MonitorSchema = {
    features: specs.filter((s) => s.name !== options.target),
    outputs: specs.filter((s) => s.name === options.target),
  };
  const rows = Object.values(cur)[0]?.length ?? 0;
  // A column the current data lacks is missing in every row.
  const aligned = Object.fromEntries(specs.map((s) => [s.name, cur[s.name] ?? new Array<null>(rows).fill(null)]));
  const referenceProfile = buildProfile(ref, schema);
  const currentProfile = buildProfile(aligned, schema);
  const window: WindowSketchesData = {
    rows: currentProfile.rows,
    features: Object.fromEntries(currentProfile.features.map((f) => [f.name, f.sketch])),
    outputs: Object.fromEntries(currentProfile.outputs.map((f) => [f.name, f.sketch])),
  };
  const { target: _target, missingValues: _missing, ...reportOptions } = options;
  return {
    report: driftReport(referenceProfile, window, reportOptions),
    schema,
    reference: referenceProfile,
    current: currentProfile,
    ignored: Object.keys(cur).filter((name) => !Object.hasOwn(ref, name)),
  };
}

/** Numeric when every present value is a number or reads as one (missing values aside), else categorical. */
export function inferColumnKind(values: readonly unknown[]): FeatureKind {
  for (const value of values) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') continue;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) continue;
    return 'categorical';
  }
  return 'numeric';
}
