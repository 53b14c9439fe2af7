/** A loaded version's guarded lifecycle, on real onnxruntime models in a real worker pool. */
import { afterAll, describe, expect, it } from 'vitest';
import type { FeatureSchema } from '../../dist/core/feature-schema.js';
import type { PipelineSpec } from '../../dist/core/pipeline-spec.js';
import { LoadedVersion, type LoadedVersionState, type OpenRuntime } from '../../dist/runtime/loaded-version.js';
import { OnnxRuntime, type OnnxRuntimeOptions } from '../../dist/runtime/onnx-runtime.js';
import { Pipeline } from '../../dist/runtime/pipeline.js';
import { WorkerPool } from '../../dist/runtime/worker-pool.js';
import { tempDir, writeHeavyModel, writeIdentityModel } from '../helpers/models.js';

const dir = tempDir();
const identity = writeIdentityModel(dir, 'FP32');
const heavy = writeHeavyModel(dir, 512);
const pool = new WorkerPool({ size: 1 });
afterAll(() => pool.close());

let keys = 0;
function options(overrides: Partial<OnnxRuntimeOptions> = {}): OnnxRuntimeOptions {
  return {
    pool,
    key: `v${keys++}`,
    intraOpThreads: 1,
    execution: 'worker',
    inlineBudgetUs: 0,
    batching: { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 100, timeoutMs: 60_000 },
    label: 'm',
    ...overrides,
  };
}

function rows(n: number, width = 3) {
  return [{ name: 'x', datatype: 'FP32' as const, shape: [n, width], data: Float32Array.from({ length: n * width }, (_, i) => i) }];
}

const schema: FeatureSchema = {
  format: 'berth.schema/v1',
  features: [
    { name: 'a', type: 'number', required: true, outOfRange: 'accept' },
    { name: 'b', type: 'number', required: true, outOfRange: 'accept' },
    { name: 'c', type: 'number', required: true, outOfRange: 'accept' },
  ],
};
const spec: PipelineSpec = {
  format: 'berth.pipeline/v1',
  input: 'x',
  steps: [
    { feature: 'a', encoding: 'numeric', impute: 0 },
    { feature: 'b', encoding: 'numeric', impute: 0 },
    { feature: 'c', encoding: 'numeric', impute: 0 },
  ],
  // The identity model hands the three columns back; read as probabilities of three labels.
  output: { task: 'classification', target: 'y', tensor: 'y', labels: ['a', 'b', 'c'] },
};

describe('LoadedVersion', () => {
  it('goes loading → warming → ready, infers tensors and predicts rows through its pipeline', async () => {
    const seen: LoadedVersionState[] = [];
    const version: LoadedVersion = new LoadedVersion({
      name: 'm',
      version: 3,
      source: identity,
      pipeline: new Pipeline(schema, spec),
      open: async (warming) => {
        seen.push(version.state);
        return OnnxRuntime.load(identity, options({ onWarming: () => (warming(), seen.push(version.state)) }));
      },
    });
    expect(version.state).toBe('loading');
    expect(() => version.signature).toThrowError(expect.objectContaining({ code: 'BERTH_MODEL_NOT_READY', httpStatus: 503 }));
    await version.load();
    seen.push(version.state);
    expect(seen).toEqual(['loading', 'warming', 'ready']);
    expect(version.signature.inputs.map((i) => i.name)).toEqual(['x']);

    const [y] = await version.infer(rows(2), ['y']);
    expect(Array.from(y!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);

    const result = await version.predict([{ a: 0.1, b: 0.7, c: 0.2, extra: 1 }]);
    expect(result.predictions).toEqual([{ label: 'b', probabilities: { a: expect.closeTo(0.1), b: expect.closeTo(0.7), c: expect.closeTo(0.2) } }]);
    expect(result.unknownFields).toEqual(['extra']);
    expect(result.values).toEqual([[0.1, 0.7, 0.2]]);
    await expect(version.predict([{ a: 1 }])).rejects.toMatchObject({ code: 'BERTH_SCHEMA_FEATURE_MISSING', httpStatus: 400 });
    await expect(version.predict([])).rejects.toMatchObject({ code: 'BERTH_REQUEST_INVALID' });
    await version.release();
  });

  it('refuses rows without a pipeline', async () => {
    const version = new LoadedVersion({ name: 'm', version: 1, source: identity, open: () => OnnxRuntime.load(identity, options()) });
    await version.load();
    await expect(version.predict([{ a: 1 }])).rejects.toMatchObject({ code: 'BERTH_MODEL_NO_SCHEMA', httpStatus: 400 });
    await version.release();
  });

  it('shares one load between concurrent callers, and loads again after a failure', async () => {
    let opened = 0;
    const open: OpenRuntime = async () => {
      opened++;
      // The first attempt reads a file that is not a model.
      return OnnxRuntime.load(opened === 1 ? dir : identity, options());
    };
    const version = new LoadedVersion({ name: 'm', version: 1, source: identity, open });
    await expect(version.load()).rejects.toThrow();
    expect(version.state).toBe('loading');
    await expect(version.infer(rows(1), ['y'])).rejects.toMatchObject({ code: 'BERTH_MODEL_NOT_READY' });

    await Promise.all([version.load(), version.load()]);
    await version.load();
    expect(opened).toBe(2);
    expect(version.state).toBe('ready');
    await version.release();
    expect(pool.loadedCount).toBe(0);
  });

  it('drains the requests in flight before it frees the runtime, then refuses every use with a 503', async () => {
    const version = new LoadedVersion({ name: 'm', version: 1, source: heavy, open: () => OnnxRuntime.load(heavy, options()) });
    await version.load();
    const order: string[] = [];
    const running = version.infer(rows(64, 512), ['y']).then(() => order.push('request finished'));
    expect(version.inFlight).toBe(1);
    const released = version.release().then(() => order.push('released'));
    expect(version.state).toBe('draining');
    expect(version.release()).toBe(version.release());
    await Promise.all([running, released]);
    expect(order).toEqual(['request finished', 'released']);
    expect(version.state).toBe('released');
    expect(pool.loadedCount).toBe(0);

    const refused = expect.objectContaining({ code: 'BERTH_MODEL_NOT_READY', httpStatus: 503 });
    await expect(version.infer(rows(1, 512), ['y'])).rejects.toEqual(refused);
    await expect(version.predict([{ a: 1 }])).rejects.toMatchObject({ code: 'BERTH_MODEL_NO_SCHEMA' });
    await expect(version.load()).rejects.toEqual(refused);
  });

  it('released while loading, waits for the load and frees what it loaded', async () => {
    const version = new LoadedVersion({ name: 'm', version: 1, source: identity, open: () => OnnxRuntime.load(identity, options()) });
    const loading = version.load();
    const released = version.release();
    expect(version.state).toBe('draining');
    await loading;
    expect(version.state).toBe('draining');
    expect(version.serving).toBe(false);
    await released;
    expect(version.state).toBe('released');
    expect(pool.loadedCount).toBe(0);
    await expect(version.infer(rows(1), ['y'])).rejects.toMatchObject({ code: 'BERTH_MODEL_NOT_READY' });
  });
});
