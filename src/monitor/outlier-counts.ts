/**
 * Outliers of one window: each row's outlier score is the number of its features outside the
 * reference (see OutlierReference); a window counts the rows scored, the rows with a score of at
 * least 1, the sum of scores and, per feature, the values that were outliers. Counts add, so
 * windows of several replicas and minutes merge exactly.
 */
import { categoryOf } from './categorical-sketch.js';
import { parseNumericValue } from './numeric-sketch.js';
import { type OutlierReference } from './outlier-reference.js';
import { type Columns } from './prediction-event.js';
import { ARRAY_BYTES, TYPED_ARRAY_BYTES } from './window-footprint.js';

/** Serialised outlier counts of a window (kept inside its sketches). */
export interface OutlierCountsData {
  /** Rows scored. */
  readonly rows: number;
  /** Rows with at least one outlying feature. */
  readonly outlierRows: number;
  /** Sum of the rows' scores (outlying features per row). */
  readonly scoreSum: number;
  /** Outlying values per feature. */
  readonly features: Readonly<Record<string, number>>;
}

/** Outliers of a range, as reports show them. */
export interface OutlierSummary extends OutlierCountsData {
  /** outlierRows / rows; null without rows. */
  readonly share: number | null;
  /** scoreSum / rows; null without rows. */
  readonly meanScore: number | null;
}

/** Accumulates a window's outlier counts. `record` is O(features × rows), no allocation once warm. */
export class OutlierCounts {
  private rows = 0;
  private outlierRows = 0;
  private scoreSum = 0;
  private readonly perFeature: number[];
  /** Each row's score in the request being recorded, reused across requests. */
  private scores = new Uint16Array(16);

  constructor(private readonly reference: OutlierReference) {
    this.perFeature = reference.checks.map(() => 0);
  }

  /** Scores the rows of one request; a feature the request lacks scores 0 (missing is not an outlier). */
  record(columns: Columns | undefined, rows: number): void {
    if (rows <= 0) return;
    if (this.scores.length < rows) this.scores = new Uint16Array(Math.max(rows, this.scores.length * 2));
    const scores = this.scores;
    scores.fill(0, 0, rows);
    const checks = this.reference.checks;
    if (columns !== undefined) {
      for (let k = 0; k < checks.length; k++) {
        const check = checks[k]!;
        const values = columns[check.name];
        if (!Array.isArray(values)) continue;
        const n = values.length < rows ? values.length : rows;
        let hits = 0;
        if (check.kind === 'numeric') {
          for (let i = 0; i < n; i++) {
            const x = parseNumericValue(values[i]);
            if (typeof x === 'number' && (x < check.low || x > check.high)) {
              scores[i]! += 1;
              hits++;
            }
          }
        } else {
          for (let i = 0; i < n; i++) {
            const category = categoryOf(values[i]);
            if (category !== undefined && !check.seen.has(category)) {
              scores[i]! += 1;
              hits++;
            }
          }
        }
        this.perFeature[k]! += hits;
      }
    }
    this.rows += rows;
    for (let i = 0; i < rows; i++) {
      const score = scores[i]!;
      if (score > 0) {
        this.outlierRows++;
        this.scoreSum += score;
      }
    }
  }

  /** Roughly the bytes of memory it holds (see window-footprint.ts). */
  estimatedBytes(): number {
    return 2 * TYPED_ARRAY_BYTES + ARRAY_BYTES + 8 * this.perFeature.length + this.scores.byteLength;
  }

  /** The JSON form (a copy). */
  toJSON(): OutlierCountsData {
    const features: Record<string, number> = {};
    this.reference.checks.forEach((check, k) => (features[check.name] = this.perFeature[k]!));
    return { rows: this.rows, outlierRows: this.outlierRows, scoreSum: this.scoreSum, features };
  }
}

/** Outlier counts added together; undefined when none of the windows had any. */
export function mergeOutlierCounts(counts: readonly (OutlierCountsData | undefined)[]): OutlierCountsData | undefined {
  let merged: { rows: number; outlierRows: number; scoreSum: number; features: Record<string, number> } | undefined;
  for (const c of counts) {
    if (c === undefined) continue;
    merged ??= { rows: 0, outlierRows: 0, scoreSum: 0, features: {} };
    merged.rows += c.rows;
    merged.outlierRows += c.outlierRows;
    merged.scoreSum += c.scoreSum;
    for (const [name, n] of Object.entries(c.features)) merged.features[name] = (merged.features[name] ?? 0) + n;
  }
  return merged;
}

/** The summary of merged counts; zeros when there are none (no reference, or no traffic). */
export function outlierSummary(counts: OutlierCountsData | undefined): OutlierSummary {
  const c = counts ?? { rows: 0, outlierRows: 0, scoreSum: 0, features: {} };
  return { ...c, share: c.rows > 0 ? c.outlierRows / c.rows : null, meanScore: c.rows > 0 ? c.scoreSum / c.rows : null };
}
