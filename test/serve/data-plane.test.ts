/**
 * The data plane resolves, observes and delegates: every kind of request (OIP infer, KServe V1,
 * records predict) passes the same observation (readiness, outcome, error wrapping, recording),
 * on real onnxruntime models loaded as LoadedVersions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureSchema } from '../../dist/core/feature-schema.js';
import type { PipelineSpec } from '../../dist/core/pipeline-spec.js';
import type { PredictionEvent } from '../../dist/monitor/index.js';
import { LoadedVersion } from '../../dist/runtime/loaded-version.js';
import { OnnxRuntime } from '../../dist/runtime/onnx-runtime.js';
import { Pipeline } from '../../dist/runtime/pipeline.js';
import { WorkerPool } from '../../dist/runtime/worker-pool.js';
import { DataPlane, type InferenceInput } from '../../dist/serve/data-plane.js';
import { ModelTable } from '../../dist/serve/model-table.js';
import { FIXTURE_ROOT } from '../helpers/fixtures.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';

const schema: FeatureSchema = {
  format: 'berth.schema/v1',
  features: ['a', 'b', 'c'].map((name) => ({ name, type: 'number' as const, required: true, outOfRange: 'accept' as const })),
};
const spec: PipelineSpec = {
  format: 'berth.pipeline/v1',
  input: 'x',
  steps: ['a', 'b', 'c'].map((feature) => ({ feature, encoding: 'numeric' as const, impute: 0 })),
  output: { task: 'classification', target: 'y', tensor: 'y', labels: ['a', 'b', 'c'] },
};

const pool = new WorkerPool({ size: 1 });
const table = new ModelTable();
const events: PredictionEvent[] = [];
const plane = new DataPlane({ models: table, serverName: 'berth', serverVersion: 'test', recorder: (event) => events.push(event) });

async function serve(name: string, path: string, pipeline?: Pipeline): Promise<LoadedVersion> {
  const version = new LoadedVersion({
    name,
    version: 1,
    source: path,
    ...(pipeline ? { pipeline } : {}),
    open: (warming) =>
      OnnxRuntime.load(path, {
        pool,
        key: name,
        label: name,
        intraOpThreads: 1,
        execution: 'auto',
        inlineBudgetUs: 200,
        batching: { maxBatchSize: 8, maxWaitMs: 0, maxQueue: 100, timeoutMs: 60_000 },
        onWarming: warming,
      }),
  });
  await version.load();
  table.put(version, true);
  return version;
}

function input(name: string, datatype: string, shape: number[], values: readonly number[]): InferenceInput {
  return { name, datatype, shape, data: { decode: () => (datatype === 'INT64' ? BigInt64Array.from(values.map(BigInt)) : Float32Array.from(values)) } };
}

/** The events recorded so far, once the recording queued after the responses has run. */
async function recorded(): Promise<PredictionEvent[]> {
  await new Promise((resolve) => setImmediate(resolve));
  return events.splice(0);
}

beforeAll(async () => {
  const dir = tempDir();
  const identity = writeIdentityModel(dir, 'FP32');
  await serve('fp32', identity);
  await serve('rows', identity, new Pipeline(schema, spec));
  await serve('expand', `${FIXTURE_ROOT}/simple/test_expand_shape_model1.onnx`);
});
afterAll(async () => {
  await Promise.all(table.all().map((v) => v.release()));
  await pool.close();
});

