/**
 * The calibration of a classifier on its reference data, the part of a reference profile that
 * confidence-based performance estimation (CBPE, as NannyML does it) needs: for each class c, an
 * isotonic (monotone) map from the model's probability of c to the frequency with which c was
 * the truth at that probability, fitted on the reference rows whose target is known. Built once,
 * at `berth train` or when a reference CSV with the target column is packaged, and stored in the
 * profile as plain JSON.
 */
import { Errors } from '../core/errors.js';

/** Probabilities are pooled into this many equal-width bins before the isotonic fit. */
export const CALIBRATION_BINS = 200;

/** One class's map: linear interpolation through the points (x ascending), flat beyond the ends. */
export interface ClassCalibration {
  readonly label: string;
  /** Probabilities of the class, ascending. */
  readonly x: readonly number[];
  /** The observed frequency of the class at each of them, non-decreasing. */
  readonly y: readonly number[];
}

/** A classifier's calibration on its reference data. */
export interface Calibration {
  /** The target column the truth came from. */
  readonly target: string;
  /** Reference rows with a known target and finite probabilities. */
  readonly rows: number;
  /** Class labels in the model's order (the positive class second for a binary model). */
  readonly labels: readonly string[];
  readonly classes: readonly ClassCalibration[];
}

/**
 * Fits the calibration of a classifier: `truth[i]` is row i's true label (as text; booleans are
 * matched to labels '1'/'0'), `probabilities[label][i]` the model's probability of `label` for row
 * i. Rows with a missing truth or a non-finite probability are left out. Throws
 * BERTH_MONITOR_DATA_INVALID when a label has no probability column, when no row is left, or when
 * the truth holds a single class (no map can be fitted from it).
 *
 * @example
 *   fitCalibration('defaulted', ['0', '1', '0'], { '0': [0.9, 0.2, 0.7], '1': [0.1, 0.8, 0.3] }, ['0', '1']);
 */
export function fitCalibration(
  target: string,
  truth: readonly unknown[],
  probabilities: Readonly<Record<string, readonly unknown[]>>,
  labels: readonly string[],
): Calibration {
  const columns = labels.map((label) => {
    const column = Object.hasOwn(probabilities, label) ? probabilities[label] : undefined;
    if (!Array.isArray(column)) throw Errors.MONITOR_DATA_INVALID.create('The calibration data', `class '${label}' has no probability column`);
    return column as readonly unknown[];
  });
  const kept: number[] = [];
  const truthLabels: string[] = [];
  for (let i = 0; i < truth.length; i++) {
    const label = truthLabel(truth[i], labels);
    if (label === undefined) continue;
    if (!columns.every((c) => isProbability(c[i]))) continue;
    kept.push(i);
    truthLabels.push(label);
  }
  if (kept.length === 0) throw Errors.MONITOR_DATA_INVALID.create('The calibration data', `no row has both a value of '${target}' and the model's probabilities`);
  if (new Set(truthLabels).size < 2) throw Errors.MONITOR_DATA_INVALID.create('The calibration data', `'${target}' holds a single class, so the model's calibration cannot be measured`);
  const classes = labels.map((label, j): ClassCalibration => {
    const column = columns[j]!;
    return { label, ...isotonicMap(kept.map((i) => Number(column[i])), truthLabels.map((t) => (t === label ? 1 : 0))) };
  });
  return { target, rows: kept.length, labels: [...labels], classes };
}

/** The calibrated probability of a class at the model's probability `p`. */
export function calibrate(map: ClassCalibration, p: number): number {
  const { x, y } = map;
  if (x.length === 0) return p;
  if (p <= x[0]!) return y[0]!;
  if (p >= x[x.length - 1]!) return y[y.length - 1]!;
  let low = 0;
  let high = x.length - 1;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (x[mid]! <= p) low = mid;
    else high = mid;
  }
  const span = x[high]! - x[low]!;
  return span > 0 ? y[low]! + ((y[high]! - y[low]!) * (p - x[low]!)) / span : y[high]!;
}

/** Reads a calibration from a profile's JSON; undefined when it is absent or not well formed. */
export function asCalibration(value: unknown): Calibration | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const c = value as Partial<Calibration>;
  if (typeof c.target !== 'string' || typeof c.rows !== 'number' || !Array.isArray(c.labels) || !Array.isArray(c.classes)) return undefined;
  const wellFormed = c.classes.every(
    (k: Partial<ClassCalibration>) => typeof k?.label === 'string' && Array.isArray(k.x) && Array.isArray(k.y) && k.x.length === k.y.length && k.x.every(Number.isFinite) && k.y.every(Number.isFinite),
  );
  return wellFormed && c.classes.length === c.labels.length ? (c as Calibration) : undefined;
}

/**
 * Pools (probability, outcome) pairs into CALIBRATION_BINS bins (mean probability, mean outcome,
 * weight), fits them with the pool-adjacent-violators algorithm, and keeps each block's first and
 * last mean probability with its fitted value: at most 2 × CALIBRATION_BINS points whatever the
 * number of rows.
 */
function isotonicMap(p: readonly number[], outcome: readonly number[]): { x: number[]; y: number[] } {
  const sumP = new Float64Array(CALIBRATION_BINS);
  const sumY = new Float64Array(CALIBRATION_BINS);
  const count = new Float64Array(CALIBRATION_BINS);
  for (let i = 0; i < p.length; i++) {
    const bin = Math.min(CALIBRATION_BINS - 1, Math.floor(p[i]! * CALIBRATION_BINS));
    sumP[bin]! += p[i]!;
    sumY[bin]! += outcome[i]!;
    count[bin]! += 1;
  }
  // Blocks of the PAV fit: mean outcome, weight, and the first and last mean probability pooled.
  const blocks: { y: number; w: number; first: number; last: number }[] = [];
  for (let b = 0; b < CALIBRATION_BINS; b++) {
    if (count[b] === 0) continue;
    const mean = sumP[b]! / count[b]!;
    let block = { y: sumY[b]! / count[b]!, w: count[b]!, first: mean, last: mean };
    while (blocks.length > 0 && blocks[blocks.length - 1]!.y >= block.y) {
      const previous = blocks.pop()!;
      const w = previous.w + block.w;
      block = { y: (previous.y * previous.w + block.y * block.w) / w, w, first: previous.first, last: block.last };
    }
    blocks.push(block);
  }
  const x: number[] = [];
  const y: number[] = [];
  for (const block of blocks) {
    x.push(block.first);
    y.push(block.y);
    if (block.last > block.first) {
      x.push(block.last);
      y.push(block.y);
    }
  }
  return { x, y };
}

function truthLabel(value: unknown, labels: readonly string[]): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'boolean' && !labels.includes(String(value))) return value ? '1' : '0';
  const text = String(value);
  return labels.includes(text) ? text : undefined;
}

function isProbability(value: unknown): boolean {
  const p = typeof value === 'number' ? value : Number(value);
  return (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '')) && p >= 0 && p <= 1;
}
