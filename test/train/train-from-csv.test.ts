import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFeatureSchema } from '../../src/core/feature-schema.js';
import { decodeOnnxModel } from '../../src/core/onnx-proto.js';
import { parsePipelineSpec } from '../../src/core/pipeline-spec.js';
import { type TrainProgress, columnValues, scoreRows, tableRecords, trainFromCsv } from '../../src/train/index.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;

describe('trainFromCsv', () => {
  it('trains, exports and describes a classifier, reporting progress', async () => {
    const events: TrainProgress[] = [];
    const file = `${DATASETS}iris.csv`;
    const result = await trainFromCsv({ csv: { file }, target: 'species', seed: 4, onProgress: (p) => events.push(p) });

    expect(result.task).toBe('classification');
    expect(result.candidates.map((c) => c.algorithm)).toEqual(['linear', 'gbdt']);
    expect(result.candidates.some((c) => c.algorithm === result.algorithm && c.metrics === result.metrics)).toBe(true);
    expect(result.metrics).toMatchObject({ task: 'classification', rows: 30 });
    if (result.metrics.task === 'classification') {
      expect(result.metrics.accuracy).toBeGreaterThan(0.85);
      expect(result.metrics.confusionMatrix.labels).toEqual(['setosa', 'versicolor', 'virginica']);
      expect(result.metrics.confusionMatrix.counts.flat().reduce((a, b) => a + b, 0)).toBe(30);
    }
    expect(result.lineage).toMatchObject({
      data: { source: file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), rows: 150 },
      target: 'species',
      task: 'classification',
      seed: 4,
      validationFraction: 0.2,
      trainRows: 120,
      validationRows: 30,
      refit: true,
      droppedRows: 0,
    });
    expect(result.verification.rows).toBe(30);
    expect(result.verification.maxAbsDifference).toBeLessThan(1e-6);

    // Documents are plain JSON and valid; the ONNX bytes are a model.
    const roundTrip = JSON.parse(JSON.stringify({ schema: result.schema, pipeline: result.pipeline, metrics: result.metrics, lineage: result.lineage }));
    expect(parseFeatureSchema(roundTrip.schema)).toEqual(result.schema);
    expect(parsePipelineSpec(roundTrip.pipeline, result.schema)).toEqual(result.pipeline);
    expect(roundTrip.metrics).toEqual(result.metrics);
    expect(decodeOnnxModel(result.onnx).graph.input[0]!.name).toBe('features');
    expect(result.pipeline.output).toEqual({ task: 'classification', target: 'species', tensor: 'probabilities', labels: ['setosa', 'versicolor', 'virginica'] });

    // Every row's parsed columns and the model's outputs, for the reference profile.
    expect(result.columns.features.map((c) => [c.name, c.values.length])).toEqual(result.schema.features.map((f) => [f.name, 150]));
    expect(columnValues(result.columns.features[0]!).slice(0, 2)).toEqual([5.1, 4.9]);
    expect(Object.keys(result.outputColumns)).toEqual(['label', 'probability_setosa', 'probability_versicolor', 'probability_virginica']);
    for (const column of Object.values(result.outputColumns)) expect(column).toHaveLength(150);
    expect(result.table.rows).toHaveLength(150);

    // Progress: every stage, in order, with a monotone overall fraction ending at 1.
    const stages = [...new Set(events.map((e) => e.stage))];
    expect(stages).toEqual(['read', 'infer', 'split', 'fit', 'refit', 'export', 'verify', 'done']);
    for (let i = 1; i < events.length; i++) expect(events[i]!.fraction).toBeGreaterThanOrEqual(events[i - 1]!.fraction);
    expect(events.at(-1)).toMatchObject({ stage: 'done', fraction: 1 });
    expect(events.some((e) => e.stage === 'fit' && e.algorithm === 'gbdt' && e.completed > 0)).toBe(true);
  });

  it('is reproducible: the same data, options and seed give the same model bytes', async () => {
    const options = { csv: { file: `${DATASETS}wine.csv` }, target: 'cultivar', algorithm: 'gbdt', seed: 2 } as const;
    const [a, b] = [await trainFromCsv(options), await trainFromCsv(options)];
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    expect(a.metrics).toEqual(b.metrics);
  });

  it('trains a regressor from CSV bytes, without refitting when asked', async () => {
    const result = await trainFromCsv({ csv: { data: readFileSync(`${DATASETS}diabetes.csv`), name: 'diabetes upload' }, target: 'progression', algorithm: 'linear', refit: false });
    expect(result.task).toBe('regression');
    expect(result.lineage).toMatchObject({ method: 'ridge-regression', refit: false, data: { source: 'diabetes upload' } });
    expect(result.metrics.task === 'regression' && result.metrics.r2).toBeGreaterThan(0.3);
    expect(result.pipeline.output).toEqual({ task: 'regression', target: 'progression', tensor: 'value' });
    expect(Object.keys(result.outputColumns)).toEqual(['value']);
    expect(result.outputColumns.value).toHaveLength(442);
  });

  it.each([
    [{ validationFraction: 0 }, 'BERTH_TRAIN_OPTION_INVALID'],
    [{ algorithm: 'forest' }, 'BERTH_TRAIN_OPTION_INVALID'],
    [{ seed: -1 }, 'BERTH_TRAIN_OPTION_INVALID'],
    [{ task: 'clustering' }, 'BERTH_TRAIN_OPTION_INVALID'],
    [{ gbdt: { learningRate: 0 } }, 'BERTH_TRAIN_OPTION_INVALID'],
    [{ gbdt: { maxLeafNodes: 1 } }, 'BERTH_TRAIN_OPTION_INVALID'],
    [{ linearPenalties: [] }, 'BERTH_TRAIN_OPTION_INVALID'],
    [{ target: 'colour' }, 'BERTH_TRAIN_TARGET_NOT_FOUND'],
  ])('refuses %j with %s', async (options, code) => {
    await expect(trainFromCsv({ csv: { file: `${DATASETS}iris.csv` }, target: 'species', ...(options as object) })).rejects.toMatchObject({ code });
  });

  it('refuses too little data', async () => {
    await expect(trainFromCsv({ csv: { data: 'x,y\n1,a\n2,b\n3,a\n' }, target: 'y' })).rejects.toMatchObject({ code: 'BERTH_TRAIN_DATA_INSUFFICIENT' });
  });
});

