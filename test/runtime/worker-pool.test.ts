/**
 * The worker pool's own bound and the deadline a run carries into its worker, on real onnxruntime
 * sessions in real worker threads. No assertion depends on how long anything takes: a run is held
 * in flight only by not awaiting it, and a deadline is already past when it is dispatched.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../dist/core/tensor.js';
import { OnnxRuntime, type OnnxRuntimeOptions } from '../../dist/runtime/onnx-runtime.js';
import { DEFAULT_RUNS_PER_WORKER, WorkerPool } from '../../dist/runtime/worker-pool.js';
import { tempDir, writeHeavyModel, writeIdentityModel } from '../helpers/models.js';

const dir = tempDir();
const identity = writeIdentityModel(dir, 'FP32');
const heavy = writeHeavyModel(dir, 256);
const pools: WorkerPool[] = [];
afterAll(() => Promise.all(pools.map((p) => p.close())));

function pool(size: number, maxPendingRuns?: number): WorkerPool {
  const created = new WorkerPool({ size, ...(maxPendingRuns !== undefined ? { maxPendingRuns } : {}) });
  pools.push(created);
  return created;
}

function rows(n: number, width: number): Tensor[] {
  return [{ name: 'x', datatype: 'FP32', shape: [n, width], data: Float32Array.from({ length: n * width }, (_, i) => i % 7) }];
}

/** Now, on the clock deadlines are written in. */
const now = () => performance.timeOrigin + performance.now();

describe('WorkerPool', () => {
  it('admits eight runs per worker by default', () => {
    expect(DEFAULT_RUNS_PER_WORKER).toBe(8);
  });

  it('refuses a run past its bound at once with BERTH_SERVER_OVERLOADED, whatever its model, and admits again once a run finishes', async () => {
    const workers = pool(1, 1);
    await workers.load('heavy', heavy, { intraOpThreads: 1 });
    await workers.load('identity', identity, { intraOpThreads: 1 });
    const running = workers.run('heavy', rows(64, 256), ['y']);
    expect(workers.pendingRuns).toBe(1);
    await expect(workers.run('identity', rows(1, 3), ['y'])).rejects.toMatchObject({ code: 'BERTH_SERVER_OVERLOADED', httpStatus: 503, grpcStatus: 'UNAVAILABLE' });
    await expect(workers.run('heavy', rows(1, 256), ['y'])).rejects.toMatchObject({ code: 'BERTH_SERVER_OVERLOADED' });
    expect((await running).outputs[0]!.shape).toEqual([64, 256]);
    expect(workers.pendingRuns).toBe(0);
    const { outputs } = await workers.run('identity', rows(2, 3), ['y']);
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('does not run a request whose deadline has passed when the worker picks it up', async () => {
    const workers = pool(1);
    await workers.load('identity', identity, { intraOpThreads: 1 });
    // The worker is busy with another run while the late one waits in its queue.
    const blocking = workers.run('identity', rows(1000, 3), ['y']);
    const late = await workers.run('identity', rows(2, 3), ['y'], now() - 1);
    expect(late).toEqual({ outputs: [], runMs: 0, expired: true });
    expect((await blocking).expired).toBe(false);
    const timely = await workers.run('identity', rows(2, 3), ['y'], now() + 60_000);
    expect(timely.expired).toBe(false);
    expect(Array.from(timely.outputs[0]!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('OnnxRuntime on a bounded pool', () => {
  function options(workers: WorkerPool, key: string, overrides: Partial<OnnxRuntimeOptions> = {}): OnnxRuntimeOptions {
    return {
      pool: workers,
      key,
      label: key,
      intraOpThreads: 1,
      execution: 'worker',
      inlineBudgetUs: 0,
      batching: { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 100, timeoutMs: 60_000 },
      ...overrides,
    };
  }

  it('answers 503 BERTH_SERVER_OVERLOADED for a model whose own queue is empty when the shared pool is full, and counts it', async () => {
    const workers = pool(1, 1);
    const rejected: string[] = [];
    const other = await OnnxRuntime.load(identity, options(workers, 'other', { observer: { rejected: (reason) => rejected.push(reason) } }));
    await workers.load('busy', heavy, { intraOpThreads: 1 });
    // Another model's run holds the only slot until its reply arrives, which is after every
    // promise turn that takes the request below to the pool.
    const running = workers.run('busy', rows(64, 256), ['y']);
    await expect(other.run(rows(1, 3), ['y'])).rejects.toMatchObject({ code: 'BERTH_SERVER_OVERLOADED', httpStatus: 503 });
    expect(rejected).toEqual(['overloaded']);
    await running;
    expect(Array.from((await other.run(rows(1, 3), ['y']))[0]!.data as Float32Array)).toEqual([0, 1, 2]);
    await other.release();
  });
});
