/**
 * The exported ONNX models, run in real onnxruntime-node, give the trainer's in-memory
 * predictions on held-out rows, for every kind of model Berth exports.
 */
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeOnnxModel } from '../../src/core/onnx-proto.js';
import { Pipeline } from '../../src/runtime/pipeline.js';
import { parseCsv, selectRows, tableRecords } from '../../src/train/csv-table.js';
import { outputWidth, predictOutputs } from '../../src/train/fitted-model.js';
import { splitRows } from '../../src/train/split-rows.js';
import { trainFromTable } from '../../src/train/train-model.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;
const differences: string[] = [];

const cases = [
  { file: 'breast_cancer.csv', target: 'diagnosis', algorithm: 'linear', op: 'Sigmoid', output: 'probabilities' },
  { file: 'iris.csv', target: 'species', algorithm: 'linear', op: 'Softmax', output: 'probabilities' },
  { file: 'diabetes.csv', target: 'progression', algorithm: 'linear', op: 'Add', output: 'value' },
  { file: 'breast_cancer.csv', target: 'diagnosis', algorithm: 'gbdt', op: 'TreeEnsembleClassifier', output: 'probabilities' },
  { file: 'wine.csv', target: 'cultivar', algorithm: 'gbdt', op: 'TreeEnsembleClassifier', output: 'probabilities' },
  { file: 'diabetes.csv', target: 'progression', algorithm: 'gbdt', op: 'TreeEnsembleRegressor', output: 'value' },
] as const;

describe('ONNX export', () => {
  afterAll(() => console.log(`max |onnxruntime - in-memory| on held-out rows:\n  ${differences.join('\n  ')}`));

  it.each(cases)('$algorithm on $file: onnxruntime equals the in-memory model on held-out rows', async ({ file, target, algorithm, op, output }) => {
    const table = parseCsv(readFileSync(`${DATASETS}${file}`), file);
    const { train, validation: heldOut } = splitRows(table.rows.length, { fraction: 0.3, seed: 11 });
    const result = await trainFromTable(selectRows(table, train), { target, algorithm, seed: 1 });

    const graph = decodeOnnxModel(result.onnx);
    const ops = graph.graph.node.map((n) => n.opType);
    expect(ops).toContain(op);
    expect(ops).not.toContain('ZipMap');
    expect(graph.opsetImport).toEqual(expect.arrayContaining([{ domain: '', version: 17 }]));
    if (algorithm === 'gbdt') expect(graph.opsetImport).toEqual(expect.arrayContaining([{ domain: 'ai.onnx.ml', version: 3 }]));

    const session = await ort.InferenceSession.create(result.onnx);
    expect(session.inputNames).toEqual(['features']);
    expect(session.outputNames).toEqual([output]);
    const pipeline = new Pipeline(result.schema, result.pipeline);
    const rows = tableRecords(table, heldOut);
    const x = pipeline.encode(rows).tensor.data as Float32Array;
    const n = rows.length;
    const k = pipeline.width;
    const width = outputWidth(result.model);
    const expected = predictOutputs(result.model, x, n);

    // The whole held-out set as one batch, then row by row: the batch dimension is dynamic.
    const batch = (await session.run({ features: new ort.Tensor('float32', x, [n, k]) }))[output]!;
    expect(batch.dims).toEqual([n, width]);
    const single = (await session.run({ features: new ort.Tensor('float32', x.slice(0, k), [1, k]) }))[output]!;
    expect(single.dims).toEqual([1, width]);
    expect(Array.from(single.data as Float32Array)).toEqual(Array.from((batch.data as Float32Array).slice(0, width)));

    const got = batch.data as Float32Array;
    let max = 0;
    let scale = 0;
    for (let i = 0; i < got.length; i++) {
      max = Math.max(max, Math.abs(got[i]! - expected[i]!));
      scale = Math.max(scale, Math.abs(expected[i]!));
    }
    differences.push(`${algorithm} ${file} (${n} rows): ${max.toExponential(2)}${output === 'value' ? ` on values up to ${scale.toFixed(0)}` : ''}`);
    // float32 arithmetic in onnxruntime against float64 in memory: a few float32 ulps.
    expect(max).toBeLessThan(output === 'value' ? 1e-6 * scale : 1e-6);
    expect(result.verification.maxAbsDifference).toBeLessThan(output === 'value' ? 1e-6 * scale : 1e-6);
    await session.release();
  });
});