describe('scoreRows', () => {
  it('scores in order across batches, names the failing row and field, and reports unknown fields', async () => {
    const trained = await trainFromCsv({ csv: { file: `${DATASETS}iris.csv` }, target: 'species', algorithm: 'linear' });
    const rows = tableRecords(trained.table);
    const { predictions, unknownFields } = await scoreRows({ onnx: trained.onnx, schema: trained.schema, pipeline: trained.pipeline, rows, batchSize: 32 });
    expect(predictions).toHaveLength(150);
    expect(unknownFields).toEqual(['species']);
    expect(predictions.map((p) => ('label' in p ? p.label : ''))).toEqual(trained.outputColumns.label);
    expect(predictions.map((p) => ('label' in p ? p.probabilities.virginica : 0))).toEqual(trained.outputColumns.probability_virginica);
    const correct = predictions.filter((p, i) => 'label' in p && p.label === rows[i]!.species).length;
    expect(correct).toBeGreaterThan(140);
    for (const p of predictions) {
      if (!('probabilities' in p)) throw new Error('expected a classification');
      expect(Object.keys(p.probabilities)).toEqual(['setosa', 'versicolor', 'virginica']);
      expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }

    const broken = rows.map((r, i) => (i === 70 ? { ...r, petal_width_cm: 'wide' } : r));
    await expect(scoreRows({ onnx: trained.onnx, schema: trained.schema, pipeline: trained.pipeline, rows: broken, batchSize: 32 })).rejects.toMatchObject({
      code: 'BERTH_SCHEMA_NUMBER_INVALID',
      details: { row: 70, feature: 'petal_width_cm' },
      message: expect.stringContaining("row 70: feature 'petal_width_cm'"),
    });
    const missing = rows.map((r, i) => (i === 3 ? { sepal_length_cm: '5.0' } : r));
    await expect(scoreRows({ onnx: trained.onnx, schema: trained.schema, pipeline: trained.pipeline, rows: missing })).rejects.toMatchObject({
      code: 'BERTH_SCHEMA_FEATURE_MISSING',
      details: { row: 3, feature: 'sepal_width_cm' },
    });
  });
});
