/**
 * A KLL quantile sketch (Karnin, Lang and Liberty, "Optimal Quantile Approximation in Streams",
 * 2016): a stack of compactors where level h holds values of weight 2^h; a full level is sorted
 * and every other value is promoted, so the sketch keeps O(k) values for any stream length with a
 * rank error that shrinks as 1/k (Apache DataSketches' KLL: 1.3% at k = 200 with 99% confidence;
 * typical errors are several times smaller, see test/monitor). It is exact until it holds more
 * than k values, handles any finite number (negative included), merges with the same error bound
 * whatever the order of merges, and its state is plain JSON.
 *
 * Why written here rather than taken from npm: the maintained candidate, @datadog/sketches-js
 * (DDSketch), has relative *value* accuracy (bins of width ~1% of the value), not rank accuracy,
 * so features far from zero with a small spread (a credit score of 690 +- 60, a year) fall into a
 * handful of bins, too coarse for Kolmogorov-Smirnov, PSI or Jensen-Shannon; its merge ignores the
 * negative-value store (DataDog/sketches-js#22, open) and the zero count (#18, open); and it
 * serialises only to protobuf. A t-digest (npm `tdigest`) is most accurate in the tails and least
 * near the median, where KS and Wasserstein differences usually lie; KLL's error is uniform in rank,
 * which is what those statistics need, and its whole state is a few arrays of numbers.
 *
 * Compaction coins come from a xorshift generator whose state is part of the sketch, so a run is
 * reproducible and no global state is shared.
 */
import { Errors } from '../core/errors.js';
import { type WeightedSample, fromPairs } from './weighted-sample.js';
import { ARRAY_BYTES, KLL_SKETCH_BYTES, KLL_VALUE_BYTES } from './window-footprint.js';

/** Serialised KLL sketch: the values held at each level (weight 2^level) and the generator state. */
export interface KllSketchData {
  readonly k: number;
  /** Number of values summarised (the sum of the weights of the values held). */
  readonly n: number;
  readonly levels: readonly (readonly number[])[];
  readonly seed: number;
}

/** Default accuracy parameter of live windows: rank error under ~0.7% (99% confidence). */
export const DEFAULT_KLL_K = 400;
const MIN_K = 8;
const MAX_K = 65_536;
const MIN_LEVEL_WIDTH = 8;
const DECAY = 2 / 3;

/** A mergeable quantile sketch. `update` is amortised O(log k); state is O(k). */
export class KllSketch {
  private levels: number[][];
  private held = 0;
  private capacityTotal = 0;
  /** Each level's capacity, recomputed whenever the number of levels (or k) changes. */
  private capacities: number[] = [];
  private n = 0;
  private seed: number;
  private kValue: number;

  constructor(k: number = DEFAULT_KLL_K, seed = 0x9e3779b9) {
    this.kValue = validK(k);
    this.seed = seed >>> 0 || 1;
    this.levels = [[]];
    this.capacityTotal = this.totalCapacity();
  }

  /** Rebuilds a sketch from its JSON form; throws BERTH_MONITOR_DATA_INVALID when it is malformed. */
  static fromJSON(data: KllSketchData): KllSketch {
    if (typeof data !== 'object' || data === null || !Array.isArray(data.levels) || data.levels.length === 0) {
      throw invalid('it has no levels');
    }
    const sketch = new KllSketch(data.k, data.seed);
    sketch.levels = data.levels.map((level, h) => {
      if (!Array.isArray(level) || !level.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw invalid(`level ${h} holds a value that is not a finite number`);
      }
      return [...level];
    });
    const weight = sketch.levels.reduce((sum, level, h) => sum + level.length * 2 ** h, 0);
    if (data.n !== weight) throw invalid(`it says n = ${String(data.n)} but its levels weigh ${weight}`);
    sketch.n = weight;
    sketch.held = sketch.levels.reduce((sum, level) => sum + level.length, 0);
    sketch.capacityTotal = sketch.totalCapacity();
    return sketch;
  }

  /** Accuracy parameter k. */
  get k(): number {
    return this.kValue;
  }

  /** Number of values summarised. */
  get count(): number {
    return this.n;
  }

  /** Adds one finite value (callers filter missing and invalid values). */
  update(value: number): void {
    this.levels[0]!.push(value);
    this.n += 1;
    this.held += 1;
    if (this.held >= this.capacityTotal) this.compress();
  }

  /**
   * Adds the first `count` values of `values` (finite numbers) at once. Equivalent in distribution
   * to `count` calls of `update`, and much cheaper: the values are compacted in a few large sorts
   * rather than many small ones (compaction is lazy, as in DataSketches' KLL; a level briefly over
   * its capacity does not add error, which comes from the number of compactions).
   */
  updateMany(values: ArrayLike<number>, count: number = values.length): void {
    const level = this.levels[0]!;
    for (let i = 0; i < count; i++) level.push(values[i]!);
    this.n += count;
    this.held += count;
    while (this.held >= this.capacityTotal) this.compress();
  }

