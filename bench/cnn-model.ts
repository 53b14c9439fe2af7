/**
 * The compute-heavy model of the bench: a small image CNN, [batch, 1, 28, 28] →
 * Conv/Relu/Conv/Relu/GlobalAveragePool/Gemm → [batch, 10]. Most of its cost is the second
 * convolution, millions of multiply-adds per row.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attribute, floatTensor, int64Tensor, node, onnxModel, tensorValueInfo } from '../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../src/core/onnx-proto.js';
import { seededWeights } from './seeded-weights.js';

/** Sizes of the bench CNN. */
export const CNN = { side: 28, channels1: 16, channels2: 32, kernel: 3, outputs: 10, inputName: 'image', outputName: 'logits' } as const;

/** Input values per row. */
export const CNN_ROW_SIZE = CNN.side * CNN.side;

/** Writes `cnn.onnx` into `dir` and returns its path. */
export function writeCnnModel(dir: string): string {
  const { side, channels1: c1, channels2: c2, kernel: k, outputs, inputName, outputName } = CNN;
  const pads = attribute('pads', [1, 1, 1, 1], 'int');
  const kernelShape = attribute('kernel_shape', [k, k], 'int');
  const model = onnxModel({
    name: 'bench_cnn',
    nodes: [
      node('Conv', [inputName, 'k1', 'c1b'], ['c1'], [kernelShape, pads]),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'k2', 'c2b'], ['c2'], [kernelShape, pads]),
      node('Relu', ['c2'], ['r2']),
      node('GlobalAveragePool', ['r2'], ['pooled']),
      node('Reshape', ['pooled', 'flat_shape'], ['flat']),
      node('Gemm', ['flat', 'fc', 'fcb'], [outputName]),
    ],
    inputs: [tensorValueInfo(inputName, OnnxElementType.FLOAT, ['batch', 1, side, side])],
    outputs: [tensorValueInfo(outputName, OnnxElementType.FLOAT, ['batch', outputs])],
    initializers: [
      floatTensor('k1', [c1, 1, k, k], seededWeights(11, c1 * k * k, k * k, c1)),
      floatTensor('c1b', [c1], seededWeights(12, c1, k * k, c1)),
      floatTensor('k2', [c2, c1, k, k], seededWeights(13, c2 * c1 * k * k, c1 * k * k, c2)),
      floatTensor('c2b', [c2], seededWeights(14, c2, c1 * k * k, c2)),
      // [batch, c2, 1, 1] → [batch, c2]; 0 keeps the (dynamic) batch dimension.
      int64Tensor('flat_shape', [2], [0, c2]),
      floatTensor('fc', [c2, outputs], seededWeights(15, c2 * outputs, c2, outputs)),
      floatTensor('fcb', [outputs], seededWeights(16, outputs, c2, outputs)),
    ],
  });
  const path = join(dir, 'cnn.onnx');
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}
