/**
 * The batcher against real onnxruntime sessions run inline: stacking, splitting, limits, queue
 * bounds, deadlines and isolation of bad requests.
 */
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BerthError, Errors } from '../../src/core/errors.js';
import { floatTensor, node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../../src/core/onnx-proto.js';
import type { Tensor } from '../../src/core/tensor.js';
import { Batcher, type BatchRunner, type BatchingSettings } from '../../src/runtime/batcher.js';
import { runSession } from '../../src/runtime/session-runner.js';

const F = OnnxElementType.FLOAT;
let scale: ort.InferenceSession;
let gather: ort.InferenceSession;

beforeAll(async () => {
  // y = 2x on [batch, width] (width dynamic too, so shapes that cannot stack can be sent).
  scale = await ort.InferenceSession.create(
    encodeOnnxModel(
      onnxModel({
        nodes: [node('Mul', ['x', 'two'], ['y'])],
        inputs: [tensorValueInfo('x', F, ['batch', 'width'])],
        outputs: [tensorValueInfo('y', F, ['batch', 'width'])],
        initializers: [floatTensor('two', [], [2])],
      }),
    ),
  );
  // y = table[i]: an index outside the table makes onnxruntime fail the whole run.
  gather = await ort.InferenceSession.create(
    encodeOnnxModel(
      onnxModel({
        nodes: [node('Gather', ['table', 'i'], ['y'])],
        inputs: [tensorValueInfo('i', OnnxElementType.INT64, ['batch'])],
        outputs: [tensorValueInfo('y', F, ['batch'])],
        initializers: [floatTensor('table', [4], [10, 20, 30, 40])],
      }),
    ),
    { logSeverityLevel: 4 },
  );
});
afterAll(async () => {
  await scale?.release();
  await gather?.release();
});

const DEFAULTS: BatchingSettings = { maxBatchSize: 64, maxWaitMs: 0, maxQueue: 1024, timeoutMs: 30_000 };

/** Runs the real session, holding each run until `release` is called when gated. */
function runner(session: ort.InferenceSession, log: number[][], gate?: { wait: Promise<void> }): BatchRunner {
  return async (inputs, outputNames) => {
    log.push(inputs.map((t) => t.shape[0]!));
    if (gate) await gate.wait;
    return runSession(session, inputs, outputNames);
  };
}

function row(values: number[]): Tensor[] {
  return [{ name: 'x', datatype: 'FP32', shape: [1, values.length], data: Float32Array.from(values) }];
}

function gateOpen(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('batcher', () => {
  it('runs a lone request at once, unbatched', async () => {
    const log: number[][] = [];
    const batches: [number, number][] = [];
    const batcher = new Batcher(runner(scale, log), { settings: DEFAULTS, concurrency: 1, stackable: true, model: 'm', observer: { batch: (r, n) => batches.push([r, n]) } });
    const [y] = await batcher.submit(row([1, 2, 3]), ['y']);
    expect(Array.from(y!.data as Float32Array)).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 1]]);
  });

  it('stacks concurrent requests while the executor is busy and gives each its own answer', async () => {
    const log: number[][] = [];
    const gate = gateOpen();
    const batcher = new Batcher(runner(scale, log, gate), { settings: { ...DEFAULTS, maxBatchSize: 8 }, concurrency: 1, stackable: true, model: 'm' });
    const answers = Array.from({ length: 30 }, (_, i) => batcher.submit(row([i, -i]), ['y']));
    expect(batcher.depth).toBe(29); // the first went straight to the (held) executor
    gate.open();
    const outputs = await Promise.all(answers);
    outputs.forEach(([y], i) => {
      expect(y!.shape).toEqual([1, 2]);
      expect(Array.from(y!.data as Float32Array)).toEqual([2 * i, -2 * i]);
    });
    // First the lone request, then batches of at most 8 rows.
    expect(log.map((b) => b[0])).toEqual([1, 8, 8, 8, 5]);
  });

  it('stacks requests of several rows without exceeding the maximum', async () => {
    const log: number[][] = [];
    const gate = gateOpen();
    const batcher = new Batcher(runner(scale, log, gate), { settings: { ...DEFAULTS, maxBatchSize: 10 }, concurrency: 1, stackable: true, model: 'm' });
    const sizes = [1, 4, 4, 4, 3, 7, 2, 9, 1];
    const answers = sizes.map((n, k) =>
      batcher.submit([{ name: 'x', datatype: 'FP32', shape: [n, 1], data: Float32Array.from({ length: n }, (_, j) => k * 100 + j) }], ['y']),
    );
    gate.open();
    const outputs = await Promise.all(answers);
    outputs.forEach(([y], k) => expect(Array.from(y!.data as Float32Array)).toEqual(Array.from({ length: sizes[k]! }, (_, j) => 2 * (k * 100 + j))));
    for (const [rows] of log) expect(rows).toBeLessThanOrEqual(10);
    expect(log.reduce((n, [rows]) => n + rows!, 0)).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(log.length).toBeLessThan(sizes.length);
  });

  it('only stacks requests whose other dimensions agree', async () => {
    const log: number[][] = [];
    const gate = gateOpen();
    const batcher = new Batcher(runner(scale, log, gate), { settings: DEFAULTS, concurrency: 1, stackable: true, model: 'm' });
    const answers = [row([1]), row([1, 2]), row([3]), row([3, 4]), row([5])].map((inputs) => batcher.submit(inputs, ['y']));
    gate.open();
    const outputs = await Promise.all(answers);
    expect(outputs.map(([y]) => Array.from(y!.data as Float32Array))).toEqual([[2], [2, 4], [6], [6, 8], [10]]);
    // lone [1]; then [1,2]+[3,4] (width 2) and [3]+[5] (width 1) as two batches.
    expect(log).toEqual([[1], [2], [2]]);
  });

  it('fails a bad request alone when its batch fails', async () => {
    const log: number[][] = [];
    const gate = gateOpen();
    const batcher = new Batcher(runner(gather, log, gate), { settings: DEFAULTS, concurrency: 1, stackable: true, model: 'm' });
    const indices = [0, 1, 99, 3, 2];
    const answers = indices.map((i) => batcher.submit([{ name: 'i', datatype: 'INT64', shape: [1], data: BigInt64Array.from([BigInt(i)]) }], ['y']));
    gate.open();
    const results = await Promise.allSettled(answers);
    expect(results.map((r) => (r.status === 'fulfilled' ? Array.from(r.value[0]!.data as Float32Array)[0] : 'failed'))).toEqual([10, 20, 'failed', 40, 30]);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/indices|out of bounds|invalid/i);
  });

  it('refuses requests past the queue bound at once', async () => {
    const gate = gateOpen();
    const rejected: string[] = [];
    const batcher = new Batcher(runner(scale, [], gate), {
      settings: { ...DEFAULTS, maxQueue: 3 },
      concurrency: 1,
      stackable: true,
      model: 'm',
      observer: { rejected: (reason) => rejected.push(reason) },
    });
    const answers = Array.from({ length: 6 }, () => batcher.submit(row([1]), ['y']));
    // One runs, three wait, two are refused.
    const refused = await Promise.allSettled(answers.slice(4));
    expect(refused.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['BERTH_QUEUE_FULL', 'BERTH_QUEUE_FULL']);
    expect(rejected).toEqual(['queue_full', 'queue_full']);
    gate.open();
    expect((await Promise.all(answers.slice(0, 4))).length).toBe(4);
  });

  it('drops a request that waited past its deadline, unrun', async () => {
    const gate = gateOpen();
    const log: number[][] = [];
    const batcher = new Batcher(runner(scale, log, gate), { settings: { ...DEFAULTS, timeoutMs: 30 }, concurrency: 1, stackable: true, model: 'slow' });
    const first = batcher.submit(row([1]), ['y']);
    const late = batcher.submit(row([2]), ['y']);
    const error = (await late.catch((e: unknown) => e)) as BerthError;
    expect(error.code).toBe('BERTH_QUEUE_TIMEOUT');
    expect(error.httpStatus).toBe(503);
    expect(error.message).toContain("model 'slow'");
    gate.open();
    await first;
    expect(log).toEqual([[1]]);
  });

  it('hands the runner the latest deadline of its batch, and fails a batch refused for overload as a whole', async () => {
    const gate = gateOpen();
    const calls: { rows: number; deadline: number }[] = [];
    const rejected: string[] = [];
    const batcher = new Batcher(
      async (inputs, outputNames, deadline) => {
        calls.push({ rows: inputs[0]!.shape[0]!, deadline });
        await gate.wait;
        // The worker pool refuses the stacked batch: its requests alone would be refused too.
        if (inputs[0]!.shape[0]! > 1) throw Errors.SERVER_OVERLOADED.create(1);
        return runSession(scale, inputs, outputNames);
      },
      { settings: { ...DEFAULTS, timeoutMs: 5000 }, concurrency: 1, stackable: true, model: 'm', observer: { rejected: (reason) => rejected.push(reason) } },
    );
    const before = performance.timeOrigin + performance.now();
    const lone = batcher.submit(row([1]), ['y']);
    const stacked = [batcher.submit(row([2]), ['y']), batcher.submit(row([3]), ['y'])];
    const after = performance.timeOrigin + performance.now();
    gate.open();
    expect(Array.from((await lone)[0]!.data as Float32Array)).toEqual([2]);
    for (const answer of stacked) await expect(answer).rejects.toMatchObject({ code: 'BERTH_SERVER_OVERLOADED', httpStatus: 503 });
    expect(calls.map((c) => c.rows)).toEqual([1, 2]);
    expect(calls[0]!.deadline).toBeGreaterThanOrEqual(before + 5000);
    expect(calls[0]!.deadline).toBeLessThanOrEqual(after + 5000);
    expect(calls[1]!.deadline).toBeGreaterThanOrEqual(calls[0]!.deadline);
    expect(calls[1]!.deadline).toBeLessThanOrEqual(after + 5000);
  });

  it('holds a batch back up to maxWaitMs to fill it', async () => {
    const log: number[][] = [];
    // A wait far longer than the test: the batch can only leave by filling up, whatever the load.
    const batcher = new Batcher(runner(scale, log), { settings: { ...DEFAULTS, maxWaitMs: 600_000, maxBatchSize: 4 }, concurrency: 1, stackable: true, model: 'm' });
    const first = batcher.submit(row([1]), ['y']);
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual([]);
    const rest = [batcher.submit(row([2]), ['y']), batcher.submit(row([3]), ['y']), batcher.submit(row([4]), ['y'])];
    await Promise.all([first, ...rest]);
    // The full batch left as soon as it reached maxBatchSize, in one run.
    expect(log).toEqual([[4]]);
  });

  it('never stacks requests of a model without a batch dimension', async () => {
    const log: number[][] = [];
    const gate = gateOpen();
    const batcher = new Batcher(runner(scale, log, gate), { settings: DEFAULTS, concurrency: 1, stackable: false, model: 'm' });
    const answers = [1, 2, 3].map((v) => batcher.submit(row([v]), ['y']));
    gate.open();
    await Promise.all(answers);
    expect(log).toEqual([[1], [1], [1]]);
  });
});
