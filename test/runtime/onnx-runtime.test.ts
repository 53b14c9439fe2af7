/** Where an ONNX runtime's runs go: inline on the event loop, or in the worker threads. */
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxRuntime, type OnnxRuntimeOptions } from '../../dist/runtime/onnx-runtime.js';
import { WorkerPool } from '../../dist/runtime/worker-pool.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';

const model = writeIdentityModel(tempDir(), 'FP32');
const pool = new WorkerPool({ size: 2 });
afterAll(() => pool.close());

function options(overrides: Partial<OnnxRuntimeOptions>): OnnxRuntimeOptions {
  return {
    pool,
    key: 'ident',
    intraOpThreads: 1,
    execution: 'auto',
    inlineBudgetUs: 200,
    batching: { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 100, timeoutMs: 10_000 },
    label: 'ident',
    ...overrides,
  };
}

function rows(n: number) {
  return [{ name: 'x', datatype: 'FP32' as const, shape: [n, 3], data: Float32Array.from({ length: n * 3 }, (_, i) => i) }];
}

describe('OnnxRuntime execution', () => {
  it('keeps worker sessions for a model that must run in workers', async () => {
    const runtime = await OnnxRuntime.load(model, options({ execution: 'worker' }));
    expect(runtime.report).toMatchObject({ inline: false, workerSessions: true });
    expect(pool.loadedCount).toBe(1);
    const [y] = await runtime.run(rows(2), ['y']);
    expect(Array.from(y!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    await runtime.release();
    expect(pool.loadedCount).toBe(0);
  });

  it('frees the worker sessions of a model whose largest batch runs inline, and loads them again for a larger request', async () => {
    // One row costs far less than 1 ms and the batch is one row, so every expected run is inline;
    // a thousand rows are predicted at a thousand single-row runs, over the budget.
    const runtime = await OnnxRuntime.load(model, options({ inlineBudgetUs: 1000 }));
    expect(runtime.report).toMatchObject({ inline: true, workerSessions: false });
    expect(pool.loadedCount).toBe(0);
    const [small] = await runtime.run(rows(1), ['y']);
    expect(Array.from(small!.data as Float32Array)).toEqual([0, 1, 2]);
    expect(pool.loadedCount).toBe(0);

    const [large] = await runtime.run(rows(1000), ['y']);
    expect(pool.loadedCount).toBe(1);
    expect((large!.data as Float32Array).length).toBe(3000);
    expect((large!.data as Float32Array)[2999]).toBe(2999);
    await runtime.release();
    expect(pool.loadedCount).toBe(0);
  });

  it('never loads worker sessions with execution inline', async () => {
    const runtime = await OnnxRuntime.load(model, options({ execution: 'inline' }));
    expect(runtime.report).toMatchObject({ inline: true, workerSessions: false });
    await runtime.run(rows(1000), ['y']);
    expect(pool.loadedCount).toBe(0);
    await runtime.release();
  });
});
