/**
 * The sketch of one numeric feature over a window (or over the reference data): counts of every
 * value offered, missing, invalid and out-of-range values; min, max, mean and variance (Welford's
 * update, merged with the parallel formula of Chan, Golub and LeVeque); exact counts of each
 * distinct value while there are few (booleans, small integer codes, terms of 12/24/36 months);
 * and a KLL quantile sketch for everything else.
 *
 * Conventions: null, undefined, '' and NaN are missing (pandas' convention, and how CSV files
 * spell a gap); +-Infinity, non-numeric strings and objects are invalid; booleans count as 1 and
 * 0; numeric strings are parsed. Missing and invalid values are counted but not measured.
 * Out-of-range values (outside the schema's [min, max]) are counted *and* measured: the model saw
 * them. Counts merge exactly, so the rows of merged windows equal the rows served.
 */
import { Errors } from '../core/errors.js';
import { DEFAULT_KLL_K, KllSketch, type KllSketchData } from './kll-sketch.js';
import { type WeightedSample, fromPairs } from './weighted-sample.js';
import { MAP_BYTES, MAP_ENTRY_BYTES, NUMERIC_SKETCH_BYTES, TYPED_ARRAY_BYTES } from './window-footprint.js';

/** Most distinct values counted exactly; beyond it only the quantile sketch describes the values. */
export const DISTINCT_VALUES_CAP = 32;

/** Serialised numeric sketch: plain JSON, stored per window and inside profiles. */
export interface NumericSketchData {
  readonly kind: 'numeric';
  /** Every value offered, missing and invalid ones included. */
  readonly count: number;
  readonly missing: number;
  readonly invalid: number;
  /** Finite values outside the allowed range; they are also in the statistics below. */
  readonly outOfRange: number;
  /** Finite values summarised by the statistics below. */
  readonly n: number;
  /** null when n = 0. */
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number;
  /** Sum of squared deviations from the mean; the population variance is m2 / n. */
  readonly m2: number;
  /** [value, count] for each distinct value, ascending, or null once there are more than DISTINCT_VALUES_CAP. */
  readonly distinct: readonly (readonly [number, number])[] | null;
  readonly quantiles: KllSketchData;
}

/** Options of a numeric sketch. The range is configuration, not state: windows of one version share it. */
export interface NumericSketchOptions {
  /** Quantile sketch accuracy k (default DEFAULT_KLL_K = 400). */
  readonly k?: number;
  /** Allowed range from the schema; values outside it are counted as out of range. */
  readonly range?: { readonly min?: number; readonly max?: number };
}

/**
 * Values a sketch collects before handing them to its quantile sketch in one batch
 * (KllSketch.updateMany): a live window's hot path then pays a few native sorts per batch instead
 * of a compaction every few values, which made the quantile sketch most of the cost of recording.
 */
const BATCH = 256;
/** The batch's first size: it doubles up to BATCH, so a column of a quiet version holds a few values' room, not BATCH. */
const FIRST_BATCH = 16;

/**
 * Largest magnitude that enters the mean and variance as it is; larger finite values enter them
 * clamped to it. Squared deviations of values this size, times any realistic count, stay far
 * below Number.MAX_VALUE, so one absurd input (1e200) can never turn a window's moments into
 * Infinity and every report over it into an error. Min, max, quantiles and distinct counts keep
 * the true value.
 */
export const MOMENT_CLAMP = 1e100;

/** Accumulates a numeric feature. `add` is O(1) amortised: counter updates and an array write. */
export class NumericSketch {
  private count = 0;
  private missing = 0;
  private invalid = 0;
  private outOfRange = 0;
  private n = 0;
  private min = Infinity;
  private max = -Infinity;
  private mean = 0;
  private m2 = 0;
  /** Counts per distinct value; allocated on the first value, null once past DISTINCT_VALUES_CAP. */
  private distinct: Map<number, number> | null | undefined;
  /** Allocated when the first batch is handed over, so a column of a quiet window holds no quantile sketch. */
  private quantiles: KllSketch | undefined;
  private readonly k: number;
  /** Values measured but not yet in `quantiles` (see BATCH); allocated on first use. */
  private batch: Float64Array | undefined;
  private batched = 0;
  private readonly low: number;
  private readonly high: number;

