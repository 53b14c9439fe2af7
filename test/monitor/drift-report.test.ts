import { describe, expect, it } from 'vitest';
import { buildProfile } from '../../src/monitor/build-profile.js';
import { type DriftReport, driftReport, type FeatureDrift } from '../../src/monitor/drift-report.js';
import { type FeatureSpec, type MonitorSchema } from '../../src/monitor/feature-spec.js';
import { emptyWindow, mergeWindows, WindowSketches, type WindowSketchesData } from '../../src/monitor/window-sketches.js';
import { expectClose, loadFixture, loadLoans, type LoansColumns } from './fixtures.js';

const loans = loadLoans();
const NUMERIC = ['age', 'annual_income', 'loan_amount', 'term_months', 'credit_score', 'open_accounts', 'has_mortgage'];
const CATEGORICAL = ['employment', 'region'];
const schema: MonitorSchema = {
  features: [...NUMERIC.map((name) => ({ name, kind: 'numeric' as const })), ...CATEGORICAL.map((name) => ({ name, kind: 'categorical' as const }))],
  outputs: [{ name: 'defaulted', kind: 'numeric' }],
};

interface Distances {
  loans: { current: string; column: string; wasserstein: { normalised: number }; jensenshannon: number }[];
}
interface Categorical {
  loans: { current: string; column: string; jensenshannon: number }[];
}
interface SmallReport {
  referenceRows: number;
  currentRows: number;
  reports: Record<string, { name: string; method: string; statistic: number; pvalue: number; effect: number; benjaminiHochberg: number; bonferroni: number }[]>;
}
const distances = loadFixture<Distances>('distances.json');
const categorical = loadFixture<Categorical>('categorical.json');
const small = loadFixture<SmallReport>('small-report.json');

function slice(columns: LoansColumns[keyof LoansColumns], rows: number): Record<string, (number | string | null)[]> {
  return Object.fromEntries(Object.entries(columns).map(([name, values]) => [name, values.slice(0, rows)]));
}

/** Records columns row by row, spread over `replicas` windows, and merges them as a report would. */
function windowOf(columns: Readonly<Record<string, readonly (number | string | null)[]>>, replicas = 3): WindowSketchesData {
  const windows = Array.from({ length: replicas }, () => new WindowSketches(schema));
  const rows = columns.age!.length;
  for (let i = 0; i < rows; i++) {
    const row = Object.fromEntries(schema.features.map((f) => [f.name, columns[f.name]![i]]));
    windows[i % replicas]!.record(row, { defaulted: columns.defaulted![i] });
  }
  return mergeWindows(windows.map((w) => JSON.parse(JSON.stringify(w.toJSON())) as WindowSketchesData));
}

function byName(report: DriftReport): Map<string, FeatureDrift> {
  return new Map(report.features.map((f) => [f.name, f]));
}

/** Every number anywhere in the report is finite (JSON would turn NaN into null). */
function expectAllFinite(value: unknown, path = 'report'): void {
  if (typeof value === 'number') expect(Number.isFinite(value), path).toBe(true);
  else if (Array.isArray(value)) value.forEach((v, i) => expectAllFinite(v, `${path}[${i}]`));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) expectAllFinite(v, `${path}.${k}`);
}

