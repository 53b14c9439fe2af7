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
  const groups: number[][] = [];
  if (options.strata) {
    for (let i = 0; i < n; i++) {
      const c = options.strata[i]!;
      (groups[c] ??= []).push(i);
    }
  } else {
    groups.push(Array.from({ length: n }, (_, i) => i));
  }
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
