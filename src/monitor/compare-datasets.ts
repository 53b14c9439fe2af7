/**
 * Offline drift: two data sets (a reference and a current one, e.g. two CSV files) compared by the
 * same code the live monitor uses. Column kinds are read from the reference by the rule the
 * trainer uses (src/core/column-kind.ts): numbers and booleans are measured, categories counted,
 * and identifiers, dates and free text left out and listed, as a trained model's monitor leaves
 * them out. Both sides are summarised exactly as a reference profile is (large sketches), then
 * `driftReport` compares them.
 */
import { columnKind, defaultMaxCategories } from '../core/column-kind.js';
import { Errors } from '../core/errors.js';
import { DEFAULT_MISSING_VALUES } from '../core/feature-schema.js';
import { buildProfile } from './build-profile.js';
import { driftReport, type DriftReport, type DriftReportOptions } from './drift-report.js';
import { type FeatureKind, type FeatureSpec, type MonitorSchema, type SkippedColumn } from './feature-spec.js';
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
  /** Reference columns left out, and why: identifiers, dates, free text, empty, or not chosen. */
  readonly skipped: readonly SkippedColumn[];
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
  const rowsOf = (columns: Record<string, unknown[]>) => Object.values(columns)[0]?.length ?? 0;
  const maxCategories = defaultMaxCategories(rowsOf(ref));
  const specs: FeatureSpec[] = [];
  const skipped: SkippedColumn[] = [];
  const chosen = chooser(Object.keys(ref), options);
  for (const [name, values] of Object.entries(ref)) {
    if (name !== options.target && !chosen(name)) {
      skipped.push({ name, reason: options.columns?.length ? 'not among --columns' : 'excluded' });
      continue;
    }
    const info = columnKind(name, values.map(text), { isMissing: (v) => v === '', maxCategories });
    // The prediction is compared whatever it looks like; only features are left out by kind.
    if (name !== options.target && info.reason !== undefined) {
      skipped.push({ name, reason: info.reason });
      continue;
    }
    if (name !== options.target && info.kind === 'datetime') {
      skipped.push({ name, reason: 'a date: its values move on with time, so it is not compared' });
      continue;
    }
    const kind: FeatureKind = info.kind === 'number' || info.kind === 'integer' || info.kind === 'boolean' ? 'numeric' : 'categorical';
    specs.push({ name, kind });
    // Booleans are measured as 1/0, as the live monitor measures a schema's booleans.
    if (info.kind === 'boolean') for (const columns of [ref, cur]) if (columns[name]) columns[name] = columns[name].map(asBit);
  }
  const schema: MonitorSchema = {
    features: specs.filter((s) => s.name !== options.target),
    outputs: specs.filter((s) => s.name === options.target),
    ...(skipped.length ? { skipped } : {}),
  };
  const rows = rowsOf(cur);
  // A column the current data lacks is missing in every row.
  const aligned = Object.fromEntries(specs.map((s) => [s.name, cur[s.name] ?? new Array<null>(rows).fill(null)]));
  const referenceProfile = buildProfile(ref, schema);
  const currentProfile = buildProfile(aligned, schema);
  const window: WindowSketchesData = {
    rows: currentProfile.rows,
    features: Object.fromEntries(currentProfile.features.map((f) => [f.name, f.sketch])),
    outputs: Object.fromEntries(currentProfile.outputs.map((f) => [f.name, f.sketch])),
  };
  const { target: _target, missingValues: _missing, columns: _columns, exclude: _exclude, ...reportOptions } = options;
  return {
    report: driftReport(referenceProfile, window, reportOptions),
    schema,
    reference: referenceProfile,
    current: currentProfile,
    ignored: Object.keys(cur).filter((name) => !Object.hasOwn(ref, name)),
    skipped,
  };
}

/** The choice of `columns` and `exclude`; throws BERTH_MONITOR_OPTION_INVALID for a name the reference lacks. */
function chooser(names: readonly string[], options: Pick<CompareDatasetsOptions, 'columns' | 'exclude'>): (name: string) => boolean {
  const known = new Set(names);
  for (const [option, list] of [['columns', options.columns], ['exclude', options.exclude]] as const) {
    const unknown = (list ?? []).filter((name) => !known.has(name));
    if (unknown.length) {
      throw Errors.MONITOR_OPTION_INVALID.create(option, `${unknown.map((n) => `'${n}'`).join(', ')} not in the reference, whose columns are ${names.join(', ')}`);
    }
  }
  const only = options.columns?.length ? new Set(options.columns) : undefined;
  const excluded = new Set(options.exclude ?? []);
  return (name) => (only === undefined || only.has(name)) && !excluded.has(name);
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function asBit(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  return word === 'true' ? 1 : word === 'false' ? 0 : value;
}