describe('driftReport on the loans data (20,000 reference rows: distances by default)', () => {
  const profile = buildProfile(loans.reference, schema);
  const stable = driftReport(profile, windowOf(loans.current_stable));
  const drifted = driftReport(profile, windowOf(loans.current_drifted));

  it("chooses Evidently's default methods: wasserstein for numbers, jensenshannon for categories and numbers with <= 5 values", () => {
    const methods = Object.fromEntries(stable.features.map((f) => [f.name, f.method]));
    expect(methods).toEqual({
      age: 'wasserstein',
      annual_income: 'wasserstein',
      loan_amount: 'wasserstein',
      term_months: 'jensenshannon',
      credit_score: 'wasserstein',
      open_accounts: 'wasserstein',
      has_mortgage: 'jensenshannon',
      employment: 'jensenshannon',
      region: 'jensenshannon',
    });
    expect(stable.features.every((f) => f.threshold === 0.1 && f.pValue === null && f.status === 'ok')).toBe(true);
  });

  it('statistics from sketches are close to scipy on the raw columns (exact for counted values and categories)', () => {
    for (const [name, report] of [['current_stable', stable], ['current_drifted', drifted]] as const) {
      const features = byName(report);
      for (const c of distances.loans.filter((x) => x.current === name && features.has(x.column))) {
        const f = features.get(c.column)!;
        if (f.method === 'wasserstein') expectClose(f.statistic, c.wasserstein.normalised, { atol: 0.01 }, `${name} ${c.column}`);
        else expectClose(f.statistic, c.jensenshannon, { rtol: 1e-9, atol: 1e-12 }, `${name} ${c.column}`);
      }
      for (const c of categorical.loans.filter((x) => x.current === name)) {
        expectClose(features.get(c.column)!.statistic, c.jensenshannon, { rtol: 1e-9 }, `${name} ${c.column}`);
      }
    }
  });

  it('flags nothing on the stable window', () => {
    expect(stable.features.filter((f) => f.drifted)).toEqual([]);
    expect(stable.driftedShare).toBe(0);
    expect(stable.datasetDrift).toBe(false);
    expect(stable.predictionDrift!.drifted).toBe(false);
  });

  it('flags income, credit score, loan amount and employment on the drifted window, and prediction drift', () => {
    expect(drifted.features.filter((f) => f.drifted).map((f) => f.name).sort()).toEqual(['annual_income', 'credit_score', 'employment', 'loan_amount']);
    expect(drifted.driftedShare).toBeCloseTo(4 / 9, 12);
    expect(drifted.datasetDrift).toBe(false);
    expect(driftReport(profile, windowOf(loans.current_drifted), { datasetDriftShare: 0.4 }).datasetDrift).toBe(true);
    expect(drifted.predictionDrift!.features[0]).toMatchObject({ name: 'defaulted', method: 'jensenshannon', drifted: true });
  });

  it('lists the category seen only in production', () => {
    const employment = byName(drifted).get('employment')!;
    expect(employment.unseenCategories!.categories.map(([c]) => c)).toEqual(['gig_worker']);
    expect(employment.unseenCategories!.count).toBe(loans.current_drifted.employment!.filter((v) => v === 'gig_worker').length);
    expect(byName(stable).get('employment')!.unseenCategories!.count).toBe(0);
  });

  it('counts every row: report rows equal rows recorded, per-feature rows exclude missing values', () => {
    expect(drifted.rows).toBe(5000);
    expect(drifted.reference.rows).toBe(20_000);
    const income = byName(drifted).get('annual_income')!;
    expect(income.rows.current + income.missing.current + income.invalid.current).toBe(5000);
    expect(income.missing.current).toBe(loans.current_drifted.annual_income!.filter((v) => v === null).length);
  });

  it('applies a method override where it fits, the default elsewhere', () => {
    const ks = driftReport(profile, windowOf(loans.current_drifted), { method: 'ks' });
    const methods = byName(ks);
    expect(methods.get('annual_income')!.method).toBe('ks');
    expect(methods.get('has_mortgage')!.method).toBe('ks');
    expect(methods.get('employment')!.method).toBe('jensenshannon');
    expect(ks.features.filter((f) => f.drifted).map((f) => f.name).sort()).toEqual(['annual_income', 'credit_score', 'employment', 'loan_amount']);
    const chi = byName(driftReport(profile, windowOf(loans.current_drifted), { method: 'chisquare' }));
    expect(chi.get('term_months')!.method).toBe('chisquare');
    expect(chi.get('open_accounts')!.method).toBe('chisquare');
    expect(chi.get('age')!.method).toBe('wasserstein');
    expect(chi.get('employment')!.method).toBe('chisquare');
    const psi = driftReport(profile, windowOf(loans.current_stable), { method: 'psi' });
    expect(psi.features.every((f) => f.method === 'psi' && !f.drifted)).toBe(true);
  });

  it('is plain, finite JSON', () => {
    expectAllFinite(drifted);
    expect(JSON.parse(JSON.stringify(drifted))).toEqual(drifted);
  });
});

describe('driftReport with a small reference (800 rows: tests by default) against scipy', () => {
  const profile = buildProfile(slice(loans.reference, small.referenceRows), schema);
  for (const [current, expected] of Object.entries(small.reports)) {
    it(`${current}: ks / chisquare statistics, p-values and Benjamini-Hochberg adjustments equal scipy's`, () => {
      const report = driftReport(profile, windowOf(slice(loans[current as keyof LoansColumns], small.currentRows)));
      const features = byName(report);
      for (const e of expected) {
        const f = features.get(e.name)!;
        expect(f.method).toBe(e.method);
        expectClose(f.statistic, e.statistic, { rtol: 1e-10, atol: 1e-14 }, `${current} ${e.name} statistic`);
        expectClose(f.pValue!, e.pvalue, { rtol: 1e-8, atol: 1e-14 }, `${current} ${e.name} p-value`);
        expectClose(f.adjustedPValue!, e.benjaminiHochberg, { rtol: 1e-8, atol: 1e-14 }, `${current} ${e.name} BH`);
        expectClose(f.effectSize!, e.effect, { rtol: 1e-10, atol: 1e-14 }, `${current} ${e.name} effect`);
        expect(f.drifted).toBe(e.benjaminiHochberg < 0.05 && e.effect >= 0.1);
      }
      const bonferroni = byName(driftReport(profile, windowOf(slice(loans[current as keyof LoansColumns], small.currentRows)), { correction: 'bonferroni' }));
      for (const e of expected) expectClose(bonferroni.get(e.name)!.adjustedPValue!, e.bonferroni, { rtol: 1e-8, atol: 1e-14 }, `${current} ${e.name} Bonferroni`);
    });
  }

  it('drifted window: income, loan amount, credit score and employment flagged', () => {
    const report = driftReport(profile, windowOf(slice(loans.current_drifted, small.currentRows)));
    expect(report.features.filter((f) => f.drifted).map((f) => f.name).sort()).toEqual(['annual_income', 'credit_score', 'employment', 'loan_amount']);
  });
});

