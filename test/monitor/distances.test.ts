import { describe, expect, it } from 'vitest';
import { CategoricalSketch } from '../../src/monitor/categorical-sketch.js';
import { binNumeric } from '../../src/monitor/drift-bins.js';
import { DEFAULT_KLL_K } from '../../src/monitor/kll-sketch.js';
import { jensenshannon, jensenshannonNumeric, jensenshannonSketch } from '../../src/monitor/jensenshannon.js';
import { NumericSketch } from '../../src/monitor/numeric-sketch.js';
import { psi, psiNumeric, psiSketch } from '../../src/monitor/psi.js';
import { wasserstein, wassersteinDistance, wassersteinSketch } from '../../src/monitor/wasserstein.js';
import { expectClose, finiteColumn, loadFixture, loadLoans } from './fixtures.js';

interface Distances {
  wasserstein: { name: string; distance: number; normalised: number }[];
  binned: { name: string; psi: number; jensenshannon: number }[];
  loans: {
    current: 'current_stable' | 'current_drifted';
    column: string;
    wasserstein: { distance: number; normalised: number };
    psi: number;
    jensenshannon: number;
  }[];
}
interface Categorical {
  tables: { name: string; reference: number[]; current: number[]; jensenshannon: number; psi: number }[];
  jensenshannonVectors: { p: number[]; q: number[]; base: number | null; value: number }[];
  loans: { current: 'current_stable' | 'current_drifted'; column: string; jensenshannon: number; psi: number }[];
}
const distances = loadFixture<Distances>('distances.json');
const categorical = loadFixture<Categorical>('categorical.json');
const samples = new Map(loadFixture<{ cases: { name: string; x: number[]; y: number[] }[] }>('ks.json').cases.map((c) => [c.name, c]));
const loans = loadLoans();

const RAW = { rtol: 1e-9, atol: 1e-12 };

function sketchOf(values: readonly unknown[], k: number): NumericSketch {
  const sketch = new NumericSketch({ k });
  for (const v of values) sketch.add(v);
  return sketch;
}

