/** OIP inference requests for the bench models, in JSON and in the binary tensor format. */
import { SeededRandom } from '../src/train/seeded-random.js';
import type { BenchRequest } from './run-load.js';

/** What to send: a model's input and how many rows. */
export interface RequestSpec {
  readonly model: string;
  readonly input: string;
  /** Shape of one row, e.g. [64] or [1, 28, 28]. */
  readonly rowShape: readonly number[];
  readonly rows: number;
  /** Largest input value; values are drawn in [0, max]. */
  readonly max: number;
  /**
   * How values are written: whole numbers (the digits data set's pixel counts), three decimals
   * (normalised pixels), or every digit of a double, as Python's json.dumps writes numpy floats.
   */
  readonly format: 'integer' | 'decimal3' | 'float64';
}

/** Seeded input values for a request (the same every run). */
export function requestValues(spec: RequestSpec, seed = 7): number[] {
  const random = new SeededRandom(seed);
  const count = spec.rows * spec.rowShape.reduce((a, b) => a * b, 1);
  const values = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const v = random.next() * spec.max;
    values[i] = spec.format === 'integer' ? Math.round(v) : spec.format === 'decimal3' ? Math.round(v * 1000) / 1000 : v;
  }
  return values;
}

/** A JSON OIP request: `{"inputs":[{name, datatype, shape, data}]}` with flat data. */
export function jsonInferRequest(spec: RequestSpec): BenchRequest {
  const body = JSON.stringify({
    inputs: [{ name: spec.input, datatype: 'FP32', shape: [spec.rows, ...spec.rowShape], data: requestValues(spec) }],
  });
  return { method: 'POST', path: `/v2/models/${spec.model}/infer`, headers: { 'content-type': 'application/json' }, body, rows: spec.rows };
}

/**
 * A binary-extension OIP request: the JSON header, then the input as little-endian float32; the
 * output is asked for in binary too.
 */
export function binaryInferRequest(spec: RequestSpec): BenchRequest {
  const values = Float32Array.from(requestValues(spec));
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: spec.input, datatype: 'FP32', shape: [spec.rows, ...spec.rowShape], parameters: { binary_data_size: values.byteLength } }],
      parameters: { binary_data_output: true },
    }),
  );
  return {
    method: 'POST',
    path: `/v2/models/${spec.model}/infer`,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, Buffer.from(values.buffer)]),
    rows: spec.rows,
  };
}
