/**
 * The dashboard's pure functions, in Node: distributions drawn side by side, the CSV preview,
 * the Playground's starting row, model references and the drift word. The browser tests
 * show these on screen; here their edge cases are pinned down.
 */
import { describe, expect, it } from 'vitest';
import type { DriftReport, FeatureDrift, FeatureSchema, Profile } from '../../web/src/api/api-types.js';
import { modelNameOf, parseCsvPreview, PREVIEW_BYTES } from '../../web/src/lib/csv-preview.js';
import { axisStart } from '../../web/src/lib/chart-axis.js';
import { driftBrief, driftStatus, predictionDriftStatus } from '../../web/src/lib/drift-status.js';
import { exampleRow, recordOf } from '../../web/src/lib/example-row.js';
import { featureBins, MAX_CATEGORY_BINS } from '../../web/src/lib/feature-bins.js';
import { formatNumber, formatRate } from '../../web/src/lib/format.js';
import { parseModelRef, resolveVersion } from '../../web/src/lib/model-ref.js';
import { tensorDraft, tensorOf } from '../../web/src/lib/tensor-input.js';

describe('numbers, axes and verdicts a user reads', () => {
  it('writes years without a thousands separator and never rounds away the integer part', () => {
    expect([1920, 2023, 999, 12_345, 378_245.81, -45_000.4, 0.6920201013221674, 1.5, 0.0001234].map(formatNumber)).toEqual([
      '1920',
      '2023',
      '999',
      '12,345',
      '378,246',
      '-45,000',
      '0.692',
      '1.5',
      '1.23e-4',
    ]);
  });

  it('starts a mostly empty time axis just before the first point, and a full one at the range start', () => {
    const day = 86_400_000;
    const to = Date.parse('2025-03-01T12:00:00Z');
    const from = to - day;
    // Five minutes of traffic at the end of a 24-hour range: the axis starts about a minute before it.
    const recent = [{ t: to - 5 * 60_000 }, { t: to - 60_000 }];
    expect(axisStart(from, to, recent)).toBe(to - 5 * 60_000 - 60_000);
    expect(axisStart(from, to, [{ t: to - 20 * 3_600_000 }, ...recent])).toBe(from);
    expect(axisStart(from, to, [])).toBe(from);
  });

  it('says "no reference" for prediction drift when the profile holds no outputs, never "stable"', () => {
    const output = (status: FeatureDrift['status'], drifted = false) => ({ name: 'label', kind: 'categorical', status, drifted }) as unknown as FeatureDrift;
    expect(predictionDriftStatus(null, 100).label).toBe('no reference');
    expect(predictionDriftStatus({ features: [output('no-reference-data')], driftedShare: 0, drifted: false }, 100).label).toBe('no reference');
    expect(predictionDriftStatus({ features: [output('no-current-data')], driftedShare: 0, drifted: false }, 0).label).toBe('no traffic');
    expect(predictionDriftStatus({ features: [output('ok')], driftedShare: 0, drifted: false }, 100)).toMatchObject({ level: 'ok', label: 'stable' });
    expect(predictionDriftStatus({ features: [output('ok', true)], driftedShare: 1, drifted: true }, 100)).toMatchObject({ level: 'bad', label: 'drifted' });
  });
});

describe('feature distributions', () => {
  it('labels the bins the server sent: ranges for edges, the value otherwise', () => {
    const ranges = featureBins({ kind: 'numeric', bins: { edges: [0, 1, 2], reference: [0.5, 0.5], current: [0, 1] } });
    expect(ranges).toEqual([
      { label: '0–1', reference: 0.5, current: 0 },
      { label: '1–2', reference: 0.5, current: 1 },
    ]);
    const values = featureBins({ kind: 'numeric', bins: { values: [0, 1], reference: [0.25, 0.75], current: [1, 0] } });
    expect(values.map((b) => b.label)).toEqual(['0', '1']);
    expect(featureBins({ kind: 'numeric' })).toEqual([]);
  });

  it('keeps the largest categories on either side and sums the long tail', () => {
    const names = Array.from({ length: 15 }, (_, i) => `c${i}`);
    const reference = names.map((_, i) => (i === 14 ? 0 : 1 / 14));
    const current = names.map((_, i) => (i === 14 ? 1 : 0));
    const bins = featureBins({ kind: 'categorical', bins: { values: names, reference, current } });
    expect(bins).toHaveLength(MAX_CATEGORY_BINS);
    // The category only the current window has stays in view: that is where drift shows.
    expect(bins.some((b) => b.label === 'c14' && b.current === 1)).toBe(true);
    expect(bins.at(-1)?.label).toBe('6 more');
    expect(bins.at(-1)?.reference).toBeCloseTo(6 / 14, 12);
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

  it('drops a last row that the first chunk of a larger file cut off', () => {
    const chunk = `a,b\n1,2\n3,${'4'.repeat(PREVIEW_BYTES)}`.slice(0, PREVIEW_BYTES);
    expect(parseCsvPreview(chunk).rows).toEqual([['1', '2']]);
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
      { name: 'age', type: 'integer', required: true, min: 18, max: 90, outOfRange: 'reject' },
      { name: 'income', type: 'number', required: false, outOfRange: 'reject' },
      { name: 'region', type: 'category', required: true, categories: ['north', 'south'], outOfRange: 'reject' },
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
    const pair = { reference: 0, current: 0 };
    const feature = (name: string, drifted: boolean): FeatureDrift => ({
      name,
      kind: 'numeric',
      method: 'ks',
      statistic: 0,
      pValue: 1,
      adjustedPValue: 1,
      effectSize: 0,
      threshold: 0.05,
      drifted,
      status: 'ok',
      rows: pair,
      missing: pair,
      invalid: pair,
    });
    const report = (features: FeatureDrift[], datasetDrift: boolean, rows = 100): DriftReport => ({
      model: 'm',
      version: '1',
      from: '',
      to: '',
      rows,
      rowsSampled: rows,
      reference: { rows: 10 },
      features,
      predictionDrift: null,
      driftedShare: features.filter((f) => f.drifted).length / features.length,
      datasetDrift,
      settings: { correction: 'none', datasetDriftShare: 0.5, thresholds: {}, minEffect: { ks: 0.1, chisquare: 0.1 } },
      warnings: [],
      outliers: { rows: 0, outlierRows: 0, scoreSum: 0, share: null, meanScore: null, features: {} },
    });
    expect(driftStatus(driftBrief(report([feature('a', false)], false))).label).toBe('stable');
    expect(driftStatus(driftBrief(report([feature('a', true), feature('b', false), feature('c', false)], false)))).toMatchObject({ level: 'warn', label: '1 drifting' });
    expect(driftStatus(driftBrief(report([feature('a', true), feature('b', true)], true)))).toMatchObject({ level: 'bad', label: 'drifted' });
    expect(driftStatus(driftBrief(report([], false, 0))).label).toBe('no traffic');
  });

  it('writes request rates per second when busy and per minute when quiet', () => {
    expect(formatRate(12.5)).toBe('13/s');
    expect(formatRate(1 / 6 / 60)).toBe('0.17/min');
    expect(formatRate(0.05)).toBe('3/min');
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(null)).toBe('—');
  });
});
