/**
 * Reference profiles of bundles: the one `berth train` builds from its training run, and the one
 * `--reference data.csv` builds from a file, with a schema or with bare tensor inputs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeOnnx } from '../../src/core/signature-from-onnx.js';
import type { NumericFeatureProfile } from '../../src/monitor/index.js';
import { referenceProfile, trainingProfile } from '../../src/app/reference-profile.js';
import { parseCsv, readCsvFile, trainFromCsv } from '../../src/train/index.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;

describe('reference profiles', () => {
  it('profiles every training row and the model outputs, and a --reference of the same file agrees exactly', async () => {
    const file = `${DATASETS}iris.csv`;
    const trained = await trainFromCsv({ csv: { file }, target: 'species', algorithm: 'linear' });
    const profile = trainingProfile(trained);
    expect(profile.rows).toBe(150);
    expect(profile.features.map((f) => [f.name, f.kind, f.count, f.missing])).toEqual(trained.schema.features.map((f) => [f.name, 'numeric', 150, 0]));
    const petal = profile.features.find((f) => f.name === 'petal_length_cm') as NumericFeatureProfile;
    expect([petal.min, petal.max]).toEqual([1, 6.9]);
    expect(petal.quantiles.find((q) => q.q === 0.5)!.value).toBe(4.35);
    expect(profile.outputs.map((o) => [o.name, o.kind])).toEqual([
      ['label', 'categorical'],
      ['probability_setosa', 'numeric'],
      ['probability_versicolor', 'numeric'],
      ['probability_virginica', 'numeric'],
    ]);
    const labels = profile.outputs[0]!;
    expect(labels.kind === 'categorical' && Object.fromEntries(labels.frequencies)).toMatchObject({ setosa: 50 });

    const fromFile = await referenceProfile(await readCsvFile(file), {
      onnx: trained.onnx,
      signature: describeOnnx(trained.onnx).signature,
      schema: trained.schema,
      pipeline: trained.pipeline,
    });
    expect(fromFile).toEqual(profile);
  });

  it("carries a classifier's calibration: from the training rows, or from a reference CSV's target column", async () => {
    const file = `${DATASETS}breast_cancer.csv`;
    const table = await readCsvFile(file);
    const target = table.header.at(-1)!;
    const trained = await trainFromCsv({ csv: { file }, target, algorithm: 'linear' });
    const profile = trainingProfile(trained);
    const labels = trained.pipeline.output.task === 'classification' ? trained.pipeline.output.labels : [];
    expect(profile.calibration).toMatchObject({ target, rows: table.rows.length, labels });
    for (const map of profile.calibration!.classes) {
      expect(map.x.length).toBe(map.y.length);
      for (let i = 1; i < map.y.length; i++) expect(map.y[i]!).toBeGreaterThanOrEqual(map.y[i - 1]!);
    }
    const model = { onnx: trained.onnx, signature: describeOnnx(trained.onnx).signature, schema: trained.schema, pipeline: trained.pipeline };
    // The same file under another name for the target column: --target names it.
    const renamed = parseCsv([[...table.header.slice(0, -1), 'truth'].join(','), ...table.rows.map((r) => r.join(','))].join('\n'), 'renamed.csv');
    const withoutTarget = await referenceProfile(renamed, model);
    expect(withoutTarget.calibration).toBeUndefined();
    expect((await referenceProfile(renamed, model, 'truth')).calibration).toEqual({ ...profile.calibration, target });
    await expect(referenceProfile(renamed, model, 'nope')).rejects.toMatchObject({ code: 'BERTH_MONITOR_REFERENCE_INVALID', message: expect.stringMatching(/no column 'nope'/) });
    const single = parseCsv([[...table.header.slice(0, -1), 'truth'].join(','), ...table.rows.map((r) => [...r.slice(0, -1), r.at(-1)!.replace(/.*/, labels[0]!)].join(','))].join('\n'), 'single.csv');
    await expect(referenceProfile(single, model, 'truth')).rejects.toMatchObject({ code: 'BERTH_MONITOR_REFERENCE_INVALID', message: expect.stringMatching(/fewer than two classes/) });
  });

  it('profiles tensor inputs by column name, or by position when the names are not there, and the outputs of running the model', async () => {
    const dir = tempDir();
    const onnx = readFileSync(writeIdentityModel(dir, 'FP32'));
    const signature = describeOnnx(onnx).signature;
    const named = parseCsv('id,x[2],x[0],x[1]\n7,3,1,2\n8,30,10,20\n', 'named.csv');
    const byName = await referenceProfile(named, { onnx, signature });
    expect(byName.features.map((f) => [f.name, (f as NumericFeatureProfile).max])).toEqual([
      ['x[0]', 10],
      ['x[1]', 20],
      ['x[2]', 30],
    ]);
    // The model runs on the reference rows: its outputs are profiled as the live monitor names them.
    expect(byName.outputs.map((f) => [f.name, f.kind, (f as NumericFeatureProfile).max])).toEqual([
      ['y[0]', 'numeric', 10],
      ['y[1]', 'numeric', 20],
      ['y[2]', 'numeric', 30],
    ]);
    const positional = await referenceProfile(parseCsv('a,b,c\n1,2,3\n10,20,30\n', 'plain.csv'), { onnx, signature });
    expect(positional.features.map((f) => f.name)).toEqual(['x[0]', 'x[1]', 'x[2]']);
    expect(positional.features.map((f) => (f as NumericFeatureProfile).mean)).toEqual([5.5, 11, 16.5]);
  });

  it('refuses data that does not fit, naming the file, the line and the field', async () => {
    const dir = tempDir();
    const onnx = readFileSync(writeIdentityModel(dir, 'FP32'));
    const signature = describeOnnx(onnx).signature;
    await expect(referenceProfile(parseCsv('a,b\n1,2\n', 'two.csv'), { onnx, signature })).rejects.toMatchObject({
      code: 'BERTH_MONITOR_REFERENCE_INVALID',
      message: expect.stringMatching(/two\.csv .*3 columns named x\[0\], x\[1\], x\[2\].*the file has 2/),
    });
    await expect(referenceProfile(parseCsv('a,b,c\n', 'empty.csv'), { onnx, signature })).rejects.toMatchObject({ code: 'BERTH_MONITOR_REFERENCE_INVALID' });
    await expect(referenceProfile(parseCsv('a,b,c\n1,2,3\n4,five,6\n', 'words.csv'), { onnx, signature })).rejects.toMatchObject({
      code: 'BERTH_MONITOR_REFERENCE_INVALID',
      message: expect.stringMatching(/words\.csv .*line 2 cannot be the model's input: .*five/),
    });

    const trained = await trainFromCsv({ csv: { file: `${DATASETS}iris.csv` }, target: 'species', algorithm: 'linear' });
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5,3,1,0.2\n\n"5",three,1,0.2\n');
    await expect(
      referenceProfile(await readCsvFile(bad), { onnx: trained.onnx, signature: describeOnnx(trained.onnx).signature, schema: trained.schema, pipeline: trained.pipeline }),
    ).rejects.toMatchObject({ code: 'BERTH_SCHEMA_NUMBER_INVALID', message: expect.stringContaining(`${bad} line 4: feature 'sepal_width_cm'`) });
  });
});

describe('CSV line numbers', () => {
  it('counts blank lines and quoted fields that span lines', () => {
    const table = parseCsv('a,b\n1,2\n\n"x\ny",3\r\n4,"p\r\nq"\n5,6\n', 'lines.csv');
    expect(table.rows).toHaveLength(4);
    expect(table.lines).toEqual([2, 4, 6, 8]);
  });

  it('reports a missing file as a CSV error, not a crash', async () => {
    await expect(readCsvFile('/no/such/file.csv')).rejects.toMatchObject({ code: 'BERTH_TRAIN_CSV_INVALID', message: expect.stringContaining('no such file') });
  });
});
