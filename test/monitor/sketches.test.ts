import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/core/errors.js';
import {
  alignCategories,
  CategoricalSketch,
  type CategoricalSketchData,
  mergeCategoricalSketches,
  unseenCategories,
} from '../../src/monitor/categorical-sketch.js';
import { KllSketch } from '../../src/monitor/kll-sketch.js';
import { mergeNumericSketches, NumericSketch, type NumericSketchData, numericVariance } from '../../src/monitor/numeric-sketch.js';
import { type WeightedSample } from '../../src/monitor/weighted-sample.js';
import { mergeWindows, WindowSketches } from '../../src/monitor/window-sketches.js';
import { finiteColumn, loadFixture, loadLoans } from './fixtures.js';

const loans = loadLoans();
const profile = loadFixture<{ numeric: Record<string, { n: number; mean: number; variance: number; min: number; max: number }> }>('profile.json');

function numeric(values: readonly unknown[], k?: number): NumericSketchData {
  const sketch = new NumericSketch({ k });
  values.forEach((v) => sketch.add(v));
  return sketch.toJSON();
}

function categorical(values: readonly unknown[], maxCategories?: number): CategoricalSketchData {
  const sketch = new CategoricalSketch({ maxCategories });
  values.forEach((v) => sketch.add(v));
  return sketch.toJSON();
}

/** Rank of x in a weighted sample (values <= x). */
function rank(sample: WeightedSample, x: number): number {
  let sum = 0;
  sample.values.forEach((v, i) => {
    if (v <= x) sum += sample.weights[i]!;
  });
  return sum;
}

describe('KllSketch', () => {
  it('is exact until it holds more than k values, and keeps O(k) values beyond', () => {
    const small = new KllSketch(64);
    for (let i = 0; i < 60; i++) small.update(i - 30);
    expect([...small.sample().values]).toEqual(Array.from({ length: 60 }, (_, i) => i - 30));
    const big = new KllSketch(200);
    for (let i = 0; i < 200_000; i++) big.update(Math.sin(i) * 1000);
    const held = big.toJSON().levels.reduce((sum, level) => sum + level.length, 0);
    expect(big.count).toBe(200_000);
    expect(held).toBeLessThan(3 * 200);
  });

  it('keeps every rank within 1% at k = 400, negative values included', () => {
    const values = finiteColumn(loans.reference.credit_score!).map((v) => v - 700);
    const sketch = new KllSketch(400);
    values.forEach((v) => sketch.update(v));
    const sample = sketch.sample();
    const sorted = [...values].sort((a, b) => a - b);
    let worst = 0;
    for (const q of [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]) {
      const x = sorted[Math.floor(q * (sorted.length - 1))]!;
      const exact = sorted.filter((v) => v <= x).length;
      worst = Math.max(worst, Math.abs(rank(sample, x) - exact) / sorted.length);
    }
    expect(worst).toBeLessThan(0.01);
  });

  it('round-trips through JSON and refuses malformed state', () => {
    const sketch = new KllSketch(32);
    for (let i = 0; i < 1000; i++) sketch.update(i);
    const copy = KllSketch.fromJSON(JSON.parse(JSON.stringify(sketch.toJSON())));
    expect(copy.toJSON()).toEqual(sketch.toJSON());
    expect(() => KllSketch.fromJSON({ ...sketch.toJSON(), n: 999 })).toThrow(BerthError);
    expect(() => KllSketch.fromJSON({ k: 32, n: 1, levels: [['x' as unknown as number]], seed: 1 })).toThrow(/not a finite number/);
    expect(() => new KllSketch(3)).toThrow(/k must be/);
  });

  it('merges: weights add up and ranks stay within the bound', () => {
    const parts = [0, 1, 2, 3].map(() => new KllSketch(400));
    const all: number[] = [];
    for (let i = 0; i < 40_000; i++) {
      const v = ((i * 7919) % 10007) - 5000;
      parts[i % 4]!.update(v);
      all.push(v);
    }
    const merged = parts[0]!.merge(parts[1]!).merge(parts[2]!.merge(parts[3]!));
    expect(merged.count).toBe(40_000);
    const sample = merged.sample();
    expect(sample.total).toBe(40_000);
    for (const x of [-4000, 0, 2500]) expect(Math.abs(rank(sample, x) - all.filter((v) => v <= x).length) / all.length).toBeLessThan(0.01);
  });
});