describe('raw-sample distances against scipy', () => {
  it('wassersteinDistance matches scipy.stats.wasserstein_distance; wasserstein divides by np.std(reference)', () => {
    for (const c of distances.wasserstein) {
      const { x, y } = samples.get(c.name)!;
      expectClose(wassersteinDistance(x, y), c.distance, RAW, `${c.name} distance`);
      expectClose(wasserstein(x, y), c.normalised, RAW, `${c.name} normalised`);
    }
  });

  it('psi and jensenshannon on Evidently bins match numpy/scipy on the same bins', () => {
    for (const c of distances.binned) {
      const { x, y } = samples.get(c.name)!;
      expectClose(psiNumeric(x, y), c.psi, RAW, `${c.name} psi`);
      expectClose(jensenshannonNumeric(x, y), c.jensenshannon, RAW, `${c.name} jensenshannon`);
    }
  });

  it('jensenshannon(p, q, base) is scipy.spatial.distance.jensenshannon', () => {
    for (const c of categorical.jensenshannonVectors) {
      expectClose(jensenshannon(c.p, c.q, c.base ?? undefined), c.value, RAW, `js(${c.p}, ${c.q}, ${c.base})`);
    }
  });

  it('psi and jensenshannon on category counts match, including a category seen only in production', () => {
    for (const c of categorical.tables) {
      const p = c.reference.map((v) => v / c.reference.reduce((a, b) => a + b, 0));
      const q = c.current.map((v) => v / c.current.reduce((a, b) => a + b, 0));
      expectClose(psi(p, q), c.psi, RAW, `${c.name} psi`);
      expectClose(jensenshannon(p, q, 2), c.jensenshannon, RAW, `${c.name} jensenshannon`);
    }
  });

  it('loans: all three distances per numeric column and both windows', () => {
    for (const c of distances.loans) {
      const x = finiteColumn(loans.reference[c.column]!);
      const y = finiteColumn(loans[c.current][c.column]!);
      expectClose(wassersteinDistance(x, y), c.wasserstein.distance, RAW, `${c.current} ${c.column} W1`);
      expectClose(wasserstein(x, y), c.wasserstein.normalised, RAW, `${c.current} ${c.column} W1 normalised`);
      expectClose(psiNumeric(x, y), c.psi, RAW, `${c.current} ${c.column} psi`);
      expectClose(jensenshannonNumeric(x, y), c.jensenshannon, RAW, `${c.current} ${c.column} js`);
    }
  });

  it('uses Sturges bins over the combined range above 20 reference values, one bin per value otherwise', () => {
    const wide = binNumeric([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], [30]);
    expect(wide.edges).toHaveLength(Math.ceil(Math.log2(22) + 1) + 1);
    expect(wide.edges![wide.edges!.length - 1]).toBe(30);
    const narrow = binNumeric([1, 1, 2, 3], [3, 4]);
    expect(narrow.values).toEqual([1, 2, 3, 4]);
    expect(narrow.reference).toEqual([0.5, 0.25, 0.25, 0]);
  });

  it('never gives NaN: empty, constant, or disjoint samples', () => {
    expect(wasserstein([], [1, 2])).toBe(0);
    expect(wasserstein([3, 3, 3], [3, 3])).toBe(0);
    // Constant reference: scaled by the current spread (std 0.5): |mean shift| 0.5 -> 1.
    expect(wasserstein([3, 3, 3, 3], [3, 4])).toBeCloseTo(0.5 / 0.5, 12);
    expect(wasserstein([3, 3], [4, 4])).toBe(1);
    expect(psiNumeric([], [1])).toBe(0);
    expect(psiNumeric([1, 1, 1], [1, 1])).toBe(0);
    expect(Number.isFinite(psiNumeric([1, 2, 3], [7, 8, 9]))).toBe(true);
    expect(jensenshannonNumeric([1, 2, 3], [7, 8, 9])).toBeCloseTo(1, 12);
    expect(jensenshannon([0, 0], [1, 1])).toBe(0);
  });

  it('stays finite for the largest finite values (±Number.MAX_VALUE), whose range overflows', () => {
    const M = Number.MAX_VALUE;
    const reference = Array.from({ length: 30 }, (_, i) => i);
    for (const current of [[M, -M], [1, 2, M], [-M, -M / 3], [...reference, M, -M]]) {
      const bins = binNumeric([...reference, -M, M], current);
      expect(bins.edges!.every(Number.isFinite), String(current)).toBe(true);
      expect(bins.edges![0]).toBe(-M);
      expect(bins.edges![bins.edges!.length - 1]).toBe(M);
      for (const side of [bins.reference, bins.current]) expect(side.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (const value of [wasserstein(reference, current), wassersteinDistance(reference, current), psiNumeric(reference, current), jensenshannonNumeric(reference, current)]) {
        expect(Number.isFinite(value), String(current)).toBe(true);
      }
    }
    // W1 between a point at -M and a point at +M is 2M, which is capped at the largest double.
    expect(wassersteinDistance([-M], [M])).toBe(M);
    expect(wassersteinDistance([-M / 4], [M / 4])).toBe(M / 2);
    // The spread of ±M is M; a normal sample's spread is unchanged.
    expect(wasserstein([-M, M], [0])).toBeCloseTo(1, 12);
  });
});

// Sketch-based distances on the loans data: reference profile sketches (k = 2048) against window
// sketches (default k = 400), compared with scipy on the raw columns. The scale of Wasserstein is
// exact (moments); the error comes from the window's quantile sketch, largest in sparse tail bins
// for PSI. Measured over 8 input orders: |error| <= 0.005 (wasserstein), 0.014 (psi), 0.015 (js).
// Columns with at most 32 distinct values are exact (distinct-value counts).
describe('sketch-based distances against scipy on the loans data', () => {
  const tolerance = { wasserstein: 0.01, psi: 0.03, jensenshannon: 0.03 };
  it(`wasserstein within ${tolerance.wasserstein}, psi within ${tolerance.psi}, jensenshannon within ${tolerance.jensenshannon} (absolute)`, () => {
    for (const c of distances.loans) {
      const reference = sketchOf(loans.reference[c.column]!, 2048).toJSON();
      const current = sketchOf(loans[c.current][c.column]!, DEFAULT_KLL_K).toJSON();
      expectClose(wassersteinSketch(reference, current), c.wasserstein.normalised, { atol: tolerance.wasserstein }, `${c.current} ${c.column} W1`);
      expectClose(psiSketch(reference, current), c.psi, { atol: tolerance.psi }, `${c.current} ${c.column} psi`);
      expectClose(jensenshannonSketch(reference, current), c.jensenshannon, { atol: tolerance.jensenshannon }, `${c.current} ${c.column} js`);
      if (reference.distinct !== null && current.distinct !== null) {
        expectClose(wassersteinSketch(reference, current), c.wasserstein.normalised, RAW, `${c.current} ${c.column} exact W1`);
        expectClose(psiSketch(reference, current), c.psi, RAW, `${c.current} ${c.column} exact psi`);
      }
    }
  });

  it('categorical sketches give exactly the raw psi and jensenshannon', () => {
    for (const c of categorical.loans) {
      const reference = new CategoricalSketch();
      const current = new CategoricalSketch();
      loans.reference[c.column]!.forEach((v) => reference.add(v));
      loans[c.current][c.column]!.forEach((v) => current.add(v));
      expectClose(psiSketch(reference.toJSON(), current.toJSON()), c.psi, RAW, `${c.current} ${c.column} psi`);
      expectClose(jensenshannonSketch(reference.toJSON(), current.toJSON()), c.jensenshannon, RAW, `${c.current} ${c.column} js`);
    }
  });
});
