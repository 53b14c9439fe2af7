import { describe, expect, it } from 'vitest';
import { parseCsv, selectRows, tableRecords } from '../../src/train/csv-table.js';
import { inferSchema, sortLabels } from '../../src/train/infer-schema.js';
import { readFileSync } from 'node:fs';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;

describe('parseCsv', () => {
  it('reads quoted fields, embedded separators and newlines, and a byte-order mark', () => {
    const table = parseCsv('\uFEFFname,note\n"Smith, J","line one\nline two"\nDoe,"say ""hi"""\n', 'people.csv');
    expect(table.header).toEqual(['name', 'note']);
    expect(table.rows).toEqual([
      ['Smith, J', 'line one\nline two'],
      ['Doe', 'say "hi"'],
    ]);
    expect(table.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(tableRecords(table, [1])).toEqual([{ name: 'Doe', note: 'say "hi"' }]);
    expect(selectRows(table, [1]).rows).toEqual([['Doe', 'say "hi"']]);
  });

  it.each([
    ['', 'empty'],
    ['a,b\n1,2,3\n', 'Invalid Record Length'],
    ['a,a\n1,2\n', "'a' appears twice"],
    ['a,"b\n1,2\n', 'Quote'],
  ])('refuses %j with BERTH_TRAIN_CSV_INVALID', (text, fragment) => {
    expect(() => parseCsv(text, 'bad.csv')).toThrowError(expect.objectContaining({ code: 'BERTH_TRAIN_CSV_INVALID', message: expect.stringContaining(fragment) }));
  });
});

describe('inferSchema', () => {
  it('infers types, ranges, categories and missing values of the loans data', () => {
    const table = parseCsv(readFileSync(`${DATASETS}loans_reference.csv`), 'loans_reference.csv');
    const { schema, target, features, ignored, droppedRows } = inferSchema(table, { target: 'defaulted' });
    const byName = new Map(schema.features.map((f) => [f.name, f]));
    expect(schema.features.map((f) => f.name)).toEqual(['age', 'annual_income', 'employment', 'region', 'loan_amount', 'term_months', 'credit_score', 'open_accounts', 'has_mortgage']);
    expect(byName.get('age')).toMatchObject({ type: 'integer', required: true, min: 18, max: 85, outOfRange: 'accept' });
    expect(byName.get('annual_income')).toMatchObject({ type: 'integer', required: false });
    expect(byName.get('credit_score')).toMatchObject({ type: 'integer', required: false });
    expect(byName.get('employment')).toEqual({
      name: 'employment',
      type: 'category',
      required: true,
      categories: ['public_sector', 'retired', 'salaried', 'self_employed', 'student'],
      outOfRange: 'accept',
    });
    expect(target).toMatchObject({ task: 'classification', labels: ['0', '1'] });
    expect(ignored).toEqual([]);
    expect(droppedRows).toBe(0);
    const income = features.find((f) => f.name === 'annual_income')!;
    const missing = Array.from(income.values as Float64Array).filter(Number.isNaN).length;
    expect(missing).toBeGreaterThan(600);
    expect(missing).toBeLessThan(1000);
  });

  it('reads a float target as regression and decimal labels in numeric order', () => {
    const diabetes = parseCsv(readFileSync(`${DATASETS}diabetes.csv`));
    expect(inferSchema(diabetes, { target: 'progression' }).target.task).toBe('regression');
    expect(sortLabels(['10', '9', '1.5'])).toEqual(['1.5', '9', '10']);
    expect(sortLabels(['b', 'a', '10'])).toEqual(['10', 'a', 'b']);
  });

  it('leaves identifiers and free text out, drops rows without a target and honours the requested task', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `id-${i},comment ${i},${i % 3 === 0 ? 'x' : 'y'},${i === 5 ? '' : i % 4}`);
    const table = parseCsv(['id,note,kind,y', ...rows].join('\n'));
    const inferred = inferSchema(table, { target: 'y', task: 'regression', maxCategories: 10 });
    expect(inferred.ignored).toEqual([
      { name: 'id', reason: 'an identifier: named like one and all 39 values are distinct' },
      { name: 'note', reason: '39 distinct text values (more than 10); free text is not encoded' },
    ]);
    expect(inferred.schema.features.map((f) => f.name)).toEqual(['kind']);
    expect(inferred.droppedRows).toBe(1);
    expect(inferred.target.task).toBe('regression');
  });

  it('refuses a missing target column, a one-class target and text regression', () => {
    const table = parseCsv('a,b\n1,x\n2,x\n');
    expect(() => inferSchema(table, { target: 'c' })).toThrowError(expect.objectContaining({ code: 'BERTH_TRAIN_TARGET_NOT_FOUND' }));
    expect(() => inferSchema(table, { target: 'b' })).toThrowError(expect.objectContaining({ code: 'BERTH_TRAIN_TARGET_INVALID' }));
    expect(() => inferSchema(table, { target: 'b', task: 'regression' })).toThrowError(expect.objectContaining({ code: 'BERTH_TRAIN_TARGET_INVALID' }));
  });

  it('detects semicolon, tab and pipe separators from the header row, and takes a forced one', () => {
    for (const d of [';', '\t', '|']) {
      // A decimal comma, as semicolon files from many locales have, stays inside its field.
      const table = parseCsv([`a${d}b${d}"c${d}d"`, `1,5${d}x${d}"y${d}z"`].join('\n'));
      expect(table.header, JSON.stringify(d)).toEqual(['a', 'b', `c${d}d`]);
      expect(table.rows[0], JSON.stringify(d)).toEqual(['1,5', 'x', `y${d}z`]);
    }
    expect(parseCsv('a,b\n1,2').rows).toEqual([['1', '2']]);
    // A semicolon file whose header has commas inside quotes is still read with semicolons.
    expect(parseCsv('"a,1";"b,2"\n1;2').header).toEqual(['a,1', 'b,2']);
    // Forced: the header has more semicolons, but the file is comma-separated.
    expect(parseCsv('a;x,b\n1,2', 'f.csv', { delimiter: ',' }).header).toEqual(['a;x', 'b']);
    expect(() => parseCsv('a,b\n1,2', 'f.csv', { delimiter: '"' })).toThrowError(expect.objectContaining({ code: 'BERTH_TRAIN_CSV_INVALID' }));
  });

  it('refuses an identifier as the target, and more classes than it trains on, with advice', () => {
    const ids = parseCsv(['x,customer', ...Array.from({ length: 120 }, (_, i) => `${i % 7},cust-${i}`)].join('\n'));
    expect(() => inferSchema(ids, { target: 'customer' })).toThrowError(
      expect.objectContaining({ code: 'BERTH_TRAIN_TARGET_INVALID', message: expect.stringContaining('120 of its 120 values are distinct, so it looks like an identifier') }),
    );
    // 250 classes of 4 rows each: not an identifier, but more classes than a classifier is trained on.
    const many = parseCsv(['x,label', ...Array.from({ length: 1000 }, (_, i) => `${i % 7},c${i % 250}`)].join('\n'));
    expect(() => inferSchema(many, { target: 'label' })).toThrowError(expect.objectContaining({ message: expect.stringContaining('it has 250 classes, more than the 200') }));
    // Numeric codes forced into classification get the regression hint.
    const codes = parseCsv(['x,code', ...Array.from({ length: 1000 }, (_, i) => `${i % 7},${i % 250}`)].join('\n'));
    expect(() => inferSchema(codes, { target: 'code', task: 'classification' })).toThrowError(expect.objectContaining({ message: expect.stringContaining('--task regression') }));
    // Ten classes in 20 rows are fine (the identifier rule needs more than 50 classes).
    const small = parseCsv(['x,label', ...Array.from({ length: 20 }, (_, i) => `${i},c${i % 10}`)].join('\n'));
    expect(inferSchema(small, { target: 'label' }).target.task).toBe('classification');
  });

  it('refuses tables wider than it trains on, before any work', async () => {
    const { trainFromCsv } = await import('../../src/train/train-from-csv.js');
    const header = Array.from({ length: 5001 }, (_, i) => `c${i}`);
    const data = [header.join(','), header.map((_, i) => i % 2).join(','), header.map(() => 1).join(',')].join('\n');
    await expect(trainFromCsv({ csv: { data, name: 'wide.csv' }, target: 'c0' })).rejects.toMatchObject({
      code: 'BERTH_TRAIN_CSV_INVALID',
      message: expect.stringContaining('it has 5001 columns; Berth trains on at most 5000'),
    });
  });
});
