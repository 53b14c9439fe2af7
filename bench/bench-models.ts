/** The models of the bench, built at bench time with the repo's ONNX builder (nothing downloaded). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CNN, writeCnnModel } from './cnn-model.js';
import type { RequestSpec } from './infer-requests.js';
import { MLP, writeMlpModel } from './mlp-model.js';

/** Paths of the built models. */
export interface BenchModels {
  readonly dir: string;
  readonly mlp: string;
  readonly mlpWeightsJson: string;
  readonly cnn: string;
}

/** Writes the MLP (with its weights as JSON) and the CNN into a fresh temporary directory. */
export function writeBenchModels(): BenchModels {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const mlp = writeMlpModel(dir);
  return { dir, mlp: mlp.onnx, mlpWeightsJson: mlp.weightsJson, cnn: writeCnnModel(dir) };
}

/**
 * MLP requests: 64 pixel counts in 0..16 per row, like scikit-learn's digits data set; or, with
 * `float64`, the same range written with every digit of a double (a client sending numpy floats).
 */
export function mlpRequest(rows: number, format: 'integer' | 'float64' = 'integer'): RequestSpec {
  return { model: 'mlp', input: MLP.inputName, rowShape: [MLP.inputs], rows, max: 16, format };
}

/** CNN requests: a 28×28 image of normalised pixels per row. */
export function cnnRequest(rows: number): RequestSpec {
  return { model: 'cnn', input: CNN.inputName, rowShape: [1, CNN.side, CNN.side], rows, max: 1, format: 'decimal3' };
}
