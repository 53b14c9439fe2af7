/**
 * How a shadow compares with the version that answered, per window: requests copied, dropped
 * (the shadow fell behind) and failed; for labels (classification, and integer, boolean or string
 * outputs) how many rows agree; for values (regression, floating-point outputs) the distribution of
 * differences shadow − primary; and both latencies side by side. Windows merge (replicas, ranges)
 * like the monitor's; the report is a pure function of merged windows.
 */
import { getFloat16 } from '@petamoriken/float16';
import type { Tensor } from '../core/tensor.js';
import type { Prediction } from '../core/prediction.js';
import { KllSketch, type KllSketchData } from './kll-sketch.js';
import { sketchQuantiles } from './sketch-quantile.js';

/** Values compared per output of one request at most: a huge tensor is compared on its first elements. */
export const MAX_COMPARED_ELEMENTS = 1024;

/** Sketch accuracy: differences and latencies need percentiles, not the drift tests' precision. */
const COMPARISON_KLL_K = 200;

/** The counts of a comparison window. */
export interface ComparisonCounts {
  /** Requests copied to the shadow and run (answered or failed). */
  readonly requests: number;
  /** Requests the shadow was given no time for: its queue was full. */
  readonly dropped: number;
  /** Requests the shadow failed on (its failures never reach the caller). */
  readonly failed: number;
  /** Rows compared (answered by both). */
  readonly rows: number;
  /** Labels compared, and those that agreed. */
  readonly labelled: number;
  readonly agreed: number;
}

/** The sketches of a comparison window, as JSON. */
export interface ComparisonSketchesData {
  /** Differences shadow − primary of every compared value. */
  readonly differences: KllSketchData;
  readonly sum: number;
  readonly absSum: number;
  readonly primaryLatency: KllSketchData;
  readonly shadowLatency: KllSketchData;
}

/** One window of one shadow's comparisons. */
export class ComparisonWindow {
  requests = 0;
  dropped = 0;
  failed = 0;
  rows = 0;
  labelled = 0;
  agreed = 0;
  #sum = 0;
  #absSum = 0;
  readonly #differences: KllSketch;
  readonly #primaryLatency: KllSketch;
  readonly #shadowLatency: KllSketch;

  constructor(counts?: ComparisonCounts, sketches?: ComparisonSketchesData) {
    if (counts) Object.assign(this, pickCounts(counts));
    this.#differences = sketches ? KllSketch.fromJSON(sketches.differences) : new KllSketch(COMPARISON_KLL_K);
    this.#primaryLatency = sketches ? KllSketch.fromJSON(sketches.primaryLatency) : new KllSketch(COMPARISON_KLL_K);
    this.#shadowLatency = sketches ? KllSketch.fromJSON(sketches.shadowLatency) : new KllSketch(COMPARISON_KLL_K);
    this.#sum = sketches?.sum ?? 0;
    this.#absSum = sketches?.absSum ?? 0;
  }

  /** The shadow answered a tensor request: compares the outputs both have, by name. */
  compareTensors(rows: number, primary: readonly Tensor[], shadow: readonly Tensor[], latency: { primaryMs: number; shadowMs: number }): void {
    this.#answered(rows, latency);
    for (const p of primary) {
      const s = shadow.find((t) => t.name === p.name);
      if (!s || s.data.length !== p.data.length) continue;
      const n = Math.min(p.data.length, MAX_COMPARED_ELEMENTS);
      if (isFloating(p.datatype) && isFloating(s.datatype)) {
        const [pv, sv] = [numberReader(p), numberReader(s)];
        for (let i = 0; i < n; i++) this.#difference(sv(i) - pv(i));
      } else {
        for (let i = 0; i < n; i++) this.#label(String(p.data[i]) === String(s.data[i]));
      }
    }
  }

  /** The shadow answered a records request: labels agree or not, values differ by so much. */
  comparePredictions(primary: readonly Prediction[], shadow: readonly Prediction[], latency: { primaryMs: number; shadowMs: number }): void {
    this.#answered(Math.min(primary.length, shadow.length), latency);
    for (let i = 0; i < primary.length && i < shadow.length; i++) {
      const p = primary[i]!;
      const s = shadow[i]!;
      if ('label' in p && 'label' in s) {
        this.#label(p.label === s.label);
        // How differently sure the shadow is of the primary's label.
        const pp = p.probabilities[p.label];
        const sp = s.probabilities[p.label];
        if (typeof pp === 'number' && typeof sp === 'number') this.#difference(sp - pp);
      } else if ('value' in p && 'value' in s) {
        this.#difference(s.value - p.value);
      }
    }
  }

  /** The shadow failed on a copied request. */
  shadowFailed(): void {
    this.requests++;
    this.failed++;
  }

