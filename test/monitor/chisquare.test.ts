import { describe, expect, it } from 'vitest';
import { CategoricalSketch } from '../../src/monitor/categorical-sketch.js';
import { chisquare, chisquareSketch } from '../../src/monitor/chisquare.js';
import { adjustPValues } from '../../src/monitor/multiple-testing.js';
import { expectClose, loadFixture, loadLoans } from './fixtures.js';

interface Categorical {
  tables: {
    name: string;
    reference: number[];
    current: number[];
    statistic: number;
    pvalue: number;
    dof: number;
    noCorrection: { statistic: number; pvalue: number };
  }[];
  loans: {
    current: 'current_stable' | 'current_drifted';
    column: string;
    categories: string[];
    reference: number[];
    current_counts: number[];
    chisquare: { statistic: number; pvalue: number; dof: number };
  }[];
}
const categorical = loadFixture<Categorical>('categorical.json');
const multiple = loadFixture<{ cases: { p: number[]; bonferroni: number[]; benjaminiHochberg: number[] }[] }>('multiple-testing.json');
const loans = loadLoans();
const RAW = { rtol: 1e-10, atol: 1e-300 };

describe('chisquare against scipy.stats.chi2_contingency on the 2 x K table', () => {
  for (const t of categorical.tables) {
    it(`${t.name}: statistic, p-value and dof, with and without Yates' correction`, () => {
      const result = chisquare(t.reference, t.current);
      expectClose(result.statistic, t.statistic, RAW, `${t.name} statistic`);
      expectClose(result.pValue, t.pvalue, RAW, `${t.name} p-value`);
      expect(result.dof).toBe(t.dof);
      const plain = chisquare(t.reference, t.current, { correction: false });
      expectClose(plain.statistic, t.noCorrection.statistic, RAW, `${t.name} uncorrected statistic`);
      expectClose(plain.pValue, t.noCorrection.pvalue, RAW, `${t.name} uncorrected p-value`);
    });
  }

  it('loans: employment (a category only in production) and region, from sketches, equal scipy', () => {
    for (const c of categorical.loans) {
      const reference = new CategoricalSketch();
      const current = new CategoricalSketch();
      loans.reference[c.column]!.forEach((v) => reference.add(v));
      loans[c.current][c.column]!.forEach((v) => current.add(v));
      const result = chisquareSketch(reference.toJSON(), current.toJSON());
      expectClose(result.statistic, c.chisquare.statistic, RAW, `${c.current} ${c.column} statistic`);
      expectClose(result.pValue, c.chisquare.pvalue, RAW, `${c.current} ${c.column} p-value`);
      expect(result.dof).toBe(c.chisquare.dof);
    }
    expect(categorical.loans.find((c) => c.current === 'current_drifted' && c.column === 'employment')!.categories).toContain('gig_worker');
  });

  it('drops categories absent on both sides, and gives 0 / 1 for an empty side or one category', () => {
    expect(chisquare([10, 0, 5], [8, 0, 9]).dof).toBe(1);
    expect(chisquare([0, 0], [3, 4])).toEqual({ statistic: 0, pValue: 1, dof: 1, effectSize: 0 });
    expect(chisquare([40], [25])).toEqual({ statistic: 0, pValue: 1, dof: 0, effectSize: 0 });
  });

  it("reports Cramér's V, which stays small for a tiny shift in a huge sample", () => {
    const table = categorical.tables.find((t) => t.name === 'huge-sample-small-shift')!;
    expect(table.pvalue).toBeLessThan(0.001);
    const huge = chisquare(table.reference, table.current);
    expect(huge.effectSize).toBeCloseTo(Math.sqrt(table.statistic / 2e6), 12);
    expect(huge.effectSize).toBeLessThan(0.01);
    expect(chisquare([900, 100], [100, 900]).effectSize).toBeGreaterThan(0.7);
  });
});

describe('multiple-testing corrections', () => {
  it('Bonferroni and Benjamini-Hochberg match the numpy reference', () => {
    for (const c of multiple.cases) {
      adjustPValues(c.p, 'bonferroni').forEach((p, i) => expectClose(p, c.bonferroni[i]!, { rtol: 1e-14 }, `bonferroni ${i}`));
      adjustPValues(c.p, 'benjamini-hochberg').forEach((p, i) => expectClose(p, c.benjaminiHochberg[i]!, { rtol: 1e-14 }, `bh ${i}`));
      expect(adjustPValues(c.p, 'none')).toEqual(c.p);
    }
    expect(adjustPValues([], 'benjamini-hochberg')).toEqual([]);
  });
});
