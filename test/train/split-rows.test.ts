import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/train/seeded-random.js';
import { parseCsv } from '../../src/train/csv-table.js';
import { inferSchema } from '../../src/train/infer-schema.js';
import { foldSplits, rowContents, splitRows } from '../../src/train/split-rows.js';

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

describe('splitRows by content', () => {
  // Live traffic: 2000 rows of only 120 distinct contents, repeated 1 to 40 times each (a skewed
  // mix of repeated requests and retries), three classes.
  const random = new SeededRandom(3);
  const distinct = Array.from({ length: 120 }, (_, c) => ({ content: `row-${c}`, label: c % 3 }));
  const rows = Array.from({ length: 2000 }, () => distinct[Math.floor(random.next() ** 2 * distinct.length)]!);
  const contents = rows.map((r) => `${r.content}|${r.label}`);
  const strata = Int32Array.from(rows, (r) => r.label);
  const sides = (split: { train: Uint32Array; validation: Uint32Array }): { train: Set<string>; validation: Set<string> } => ({
    train: new Set(Array.from(split.train, (i) => contents[i]!)),
    validation: new Set(Array.from(split.validation, (i) => contents[i]!)),
  });

  it.each([{ stratified: true }, { stratified: false }])('puts identical rows on one side, near the fraction (%o)', ({ stratified }) => {
    for (const seed of [0, 1, 2, 3, 4]) {
      const split = splitRows(rows.length, { fraction: 0.3, seed, contents, ...(stratified ? { strata } : {}) });
      expect(split.train.length + split.validation.length).toBe(rows.length);
      const { train, validation } = sides(split);
      expect([...validation].filter((c) => train.has(c))).toEqual([]);
      // Within half the largest unit of each group of the requested count.
      const largest = Math.max(...[...new Set(contents)].map((c) => contents.filter((d) => d === c).length));
      const groups = stratified ? 3 : 1;
      expect(Math.abs(split.validation.length - 600)).toBeLessThanOrEqual((groups * largest) / 2);
      if (stratified) {
        for (const label of [0, 1, 2]) {
          const size = rows.filter((r) => r.label === label).length;
          const held = Array.from(split.validation).filter((i) => strata[i] === label).length;
          expect(Math.abs(held - Math.round(size * 0.3))).toBeLessThanOrEqual(largest / 2);
        }
      }
      expect(splitRows(rows.length, { fraction: 0.3, seed, contents, ...(stratified ? { strata } : {}) })).toEqual(split);
    }
    expect(splitRows(rows.length, { fraction: 0.3, seed: 1, contents }).validation).not.toEqual(splitRows(rows.length, { fraction: 0.3, seed: 2, contents }).validation);
  });

  it('splits rows told apart by index on both sides, as before (the leak contents close)', () => {
    const { train, validation } = sides(splitRows(rows.length, { fraction: 0.3, seed: 0, strata }));
    expect([...validation].filter((c) => train.has(c)).length).toBeGreaterThan(50);
  });

  it('splits rows that are all different exactly as without contents', () => {
    const unique = Array.from({ length: 1000 }, (_, i) => `u${i}`);
    const classes = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : i % 10 < 4 ? 2 : 0));
    for (const seed of [0, 9, 2024]) {
      expect(splitRows(1000, { fraction: 0.25, seed, strata: classes, contents: unique })).toEqual(splitRows(1000, { fraction: 0.25, seed, strata: classes }));
      expect(splitRows(1000, { fraction: 0.2, seed, contents: unique })).toEqual(splitRows(1000, { fraction: 0.2, seed }));
    }
  });

  it('keeps a unit on each side of a class of two contents, and trains a class whose rows are all identical', () => {
    const labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
    const same = ['a', 'a', 'a', 'a', 'a', 'b', 'c', 'c', 'c', 'c'];
    for (const seed of [0, 1, 2, 3]) {
      const { train, validation } = splitRows(10, { fraction: 0.2, seed, strata: labels, contents: same });
      expect(Array.from(validation, (i) => same[i])).toEqual(['b']);
      expect(Array.from(train, (i) => same[i]).sort()).toEqual(['a', 'a', 'a', 'a', 'a', 'c', 'c', 'c', 'c']);
    }
  });

  it('takes a row\'s content from its parsed features and target: ignored columns and how a number is written do not count', () => {
    const csv = ['id,size,color,label', ...Array.from({ length: 30 }, (_, i) => `${i},${i % 3 === 0 ? '1.0' : i % 3 === 1 ? '1' : '2'},red,${i % 2 ? 'yes' : 'no'}`)].join('\n');
    const inferred = inferSchema(parseCsv(Buffer.from(csv), 'test.csv'), { target: 'label' });
    expect(inferred.ignored.map((c) => c.name)).toContain('id');
    const contents = rowContents(inferred);
    expect(contents).toHaveLength(30);
    // size 1 (written 1.0 or 1) or 2, label yes or no: four contents.
    expect(new Set(contents).size).toBe(4);
    expect(contents[0]).toBe(contents[4]);
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

describe('foldSplits by content', () => {
  const random = new SeededRandom(5);
  const rows = Array.from({ length: 900 }, () => Math.floor(random.next() ** 2 * 90));
  const contents = rows.map((r) => `row-${r}`);
  const strata = Int32Array.from(rows, (r) => r % 2);

  it('puts every copy of a row in one fold, each fold near an equal share, reproducibly', () => {
    const largest = Math.max(...Array.from({ length: 90 }, (_, r) => rows.filter((x) => x === r).length));
    for (const seed of [0, 1, 2]) {
      const folds = foldSplits(900, { folds: 5, seed, strata, contents });
      const foldOf = new Map<string, number>();
      folds.forEach((fold, f) => {
        for (const i of fold.validation) {
          expect(foldOf.get(contents[i]!) ?? f).toBe(f);
          foldOf.set(contents[i]!, f);
        }
        expect(new Set(Array.from(fold.train, (i) => contents[i]!)).has(contents[fold.validation[0]!]!)).toBe(false);
      });
      expect(folds.reduce((sum, f) => sum + f.validation.length, 0)).toBe(900);
      const sizes = folds.map((f) => f.validation.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(largest);
      expect(foldSplits(900, { folds: 5, seed, strata, contents })).toEqual(folds);
    }
  });

  it('deals rows that are all different exactly as without contents', () => {
    const unique = Array.from({ length: 203 }, (_, i) => `u${i}`);
    const classes = Int32Array.from({ length: 203 }, (_, i) => (i % 10 === 0 ? 1 : i % 7 === 0 ? 2 : 0));
    for (const seed of [0, 4, 2024]) {
      expect(foldSplits(203, { folds: 5, seed, strata: classes, contents: unique })).toEqual(foldSplits(203, { folds: 5, seed, strata: classes }));
      expect(foldSplits(203, { folds: 3, seed, contents: unique })).toEqual(foldSplits(203, { folds: 3, seed }));
    }
  });
});