  constructor(options: NumericSketchOptions = {}) {
    this.k = options.k ?? DEFAULT_KLL_K;
    this.low = options.range?.min ?? -Infinity;
    this.high = options.range?.max ?? Infinity;
  }

  /** Rebuilds a sketch from JSON; throws BERTH_MONITOR_DATA_INVALID when it is malformed. */
  static fromJSON(data: NumericSketchData, options: Omit<NumericSketchOptions, 'k'> = {}): NumericSketch {
    validateNumericSketch(data);
    const sketch = new NumericSketch({ ...options, k: data.quantiles.k });
    sketch.mergeCounts(data);
    sketch.quantiles = KllSketch.fromJSON(data.quantiles);
    return sketch;
  }

  /** Adds one raw value of any type, classifying it as missing, invalid or a number. */
  add(value: unknown): void {
    this.count += 1;
    const x = parseNumericValue(value);
    if (x === MISSING) this.missing += 1;
    else if (x === INVALID) this.invalid += 1;
    else this.measure(x);
  }

  /** Merges another sketch of the same feature into this one. */
  merge(other: NumericSketch | NumericSketchData): this {
    const data = other instanceof NumericSketch ? other.toJSON() : other;
    validateNumericSketch(data);
    this.flushBatch();
    this.mergeCounts(data);
    this.quantileSketch().merge(data.quantiles);
    return this;
  }

  /** The JSON form (a copy: later updates do not change it). */
  toJSON(): NumericSketchData {
    this.flushBatch();
    return {
      kind: 'numeric',
      count: this.count,
      missing: this.missing,
      invalid: this.invalid,
      outOfRange: this.outOfRange,
      n: this.n,
      min: this.n === 0 ? null : this.min,
      max: this.n === 0 ? null : this.max,
      mean: this.mean,
      m2: this.m2,
      distinct: this.distinct === null ? null : this.distinct === undefined ? [] : [...this.distinct.entries()].sort((a, b) => a[0] - b[0]),
      quantiles: (this.quantiles ?? new KllSketch(this.k)).toJSON(),
    };
  }

  /** Roughly the bytes of memory it holds (see window-footprint.ts). */
  estimatedBytes(): number {
    return (
      NUMERIC_SKETCH_BYTES +
      (this.distinct ? MAP_BYTES + MAP_ENTRY_BYTES * this.distinct.size : 0) +
      (this.batch ? TYPED_ARRAY_BYTES + this.batch.byteLength : 0) +
      (this.quantiles?.estimatedBytes() ?? 0)
    );
  }

  private measure(x: number): void {
    if (x < this.low || x > this.high) this.outOfRange += 1;
    this.n += 1;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const m = x > MOMENT_CLAMP ? MOMENT_CLAMP : x < -MOMENT_CLAMP ? -MOMENT_CLAMP : x;
    const delta = m - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (m - this.mean);
    if (this.distinct !== null) {
      const distinct = (this.distinct ??= new Map());
      distinct.set(x, (distinct.get(x) ?? 0) + 1);
      if (distinct.size > DISTINCT_VALUES_CAP) this.distinct = null;
    }
    let batch = this.batch;
    if (batch === undefined) batch = this.batch = new Float64Array(FIRST_BATCH);
    else if (this.batched === batch.length) {
      const grown = new Float64Array(batch.length * 2);
      grown.set(batch);
      batch = this.batch = grown;
    }
    batch[this.batched++] = x;
    if (this.batched === BATCH) this.flushBatch();
  }

  /** Hands the batched values to the quantile sketch. */
  private flushBatch(): void {
    if (this.batched === 0) return;
    this.quantileSketch().updateMany(this.batch!, this.batched);
    this.batched = 0;
  }

  private quantileSketch(): KllSketch {
    return (this.quantiles ??= new KllSketch(this.k));
  }

