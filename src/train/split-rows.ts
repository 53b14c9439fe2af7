/**
 * Seeded train/validation splits, stratified by class for classification so that every class keeps
 * its share on both sides. scripts/sklearn-reference.py implements the same procedure, so the
 * reference figures are computed on exactly the same rows.
 */
import { SeededRandom } from './seeded-random.js';

/** Options for {@link splitRows}. */
export interface SplitOptions {
  /** Share of rows that go to validation, in (0, 1). */
  readonly fraction: number;
  readonly seed: number;
  /** Class index per row (0..classes-1) to stratify by; omitted for one group. */
  readonly strata?: ArrayLike<number>;
}

/** Row indices of each side, ascending. */
export interface RowSplit {
  readonly train: Uint32Array;
  readonly validation: Uint32Array;
}

/**
 * Splits rows 0..n-1. Groups (classes, or all rows) are taken in ascending class order; each is
 * shuffled with one shared seeded stream and its first round(size × fraction) rows go to
 * validation, keeping at least one row on each side of any group of two or more.
 */
export function splitRows(n: number, options: SplitOptions): RowSplit {
  const random = new SeededRandom(options.seed);
  const groups = options.strata ? groupBy(n, options.strata) : [Array.from({ length: n }, (_, i) => i)];
  const train: number[] = [];
  const validation: number[] = [];
  for (const group of groups) {
    if (!group) continue;
    random.shuffle(group);
    let take = Math.floor(group.length * options.fraction + 0.5);
    if (group.length >= 2) take = Math.min(Math.max(take, 1), group.length - 1);
    else take = 0;
    for (let i = 0; i < group.length; i++) (i < take ? validation : train).push(group[i]!);
  }
  return { train: Uint32Array.from(train).sort(), validation: Uint32Array.from(validation).sort() };
}

/** Options for {@link foldSplits}. */
export interface FoldOptions {
  /** How many folds, 2 or more. */
  readonly folds: number;
  readonly seed: number;
  /** Class index per row to stratify by, as in {@link SplitOptions}. */
  readonly strata?: ArrayLike<number>;
}

/**
 * K-fold splits of rows 0..n-1: fold f validates on its rows and trains on the others. Groups are
 * shuffled as in {@link splitRows} and dealt to the folds in turn, each group starting where the
 * last one stopped, so every class is spread over the folds and fold sizes differ by at most one.
 */
export function foldSplits(n: number, options: FoldOptions): RowSplit[] {
  const random = new SeededRandom(options.seed);
  const fold = new Uint32Array(n);
  const groups = options.strata ? groupBy(n, options.strata) : [Array.from({ length: n }, (_, i) => i)];
  let next = 0;
  for (const group of groups) {
    if (!group) continue;
    random.shuffle(group);
    for (const row of group) {
      fold[row] = next;
      next = (next + 1) % options.folds;
    }
  }
  return Array.from({ length: options.folds }, (_, f) => {
    const train: number[] = [];
    const validation: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? validation : train).push(i);
    return { train: Uint32Array.from(train), validation: Uint32Array.from(validation) };
  });
}

function groupBy(n: number, strata: ArrayLike<number>): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < n; i++) (groups[strata[i]!] ??= []).push(i);
  return groups;
}