describe('driftReport edge cases: sensible answers, never NaN', () => {
  const numericOnly: FeatureSpec[] = [{ name: 'x', kind: 'numeric' }];
  const categoricalOnly: FeatureSpec[] = [{ name: 'c', kind: 'categorical' }];
  const window = (specs: FeatureSpec[], rows: Record<string, unknown>[]): WindowSketchesData => {
    const w = new WindowSketches(specs);
    rows.forEach((r) => w.record(r));
    return w.toJSON();
  };
  const column = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

  it('an empty window: nothing assessed, nothing drifted', () => {
    const profile = buildProfile(loans.reference, schema);
    const report = driftReport(profile, emptyWindow(schema));
    expect(report.rows).toBe(0);
    expect(report.features.every((f) => f.status === 'no-current-data' && !f.drifted && f.statistic === 0)).toBe(true);
    expect(report.driftedShare).toBe(0);
    expect(report.datasetDrift).toBe(false);
    expectAllFinite(report);
    // A window that lacks a feature altogether is the same as an empty one for it.
    expect(driftReport(profile, { rows: 0, features: {}, outputs: {} }).features.every((f) => f.status === 'no-current-data')).toBe(true);
  });

  it('one absurd but finite value (1e200) leaves the window and every report over it finite', () => {
    const profile = buildProfile({ x: column(200, (i) => i) }, numericOnly);
    // Split over two windows so the merge formula sees the huge value too.
    const a = window(numericOnly, [...column(99, (i) => ({ x: i })), { x: 1e200 }]);
    const b = window(numericOnly, [{ x: -1e200 }, ...column(99, (i) => ({ x: i + 100 }))]);
    const merged = mergeWindows([a, b]);
    expectAllFinite(merged);
    const x = merged.features.x as { min: number; max: number; n: number };
    expect(x).toMatchObject({ min: -1e200, max: 1e200, n: 200 });
    for (const method of ['wasserstein', 'ks', 'psi'] as const) {
      const report = driftReport(profile, merged, { method });
      expect(report.rows).toBe(200);
      expectAllFinite(report);
    }
  });

  it('the largest finite values (±Number.MAX_VALUE), alone or among ordinary ones, leave every report and its bins finite', () => {
    const M = Number.MAX_VALUE;
    const profiles = [buildProfile({ x: column(200, (i) => i) }, numericOnly), buildProfile({ x: column(2000, (i) => i / 7) }, numericOnly)];
    const currents = [
      [{ x: M }, { x: -M }],
      [...column(50, (i) => ({ x: i })), { x: M }, { x: -M }],
      [...column(50, (i) => ({ x: i })), { x: M }],
      [...column(50, (i) => ({ x: -i })), { x: -M }],
      [{ x: M }, { x: M }, { x: M / 2 }],
    ];
    for (const profile of profiles) {
      for (const rows of currents) {
        const merged = mergeWindows([window(numericOnly, rows.slice(0, 1)), window(numericOnly, rows.slice(1))]);
        expectAllFinite(merged);
        for (const method of [undefined, 'wasserstein', 'ks', 'psi', 'jensenshannon'] as const) {
          const report = driftReport(profile, merged, method === undefined ? {} : { method });
          expectAllFinite(report, `${JSON.stringify(rows.slice(-2))} ${method}`);
          const bins = report.features[0]!.bins!;
          for (const side of [bins.reference, bins.current]) expect(side.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        }
      }
    }
    // A reference that itself spans the whole range of doubles.
    const wide = buildProfile({ x: column(200, (i) => (i === 0 ? -M : i === 199 ? M : i)) }, numericOnly);
    for (const method of ['wasserstein', 'ks', 'psi', 'jensenshannon'] as const) {
      expectAllFinite(driftReport(wide, window(numericOnly, column(100, (i) => ({ x: i * 3 }))), { method }));
    }
  });

  it('a window of only missing values is empty for that feature', () => {
    const profile = buildProfile({ x: column(50, (i) => i) }, numericOnly);
    const report = driftReport(profile, window(numericOnly, column(10, () => ({ x: null }))));
    expect(report.features[0]).toMatchObject({ status: 'no-current-data', drifted: false, missing: { current: 10 } });
  });

  it('a constant feature: same constant is no drift, another constant is drift (small and large references)', () => {
    for (const rows of [100, 5000]) {
      const profile = buildProfile({ x: column(rows, () => 7) }, numericOnly);
      const same = driftReport(profile, window(numericOnly, column(200, () => ({ x: 7 })))).features[0]!;
      const other = driftReport(profile, window(numericOnly, column(200, () => ({ x: 8 })))).features[0]!;
      expect(same).toMatchObject({ statistic: 0, drifted: false });
      expect(other.drifted).toBe(true);
      expectAllFinite([same, other]);
    }
    // Constant reference, spread-out current: Wasserstein scales by the current spread.
    const profile = buildProfile({ x: column(5000, () => 7) }, numericOnly);
    const spread = driftReport(profile, window(numericOnly, column(1000, (i) => ({ x: 7 + (i % 10) / 10 }))), { method: 'wasserstein' }).features[0]!;
    expect(spread.drifted).toBe(true);
    expectAllFinite(spread);
  });

  it('a single category: chi-square 0 / p 1 and Jensen-Shannon 0 when unchanged, drift when it changes', () => {
    for (const rows of [100, 5000]) {
      const profile = buildProfile({ c: column(rows, () => 'a') }, categoricalOnly);
      const same = driftReport(profile, window(categoricalOnly, column(300, () => ({ c: 'a' })))).features[0]!;
      expect(same).toMatchObject({ statistic: 0, drifted: false });
      if (same.method === 'chisquare') expect(same.pValue).toBe(1);
      const other = driftReport(profile, window(categoricalOnly, column(300, () => ({ c: 'b' })))).features[0]!;
      expect(other.drifted).toBe(true);
      expect(other.unseenCategories!.categories).toEqual([['b', 300]]);
    }
  });

  it('very large samples: a negligible shift is significant but below the effect-size floor', () => {
    // Deterministic normal draws (Box-Muller over a 32-bit LCG).
    let state = 42;
    const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 1) / 2 ** 32;
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const profile = buildProfile({ x: column(20_000, normal) }, numericOnly);
    const w = new WindowSketches(numericOnly);
    for (let i = 0; i < 400_000; i++) w.record({ x: normal() + 0.03 });
    const report = driftReport(profile, w.toJSON(), { method: 'ks' });
    const f = report.features[0]!;
    expect(f.pValue).toBeLessThan(0.05);
    expect(f.effectSize).toBeLessThan(0.1);
    expect(f.drifted).toBe(false);
    expect(driftReport(profile, w.toJSON(), { method: 'ks', minEffect: { ks: 0 } }).features[0]!.drifted).toBe(true);
    // The default for this size is the normalised Wasserstein distance, an effect size itself.
    expect(driftReport(profile, w.toJSON()).features[0]).toMatchObject({ method: 'wasserstein', drifted: false });
  });

  it('a feature present only in the window is reported, not compared', () => {
    const profile = buildProfile({ x: column(10, (i) => i) }, numericOnly);
    const report = driftReport(profile, window([...numericOnly, { name: 'y', kind: 'numeric' }], column(10, (i) => ({ x: i, y: i }))));
    expect(report.features.map((f) => [f.name, f.status])).toEqual([['x', 'ok'], ['y', 'no-reference-data']]);
    expect(report.predictionDrift).toBeNull();
  });

  it('refuses bad options and mismatched data with catalogue errors', () => {
    const profile = buildProfile({ x: column(10, (i) => i) }, numericOnly);
    const w = window(numericOnly, [{ x: 1 }]);
    expect(() => driftReport(profile, w, { method: 'magic' as never })).toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_OPTION_INVALID' }));
    expect(() => driftReport(profile, w, { thresholds: { ks: 2 } })).toThrow(/thresholds.ks/);
    expect(() => driftReport(profile, w, { correction: 'holm' as never })).toThrow(/correction/);
    expect(() => driftReport(profile, w, { datasetDriftShare: 0 })).toThrow(/datasetDriftShare/);
    expect(() => driftReport({ ...profile, formatVersion: 2 as never }, w)).toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_DATA_INVALID' }));
    const categoricalWindow = window([{ name: 'x', kind: 'categorical' }], [{ x: 'a' }]);
    expect(() => driftReport(profile, categoricalWindow)).toThrow(/numeric in the reference profile but categorical/);
  });
});
