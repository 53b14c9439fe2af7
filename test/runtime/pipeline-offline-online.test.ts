/**
 * The promise of issue 4: a row predicts the same offline (batch scoring a CSV file) and online
 * (a JSON request to the server), because both run the one Pipeline class and the same ONNX model.
 * Offline, rows are CSV strings scored in large batches; online, they are typed JSON values that
 * went through JSON text, scored in small requests of varying size.
 */
import { describe, expect, it } from 'vitest';
import { Pipeline, type Prediction, type TensorRunner } from '../../src/runtime/pipeline.js';
import { createSession, runSession } from '../../src/runtime/session-runner.js';
import { readCsvFile, tableRecords } from '../../src/train/csv-table.js';
import { predictOutputs } from '../../src/train/fitted-model.js';
import { scoreRows } from '../../src/train/score-rows.js';
import { trainFromCsv } from '../../src/train/train-from-csv.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;

describe('offline and online predictions', () => {
  it.each(['linear', 'gbdt'] as const)('are identical for a %s model, unseen categories and missing values included', async (algorithm) => {
    const trained = await trainFromCsv({ csv: { file: `${DATASETS}loans_current_stable.csv` }, target: 'defaulted', algorithm, seed: 3 });
    // Production traffic: drifted data with a category never seen in training and missing values.
    const traffic = await readCsvFile(`${DATASETS}loans_current_drifted.csv`);
    const csvRows = tableRecords(traffic).slice(0, 1500);
    expect(csvRows.some((r) => r.employment === 'gig_worker')).toBe(true);
    expect(csvRows.some((r) => r.annual_income === '')).toBe(true);

    const offline = await scoreRows({ onnx: trained.onnx, schema: trained.schema, pipeline: trained.pipeline, rows: csvRows, batchSize: 1000 });

    // Online: typed JSON as a client sends it (numbers as numbers, missing as null or absent).
    const jsonRows = csvRows.map((row, i) => {
      const record: Record<string, unknown> = {};
      for (const feature of trained.schema.features) {
        const text = row[feature.name]!;
        if (text === '') {
          if (i % 2 === 0) record[feature.name] = null;
          continue;
        }
        record[feature.name] = feature.type === 'category' ? text : Number(text);
      }
      return record;
    });
    const session = await createSession(trained.onnx, { intraOpThreads: 1 });
    const runner: TensorRunner = { run: (inputs, names) => runSession(session, inputs, names) };
    const pipeline = new Pipeline(JSON.parse(JSON.stringify(trained.schema)), JSON.parse(JSON.stringify(trained.pipeline)));
    const online: Prediction[] = [];
    for (let start = 0, size = 1; start < jsonRows.length; start += size, size = (size % 37) + 1) {
      const body = JSON.stringify({ records: jsonRows.slice(start, start + size) });
      const { predictions } = await pipeline.predict(runner, (JSON.parse(body) as { records: unknown[] }).records);
      online.push(...predictions);
    }
    await session.release();

    expect(online).toEqual(offline.predictions);
    expect(offline.unknownFields).toEqual(['defaulted']);

    // And both agree with the trainer's in-memory model.
    const x = pipeline.encode(csvRows).tensor.data as Float32Array;
    const memory = predictOutputs(trained.model, x, csvRows.length);
    let max = 0;
    offline.predictions.forEach((p, r) => {
      const probabilities = (p as { probabilities: Record<string, number> }).probabilities;
      max = Math.max(max, Math.abs(probabilities['0']! - memory[2 * r]!), Math.abs(probabilities['1']! - memory[2 * r + 1]!));
    });
    expect(max).toBeLessThan(1e-5);
  });
});