  /** Merges another sketch into this one; the result has the smaller k of the two. */
  merge(other: KllSketch | KllSketchData): this {
    const data = other instanceof KllSketch ? other.toJSON() : other;
    if (data.n === 0) return this;
    // Into an empty sketch, take the other's generator state too, so merge(empty, x) equals x.
    this.seed = this.n === 0 ? data.seed >>> 0 || 1 : (this.seed ^ Math.imul(data.seed >>> 0, 0x85ebca6b)) >>> 0 || 1;
    this.kValue = Math.min(this.kValue, validK(data.k));
    while (this.levels.length < data.levels.length) this.levels.push([]);
    data.levels.forEach((level, h) => {
      const target = this.levels[h]!;
      for (const v of level) target.push(v);
    });
    this.n += data.n;
    this.held += data.levels.reduce((sum, level) => sum + level.length, 0);
    this.capacityTotal = this.totalCapacity();
    while (this.held >= this.capacityTotal) this.compress();
    return this;
  }

  /** The values held with their weights, as a weighted sample. */
  sample(): WeightedSample {
    const pairs: [number, number][] = [];
    this.levels.forEach((level, h) => {
      const weight = 2 ** h;
      for (const v of level) pairs.push([v, weight]);
    });
    return fromPairs(pairs);
  }

  /** Roughly the bytes of memory it holds (see window-footprint.ts). */
  estimatedBytes(): number {
    return KLL_SKETCH_BYTES + this.levels.length * ARRAY_BYTES + this.held * KLL_VALUE_BYTES;
  }

  /** JSON form: plain arrays, levels sorted for readability and stable output. */
  toJSON(): KllSketchData {
    return { k: this.kValue, n: this.n, levels: this.levels.map((level) => [...level].sort((a, b) => a - b)), seed: this.seed };
  }

  private capacity(level: number): number {
    return this.capacities[level]!;
  }

  /**
   * Recomputes the levels' capacities and returns their sum. Called wherever the number of levels
   * or k may have changed; the update path then reads capacities from an array, which keeps
   * compaction cheap (it runs every few updates once the sketch is full).
   */
  private totalCapacity(): number {
    const levels = this.levels.length;
    let sum = 0;
    this.capacities.length = levels;
    for (let h = 0; h < levels; h++) {
      const depth = levels - h - 1;
      const capacity = Math.max(MIN_LEVEL_WIDTH, Math.ceil(this.kValue * DECAY ** depth));
      this.capacities[h] = capacity;
      sum += capacity;
    }
    return sum;
  }

  /** Compacts the lowest level that is over capacity (adding a level when the top one is). */
  private compress(): void {
    for (let h = 0; h < this.levels.length; h++) {
      const level = this.levels[h]!;
      if (level.length < this.capacity(h)) continue;
      const grew = h + 1 === this.levels.length;
      if (grew) this.levels.push([]);
      // Levels above the first are usually sorted already: what compaction promotes is sorted and
      // is merged in sorted (below). Otherwise a typed array sorts numbers natively, several times
      // faster than a comparator; compaction is most of the cost of an update.
      const sorted: ArrayLike<number> = h > 0 && isSorted(level) ? level : new Float64Array(level).sort();
      // An odd value out stays at this level with its weight; pairs are halved by a fair coin.
      const start = sorted.length % 2;
      const offset = this.nextCoin();
      const before = this.levels[h + 1]!.length;
      const up: number[] = [];
      for (let i = start + offset; i < sorted.length; i += 2) up.push(sorted[i]!);
      const promoted = mergeSorted(this.levels[h + 1]!, up);
      this.levels[h + 1] = promoted;
      const kept = start === 1 ? [sorted[0]!] : [];
      this.levels[h] = kept;
      this.held += kept.length + promoted.length - before - level.length;
      if (grew) this.capacityTotal = this.totalCapacity();
      if (this.held < this.capacityTotal) return;
    }
  }

  private nextCoin(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0 || 1;
    return this.seed & 1;
  }
}

/** True when the values are in ascending order. */
function isSorted(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i - 1]! > values[i]!) return false;
  return true;
}

/**
 * `target` with the sorted `run` added: merged in order when `target` is sorted (so the level
 * needs no sort at its next compaction), appended otherwise.
 */
function mergeSorted(target: number[], run: readonly number[]): number[] {
  if (run.length === 0) return target;
  if (target.length === 0 || target[target.length - 1]! <= run[0]!) {
    for (const v of run) target.push(v);
    return target;
  }
  if (!isSorted(target)) {
    for (const v of run) target.push(v);
    return target;
  }
  const merged = new Array<number>(target.length + run.length);
  let i = 0;
  let j = 0;
  let m = 0;
  while (i < target.length && j < run.length) merged[m++] = target[i]! <= run[j]! ? target[i++]! : run[j++]!;
  while (i < target.length) merged[m++] = target[i++]!;
  while (j < run.length) merged[m++] = run[j++]!;
  return merged;
}

function validK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < MIN_K || k > MAX_K) {
    throw invalid(`k must be an integer from ${MIN_K} to ${MAX_K}, not ${String(k)}`);
  }
  return k;
}

function invalid(problem: string): Error {
  return Errors.MONITOR_DATA_INVALID.create('A quantile sketch', problem);
}