  /** A copy was dropped because the shadow's queue was full. */
  droppedOne(): void {
    this.dropped++;
  }

  /** Adds another window of the same shadow (another replica's, the next minute's). */
  merge(other: ComparisonWindow): this {
    this.requests += other.requests;
    this.dropped += other.dropped;
    this.failed += other.failed;
    this.rows += other.rows;
    this.labelled += other.labelled;
    this.agreed += other.agreed;
    this.#sum += other.#sum;
    this.#absSum += other.#absSum;
    this.#differences.merge(other.#differences);
    this.#primaryLatency.merge(other.#primaryLatency);
    this.#shadowLatency.merge(other.#shadowLatency);
    return this;
  }

  counts(): ComparisonCounts {
    return pickCounts(this);
  }

  sketches(): ComparisonSketchesData {
    return {
      differences: this.#differences.toJSON(),
      sum: this.#sum,
      absSum: this.#absSum,
      primaryLatency: this.#primaryLatency.toJSON(),
      shadowLatency: this.#shadowLatency.toJSON(),
    };
  }

  #answered(rows: number, latency: { primaryMs: number; shadowMs: number }): void {
    this.requests++;
    this.rows += rows;
    this.#primaryLatency.update(latency.primaryMs);
    this.#shadowLatency.update(latency.shadowMs);
  }

  #label(agreed: boolean): void {
    this.labelled++;
    if (agreed) this.agreed++;
  }

  #difference(d: number): void {
    if (!Number.isFinite(d)) return;
    this.#differences.update(d);
    this.#sum += d;
    this.#absSum += Math.abs(d);
  }
}

/** The quantiles a report gives of the differences. */
export const DIFFERENCE_QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;

/** A shadow's comparison with the versions that answered, over a range. */
export interface ShadowComparisonReport {
  readonly model: string;
  readonly shadow: number;
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly dropped: number;
  readonly failed: number;
  /** failed / requests; null without requests. */
  readonly failureRate: number | null;
  readonly rows: number;
  /** Labels compared, the share that agreed and that did not; null when no labels were compared. */
  readonly agreement: { readonly labels: number; readonly rate: number; readonly disagreement: number } | null;
  /** Differences shadow − primary of values; null when no values were compared. */
  readonly differences: {
    readonly count: number;
    readonly mean: number;
    readonly meanAbsolute: number;
    readonly quantiles: readonly { readonly q: number; readonly value: number }[];
  } | null;
  /** Latency percentiles of the answering versions and of the shadow on the same requests, ms. */
  readonly latencyMs: {
    readonly primary: { readonly p50: number | null; readonly p99: number | null };
    readonly shadow: { readonly p50: number | null; readonly p99: number | null };
  };
}

/** The report of a merged window. */
export function comparisonReport(model: string, shadow: number, range: { readonly from: string; readonly to: string }, window: ComparisonWindow): ShadowComparisonReport {
  const sketches = window.sketches();
  const count = sketches.differences.n;
  const [p50, p99] = sketchQuantiles(sketches.primaryLatency, [0.5, 0.99]);
  const [s50, s99] = sketchQuantiles(sketches.shadowLatency, [0.5, 0.99]);
  const quantiles = sketchQuantiles(sketches.differences, DIFFERENCE_QUANTILES);
  return {
    model,
    shadow,
    from: range.from,
    to: range.to,
    requests: window.requests,
    dropped: window.dropped,
    failed: window.failed,
    failureRate: window.requests > 0 ? window.failed / window.requests : null,
    rows: window.rows,
    agreement: window.labelled > 0 ? { labels: window.labelled, rate: window.agreed / window.labelled, disagreement: 1 - window.agreed / window.labelled } : null,
    differences:
      count > 0
        ? { count, mean: sketches.sum / count, meanAbsolute: sketches.absSum / count, quantiles: DIFFERENCE_QUANTILES.map((q, i) => ({ q, value: quantiles[i]! })) }
        : null,
    latencyMs: { primary: { p50: p50 ?? null, p99: p99 ?? null }, shadow: { p50: s50 ?? null, p99: s99 ?? null } },
  };
}

function pickCounts(c: ComparisonCounts): ComparisonCounts {
  return { requests: c.requests, dropped: c.dropped, failed: c.failed, rows: c.rows, labelled: c.labelled, agreed: c.agreed };
}

/** Reads elements as numbers; FP16 travels as 16-bit patterns and is decoded here. */
function numberReader(tensor: Tensor): (index: number) => number {
  const data = tensor.data;
  if (tensor.datatype === 'FP16' && data instanceof Uint16Array) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return (index) => getFloat16(view, index * 2, true);
  }
  return (index) => Number(data[index]);
}

function isFloating(datatype: string): boolean {
  return datatype === 'FP16' || datatype === 'FP32' || datatype === 'FP64';
}
