/** Deterministic model weights, so every run of the bench serves the same models. */
import { SeededRandom } from '../src/train/seeded-random.js';

/**
 * `count` weights drawn uniformly from ±sqrt(6 / (fanIn + fanOut)) (Glorot), rounded to float32
 * so the ONNX model and the JSON copy given to scikit-learn hold exactly the same numbers.
 */
export function seededWeights(seed: number, count: number, fanIn: number, fanOut: number): Float32Array {
  const random = new SeededRandom(seed);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const weights = new Float32Array(count);
  for (let i = 0; i < count; i++) weights[i] = (random.next() * 2 - 1) * limit;
  return weights;
}
