import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/train/seeded-random.js';
import { splitRows } from '../../src/train/split-rows.js';

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
