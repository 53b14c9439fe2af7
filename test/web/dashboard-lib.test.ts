/**
 * The dashboard's pure functions, in Node: distributions drawn side by side, where roll back
 * goes, the CSV preview, the Playground's starting row, model references and the drift word.
 * The browser tests show these on screen; here their edge cases are pinned down.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEntry, DriftReport, FeatureDrift, FeatureSchema, Profile } from '../../web/src/api/api-types.js';
import { parseCsvPreview, modelNameOf } from '../../web/src/lib/csv-preview.js';
import { driftStatus } from '../../web/src/lib/drift-status.js';
import { exampleRow, recordOf } from '../../web/src/lib/example-row.js';
import { categoryBins, featureDistribution, featureSample, MAX_CATEGORY_BINS, numericBins, weightedOfSketch } from '../../web/src/lib/feature-bins.js';
import { formatRate } from '../../web/src/lib/format.js';
import { parseModelRef, resolveVersion } from '../../web/src/lib/model-ref.js';
import { rollbackTarget } from '../../web/src/lib/rollback-target.js';
import { tensorDraft, tensorOf } from '../../web/src/lib/tensor-input.js';

const close = (values: readonly number[]) => values.map((v) => Number(v.toFixed(6)));

describe('feature distributions', () => {
  it('counts current values into the reference histogram, with bars for values outside its range', () => {
    const bins = numericBins([0, 10, 20], [30, 10], { values: [-5, 0, 5, 10, 20, 25], weights: [1, 1, 1, 1, 1, 1] });
    expect(bins.map((b) => b.label)).toEqual(['< 0', '0–10', '10–20', '> 20']);
    expect(close(bins.map((b) => b.reference))).toEqual([0, 0.75, 0.25, 0]);
    // 20 is the top edge, which the last bin holds (numpy's convention).
    expect(close(bins.map((b) => b.current))).toEqual(close([1 / 6, 2 / 6, 2 / 6, 1 / 6]));
  });

  it('reads a KLL sketch as values weighted 2^level, and exact counts when the sketch has them', () => {
    const kll = weightedOfSketch({ kind: 'numeric', n: 5, min: 1, max: 9, distinct: null, quantiles: { k: 8, n: 5, levels: [[1], [5, 9]] } });
    expect(kll).toEqual({ values: [1, 5, 9], weights: [1, 2, 2] });
    const exact = weightedOfSketch({ kind: 'numeric', n: 3, min: 0, max: 1, distinct: [[0, 2], [1, 1]], quantiles: { k: 8, n: 3, levels: [[0, 0, 1]] } });
    expect(exact).toEqual({ values: [0, 1], weights: [2, 1] });
  });

  it('puts categories only the current window has after the reference ones, and sums the long tail', () => {
    const bins = categoryBins([['a', 3], ['b', 1]], [['b', 2], ['new', 2]]);
    expect(bins).toEqual([
      { label: 'a', reference: 0.75, current: 0 },
      { label: 'b', reference: 0.25, current: 0.5 },
      { label: 'new', reference: 0, current: 0.5 },
    ]);
    const many = categoryBins(Array.from({ length: 15 }, (_, i) => [`c${i}`, 1] as const), []);
    expect(many).toHaveLength(MAX_CATEGORY_BINS);
    expect(many.at(-1)?.label).toBe('6 more');
    expect(many.at(-1)?.reference).toBeCloseTo(6 / 15, 12);
  });

  it('prefers bins the server sent, then the window sketch, then sampled requests', () => {
    const profile: Profile['features'][number] = { name: 'x', kind: 'numeric', count: 4, missing: 0, n: 4, min: 0, max: 2, mean: 1, histogram: { edges: [0, 1, 2], counts: [2, 2] } };
    const base: FeatureDrift = { name: 'x', kind: 'numeric', method: 'ks', statistic: 0, pValue: 1, threshold: 0.05, drifted: false };
    const server = featureDistribution({ ...base, bins: { edges: [0, 1, 2], reference: [0.5, 0.5], current: [0, 1] } }, profile);
    expect(server).toEqual({ source: 'server', bins: [{ label: '0–1', reference: 0.5, current: 0 }, { label: '1–2', reference: 0.5, current: 1 }] });
    const sketch = featureDistribution({ ...base, current: { kind: 'numeric', n: 2, min: 1.5, max: 1.5, distinct: [[1.5, 2]], quantiles: { k: 8, n: 2, levels: [[1.5, 1.5]] } } }, profile);
    expect(sketch.source).toBe('sketch');
    expect(sketch.bins.map((b) => b.current)).toEqual([0, 1]);
    const sampled = featureDistribution(base, profile, ['0.5', 1.5, null, 'n/a']);
    expect(sampled.source).toBe('sample');
    expect(sampled.bins.map((b) => b.current)).toEqual([0.5, 0.5]);
    expect(featureDistribution(base, undefined).bins).toEqual([]);
  });

  it('finds a feature in every shape a logged request takes', () => {
    const inputs = [
      { age: [41, 37] },
      { records: [{ age: 50 }, { other: 1 }] },
      [{ age: 60 }],
      { dataframe_split: { columns: ['income', 'age'], data: [[1, 70]] } },
      { columns: { age: [80] } },
      { inputs: [{ name: 'x', data: [1] }] },
    ];
    expect(featureSample(inputs, 'age')).toEqual([41, 37, 50, 60, 70, 80]);
  });
});

describe('rollbackTarget', () => {
  const set = (seq: number, version: number, previous: number | null): AuditEntry => ({
    seq,
    at: '',
    action: 'alias.set',
    model: 'm',
    version,
    alias: 'production',
    details: { previous },
  });

  it('goes back to the version the alias served before, and never forward', () => {
    const history = [set(1, 1, null), set(2, 2, 1), set(3, 3, 2)];
    expect(rollbackTarget('production', 3, history, [1, 2, 3])).toBe(2);
    // After rolling back to 2, the next roll back goes to 1, not forward to 3.
    expect(rollbackTarget('production', 2, [...history, set(4, 2, 3)], [1, 2, 3])).toBe(1);
    expect(rollbackTarget('production', 1, [...history, set(4, 2, 3), set(5, 1, 2)], [1, 2, 3])).toBeNull();
  });

  it('skips deleted versions and falls back to the newest older version without history', () => {
    expect(rollbackTarget('production', 3, [set(1, 1, null), set(2, 3, 1)], [2, 3])).toBe(2);
    expect(rollbackTarget('staging', 5, undefined, [1, 4, 5, 7])).toBe(4);
    expect(rollbackTarget('staging', 1, [], [1, 2])).toBeNull();
  });
});

describe('CSV preview', () => {
  it('reads the header and rows, with quotes, CRLF and a byte-order mark', () => {
    const preview = parseCsvPreview('\uFEFFname,"note, with comma",y\r\na,"say ""hi""",1\r\nb,,0\r\n');
    expect(preview.header).toEqual(['name', 'note, with comma', 'y']);
    expect(preview.rows).toEqual([
      ['a', 'say "hi"', '1'],
      ['b', '', '0'],
    ]);
  });

  it('keeps a last line without a newline, and stops after the rows asked for', () => {
    expect(parseCsvPreview('a,b\n1,2').rows).toEqual([['1', '2']]);
    expect(parseCsvPreview('a\n1\n2\n3\n4', 2).rows).toEqual([['1'], ['2']]);
  });

  it('names a model after its file', () => {
    expect(modelNameOf('Loans 2024 (final).csv')).toBe('loans-2024-final');
    expect(modelNameOf('.csv')).toBe('model');
  });
});

describe('the Playground form', () => {
  const schema: FeatureSchema = {
    format: 'berth.schema/v1',
    features: [
      { name: 'age', type: 'integer', required: true, min: 18, max: 90 },
      { name: 'income', type: 'number', required: false },
      { name: 'region', type: 'category', required: true, categories: ['north', 'south'] },
      { name: 'member', type: 'boolean', required: false },
    ],
  };
  const profile: Profile = {
    rows: 10,
    features: [
      { name: 'age', kind: 'numeric', count: 10, missing: 0, n: 10, min: 18, max: 90, mean: 40, quantiles: [{ q: 0.5, value: 38.6 }] },
      { name: 'region', kind: 'categorical', count: 10, missing: 0, n: 10, frequencies: [['south', 7], ['north', 3]] },
    ],
  };

  it('starts from a typical training row: medians and the most frequent category', () => {
    expect(exampleRow(schema, profile)).toEqual({ age: '39', income: '', region: 'south', member: false });
    expect(exampleRow(schema, undefined)).toEqual({ age: '18', income: '', region: 'north', member: false });
  });

  it('sends numbers as numbers and leaves blanks out for the server to impute', () => {
    expect(recordOf(schema, { age: '41', income: '', region: 'north', member: true })).toEqual({ age: 41, region: 'north', member: true });
  });

  it('builds tensor inputs from their text fields, naming what does not parse', () => {
    expect(tensorDraft({ name: 'x', datatype: 'FP32', shape: [-1, 2] })).toEqual({ name: 'x', datatype: 'FP32', shape: '1, 2', data: '[0,0]' });
    expect(tensorOf({ name: 'x', datatype: 'FP32', shape: '1, 2', data: '[[1.5, 2]]' })).toEqual({ name: 'x', datatype: 'FP32', shape: [1, 2], data: [[1.5, 2]] });
    expect(() => tensorOf({ name: 'x', datatype: 'FP32', shape: '1, -2', data: '[]' })).toThrow(/shape of x/);
    expect(() => tensorOf({ name: 'x', datatype: 'FP32', shape: '1', data: '[1,' })).toThrow(/not valid JSON/);
  });
});

describe('model references and at-a-glance words', () => {
  const model = { name: 'loans', created: '', versions: 3, latestVersion: 3, aliases: { production: 2, staging: 3 } };

  it('resolves references as the server does: production, else the latest', () => {
    expect(parseModelRef('loans@staging')).toEqual({ name: 'loans', alias: 'staging' });
    expect(parseModelRef('loans:1')).toEqual({ name: 'loans', version: 1 });
    expect(parseModelRef('my.model-2')).toEqual({ name: 'my.model-2' });
    expect(resolveVersion(parseModelRef('loans')!, model)).toBe(2);
    expect(resolveVersion(parseModelRef('loans@staging')!, model)).toBe(3);
    expect(resolveVersion(parseModelRef('loans')!, { ...model, aliases: {} })).toBe(3);
  });

  it('says stable, n drifting, drifted, or no traffic', () => {
    const feature = (name: string, drifted: boolean): FeatureDrift => ({ name, kind: 'numeric', method: 'ks', statistic: 0, pValue: 1, threshold: 0.05, drifted });
    const report = (features: FeatureDrift[], datasetDrift: boolean, rows = 100): DriftReport => ({
      model: 'm',
      version: '1',
      from: '',
      to: '',
      rows,
      reference: { rows: 10 },
      features,
      predictionDrift: null,
      driftedShare: features.filter((f) => f.drifted).length / features.length,
      datasetDrift,
    });
    expect(driftStatus(report([feature('a', false)], false)).label).toBe('stable');
    expect(driftStatus(report([feature('a', true), feature('b', false), feature('c', false)], false))).toMatchObject({ level: 'warn', label: '1 drifting' });
    expect(driftStatus(report([feature('a', true), feature('b', true)], true))).toMatchObject({ level: 'bad', label: 'drifted' });
    expect(driftStatus(report([], false, 0)).label).toBe('no traffic');
  });

  it('writes request rates per second when busy and per minute when quiet', () => {
    expect(formatRate(12.5)).toBe('13/s');
    expect(formatRate(1 / 6 / 60)).toBe('0.17/min');
    expect(formatRate(0.05)).toBe('3/min');
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(null)).toBe('—');
  });
});
