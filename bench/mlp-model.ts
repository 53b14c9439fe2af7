/**
 * The small model of the bench: an MLP with 64 inputs, one ReLU hidden layer and 10 softmax
 * outputs, the shape of scikit-learn's MLPClassifier on the digits data set. The same weights are
 * written as JSON for the FastAPI + scikit-learn server.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attribute, floatTensor, node, onnxModel, tensorValueInfo } from '../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../src/core/onnx-proto.js';
import { seededWeights } from './seeded-weights.js';

/** Sizes of the bench MLP. */
export const MLP = { inputs: 64, hidden: 128, outputs: 10, inputName: 'x', outputName: 'probabilities' } as const;

/** Files written by {@link writeMlpModel}. */
export interface MlpFiles {
  readonly onnx: string;
  /** `{inputs, hidden, outputs, coefs: [W1, W2], intercepts: [b1, b2]}`, W row-major [in, out]. */
  readonly weightsJson: string;
}

/** Writes `mlp.onnx` and `mlp-weights.json` into `dir`. */
export function writeMlpModel(dir: string): MlpFiles {
  const { inputs, hidden, outputs, inputName, outputName } = MLP;
  const w1 = seededWeights(1, inputs * hidden, inputs, hidden);
  const b1 = seededWeights(2, hidden, inputs, hidden);
  const w2 = seededWeights(3, hidden * outputs, hidden, outputs);
  const b2 = seededWeights(4, outputs, hidden, outputs);
  // Gemm's B is [in, out] without transB: the layout of scikit-learn's coefs_, so no transposing.
  const model = onnxModel({
    name: 'bench_mlp',
    nodes: [
      node('Gemm', [inputName, 'w1', 'b1'], ['h']),
      node('Relu', ['h'], ['a']),
      node('Gemm', ['a', 'w2', 'b2'], ['logits']),
      node('Softmax', ['logits'], [outputName], [attribute('axis', 1, 'int')]),
    ],
    inputs: [tensorValueInfo(inputName, OnnxElementType.FLOAT, ['batch', inputs])],
    outputs: [tensorValueInfo(outputName, OnnxElementType.FLOAT, ['batch', outputs])],
    initializers: [
      floatTensor('w1', [inputs, hidden], w1),
      floatTensor('b1', [hidden], b1),
      floatTensor('w2', [hidden, outputs], w2),
      floatTensor('b2', [outputs], b2),
    ],
  });
  const onnx = join(dir, 'mlp.onnx');
  writeFileSync(onnx, encodeOnnxModel(model));
  const weightsJson = join(dir, 'mlp-weights.json');
  const list = (a: Float32Array) => Array.from(a);
  writeFileSync(weightsJson, JSON.stringify({ inputs, hidden, outputs, coefs: [list(w1), list(w2)], intercepts: [list(b1), list(b2)] }));
  return { onnx, weightsJson };
}
