/** Dates as features, the shared column kinds, and the warnings (or refusals) for values training never saw. */
import { describe, expect, it } from 'vitest';
import { columnKind } from '../../src/core/column-kind.js';
import { datetimePart, formatDatetime, parseDatetime } from '../../src/core/datetime-value.js';
import { type FeatureSchema, parseFeatureSchema } from '../../src/core/feature-schema.js';
import { type PipelineSpec, parsePipelineSpec, pipelineColumnNames } from '../../src/core/pipeline-spec.js';
import { RowValidator, type ValueWarning, describeValueWarnings } from '../../src/core/validate-row.js';
import { Pipeline } from '../../src/runtime/pipeline.js';

describe('parseDatetime', () => {
  it.each([
    ['2024-03-07', Date.UTC(2024, 2, 7), false],
    ['2024/03/07', Date.UTC(2024, 2, 7), false],
    ['2024-03-07T14:05:00Z', Date.UTC(2024, 2, 7, 14, 5), true],
    ['2024-03-07 14:05', Date.UTC(2024, 2, 7, 14, 5), true],
    ['2024-03-07T14:05:30.250+02:00', Date.UTC(2024, 2, 7, 12, 5, 30, 250), true],
    ['2024-03-07T00:30:00-0130', Date.UTC(2024, 2, 7, 2, 0), true],
  ])('reads %s (a zone-less time is UTC)', (text, ms, hasTime) => {
    expect(parseDatetime(text)).toEqual({ ms, hasTime });
  });

  it.each(['2024-02-30', '2023-13-01', '2024-03-07T25:00', '1', 'March 7', '20240307', '07/03/2024', ''])('refuses %j', (text) => {
    expect(parseDatetime(text)).toBeUndefined();
  });

  it('derives year, month, day of week from Monday, hour and days since 1970, in UTC', () => {
    const ms = Date.UTC(2024, 2, 7, 14, 5); // a Thursday
    expect([datetimePart(ms, 'year'), datetimePart(ms, 'month'), datetimePart(ms, 'dayOfWeek'), datetimePart(ms, 'hour')]).toEqual([2024, 3, 3, 14]);
    expect(datetimePart(Date.UTC(1970, 0, 3), 'daysSinceEpoch')).toBe(2);
    expect(formatDatetime(Date.UTC(2024, 2, 7))).toBe('2024-03-07');
    expect(formatDatetime(ms)).toBe('2024-03-07T14:05:00.000Z');
  });
});

describe('columnKind', () => {
  const options = { isMissing: (s: string) => s.trim() === '' || s === 'NA', maxCategories: 5 };
  const ids = Array.from({ length: 20 }, (_, i) => String(1000 + i));

  it.each([
    ['customer_id', ids, 'identifier'],
    ['customerId', ids.map((v) => `C-${v}`), 'identifier'],
    ['ID', ids, 'identifier'],
    // Distinct integers under an ordinary name are a measurement, not an identifier.
    ['income', ids, 'integer'],
    // A repeated value means it is not an identifier, whatever the name.
    ['store_id', [...ids.slice(1), '1001'], 'integer'],
    ['price', ['1.5', '2', 'NA'], 'number'],
    ['active', ['true', 'False', ''], 'boolean'],
    ['signup', ['2024-03-07', '2023-01-01', 'NA'], 'datetime'],
    ['plan', ['a', 'b', 'a'], 'category'],
    ['note', ['a', 'b', 'c', 'd', 'e', 'f'], 'text'],
    ['blank', ['', 'NA'], 'empty'],
  ])('%s is %s', (name, values, kind) => {
    expect(columnKind(name, values, options).kind).toBe(kind);
  });

  it('says why a column is left out, and whether dates carry a time', () => {
    expect(columnKind('customer_id', ids, options).reason).toBe('an identifier: named like one and all 20 values are distinct');
    expect(columnKind('seen', ['2024-03-07 10:00', '2024-03-08'], options).hasTime).toBe(true);
    expect(columnKind('day', ['2024-03-07', '2024-03-08'], options).hasTime).toBe(false);
  });
});

const schema: FeatureSchema = {
  format: 'berth.schema/v1',
  features: [
    { name: 'signup', type: 'datetime', required: false, min: '2020-01-01', max: '2024-12-31', parts: ['year', 'dayOfWeek', 'daysSinceEpoch'] },
    { name: 'plan', type: 'category', required: true, categories: ['basic', 'pro'], outOfRange: 'accept' },
    { name: 'age', type: 'integer', required: true, min: 18, max: 90, outOfRange: 'accept' },
  ],
};

