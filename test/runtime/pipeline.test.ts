import { describe, expect, it } from 'vitest';
import type { FeatureSchema } from '../../src/core/feature-schema.js';
import { attribute, floatTensor, node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { encodeOnnxModel } from '../../src/core/onnx-proto.js';
import type { PipelineSpec } from '../../src/core/pipeline-spec.js';
import type { Tensor } from '../../src/core/tensor.js';
import { Pipeline, type TensorRunner } from '../../src/runtime/pipeline.js';
import { createSession, runSession } from '../../src/runtime/session-runner.js';

const schema: FeatureSchema = {
  format: 'berth.schema/v1',
  features: [
    { name: 'age', type: 'integer', required: true, outOfRange: 'accept' },
    { name: 'income', type: 'number', required: false, outOfRange: 'accept' },
    { name: 'region', type: 'category', required: false, categories: ['north', 'south', 'east'], outOfRange: 'accept' },
    { name: 'grade', type: 'category', required: false, categories: ['a', 'b'], outOfRange: 'accept' },
    { name: 'owner', type: 'boolean', required: false },
  ],
};

const spec: PipelineSpec = {
  format: 'berth.pipeline/v1',
  input: 'features',
  steps: [
    { feature: 'age', encoding: 'numeric', impute: 40, scale: { mean: 40, std: 10 } },
    { feature: 'income', encoding: 'numeric', impute: 50000 },
    { feature: 'region', encoding: 'one-hot', categories: ['north', 'south', 'east'], impute: 'south', unseen: 'ignore' },
    { feature: 'grade', encoding: 'ordinal', categories: ['a', 'b'], impute: null, unseen: 'encode', unseenValue: -1 },
    { feature: 'owner', encoding: 'numeric', impute: 0 },
  ],
  output: { task: 'classification', target: 'y', tensor: 'probabilities', labels: ['no', 'yes'] },
};

describe('Pipeline.encode', () => {
  const pipeline = new Pipeline(schema, spec);

  it('imputes, scales and encodes into an FP32 [n, k] tensor in step order', () => {
    const { tensor, unknownFields } = pipeline.encode([
      { age: 50, income: 1000, region: 'east', grade: 'b', owner: true },
      { age: '30', region: null, extra: 'x' },
      { age: 40, region: 'west', grade: 'z', owner: 'no' },
    ]);
    expect(tensor).toMatchObject({ name: 'features', datatype: 'FP32', shape: [3, 7] });
    expect(Array.from(tensor.data as Float32Array)).toEqual([
      1, 1000, 0, 0, 1, 1, 1,
      -1, 50000, 0, 1, 0, -1, 0,
      0, 50000, 0, 0, 0, -1, 0,
    ]);
    expect(unknownFields).toEqual(['extra']);
  });

  it('refuses unseen categories when the step says so, naming the row and feature', () => {
    const strict = new Pipeline(schema, { ...spec, steps: spec.steps.map((s) => (s.encoding === 'one-hot' ? { ...s, unseen: 'error' as const } : s)) });
    expect(() => strict.encode([{ age: 1, region: 'north' }, { age: 1, region: 'west' }], { firstRow: 10 })).toThrowError(
      expect.objectContaining({ code: 'BERTH_PIPELINE_CATEGORY_UNSEEN', details: { row: 11, feature: 'region' } }),
    );
  });

  it('passes schema errors through with the row counted from firstRow', () => {
    expect(() => pipeline.encode([{ age: 'old' }], { firstRow: 4096 })).toThrowError(
      expect.objectContaining({ code: 'BERTH_SCHEMA_NUMBER_INVALID', details: { row: 4096, feature: 'age' } }),
    );
  });

  it('refuses a pipeline that does not fit its schema', () => {
    expect(() => new Pipeline(schema, { ...spec, steps: [{ feature: 'zip', encoding: 'numeric', impute: 0 }] })).toThrowError(
      expect.objectContaining({ code: 'BERTH_PIPELINE_INVALID' }),
    );
  });
});

describe('Pipeline.valuesOf', () => {
  const pipeline = new Pipeline(schema, spec);

  it('reads the feature values back from the tensor they encode to, in schema order', () => {
    const rows = [
      { age: 50, income: 1000.5, region: 'east', grade: 'b', owner: true },
      { age: 33, income: 72000, region: 'north', grade: 'a', owner: false },
    ];
    const { tensor, values } = pipeline.encode(rows);
    expect(pipeline.valuesOf(tensor)).toEqual(values);
    expect(values[0]).toEqual([50, 1000.5, 'east', 'b', true]);
  });

  it('gives imputed values as imputed, and null where the tensor cannot tell the value', () => {
    const { tensor } = pipeline.encode([{ age: 40, region: 'west', grade: 'z' }]);
    // income and owner were imputed; region 'west' is an all-zero one-hot; grade 'z' the unseen ordinal.
    expect(pipeline.valuesOf(tensor)).toEqual([[40, 50000, null, null, false]]);
  });

  it('reads nothing from a tensor that is not this pipeline\'s input', () => {
    expect(pipeline.valuesOf({ name: 'features', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) })).toBeUndefined();
    expect(pipeline.valuesOf({ name: 'features', datatype: 'FP64', shape: [1, 7], data: new Float64Array(7) })).toBeUndefined();
  });
});