describe('NumericSketch', () => {
  it('counts missing, invalid and out-of-range values; no value is lost from the count', () => {
    const sketch = new NumericSketch({ range: { min: 0, max: 10 } });
    for (const v of [1, '2.5', ' 3 ', null, undefined, '', Number.NaN, 'NaN', 'abc', Infinity, -Infinity, {}, true, false, 11, -1, 10n]) sketch.add(v);
    const data = sketch.toJSON();
    expect(data).toMatchObject({ count: 17, missing: 5, invalid: 4, n: 8, outOfRange: 2, min: -1, max: 11 });
    expect(data.distinct).toEqual([[-1, 1], [0, 1], [1, 2], [2.5, 1], [3, 1], [10, 1], [11, 1]]);
  });

  it('computes mean and population variance as numpy on the loans columns', () => {
    for (const [column, expected] of Object.entries(profile.numeric)) {
      const data = numeric(loans.reference[column]!);
      expect(data.n).toBe(expected.n);
      expect(data.min).toBe(expected.min);
      expect(data.max).toBe(expected.max);
      expect(Math.abs(data.mean - expected.mean) / Math.abs(expected.mean)).toBeLessThan(1e-12);
      expect(Math.abs(numericVariance(data) - expected.variance) / expected.variance).toBeLessThan(1e-10);
    }
  });

  it('merges with the parallel formula: any split and order gives the same counts and moments', () => {
    const values = loans.reference.annual_income!;
    const whole = numeric(values);
    const parts = [0, 1, 2, 3, 4].map((p) => numeric(values.filter((_, i) => i % 5 === p)));
    const left = parts.reduce((a, b) => mergeNumericSketches(a, b));
    const right = parts.reduceRight((a, b) => mergeNumericSketches(b, a));
    for (const merged of [left, right]) {
      expect(merged).toMatchObject({ count: whole.count, missing: whole.missing, invalid: whole.invalid, n: whole.n, min: whole.min, max: whole.max });
      expect(merged.mean).toBeCloseTo(whole.mean, 8);
      expect(numericVariance(merged) / numericVariance(whole)).toBeCloseTo(1, 12);
      expect(merged.quantiles.n).toBe(whole.n);
    }
  });

  it('counts distinct values exactly up to 32 and drops the counts beyond', () => {
    const terms = numeric(loans.reference.term_months!);
    expect(terms.distinct!.map(([v]) => v)).toEqual([12, 24, 36, 48, 60]);
    expect(terms.distinct!.reduce((sum, [, c]) => sum + c, 0)).toBe(terms.n);
    expect(numeric(loans.reference.age!).distinct).toBeNull();
    // Merging two sketches of 20 values each makes 40 distinct: the merge drops the counts too.
    const a = numeric(Array.from({ length: 20 }, (_, i) => i));
    const b = numeric(Array.from({ length: 20 }, (_, i) => i + 100));
    expect(mergeNumericSketches(a, b).distinct).toBeNull();
  });

  it('round-trips through JSON and refuses inconsistent data with BERTH_MONITOR_DATA_INVALID', () => {
    const data = numeric(loans.reference.loan_amount!);
    expect(NumericSketch.fromJSON(JSON.parse(JSON.stringify(data))).toJSON()).toEqual(data);
    const bad = { ...data, n: data.n + 1 };
    expect(() => NumericSketch.fromJSON(bad)).toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_DATA_INVALID' }));
    expect(() => NumericSketch.fromJSON({ ...data, m2: -1 })).toThrow(/m2/);
  });

  it('an empty sketch serialises with null min and max and merges as a neutral element', () => {
    const empty = new NumericSketch().toJSON();
    expect(empty).toMatchObject({ n: 0, min: null, max: null, mean: 0, m2: 0 });
    const data = numeric([1, 2, 3]);
    expect(mergeNumericSketches(empty, data)).toEqual(data);
  });

  it('updates in O(1) amortised time: a million values in well under a second', () => {
    const sketch = new NumericSketch();
    const start = performance.now();
    for (let i = 0; i < 1_000_000; i++) sketch.add((i * 2654435761) % 1_000_003);
    const elapsed = performance.now() - start;
    expect(sketch.toJSON().n).toBe(1_000_000);
    expect(elapsed).toBeLessThan(2000);
  });
});