const spec: PipelineSpec = {
  format: 'berth.pipeline/v1',
  input: 'features',
  steps: [
    {
      feature: 'signup',
      encoding: 'datetime',
      parts: [
        { part: 'year', impute: 2022, scale: { mean: 2022, std: 2 } },
        { part: 'dayOfWeek', impute: 3 },
        { part: 'daysSinceEpoch', impute: 19000 },
      ],
    },
    { feature: 'plan', encoding: 'one-hot', categories: ['basic', 'pro'], impute: 'basic', unseen: 'ignore' },
    { feature: 'age', encoding: 'numeric', impute: 40 },
  ],
  output: { task: 'regression', target: 'spend', tensor: 'value' },
};

describe('datetime features in the schema and the pipeline', () => {
  it('round-trips and names a column per derived part', () => {
    expect(parseFeatureSchema(JSON.parse(JSON.stringify(schema)))).toEqual(schema);
    expect(parsePipelineSpec(JSON.parse(JSON.stringify(spec)), schema)).toEqual(spec);
    expect(pipelineColumnNames(spec)).toEqual(['signup.year', 'signup.dayOfWeek', 'signup.daysSinceEpoch', 'plan=basic', 'plan=pro', 'age']);
  });

  it('refuses a bound that is not a date, a part listed twice, and a part the schema does not list', () => {
    const feature = schema.features[0]!;
    expect(() => parseFeatureSchema({ ...schema, features: [{ ...feature, min: 'yesterday' }] })).toThrow(/'yesterday', which is not an ISO 8601/);
    expect(() => parseFeatureSchema({ ...schema, features: [{ ...feature, parts: ['year', 'year'] }] })).toThrow(/part twice/);
    const hour = { ...spec, steps: [{ feature: 'signup', encoding: 'datetime', parts: [{ part: 'hour', impute: 0 }] }, ...spec.steps.slice(1)] };
    expect(() => parsePipelineSpec(hour, schema)).toThrow(/part 'hour', which its schema does not list/);
  });

  it('encodes the derived numbers, scaled as the step says, and imputes a missing date', () => {
    const pipeline = new Pipeline(schema, spec);
    const { tensor } = pipeline.encode([
      { signup: '2024-03-07T23:00:00-02:00', plan: 'pro', age: 30 },
      { plan: 'basic', age: 30 },
    ]);
    const friday = Date.UTC(2024, 2, 8, 1) / 86_400_000;
    expect(Array.from(tensor.data as Float32Array)).toEqual([1, 4, Math.fround(friday), 0, 1, 30, 0, 3, 19000, 1, 0, 30]);
  });

  it('refuses a date that is not ISO 8601, naming the row and feature', () => {
    expect(() => new Pipeline(schema, spec).encode([{ signup: '07/03/2024', plan: 'pro', age: 30 }])).toThrowError(
      expect.objectContaining({ code: 'BERTH_SCHEMA_TYPE_MISMATCH', message: expect.stringContaining("row 0: feature 'signup' must be an ISO 8601 date") }),
    );
  });
});

describe('values training never saw', () => {
  it('are answered with a warning per row, summed up per feature', () => {
    const validator = new RowValidator(schema);
    const warnings: ValueWarning[] = [];
    validator.validate({ plan: 'enterprise', age: 95 }, 0, warnings);
    validator.validate({ plan: 'enterprise', age: 30 }, 1, warnings);
    validator.validate({ plan: 'team', age: 12 }, 2, warnings);
    expect(warnings).toEqual([
      { row: 0, feature: 'plan', kind: 'unseen-category', value: 'enterprise' },
      { row: 0, feature: 'age', kind: 'out-of-range', value: 95 },
      { row: 1, feature: 'plan', kind: 'unseen-category', value: 'enterprise' },
      { row: 2, feature: 'plan', kind: 'unseen-category', value: 'team' },
      { row: 2, feature: 'age', kind: 'out-of-range', value: 12 },
    ]);
    expect(describeValueWarnings(schema, warnings)).toEqual([
      "feature 'plan': 'enterprise', 'team' are categories never seen in training (3 rows, first row 0); answered as none of the known categories. A schema with \"strict\": true refuses such values",
      "feature 'age': 95, 12 are outside the training range [18, 90] (2 rows, first row 0); the answer is an extrapolation. A schema with \"strict\": true refuses such values",
    ]);
  });

  it('are refused by a strict schema, with the catalogue errors', () => {
    const strict = new RowValidator(parseFeatureSchema({ ...schema, strict: true }));
    expect(() => strict.validate({ plan: 'enterprise', age: 30 }, 4)).toThrowError(expect.objectContaining({ code: 'BERTH_SCHEMA_CATEGORY_UNKNOWN', message: expect.stringContaining('row 4') }));
    expect(() => strict.validate({ plan: 'pro', age: 95 }, 0)).toThrowError(expect.objectContaining({ code: 'BERTH_SCHEMA_OUT_OF_RANGE', message: expect.stringContaining('[18, 90]') }));
    expect(strict.validate({ plan: 'pro', age: 90 }, 0)).toEqual([null, 'pro', 90]);
  });
});
