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

  /** JSON form: plain arrays, levels sorted for readability and stable output. */
  toJSON(): KllSketchData {
    return { k: this.kValue, n: this.n, levels: this.levels.map((level) => [...level].sort((a, b) => a - b)), seed: this.seed };
  }

  private capacity(level: number): number {
    const depth = this.levels.length - level - 1;
    return Math.max(MIN_LEVEL_WIDTH, Math.ceil(this.kValue * DECAY ** depth));
  }

  private totalCapacity(): number {
    let sum = 0;
    for (let h = 0; h < this.levels.length; h++) sum += this.capacity(h);
    return sum;
  }

  /** Compacts the lowest level that is over capacity (adding a level when the top one is). */
  private compress(): void {
    for (let h = 0; h < this.levels.length; h++) {
      const level = this.levels[h]!;
      if (level.length < this.capacity(h)) continue;
      if (h + 1 === this.levels.length) this.levels.push([]);
      level.sort((a, b) => a - b);
      // An odd value out stays at this level with its weight; pairs are halved by a fair coin.
      const start = level.length % 2;
      const offset = this.nextCoin();
      const promoted = this.levels[h + 1]!;
      for (let i = start + offset; i < level.length; i += 2) promoted.push(level[i]!);
      const kept = start === 1 ? [level[0]!] : [];
      this.levels[h] = kept;
      this.held = this.levels.reduce((sum, l) => sum + l.length, 0);
      this.capacityTotal = this.totalCapacity();
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

function validK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < MIN_K || k > MAX_K) {
    throw invalid(`k must be an integer from ${MIN_K} to ${MAX_K}, not ${String(k)}`);
  }
  return k;
}

function invalid(problem: string): Error {
  return Errors.MONITOR_DATA_INVALID.create('A quantile sketch', problem);
}
