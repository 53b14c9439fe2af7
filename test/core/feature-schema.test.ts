import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/core/errors.js';
import { type FeatureSchema, parseFeatureSchema } from '../../src/core/feature-schema.js';
import { RowValidator, validateRows } from '../../src/core/validate-row.js';

const schema: FeatureSchema = {
  format: 'berth.schema/v1',
  features: [
    { name: 'age', type: 'integer', required: true, min: 18, max: 100, outOfRange: 'reject' },
    { name: 'income', type: 'number', required: false, min: 0, outOfRange: 'clip' },
    { name: 'score', type: 'number', required: false, min: 300, max: 850, outOfRange: 'accept' },
    { name: 'region', type: 'category', required: false, categories: ['north', 'south'], outOfRange: 'reject' },
    { name: 'employment', type: 'category', required: true, categories: ['salaried', 'retired'], outOfRange: 'accept' },
    { name: 'mortgage', type: 'boolean', required: false },
    { name: 'note', type: 'string', required: false, maxLength: 5 },
  ],
};

function thrown(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    return error as BerthError;
  }
  throw new Error('expected an error');
}

describe('parseFeatureSchema', () => {
  it('accepts a well-formed schema and returns it unchanged', () => {
    expect(parseFeatureSchema(JSON.parse(JSON.stringify(schema)))).toEqual(schema);
  });

  it.each([
    ['an unknown type', { format: 'berth.schema/v1', features: [{ name: 'a', type: 'date', required: true }] }, 'features.0'],
    ['a duplicate feature', { format: 'berth.schema/v1', features: [{ name: 'a', type: 'boolean', required: true }, { name: 'a', type: 'boolean', required: true }] }, "'a' appears twice"],
    ['min above max', { format: 'berth.schema/v1', features: [{ name: 'a', type: 'number', required: true, min: 2, max: 1, outOfRange: 'reject' }] }, 'min 2 above max 1'],
    ['clip for a category', { format: 'berth.schema/v1', features: [{ name: 'a', type: 'category', required: true, categories: ['x'], outOfRange: 'clip' }] }, 'features.0'],
    ['a repeated category', { format: 'berth.schema/v1', features: [{ name: 'a', type: 'category', required: true, categories: ['x', 'x'], outOfRange: 'accept' }] }, 'twice'],
    ['a wrong format', { format: 'other', features: [] }, 'format'],
  ])('refuses %s with BERTH_SCHEMA_INVALID', (_what, value, fragment) => {
    const error = thrown(() => parseFeatureSchema(value));
    expect(error.code).toBe('BERTH_SCHEMA_INVALID');
    expect(error.message).toContain(fragment);
  });
});

describe('RowValidator', () => {
  const validator = new RowValidator(schema);
  const good = { age: 41, income: 52000, score: 700, region: 'north', employment: 'salaried', mortgage: true, note: 'hi' };

  it('returns typed values in schema order', () => {
    expect(validator.validate(good, 0)).toEqual([41, 52000, 700, 'north', 'salaried', true, 'hi']);
  });

  it('reads CSV strings as the same values as JSON ones', () => {
    const csv = { age: '41', income: '52000', score: '7e2', region: 'north', employment: 'salaried', mortgage: 'true', note: 'hi' };
    expect(validator.validate(csv, 0)).toEqual(validator.validate(good, 0));
  });

  it('treats absent, null and empty optional values as missing', () => {
    expect(validator.validate({ age: 30, employment: 'retired', income: null, score: '', region: 'NA' }, 0)).toEqual([30, null, null, null, 'retired', null, null]);
  });

  it.each([
    [{ employment: 'salaried' }, 'BERTH_SCHEMA_FEATURE_MISSING', 'age'],
    [{ ...good, age: null }, 'BERTH_SCHEMA_FEATURE_MISSING', 'age'],
    [{ ...good, age: 41.5 }, 'BERTH_SCHEMA_TYPE_MISMATCH', 'age'],
    [{ ...good, income: 'lots' }, 'BERTH_SCHEMA_NUMBER_INVALID', 'income'],
    [{ ...good, income: '0x10' }, 'BERTH_SCHEMA_NUMBER_INVALID', 'income'],
    [{ ...good, income: true }, 'BERTH_SCHEMA_TYPE_MISMATCH', 'income'],
    [{ ...good, income: { value: 1 } }, 'BERTH_SCHEMA_TYPE_MISMATCH', 'income'],
    [{ ...good, age: 17 }, 'BERTH_SCHEMA_OUT_OF_RANGE', 'age'],
    [{ ...good, region: 'east' }, 'BERTH_SCHEMA_CATEGORY_UNKNOWN', 'region'],
    [{ ...good, mortgage: 'maybe' }, 'BERTH_SCHEMA_TYPE_MISMATCH', 'mortgage'],
    [{ ...good, note: 'too long' }, 'BERTH_SCHEMA_TYPE_MISMATCH', 'note'],
  ])('refuses %j with %s naming the row and the feature', (row, code, feature) => {
    const error = thrown(() => validator.validate(row, 7));
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(400);
    expect(error.message).toContain('row 7');
    expect(error.message).toContain(`'${feature}'`);
    expect(error.details).toEqual({ row: 7, feature });
  });

  it('refuses a row that is not an object', () => {
    for (const row of [null, 3, 'a,b', [1, 2]]) expect(thrown(() => validator.validate(row, 2)).code).toBe('BERTH_SCHEMA_ROW_INVALID');
  });

  it('clips or accepts out-of-range values as the schema says', () => {
    const values = validator.validate({ ...good, income: -5, score: 900, employment: 'gig_worker' }, 0);
    expect(values[1]).toBe(0);
    expect(values[2]).toBe(900);
    expect(values[4]).toBe('gig_worker');
  });

  it('reads booleans from true/false, 1/0 and yes/no', () => {
    const read = (mortgage: unknown): unknown => validator.validate({ ...good, mortgage }, 0)[5];
    expect([true, 1, '1', 'yes', 'TRUE'].map(read)).toEqual([true, true, true, true, true]);
    expect([false, 0, '0', 'no', 'False'].map(read)).toEqual([false, false, false, false, false]);
  });

  it('names rows as the caller describes them', () => {
    const csv = new RowValidator(schema, { describeRow: (i) => `data.csv line ${i + 2}` });
    expect(thrown(() => csv.validate({ ...good, age: 'x' }, 3)).message).toMatch(/^data\.csv line 5: feature 'age'/);
  });

  it('reports unknown fields instead of refusing them', () => {
    const result = validateRows(schema, [{ ...good, extra: 1 }, { ...good, other: 2, extra: 3 }]);
    expect(result.values).toHaveLength(2);
    expect(result.unknownFields).toEqual(['extra', 'other']);
  });
});
