import { describe, expect, it } from 'vitest';
import { ks, ksSketch } from '../../src/monitor/ks.js';
import { ksPValue } from '../../src/monitor/ks-p-value.js';
import { NumericSketch } from '../../src/monitor/numeric-sketch.js';
import { expectClose, finiteColumn, loadFixture, loadLoans } from './fixtures.js';

interface KsCase {
  name: string;
  x: number[];
  y: number[];
  auto: { statistic: number; pvalue: number };
  exact: { statistic: number; pvalue: number };
  asymp: { statistic: number; pvalue: number };
}
interface LoansCase {
  current: 'current_stable' | 'current_drifted';
  column: string;
  ks: { statistic: number; pvalue: number };
  ksFirst9000: { statistic: number; pvalue: number };
}
const cases = loadFixture<{ cases: KsCase[] }>('ks.json').cases;
const loansCases = loadFixture<{ loans: LoansCase[] }>('distances.json').loans;
const loans = loadLoans();

// Raw-sample KS is the same arithmetic as scipy's: statistics agree to rounding, p-values to the
// accuracy of the Kolmogorov distributions (measured: 7e-10 relative at worst).
const STATISTIC = { rtol: 1e-12, atol: 1e-15 };
const P_VALUE = { rtol: 1e-8, atol: 1e-14 };

describe('ks against scipy.stats.ks_2samp', () => {
  for (const c of cases) {
    it(`${c.name}: auto, exact and asymp p-values`, () => {
      for (const method of ['auto', 'exact', 'asymp'] as const) {
        const result = ks(c.x, c.y, { method });
        expectClose(result.statistic, c[method].statistic, STATISTIC, `${c.name} ${method} statistic`);
        expectClose(result.pValue, c[method].pvalue, P_VALUE, `${c.name} ${method} p-value`);
      }
    });
  }

  it('chooses exact up to 10,000 values and asymptotic beyond, as scipy auto', () => {
    expect(ks([1, 2, 3], [2, 3, 4, 5]).method).toBe('exact');
    expect(ksPValue(10_000, 10_000, 0.02).method).toBe('exact');
    expect(ksPValue(10_001, 500, 0.02).method).toBe('asymp');
  });

  it('loans: 20,000 reference rows (asymptotic) and a 9,000-row slice (exact) against both windows', () => {
    for (const c of loansCases) {
      const reference = finiteColumn(loans.reference[c.column]!);
      const current = finiteColumn(loans[c.current][c.column]!);
      const full = ks(reference, current);
      expect(full.method).toBe('asymp');
      expectClose(full.statistic, c.ks.statistic, STATISTIC, `${c.current} ${c.column} statistic`);
      expectClose(full.pValue, c.ks.pvalue, P_VALUE, `${c.current} ${c.column} p-value`);
      const slice = ks(reference.slice(0, 9000), current);
      expect(slice.method).toBe('exact');
      expectClose(slice.statistic, c.ksFirst9000.statistic, STATISTIC, `${c.current} ${c.column} 9000 statistic`);
      // The exact p-value subtracts from 1: scipy's doc puts its floor near 1e-16, so compare absolutely there.
      expectClose(slice.pValue, c.ksFirst9000.pvalue, { rtol: 1e-8, atol: 1e-12 }, `${c.current} ${c.column} 9000 p-value`);
    }
  });

  it('gives statistic 0 and p-value 1 for an empty sample, and ignores non-finite values', () => {
    expect(ks([], [1, 2, 3])).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
    expect(ks([1, 2, Number.NaN, Infinity], [1, 2])).toMatchObject({ statistic: 0, pValue: 1 });
  });

  it('constant samples: equal constants give 0 and p = 1, different ones D = 1', () => {
    expect(ks([5, 5, 5, 5], [5, 5, 5])).toMatchObject({ statistic: 0, pValue: 1 });
    const apart = ks(new Array(50).fill(5), new Array(40).fill(6));
    expect(apart.statistic).toBe(1);
    expect(apart.pValue).toBeLessThan(1e-20);
  });
});

// Sketch-based KS: exact while a sketch holds every value; beyond, the statistic moves by at most
// the two rank errors (k = 2048 reference: ~0.1%; default k = 400 window: ~0.5%). Measured on the
// loans columns over 8 input orders: |error| <= 0.0021 (0.0054 with k = 200).
describe('ksSketch against scipy', () => {
  it('is exact when the sketches hold every value (n <= k)', () => {
    for (const c of cases.filter((x) => x.x.length <= 1000 && x.y.length <= 1000)) {
      const a = new NumericSketch({ k: 1024 });
      const b = new NumericSketch({ k: 1024 });
      c.x.forEach((v) => a.add(v));
      c.y.forEach((v) => b.add(v));
      const result = ksSketch(a.toJSON(), b.toJSON());
      expectClose(result.statistic, c.auto.statistic, STATISTIC, `${c.name} statistic`);
      expectClose(result.pValue, c.auto.pvalue, P_VALUE, `${c.name} p-value`);
    }
  });

  it('on loans (profile k = 2048, window k = 400) the statistic is within 0.005 of scipy', () => {
    for (const c of loansCases) {
      const reference = new NumericSketch({ k: 2048 });
      const current = new NumericSketch();
      loans.reference[c.column]!.forEach((v) => reference.add(v));
      loans[c.current][c.column]!.forEach((v) => current.add(v));
      const result = ksSketch(reference.toJSON(), current.toJSON());
      expectClose(result.statistic, c.ks.statistic, { atol: 0.005 }, `${c.current} ${c.column} sketch statistic`);
    }
  });
});