describe('Pipeline.decode', () => {
  it('names the most probable label and every probability', () => {
    const pipeline = new Pipeline(schema, spec);
    const outputs: Tensor[] = [{ name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: Float32Array.of(0.25, 0.75, 0.5, 0.5) }];
    expect(pipeline.decode(outputs, 2)).toEqual([
      { label: 'yes', probabilities: { no: 0.25, yes: 0.75 } },
      { label: 'no', probabilities: { no: 0.5, yes: 0.5 } },
    ]);
  });

  it('reads regression values', () => {
    const pipeline = new Pipeline(schema, { ...spec, output: { task: 'regression', target: 'y', tensor: 'value' } });
    expect(pipeline.decode([{ name: 'value', datatype: 'FP32', shape: [2, 1], data: Float32Array.of(1.5, -2) }], 2)).toEqual([{ value: 1.5 }, { value: -2 }]);
  });

  it('refuses outputs that do not fit the pipeline', () => {
    const pipeline = new Pipeline(schema, spec);
    expect(() => pipeline.decode([{ name: 'other', datatype: 'FP32', shape: [1, 2], data: Float32Array.of(0, 1) }], 1)).toThrowError(/no output 'probabilities'/);
    expect(() => pipeline.decode([{ name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: Float32Array.of(0, 1, 0) }], 1)).toThrowError(/3 values/);
  });
});

describe('Pipeline.predict', () => {
  it('runs rows through a real onnxruntime session', async () => {
    // Softmax over [0, x·w]: column 0 of the weights is zero, so P(yes) = sigmoid(x·w).
    const weights = [0.5, 0.0001, 1, -1, 0.25, 2, 0.75];
    const model = onnxModel({
      nodes: [node('MatMul', ['features', 'w'], ['scores']), node('Softmax', ['scores'], ['probabilities'], [attribute('axis', 1, 'int')])],
      initializers: [floatTensor('w', [7, 2], weights.flatMap((w) => [0, w]))],
      inputs: [tensorValueInfo('features', 1, ['n', 7])],
      outputs: [tensorValueInfo('probabilities', 1, ['n', 2])],
    });
    const session = await createSession(encodeOnnxModel(model), { intraOpThreads: 1 });
    const runner: TensorRunner = { run: (inputs, names) => runSession(session, inputs, names) };
    const pipeline = new Pipeline(schema, spec);
    const rows = [{ age: 50, income: 1000, region: 'east', grade: 'b', owner: true }, { age: 20 }];
    const { predictions } = await pipeline.predict(runner, rows);
    const x = pipeline.encode(rows).tensor.data as Float32Array;
    expect(predictions).toHaveLength(2);
    predictions.forEach((prediction, r) => {
      let s = 0;
      for (let f = 0; f < 7; f++) s += x[r * 7 + f]! * weights[f]!;
      const yes = 1 / (1 + Math.exp(-s));
      expect((prediction as { probabilities: Record<string, number> }).probabilities.yes).toBeCloseTo(yes, 5);
      expect((prediction as { label: string }).label).toBe(yes >= 0.5 ? 'yes' : 'no');
    });
    await session.release();
  });
});
