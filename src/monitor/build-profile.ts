/**
 * Builds a reference profile from columns of data (as read from a CSV, or the model's outputs on
 * it). Sketches use a larger quantile sketch than live windows (k = 2048 keeps reference data of up
 * to 2048 rows exactly and has a rank error of about 0.1% beyond), since a profile is built once.
 */
import { Errors } from '../core/errors.js';
import { CategoricalSketch } from './categorical-sketch.js';
import { sturgesEdges } from './drift-bins.js';
import { createSketch, type SketchOptions } from './feature-sketch.js';
import { type FeatureSpec, type MonitorSchema, toMonitorSchema } from './feature-spec.js';
import { numericVariance, parseNumericValue } from './numeric-sketch.js';
import { type FeatureProfile, type Profile, PROFILE_FORMAT_VERSION } from './profile.js';

/** Default quantile sketch accuracy of a profile. */
export const PROFILE_KLL_K = 2048;
/** Default most categories kept per feature in a profile. */
export const PROFILE_MAX_CATEGORIES = 1024;
/** Quantiles a profile lists by default. */
export const PROFILE_QUANTILES: readonly number[] = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** Options of buildProfile. */
export interface BuildProfileOptions extends SketchOptions {
  readonly quantiles?: readonly number[];
}

/**
 * The profile of columns of data: `columns[name]` holds the values of feature (or output) `name`,
 * one per row, raw (numbers, numeric strings, categories, null or '' for missing). Every named
 * column must be present and all must have the same length; throws BERTH_MONITOR_DATA_INVALID
 * otherwise.
 *
 * @example
 *   buildProfile({ age: [31, 45, null], region: ['north', 'east', 'north'] },
 *                [{ name: 'age', kind: 'numeric' }, { name: 'region', kind: 'categorical' }]);
 */
export function buildProfile(
  columns: Readonly<Record<string, readonly unknown[]>>,
  schema: MonitorSchema | readonly FeatureSpec[],
  options: BuildProfileOptions = {},
): Profile {
  const { features, outputs = [] } = toMonitorSchema(schema);
  const sketchOptions = { k: options.k ?? PROFILE_KLL_K, maxCategories: options.maxCategories ?? PROFILE_MAX_CATEGORIES };
  const quantiles = options.quantiles ?? PROFILE_QUANTILES;
  for (const q of quantiles) {
    if (!(q >= 0 && q <= 1)) throw Errors.MONITOR_DATA_INVALID.create('The profile options', `quantile ${q} is not in [0, 1]`);
  }
  let rows: number | undefined;
  const profileOf = (spec: FeatureSpec): FeatureProfile => {
    const column = Object.hasOwn(columns, spec.name) ? columns[spec.name] : undefined;
    if (!Array.isArray(column)) throw Errors.MONITOR_DATA_INVALID.create('The profile data', `column '${spec.name}' is missing`);
    if (rows === undefined) rows = column.length;
    else if (column.length !== rows) {
      throw Errors.MONITOR_DATA_INVALID.create('The profile data', `column '${spec.name}' has ${column.length} values, others ${rows}`);
    }
    return featureProfile(spec, column, sketchOptions, quantiles);
  };
  const featureProfiles = features.map(profileOf);
  const outputProfiles = outputs.map(profileOf);
  return { formatVersion: PROFILE_FORMAT_VERSION, rows: rows ?? 0, features: featureProfiles, outputs: outputProfiles };
}

function featureProfile(spec: FeatureSpec, column: readonly unknown[], options: SketchOptions, quantiles: readonly number[]): FeatureProfile {
  const sketch = createSketch(spec, options);
  for (const value of column) sketch.add(value);
  if (sketch instanceof CategoricalSketch) {
    const data = sketch.toJSON();
    return {
      name: spec.name,
      kind: 'categorical',
      count: data.count,
      missing: data.missing,
      invalid: data.invalid,
      n: data.n,
      frequencies: data.categories,
      other: data.other,
      sketch: data,
    };
  }
  const data = sketch.toJSON();
  // Exact quantiles and the histogram need the values themselves, parsed as the sketch parsed them.
  const values = finiteValues(column);
  const edges = values.length > 0 ? sturgesEdges(values[0]!, values[values.length - 1]!, values.length) : [];
  return {
    name: spec.name,
    kind: 'numeric',
    count: data.count,
    missing: data.missing,
    invalid: data.invalid,
    outOfRange: data.outOfRange,
    n: data.n,
    min: data.min,
    max: data.max,
    mean: data.n > 0 ? data.mean : null,
    variance: data.n > 0 ? numericVariance(data) : null,
    quantiles: values.length > 0 ? quantiles.map((q) => ({ q, value: quantileOfSorted(values, q) })) : [],
    histogram: { edges, counts: edges.length > 0 ? countBins(values, edges) : [] },
    sketch: data,
  };
}

/** The finite values of a column, sorted, parsed by the same rules as NumericSketch. */
function finiteValues(column: readonly unknown[]): number[] {
  const values: number[] = [];
  for (const value of column) {
    const x = parseNumericValue(value);
    if (typeof x === 'number') values.push(x);
  }
  return values.sort((a, b) => a - b);
}

/** numpy.quantile(values, q) with the default linear method, on sorted values. */
function quantileOfSorted(sorted: readonly number[], q: number): number {
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  const t = position - low;
  const a = sorted[low]!;
  const b = sorted[high]!;
  // numpy's _lerp: from the nearer end, so the result is exact at t = 0 and t = 1.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

function countBins(sorted: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  let bin = 0;
  for (const v of sorted) {
    while (bin < counts.length - 1 && v >= edges[bin + 1]!) bin++;
    counts[bin]! += 1;
  }
  return counts;
}