describe('CategoricalSketch', () => {
  it('counts categories, missing and invalid values', () => {
    const data = categorical(['a', 'b', 'a', null, '', undefined, 3, true, {}, 'a']);
    expect(data).toMatchObject({ count: 10, missing: 3, invalid: 1, n: 6, other: 0 });
    expect(data.categories).toEqual([['a', 3], ['3', 1], ['b', 1], ['true', 1]]);
  });

  it('keeps at most maxCategories, the rest in other, and merges exactly associatively and commutatively', () => {
    const values = Array.from({ length: 3000 }, (_, i) => `c${(i * 37) % 500}`);
    const parts = [0, 1, 2].map((p) => categorical(values.filter((_, i) => i % 3 === p), 50));
    const whole = categorical(values, 50);
    expect(whole.categories).toHaveLength(50);
    expect(whole.n).toBe(3000);
    const [a, b, c] = parts as [CategoricalSketchData, CategoricalSketchData, CategoricalSketchData];
    const orders = [
      mergeCategoricalSketches(mergeCategoricalSketches(a, b), c),
      mergeCategoricalSketches(a, mergeCategoricalSketches(b, c)),
      mergeCategoricalSketches(mergeCategoricalSketches(c, a), b),
    ];
    for (const merged of orders) expect(merged).toEqual(whole);
  });

  it('kept categories have exact counts even when the sketch overflows', () => {
    const values = Array.from({ length: 5000 }, (_, i) => `v${i % 300}`);
    const data = categorical(values, 40);
    for (const [category, count] of data.categories) expect(count).toBe(values.filter((v) => v === category).length);
    expect(data.other + data.categories.reduce((s, [, c]) => s + c, 0)).toBe(5000);
  });

  it('stays fast on a high-cardinality stream (ids): a million values, 100,000 categories', () => {
    const sketch = new CategoricalSketch();
    const start = performance.now();
    for (let i = 0; i < 1_000_000; i++) sketch.add(`user-${(i * 7919) % 100_000}`);
    const elapsed = performance.now() - start;
    const data = sketch.toJSON();
    expect(data.categories).toHaveLength(256);
    expect(data.n).toBe(1_000_000);
    expect(elapsed).toBeLessThan(3000);
  });

  it('aligns two sketches on the same categories and finds categories seen only in production', () => {
    const reference = categorical(loans.reference.employment!);
    const current = categorical(loans.current_drifted.employment!);
    const aligned = alignCategories(reference, current);
    const gig = aligned.categories.indexOf('gig_worker');
    expect(gig).toBeGreaterThanOrEqual(0);
    expect(aligned.reference[gig]).toBe(0);
    expect(aligned.current[gig]).toBe(loans.current_drifted.employment!.filter((v) => v === 'gig_worker').length);
    const unseen = unseenCategories(reference, current);
    expect(unseen.categories.map(([c]) => c)).toEqual(['gig_worker']);
    expect(unseen.count).toBe(aligned.current[gig]);
    expect(unseen.unknown).toBe(0);
  });

  it('compares over-cap sketches on the categories both know exactly', () => {
    const reference = categorical(Array.from({ length: 2000 }, (_, i) => `k${i % 200}`), 150);
    const current = categorical(Array.from({ length: 1000 }, (_, i) => `k${i % 100}`), 60);
    const aligned = alignCategories(reference, current);
    expect(aligned.categories.at(-1)).toBe(aligned.otherKey);
    expect(aligned.reference.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(aligned.current.reduce((a, b) => a + b, 0)).toBe(1000);
    // Every named category has its exact count on both sides.
    aligned.categories.slice(0, -1).forEach((category, i) => {
      expect(aligned.reference[i]).toBe(10);
      expect(aligned.current[i]).toBe(Number(category.slice(1)) < 100 ? 10 : 0);
    });
  });

  it('refuses inconsistent JSON', () => {
    const data = categorical(['a', 'b']);
    expect(() => CategoricalSketch.fromJSON({ ...data, n: 3 })).toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_DATA_INVALID' }));
    expect(() => CategoricalSketch.fromJSON({ ...data, categories: [['a', 1], ['a', 1]] })).toThrow(/twice/);
  });
});

describe('WindowSketches', () => {
  const schema = {
    features: [
      { name: 'age', kind: 'numeric' as const, min: 18, max: 85 },
      { name: 'employment', kind: 'categorical' as const },
    ],
    outputs: [{ name: 'defaulted', kind: 'numeric' as const }],
  };

  it('records rows: an absent feature is missing, unknown fields are ignored, rows equal calls', () => {
    const window = new WindowSketches(schema);
    window.record({ age: 30, employment: 'salaried', extra: 1 }, { defaulted: 0 });
    window.record({ employment: 'retired', constructor: 'x' }, { defaulted: 1 });
    window.record({ age: 99 });
    const data = window.toJSON();
    expect(data.rows).toBe(3);
    expect(data.features.age).toMatchObject({ count: 3, missing: 1, n: 2, outOfRange: 1 });
    expect(data.features.employment).toMatchObject({ count: 3, missing: 1, n: 2 });
    expect(data.outputs.defaulted).toMatchObject({ count: 2, n: 2 });
  });

  it('merges windows of several replicas: rows and counts add up exactly', () => {
    const replicas = [0, 1, 2].map(() => new WindowSketches(schema));
    const rows = loans.current_drifted.age!.length;
    for (let i = 0; i < rows; i++) {
      replicas[i % 3]!.record({ age: loans.current_drifted.age![i], employment: loans.current_drifted.employment![i] }, { defaulted: loans.current_drifted.defaulted![i] });
    }
    const merged = mergeWindows(JSON.parse(JSON.stringify(replicas.map((r) => r.toJSON()))));
    expect(merged.rows).toBe(rows);
    expect(merged.features.age!.count).toBe(rows);
    expect(merged.features.employment!.count).toBe(rows);
    expect(merged.outputs.defaulted!.n).toBe(rows);
    expect(() => mergeWindows([merged, { rows: 1, features: { age: merged.features.employment! }, outputs: {} }])).toThrow(/categorical/);
  });

  it('refuses a schema that names a feature twice', () => {
    expect(() => new WindowSketches([{ name: 'a', kind: 'numeric' }, { name: 'a', kind: 'categorical' }])).toThrow(/twice/);
  });
});
