import { describe, expect, it } from 'vitest';
import { buildProfile } from '../../src/monitor/build-profile.js';
import { type FeatureSpec } from '../../src/monitor/feature-spec.js';
import { type NumericFeatureProfile } from '../../src/monitor/profile.js';
import { expectClose, loadFixture, loadLoans } from './fixtures.js';

interface ExpectedProfile {
  numeric: Record<
    string,
    {
      count: number;
      missing: number;
      n: number;
      min: number;
      max: number;
      mean: number;
      variance: number;
      quantiles: { q: number; value: number }[];
      histogram: { edges: number[]; counts: number[] };
    }
  >;
  categorical: Record<string, { count: number; missing: number; frequencies: Record<string, number> }>;
}
const expected = loadFixture<ExpectedProfile>('profile.json');
const loans = loadLoans();
const schema: FeatureSpec[] = [
  ...Object.keys(expected.numeric).map((name) => ({ name, kind: 'numeric' as const })),
  ...Object.keys(expected.categorical).map((name) => ({ name, kind: 'categorical' as const })),
];

describe('buildProfile against numpy on the loans reference data', () => {
  const profile = buildProfile(loans.reference, { features: schema, outputs: [{ name: 'defaulted', kind: 'categorical' }] });

  it('has one entry per feature and output, and the row count', () => {
    expect(profile.formatVersion).toBe(1);
    expect(profile.rows).toBe(20_000);
    expect(profile.features.map((f) => f.name)).toEqual(schema.map((f) => f.name));
    expect(profile.outputs.map((f) => f.name)).toEqual(['defaulted']);
  });

  it('numeric features: counts, min, max, mean, variance, quantiles and Sturges histogram as numpy', () => {
    for (const feature of profile.features.filter((f): f is NumericFeatureProfile => f.kind === 'numeric')) {
      const e = expected.numeric[feature.name]!;
      expect({ count: feature.count, missing: feature.missing, n: feature.n, min: feature.min, max: feature.max }).toEqual({
        count: e.count,
        missing: e.missing,
        n: e.n,
        min: e.min,
        max: e.max,
      });
      expectClose(feature.mean!, e.mean, { rtol: 1e-12 }, `${feature.name} mean`);
      expectClose(feature.variance!, e.variance, { rtol: 1e-10 }, `${feature.name} variance`);
      // The fixture lists numpy's quantiles at the levels profiles had before the outlier bounds (0.001, 0.999) were added.
      for (const q of e.quantiles) {
        const value = feature.quantiles.find((entry) => entry.q === q.q)?.value;
        expect(value, `${feature.name} q${q.q}`).toBeDefined();
        expectClose(value!, q.value, { rtol: 1e-12, atol: 1e-9 }, `${feature.name} q${q.q}`);
      }
      feature.histogram.edges.forEach((edge, i) => expectClose(edge, e.histogram.edges[i]!, { rtol: 1e-12, atol: 1e-9 }, `${feature.name} edge ${i}`));
      expect(feature.histogram.counts).toEqual(e.histogram.counts);
      expect(feature.sketch.n).toBe(e.n);
    }
  });

  it('categorical features: frequencies as pandas value_counts, and the missing count', () => {
    for (const feature of profile.features.filter((f) => f.kind === 'categorical')) {
      const e = expected.categorical[feature.name]!;
      expect(feature.kind === 'categorical' && Object.fromEntries(feature.frequencies)).toEqual(e.frequencies);
      expect(feature.missing).toBe(e.missing);
      expect(feature.count).toBe(e.count);
    }
  });

  it('is plain JSON: it survives a round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(profile))).toEqual(profile);
  });

  it('handles an all-missing column and an empty data set without NaN', () => {
    const empty = buildProfile({ x: [null, '', undefined], c: [null, null, null] }, [
      { name: 'x', kind: 'numeric' },
      { name: 'c', kind: 'categorical' },
    ]);
    expect(empty.features[0]).toMatchObject({ n: 0, missing: 3, min: null, max: null, mean: null, variance: null, quantiles: [], histogram: { edges: [], counts: [] } });
    expect(buildProfile({}, []).rows).toBe(0);
    expect(JSON.stringify(empty)).not.toMatch(/NaN|Infinity/);
  });

  it('refuses a missing column or columns of different lengths', () => {
    expect(() => buildProfile({ a: [1] }, [{ name: 'b', kind: 'numeric' }])).toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_DATA_INVALID' }));
    expect(() => buildProfile({ a: [1], b: [1, 2] }, [{ name: 'a', kind: 'numeric' }, { name: 'b', kind: 'numeric' }])).toThrow(/2 values/);
  });
});
