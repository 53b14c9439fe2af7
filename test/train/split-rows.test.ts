import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/train/seeded-random.js';
import { foldSplits, splitRows } from '../../src/train/split-rows.js';

describe('SeededRandom', () => {
  it('is mulberry32: reproducible, in [0, 1), different per seed', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.next())(new SeededRandom(1)));
    const b = Array.from({ length: 5 }, ((r) => () => r.next())(new SeededRandom(1)));
    expect(a).toEqual(b);
    // mulberry32(1)'s first value, as every port of it gives.
    expect(a[0]).toBeCloseTo(0.6270739405881613, 15);
    expect(new SeededRandom(2).next()).not.toBe(a[0]);
    for (const v of a) expect(v >= 0 && v < 1).toBe(true);
  });
});

describe('splitRows', () => {
  it('partitions every row once, reproducibly for a seed', () => {
    const one = splitRows(1000, { fraction: 0.2, seed: 9 });
    expect(one.validation.length).toBe(200);
    expect(new Set([...one.train, ...one.validation]).size).toBe(1000);
    expect(splitRows(1000, { fraction: 0.2, seed: 9 })).toEqual(one);
    expect(splitRows(1000, { fraction: 0.2, seed: 10 }).validation).not.toEqual(one.validation);
    expect(Array.from(one.validation)).toEqual([...one.validation].sort((a, b) => a - b));
  });

  it('keeps each class share on both sides when stratified', () => {
    const strata = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : i % 10 < 4 ? 2 : 0));
    const { train, validation } = splitRows(1000, { fraction: 0.25, seed: 1, strata });
    const count = (rows: Uint32Array, c: number): number => Array.from(rows).filter((r) => strata[r] === c).length;
    expect([0, 1, 2].map((c) => count(validation, c))).toEqual([150, 25, 75]);
    expect([0, 1, 2].map((c) => count(train, c))).toEqual([450, 75, 225]);
  });

  it('keeps a row of a small class on each side', () => {
    const strata = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    const { train, validation } = splitRows(10, { fraction: 0.1, seed: 0, strata });
    expect(Array.from(validation).filter((r) => strata[r] === 1)).toHaveLength(1);
    expect(Array.from(train).filter((r) => strata[r] === 1)).toHaveLength(1);
  });
});

describe('foldSplits', () => {
  it('validates every row in exactly one fold and trains on the rest, reproducibly for a seed', () => {
    const folds = foldSplits(103, { folds: 5, seed: 4 });
    expect(folds).toHaveLength(5);
    const validated = folds.flatMap((f) => Array.from(f.validation));
    expect(validated.sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    for (const fold of folds) {
      expect(fold.train.length + fold.validation.length).toBe(103);
      expect(new Set([...fold.train, ...fold.validation]).size).toBe(103);
    }
    expect(folds.map((f) => f.validation.length).sort()).toEqual([20, 20, 21, 21, 21]);
    expect(foldSplits(103, { folds: 5, seed: 4 })).toEqual(folds);
    expect(foldSplits(103, { folds: 5, seed: 5 })[0]!.validation).not.toEqual(folds[0]!.validation);
  });

  it('spreads each class over the folds when stratified', () => {
    const strata = Int32Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    for (const fold of foldSplits(200, { folds: 4, seed: 2, strata })) {
      expect(Array.from(fold.validation).filter((r) => strata[r] === 1)).toHaveLength(5);
      expect(fold.validation).toHaveLength(50);
    }
  });
});
