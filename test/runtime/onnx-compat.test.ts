/**
 * The rewrites for models onnxruntime refuses, checked by running the rewritten model in real
 * onnxruntime against values computed here by the operator's legacy definition.
 */
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { attribute, node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../../src/core/onnx-proto.js';
import { makeCompatible } from '../../src/runtime/onnx-compat.js';

const F = OnnxElementType.FLOAT;

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('legacy opset upgrade', () => {
  it('makes a legacy axis broadcast explicit (A [2,3,2] + B [3] at axis 1)', async () => {
    const legacy = encodeOnnxModel(
      onnxModel({
        nodes: [node('Add', ['a', 'b'], ['y'], [attribute('broadcast', 1, 'int'), attribute('axis', 1, 'int')])],
        inputs: [tensorValueInfo('a', F, [2, 3, 2]), tensorValueInfo('b', F, [3])],
        outputs: [tensorValueInfo('y', F, [2, 3, 2])],
        opsets: { '': 6 },
      }),
    );
    await expect(ort.InferenceSession.create(legacy, { logSeverityLevel: 4 })).rejects.toThrow(/Add\(6\)/);
    const compatible = makeCompatible(legacy)!;
    expect(compatible.changes.join('; ')).toContain('restamped from opset 6 to 7');
    const a = Float32Array.from({ length: 12 }, (_, i) => i);
    const b = Float32Array.from([100, 200, 300]);
    const out = await run(compatible.bytes, { a: new ort.Tensor('float32', a, [2, 3, 2]), b: new ort.Tensor('float32', b, [3]) });
    // Legacy semantics: y[i,j,k] = a[i,j,k] + b[j].
    const expected = Array.from(a, (v, index) => v + b[Math.floor(index / 2) % 3]!);
    expect(Array.from(out.y!.data as Float32Array)).toEqual(expected);
  });

  it('leaves models of opset 7 and later alone', () => {
    const modern = encodeOnnxModel(
      onnxModel({ nodes: [node('Relu', ['x'], ['y'])], inputs: [tensorValueInfo('x', F, [1])], outputs: [tensorValueInfo('y', F, [1])] }),
    );
    expect(makeCompatible(modern)).toBeUndefined();
  });
});

describe('Gradient expansion', () => {
  it('differentiates d = (a + b) * a by reverse mode', async () => {
    const model = encodeOnnxModel(
      onnxModel({
        nodes: [
          node('Add', ['a', 'b'], ['c']),
          node('Mul', ['c', 'a'], ['d']),
          node('Gradient', ['a', 'b'], ['dd_da', 'dd_db'], [attribute('xs', ['a', 'b']), attribute('y', 'd')], 'ai.onnx.preview.training'),
        ],
        inputs: [tensorValueInfo('a', F, [3]), tensorValueInfo('b', F, [3])],
        outputs: [tensorValueInfo('d', F, [3]), tensorValueInfo('dd_da', F, [3]), tensorValueInfo('dd_db', F, [3])],
        opsets: { '': 12, 'ai.onnx.preview.training': 1 },
      }),
    );
    const compatible = makeCompatible(model)!;
    const a = Float32Array.from([1, 2, -3]);
    const b = Float32Array.from([0, 5, 2]);
    const out = await run(compatible.bytes, { a: new ort.Tensor('float32', a, [3]), b: new ort.Tensor('float32', b, [3]) });
    // d = a² + ab: ∂d/∂a = 2a + b, ∂d/∂b = a.
    expect(Array.from(out.dd_da!.data as Float32Array)).toEqual([2, 9, -4]);
    expect(Array.from(out.dd_db!.data as Float32Array)).toEqual([1, 2, -3]);
  });

  it('refuses to expand through an operator it cannot differentiate', () => {
    const model = encodeOnnxModel(
      onnxModel({
        nodes: [node('Tanh', ['a'], ['c']), node('Gradient', ['a'], ['dc_da'], [attribute('xs', ['a']), attribute('y', 'c')], 'ai.onnx.preview.training')],
        inputs: [tensorValueInfo('a', F, [1])],
        outputs: [tensorValueInfo('dc_da', F, [1])],
        opsets: { '': 12, 'ai.onnx.preview.training': 1 },
      }),
    );
    expect(() => makeCompatible(model)).toThrow(/cannot be expanded through Tanh/);
  });
});