  /** Merges everything but the quantile sketch. */
  private mergeCounts(data: NumericSketchData): void {
    this.count += data.count;
    this.missing += data.missing;
    this.invalid += data.invalid;
    this.outOfRange += data.outOfRange;
    if (data.n > 0) {
      const n = this.n + data.n;
      const delta = data.mean - this.mean;
      this.mean = this.n === 0 ? data.mean : this.mean + (delta * data.n) / n;
      this.m2 = this.m2 + data.m2 + (delta * delta * this.n * data.n) / n;
      this.n = n;
      this.min = Math.min(this.min, data.min ?? Infinity);
      this.max = Math.max(this.max, data.max ?? -Infinity);
    }
    if (this.distinct !== null) {
      if (data.distinct === null) this.distinct = null;
      else if (data.distinct.length > 0) {
        const distinct = (this.distinct ??= new Map());
        for (const [v, c] of data.distinct) distinct.set(v, (distinct.get(v) ?? 0) + c);
        if (distinct.size > DISTINCT_VALUES_CAP) this.distinct = null;
      }
    }
  }
}

/** Merges two serialised numeric sketches into a new one (the inputs are not changed). */
export function mergeNumericSketches(a: NumericSketchData, b: NumericSketchData): NumericSketchData {
  return NumericSketch.fromJSON(a).merge(b).toJSON();
}

/** Population variance (ddof = 0) of the finite values; 0 when there are none. */
export function numericVariance(data: NumericSketchData): number {
  return data.n > 0 ? Math.max(0, data.m2 / data.n) : 0;
}

/**
 * The values of a sketch as a weighted sample: exact when the distinct values were counted (or
 * the quantile sketch has not compacted yet), the quantile sketch's values and weights otherwise.
 */
export function numericSample(data: NumericSketchData): WeightedSample {
  if (data.distinct !== null) return fromPairs(data.distinct);
  const sample = KllSketch.fromJSON(data.quantiles).sample();
  const compacted = data.quantiles.levels.some((level, h) => h > 0 && level.length > 0);
  return compacted && data.min !== null && data.max !== null ? { ...sample, approximate: { min: data.min, max: data.max } } : sample;
}

const MISSING = 'missing';
const INVALID = 'invalid';

/** How NumericSketch reads a raw value: a finite number, 'missing' or 'invalid' (see the module comment). */
export function parseNumericValue(value: unknown): number | 'missing' | 'invalid' {
  switch (typeof value) {
    case 'number':
      return Number.isNaN(value) ? MISSING : Number.isFinite(value) ? value : INVALID;
    case 'string': {
      const text = value.trim();
      if (text === '' || text === 'NaN' || text === 'nan') return MISSING;
      const x = Number(text);
      return Number.isFinite(x) ? x : INVALID;
    }
    case 'boolean':
      return value ? 1 : 0;
    case 'bigint': {
      const x = Number(value);
      return Number.isFinite(x) ? x : INVALID;
    }
    case 'undefined':
      return MISSING;
    default:
      return value === null ? MISSING : INVALID;
  }
}

function validateNumericSketch(data: NumericSketchData): void {
  const problem = numericSketchProblem(data);
  if (problem !== undefined) throw Errors.MONITOR_DATA_INVALID.create('A numeric sketch', problem);
}

function numericSketchProblem(data: NumericSketchData): string | undefined {
  if (typeof data !== 'object' || data === null || data.kind !== 'numeric') return "its kind is not 'numeric'";
  for (const key of ['count', 'missing', 'invalid', 'outOfRange', 'n'] as const) {
    if (!isCount(data[key])) return `${key} is not a non-negative integer`;
  }
  if (data.missing + data.invalid + data.n !== data.count) return 'missing + invalid + n differs from count';
  if (data.outOfRange > data.n) return 'outOfRange exceeds n';
  if (!Number.isFinite(data.mean) || !Number.isFinite(data.m2) || data.m2 < 0) return 'mean or m2 is not a finite number (m2 >= 0)';
  if (data.n > 0 && !(typeof data.min === 'number' && typeof data.max === 'number' && data.min <= data.max)) return 'min and max are missing or out of order';
  if (data.distinct !== null) {
    if (!Array.isArray(data.distinct)) return 'distinct is neither a list nor null';
    let total = 0;
    for (const pair of data.distinct) {
      if (!Array.isArray(pair) || !Number.isFinite(pair[0]) || !isCount(pair[1])) return 'distinct holds a pair that is not [number, count]';
      total += pair[1];
    }
    if (total !== data.n) return 'distinct counts do not add up to n';
  }
  if (typeof data.quantiles !== 'object' || data.quantiles === null || data.quantiles.n !== data.n) return 'its quantile sketch does not summarise n values';
  return undefined;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}
