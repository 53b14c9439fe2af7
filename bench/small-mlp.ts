/** The many-models benches' model: a small MLP (16 → 32 → 4) whose weights are seeded by its index. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attribute, floatTensor, node, onnxModel, tensorValueInfo } from '../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../src/core/onnx-proto.js';
import { seededWeights } from './seeded-weights.js';

export const [INPUTS, HIDDEN, OUTPUTS] = [16, 32, 4];

/** Writes model `index` as `m<index>.onnx` in `dir`, so every model is a different bundle; returns its path. */
export function writeSmallMlp(dir: string, index: number): string {
  const seed = 1000 + index * 4;
  const model = onnxModel({
    name: `small_mlp_${index}`,
    nodes: [
      node('Gemm', ['x', 'w1', 'b1'], ['h']),
      node('Relu', ['h'], ['a']),
      node('Gemm', ['a', 'w2', 'b2'], ['logits']),
      node('Softmax', ['logits'], ['probabilities'], [attribute('axis', 1, 'int')]),
    ],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', INPUTS])],
    outputs: [tensorValueInfo('probabilities', OnnxElementType.FLOAT, ['batch', OUTPUTS])],
    initializers: [
      floatTensor('w1', [INPUTS, HIDDEN], seededWeights(seed, INPUTS * HIDDEN, INPUTS, HIDDEN)),
      floatTensor('b1', [HIDDEN], seededWeights(seed + 1, HIDDEN, INPUTS, HIDDEN)),
      floatTensor('w2', [HIDDEN, OUTPUTS], seededWeights(seed + 2, HIDDEN * OUTPUTS, HIDDEN, OUTPUTS)),
      floatTensor('b2', [OUTPUTS], seededWeights(seed + 3, OUTPUTS, HIDDEN, OUTPUTS)),
    ],
  });
  const path = join(dir, `m${index}.onnx`);
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

/** The body of one inference request to it: one row. */
export const SMALL_MLP_BODY = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, INPUTS], data: Array.from({ length: INPUTS }, (_, i) => i / INPUTS) }] });
