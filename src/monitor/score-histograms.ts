/**
 * A classifier's probabilities in one window, for confidence-based performance estimation: for
 * each class c, a histogram of the probability of c over every row (what ROC AUC is estimated
 * from) and over the rows predicted as c (what accuracy is estimated from), each bin holding its
 * count and the sum of its probabilities (so the estimate reads the calibration at the bin's mean,
 * not its middle). Counts and sums add, so windows of several replicas and minutes merge exactly.
 */
import { type Columns } from './prediction-event.js';
import { ARRAY_BYTES, TYPED_ARRAY_BYTES } from './window-footprint.js';

/** Equal-width bins over [0, 1] of a window's probability histograms. */
export const SCORE_BINS = 100;

/** One histogram, sparse: [bin, rows, sum of probabilities] for each bin with rows, bins ascending. */
export type SparseHistogram = readonly (readonly [number, number, number])[];

/** The serialised histograms of a window (kept inside its sketches). */
export interface ScoreHistogramsData {
  readonly bins: number;
  /** Rows recorded: with a predicted label and every class's probability. */
  readonly rows: number;
  /** By class label: every row's probability of the class, and the probability of the rows predicted as it. */
  readonly classes: Readonly<Record<string, { readonly all: SparseHistogram; readonly predicted: SparseHistogram }>>;
}

interface DenseClass {
  readonly label: string;
  readonly column: string;
  readonly allCount: Float64Array;
  readonly allSum: Float64Array;
  readonly predictedCount: Float64Array;
  readonly predictedSum: Float64Array;
}

/** Accumulates a window's histograms. `record` is O(classes) per row with no allocation. */
export class ScoreHistograms {
  private rows = 0;
  private readonly classes: readonly DenseClass[];

  /** `labels`: the model's class labels; a row's probabilities are the outputs `probability_<label>`. */
  constructor(labels: readonly string[]) {
    this.classes = labels.map((label) => ({
      label,
      column: `probability_${label}`,
      allCount: new Float64Array(SCORE_BINS),
      allSum: new Float64Array(SCORE_BINS),
      predictedCount: new Float64Array(SCORE_BINS),
      predictedSum: new Float64Array(SCORE_BINS),
    }));
  }

  /** Records the outputs of one request: `label` and `probability_<label>` per class. Rows lacking any are skipped. */
  record(outputs: Columns | undefined, rows: number): void {
    if (outputs === undefined || rows <= 0) return;
    const predicted = outputs.label;
    if (!Array.isArray(predicted)) return;
    const classes = this.classes;
    for (let k = 0; k < classes.length; k++) if (!Array.isArray(outputs[classes[k]!.column])) return;
    for (let i = 0; i < rows; i++) {
      let complete = true;
      for (let k = 0; k < classes.length; k++) {
        const p = outputs[classes[k]!.column]![i];
        if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
          complete = false;
          break;
        }
      }
      if (!complete) continue;
      const label = String(predicted[i]);
      this.rows++;
      for (let k = 0; k < classes.length; k++) {
        const c = classes[k]!;
        const p = outputs[c.column]![i] as number;
        const bin = p >= 1 ? SCORE_BINS - 1 : Math.floor(p * SCORE_BINS);
        c.allCount[bin]! += 1;
        c.allSum[bin]! += p;
        if (label === c.label) {
          c.predictedCount[bin]! += 1;
          c.predictedSum[bin]! += p;
        }
      }
    }
  }

  /** True when no row was recorded. */
  get empty(): boolean {
    return this.rows === 0;
  }

  /** Roughly the bytes of memory it holds (see window-footprint.ts): four histograms of SCORE_BINS doubles per class. */
  estimatedBytes(): number {
    return ARRAY_BYTES + this.classes.length * 4 * (TYPED_ARRAY_BYTES + 8 * SCORE_BINS);
  }

  /** The JSON form (a copy). */
  toJSON(): ScoreHistogramsData {
    const classes: Record<string, { all: SparseHistogram; predicted: SparseHistogram }> = {};
    for (const c of this.classes) classes[c.label] = { all: sparse(c.allCount, c.allSum), predicted: sparse(c.predictedCount, c.predictedSum) };
    return { bins: SCORE_BINS, rows: this.rows, classes };
  }
}

/**
 * Histograms added together; undefined when none of the windows had any. Windows with another bin
 * count (none are written so far) are left out rather than misread.
 */
export function mergeScoreHistograms(histograms: readonly (ScoreHistogramsData | undefined)[]): ScoreHistogramsData | undefined {
  let rows = 0;
  let any = false;
  const merged = new Map<string, { all: Map<number, [number, number]>; predicted: Map<number, [number, number]> }>();
  for (const h of histograms) {
    if (h === undefined || h.bins !== SCORE_BINS) continue;
    any = true;
    rows += h.rows;
    for (const [label, c] of Object.entries(h.classes)) {
      let target = merged.get(label);
      if (target === undefined) merged.set(label, (target = { all: new Map(), predicted: new Map() }));
      addSparse(target.all, c.all);
      addSparse(target.predicted, c.predicted);
    }
  }
  if (!any) return undefined;
  const classes: Record<string, { all: SparseHistogram; predicted: SparseHistogram }> = {};
  for (const [label, c] of merged) classes[label] = { all: fromMap(c.all), predicted: fromMap(c.predicted) };
  return { bins: SCORE_BINS, rows, classes };
}

function sparse(count: Float64Array, sum: Float64Array): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let b = 0; b < count.length; b++) if (count[b]! > 0) out.push([b, count[b]!, sum[b]!]);
  return out;
}

function addSparse(target: Map<number, [number, number]>, histogram: SparseHistogram): void {
  for (const [bin, n, sum] of histogram) {
    const entry = target.get(bin);
    if (entry === undefined) target.set(bin, [n, sum]);
    else {
      entry[0] += n;
      entry[1] += sum;
    }
  }
}

function fromMap(bins: Map<number, [number, number]>): [number, number, number][] {
  return [...bins].sort((a, b) => a[0] - b[0]).map(([bin, [n, sum]]) => [bin, n, sum]);
}
