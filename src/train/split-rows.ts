/**
 * Seeded train/validation splits, stratified by class for classification so that every class keeps
 * its share on both sides. Given each row's content, identical rows (repeated requests, a client's
 * retries, a table of categories only) go to the same side, so no model is validated on a row it
 * was trained on. scripts/sklearn-reference.py implements the same procedure for rows told apart
 * by index (no contents), so the reference figures are computed on exactly the same rows.
 */
import type { InferredData } from './infer-schema.js';
import { SeededRandom } from './seeded-random.js';

/** Options for {@link splitRows}. */
export interface SplitOptions {
  /** Share of rows that go to validation, in (0, 1). */
  readonly fraction: number;
  readonly seed: number;
  /** Class index per row (0..classes-1) to stratify by; omitted for one group. */
  readonly strata?: ArrayLike<number>;
  /**
   * Each row's content (see {@link rowContents}): rows with the same content go to the same side.
   * Omitted, every row is its own.
   */
  readonly contents?: ArrayLike<string>;
}

/** Row indices of each side, ascending. */
export interface RowSplit {
  readonly train: Uint32Array;
  readonly validation: Uint32Array;
}

/**
 * Splits rows 0..n-1. Groups (classes, or all rows) are taken in ascending class order. Each
 * group's rows are gathered into units of identical content (one row each without `contents`),
 * the units are shuffled with one shared seeded stream, and walking them in that order a unit goes
 * to validation when that brings the group's validation rows nearer round(size × fraction). Without
 * duplicates these are the first round(size × fraction) rows of the shuffled group; with them each
 * group's validation rows stay within half its largest unit of that count. A group of two or more
 * units keeps at least one unit on each side; a group whose rows are all identical trains.
 */
export function splitRows(n: number, options: SplitOptions): RowSplit {
  const random = new SeededRandom(options.seed);
  const groups = options.strata ? groupBy(n, options.strata) : [Array.from({ length: n }, (_, i) => i)];
  const train: number[] = [];
  const validation: number[] = [];
  for (const group of groups) {
    if (!group) continue;
    const units = options.contents ? unitsOf(group, options.contents) : group.map((row) => [row]);
    // Shuffling unit numbers draws as shuffling the rows did, so rows without duplicates split as before.
    const order = random.shuffle(Array.from(units, (_, u) => u));
    let take = Math.floor(group.length * options.fraction + 0.5);
    if (units.length >= 2) take = Math.min(Math.max(take, 1), group.length - 1);
    else take = 0;
    const held = new Uint8Array(units.length);
    let count = 0;
    for (const u of order) {
      const size = units[u]!.length;
      if (Math.abs(count + size - take) < Math.abs(count - take)) {
        held[u] = 1;
        count += size;
      }
    }
    if (units.length >= 2 && (count === 0 || count === group.length)) {
      // Every unit too big to move nearer the count, or every one taken: the smallest unit
      // validates, or the largest trains (the first in shuffled order of equal ones).
      const pick = order.reduce((best, u) => (count === 0 ? units[u]!.length < units[best]!.length : units[u]!.length > units[best]!.length) ? u : best);
      held[pick] = count === 0 ? 1 : 0;
    }
    for (let u = 0; u < units.length; u++) for (const row of units[u]!) (held[u] ? validation : train).push(row);
  }
  return { train: Uint32Array.from(train).sort(), validation: Uint32Array.from(validation).sort() };
}

/**
 * Each used row's content, for {@link SplitOptions.contents}: its parsed feature values and its
 * target, so rows that differ only in a column training ignores, or in how a number is written
 * (`1`, `1.0`), are the same row.
 */
export function rowContents(data: Pick<InferredData, 'features' | 'target'>): string[] {
  const target = data.target;
  const n = target.task === 'classification' ? target.classes.length : target.values.length;
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify([...data.features.map((f) => f.values[i] ?? null), target.task === 'classification' ? target.classes[i]! : target.values[i]!]),
  );
}

/** A group's rows gathered by content, in order of first appearance. */
function unitsOf(group: readonly number[], contents: ArrayLike<string>): number[][] {
  const units = new Map<string, number[]>();
  for (const row of group) {
    const content = contents[row]!;
    const unit = units.get(content);
    if (unit) unit.push(row);
    else units.set(content, [row]);
  }
  return [...units.values()];
}

/** Options for {@link foldSplits}. */
export interface FoldOptions {
  /** How many folds, 2 or more. */
  readonly folds: number;
  readonly seed: number;
  /** Class index per row to stratify by, as in {@link SplitOptions}. */
  readonly strata?: ArrayLike<number>;
  /** Each row's content, as in {@link SplitOptions}: identical rows go to the same fold. */
  readonly contents?: ArrayLike<string>;
}

/**
 * K-fold splits of rows 0..n-1: fold f validates on its rows and trains on the others. Groups'
 * units (as in {@link splitRows}) are shuffled and dealt to the folds in turn, each going to the
 * fold with the fewest rows from where the last one went, so every class is spread over the folds.
 * Without duplicates that is plain dealing, each group starting where the last one stopped, and
 * fold sizes differ by at most one; with them, by at most the largest unit.
 */
export function foldSplits(n: number, options: FoldOptions): RowSplit[] {
  const random = new SeededRandom(options.seed);
  const fold = new Uint32Array(n);
  const sizes = new Array<number>(options.folds).fill(0);
  const groups = options.strata ? groupBy(n, options.strata) : [Array.from({ length: n }, (_, i) => i)];
  let next = 0;
  for (const group of groups) {
    if (!group) continue;
    const units = options.contents ? unitsOf(group, options.contents) : group.map((row) => [row]);
    for (const u of random.shuffle(Array.from(units, (_, u) => u))) {
      let to = next;
      for (let step = 1; step < options.folds; step++) {
        const f = (next + step) % options.folds;
        if (sizes[f]! < sizes[to]!) to = f;
      }
      for (const row of units[u]!) fold[row] = to;
      sizes[to] = sizes[to]! + units[u]!.length;
      next = (to + 1) % options.folds;
    }
  }
  return Array.from({ length: options.folds }, (_, f) => {
    const train: number[] = [];
    const validation: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? validation : train).push(i);
    return { train: Uint32Array.from(train), validation: Uint32Array.from(validation) };
  });
}

/** How many different contents the rows have (each row its own without contents). */
export function distinctContents(n: number, contents?: ArrayLike<string>): number {
  return contents ? new Set(Array.from({ length: n }, (_, i) => contents[i]!)).size : n;
}

function groupBy(n: number, strata: ArrayLike<number>): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < n; i++) (groups[strata[i]!] ??= []).push(i);
  return groups;
}