describe('DataPlane', () => {
  it('resolves versions by their number as the wire writes it', () => {
    expect(plane.resolve('fp32').version).toBe(1);
    expect(plane.resolve('fp32', '1').version).toBe(1);
    expect(() => plane.resolve('fp32', '01')).toThrowError(expect.objectContaining({ code: 'BERTH_VERSION_NOT_FOUND' }));
    expect(() => plane.resolve('fp32', '2')).toThrowError(expect.objectContaining({ code: 'BERTH_VERSION_NOT_FOUND' }));
    expect(() => plane.resolve('nope', '1')).toThrowError(expect.objectContaining({ code: 'BERTH_MODEL_NOT_FOUND' }));
    expect(plane.resolveReference('rows:1').name).toBe('rows');
  });

  it('observes OIP, KServe V1 and records requests alike: answered and refused ones are recorded with their outcome', async () => {
    const x = input('x', 'FP32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const oip = await plane.infer(plane.resolve('fp32'), { inputs: [x] }, { requestId: 'oip', protocol: 'v2-rest' });
    expect(oip).toMatchObject({ modelName: 'fp32', modelVersion: '1' });
    await plane.infer(plane.resolve('fp32'), { inputs: [input('x', 'FP32', [1, 3], [7, 8, 9])] }, { requestId: 'v1', protocol: 'v1-rest' });
    const rows = await plane.predict(plane.resolve('rows'), [{ a: 0.2, b: 0.5, c: 0.3 }], { requestId: 'rec', protocol: 'predict' });
    expect(rows.predictions[0]).toMatchObject({ label: 'b' });
    await expect(plane.infer(plane.resolve('fp32'), { inputs: [input('z', 'FP32', [1, 3], [0, 0, 0])] }, { requestId: 'bad', protocol: 'v2-grpc' })).rejects.toMatchObject({
      code: 'BERTH_INPUT_UNKNOWN',
    });
    await expect(plane.predict(plane.resolve('rows'), [{ a: 'x' }], { requestId: 'bad-row', protocol: 'predict' })).rejects.toMatchObject({ httpStatus: 400 });

    const seen = await recorded();
    expect(seen.map((e) => [e.requestId, e.protocol, e.outcome, e.rows])).toEqual([
      ['oip', 'v2-rest', 'success', 2],
      ['v1', 'v1-rest', 'success', 1],
      ['rec', 'predict', 'success', 1],
      ['bad', 'v2-grpc', 'client_error', 0],
      ['bad-row', 'predict', 'client_error', 0],
    ]);
    expect(seen[0]!.features).toEqual({ 'x[0]': [1, 4], 'x[1]': [2, 5], 'x[2]': [3, 6] });
    expect(seen[2]!.features).toEqual({ a: [0.2], b: [0.5], c: [0.3] });
    expect(Object.keys(seen[2]!.outputs!)).toEqual(['label', 'probability_a', 'probability_b', 'probability_c']);
    expect(seen.every((e) => e.version === '1' && e.latencyMs >= 0)).toBe(true);
  });

  it('wraps a failure of the model itself as BERTH_MODEL_EXECUTION_FAILED that keeps the original as its cause', async () => {
    // Expand to [5, 7] cannot broadcast a [1, 3, 1] input: onnxruntime refuses it while running.
    const failure = await plane
      .infer(plane.resolve('expand'), { inputs: [input('X', 'FP32', [1, 3, 1], [1, 2, 3]), input('shape', 'INT64', [2], [5, 7])] }, { requestId: 'e', protocol: 'v2-rest' })
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(failure).toMatchObject({ code: 'BERTH_MODEL_EXECUTION_FAILED', httpStatus: 500 });
    expect(failure?.cause).toBeInstanceOf(Error);
    expect((failure?.cause as Error).message).toContain('invalid expand shape');
    expect((await recorded()).map((e) => e.outcome)).toEqual(['server_error']);
  });

  it('refuses a released version with a 503, and records the refusal', async () => {
    const version = plane.resolve('fp32');
    await version.release();
    await expect(plane.infer(version, { inputs: [input('x', 'FP32', [1, 3], [1, 2, 3])] })).rejects.toMatchObject({ code: 'BERTH_MODEL_NOT_READY', httpStatus: 503 });
    expect(plane.isModelReady(version)).toBe(false);
    expect((await recorded()).map((e) => e.outcome)).toEqual(['server_error']);
  });
});
