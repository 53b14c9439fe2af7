/**
 * Loaded versions under a memory budget, on real onnxruntime models in a real worker pool: the
 * least recently used idle version is unloaded to make room and loads again on its next request;
 * a version with requests in flight or a pinned one is never unloaded; requests share one load;
 * a load that takes too long answers 503 while it carries on.
 */
import { statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadedVersion, type LoadedVersionState } from '../../dist/runtime/loaded-version.js';
import { MemoryBudget, estimateVersionBytes } from '../../dist/runtime/memory-budget.js';
import { OnnxRuntime } from '../../dist/runtime/onnx-runtime.js';
import { WorkerPool } from '../../dist/runtime/worker-pool.js';
import { tempDir, writeHeavyModel, writeIdentityModel } from '../helpers/models.js';

const dir = tempDir();
const identity = writeIdentityModel(dir, 'FP32');
const heavy = writeHeavyModel(dir, 512);
const pool = new WorkerPool({ size: 1 });
afterAll(() => pool.close());

const identityBytes = statSync(identity).size;
/** What an identity version holds once loaded (one worker session) and while it loads (plus the probe). */
const resident = estimateVersionBytes(identityBytes, 1);
const loading = estimateVersionBytes(identityBytes, pool.size + 1);

const signature = {
  inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 3] }],
  outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [-1, 3] }],
};

let keys = 0;
interface Made {
  readonly version: LoadedVersion;
  opens: number;
}

function make(budget: MemoryBudget, name: string, options: { path?: string; delayMs?: number; coldLoadTimeoutMs?: number; startUnloaded?: boolean } = {}): Made {
  const path = options.path ?? identity;
  const made: { version?: LoadedVersion; opens: number } = { opens: 0 };
  made.version = new LoadedVersion({
    name,
    version: 1,
    source: path,
    memory: {
      budget,
      modelBytes: statSync(path).size,
      loadSessions: pool.size + 1,
      coldLoadTimeoutMs: options.coldLoadTimeoutMs ?? 30_000,
      ...(options.startUnloaded === false ? {} : { signature, startUnloaded: true }),
    },
    open: async (warming) => {
      made.opens++;
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      return OnnxRuntime.load(path, {
        pool,
        key: `${name}-${keys++}`,
        intraOpThreads: 1,
        execution: 'worker',
        inlineBudgetUs: 0,
        batching: { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 100, timeoutMs: 60_000 },
        label: name,
        onWarming: warming,
      });
    },
  });
  return made as Made;
}

function x(values: number[]) {
  return [{ name: 'x', datatype: 'FP32' as const, shape: [1, 3], data: Float32Array.from(values) }];
}

async function answer(version: LoadedVersion, values = [1, 2, 3]): Promise<number[]> {
  const [y] = await version.infer(x(values), ['y']);
  return Array.from(y!.data as Float32Array);
}

describe('MemoryBudget with loaded versions', () => {
  it('starts a version unloaded, loads it on its first request, and advertises its signature before', async () => {
    const budget = new MemoryBudget({ limitBytes: 10 * loading });
    const a = make(budget, 'a');
    expect(a.version.state).toBe<LoadedVersionState>('unloaded');
    expect(a.version.serving).toBe(true);
    expect(a.version.isReady).toBe(true);
    expect(a.version.signature.inputs[0]!.name).toBe('x');
    expect(budget.usedBytes).toBe(0);
    expect(await answer(a.version, [4, 5, 6])).toEqual([4, 5, 6]);
    expect(a.version.state).toBe('ready');
    expect(a.opens).toBe(1);
    // Loaded, it holds its one worker session's estimate, not the load's peak.
    expect(budget.usedBytes).toBe(resident);
    await a.version.release();
    expect(budget.usedBytes).toBe(0);
  });

  it('unloads the least recently used idle version to make room, and loads it again on its next request', async () => {
    const budget = new MemoryBudget({ limitBytes: resident + loading });
    const [a, b, c] = [make(budget, 'a'), make(budget, 'b'), make(budget, 'c')];
    await answer(a.version);
    await answer(b.version);
    await answer(a.version); // a is now the most recently used
    await answer(c.version); // needs room: b goes
    expect(b.version.state).toBe('unloaded');
    expect(a.version.state).toBe('ready');
    expect(c.version.state).toBe('ready');
    expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes);
    expect(budget.residentVersions).toBe(2);
    // b answers again after a fresh load; the least recently used (a) makes room.
    expect(await answer(b.version, [7, 8, 9])).toEqual([7, 8, 9]);
    expect(b.opens).toBe(2);
    expect(a.version.state).toBe('unloaded');
    expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes);
    await Promise.all([a, b, c].map((m) => m.version.release()));
    expect(budget.usedBytes).toBe(0);
  });

  it('shares one load between the requests that find a version unloaded', async () => {
    const budget = new MemoryBudget({ limitBytes: 10 * loading });
    const a = make(budget, 'a', { delayMs: 50 });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => answer(a.version, [i, i, i])));
    expect(answers.map((y) => y[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(a.opens).toBe(1);
    await a.version.release();
  });

  it('never unloads a version with requests in flight: the new load waits for them to finish', async () => {
    const budget = new MemoryBudget({ limitBytes: estimateVersionBytes(statSync(heavy).size, pool.size + 1) });
    const big = make(budget, 'big', { path: heavy, startUnloaded: false });
    await big.version.load();
    // Pinned versions fill the rest, so that another load needs the heavy version's room.
    const fillers: Made[] = [];
    while (budget.usedBytes + loading <= budget.limitBytes) {
      const filler = make(budget, `filler${fillers.length}`);
      await answer(filler.version);
      budget.setPinned(filler.version, true);
      fillers.push(filler);
    }
    const small = make(budget, 'small');
    // A long run on the heavy version is in flight while the small one asks for room.
    const rows = 400;
    let smallWhenBigAnswered: LoadedVersionState | undefined;
    const running = big.version
      .infer([{ name: 'x', datatype: 'FP32', shape: [rows, 512], data: new Float32Array(rows * 512).fill(1) }], ['y'])
      .then((outputs) => {
        smallWhenBigAnswered = small.version.state;
        return outputs;
      });
    expect(big.version.inFlight).toBe(1);
    const smallAnswer = answer(small.version);
    const [outputs] = await Promise.all([running, smallAnswer]);
    expect(outputs[0]!.shape).toEqual([rows, 512]);
    // The small version was still waiting for room when the heavy run answered.
    expect(smallWhenBigAnswered).toBe('loading');
    // Once it went idle, the heavy version made room.
    expect(big.version.state).toBe('unloaded');
    expect(small.version.state).toBe('ready');
    for (const filler of fillers) expect(filler.version.state).toBe('ready');
    await Promise.all([big, small, ...fillers].map((m) => m.version.release()));
  });

  it('never unloads a pinned version, and refuses a load that can never fit beside the pinned ones', async () => {
    const budget = new MemoryBudget({ limitBytes: resident + loading });
    const [a, b, c] = [make(budget, 'a'), make(budget, 'b'), make(budget, 'c')];
    await answer(a.version);
    budget.setPinned(a.version, true);
    await answer(b.version);
    await answer(c.version); // a is the least recently used, but pinned: b goes
    expect(a.version.state).toBe('ready');
    expect(b.version.state).toBe('unloaded');

    const tight = new MemoryBudget({ limitBytes: resident + loading - 1 });
    const pinned = make(tight, 'pinned');
    await answer(pinned.version);
    tight.setPinned(pinned.version, true);
    const other = make(tight, 'other');
    const refused = await answer(other.version).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'BERTH_MODEL_MEMORY_EXHAUSTED', httpStatus: 503 });
    expect((refused as Error).message).toMatch(/pinned versions hold/);
    expect(other.version.state).toBe('unloaded');
    expect(tight.usedBytes).toBe(resident);
    await Promise.all([a, b, c, pinned, other].map((m) => m.version.release()));
  });

  it('answers 503 when a load outlasts the cold-load timeout, and the load carries on for the next request', async () => {
    const budget = new MemoryBudget({ limitBytes: 10 * loading });
    const slow = make(budget, 'slow', { delayMs: 400, coldLoadTimeoutMs: 100 });
    const refused = await answer(slow.version).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'BERTH_MODEL_COLD_LOAD_TIMEOUT', httpStatus: 503 });
    // The load carries on without a request waiting for it.
    for (let waited = 0; slow.version.state !== 'ready' && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(slow.version.state).toBe('ready');
    expect(await answer(slow.version, [3, 2, 1])).toEqual([3, 2, 1]);
    expect(slow.opens).toBe(1);
    await slow.version.release();
  });

  it('keeps a pinned version pinned when its load fails or it is unloaded, and forgets it once released', async () => {
    const budget = new MemoryBudget({ limitBytes: 10 * loading });
    let fail = true;
    const flaky = new LoadedVersion({
      name: 'flaky',
      version: 1,
      source: identity,
      memory: { budget, modelBytes: identityBytes, loadSessions: pool.size + 1, coldLoadTimeoutMs: 30_000, signature, startUnloaded: true },
      open: async (warming) => {
        if (fail) throw new Error('the bundle is not there yet');
        return OnnxRuntime.load(identity, { pool, key: `flaky-${keys++}`, intraOpThreads: 1, execution: 'worker', inlineBudgetUs: 0, batching: { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 100, timeoutMs: 60_000 }, label: 'flaky', onWarming: warming });
      },
    });
    budget.setPinned(flaky, true);
    await expect(answer(flaky)).rejects.toThrow(/not there yet/);
    expect(flaky.state).toBe('unloaded');
    expect(budget.usedBytes).toBe(0);
    expect(budget.isPinned(flaky)).toBe(true);
    fail = false;
    expect(await answer(flaky, [9, 9, 9])).toEqual([9, 9, 9]);
    await flaky.unload();
    expect(budget.isPinned(flaky)).toBe(true);
    await flaky.release();
    expect(budget.isPinned(flaky)).toBe(false);
  });

  it('releases an unloaded version without loading it, and refuses requests after', async () => {
    const budget = new MemoryBudget({ limitBytes: 10 * loading });
    const a = make(budget, 'a');
    await a.version.release();
    expect(a.version.state).toBe('released');
    expect(a.opens).toBe(0);
    await expect(answer(a.version)).rejects.toMatchObject({ code: 'BERTH_MODEL_NOT_READY' });
  });
});

describe('MemoryBudget with memory attached to loaded versions (the monitor\'s windows)', () => {
  const reserve = 64 * 1024;

  it('reserves the attached memory with each version and gives it back, telling `released`, when the version unloads', async () => {
    const released: string[] = [];
    const budget = new MemoryBudget({ limitBytes: resident + loading + 2 * reserve, attachedReserveBytes: reserve, observer: { released: (v) => released.push(v.name) } });
    const [a, b] = [make(budget, 'a'), make(budget, 'b')];
    await answer(a.version);
    expect(budget.usedBytes).toBe(resident + reserve);
    // Less than the reserve attached: the reserve still counts.
    budget.attach(a.version, reserve / 2);
    expect(budget.usedBytes).toBe(resident + reserve);
    await answer(b.version);
    expect(budget.usedBytes).toBe(2 * (resident + reserve));
    expect(released).toEqual([]);
    await a.version.unload();
    expect(released).toEqual(['a']);
    expect(budget.usedBytes).toBe(resident + reserve);
    await Promise.all([a, b].map((m) => m.version.release()));
    expect(budget.usedBytes).toBe(0);
  });

  it('unloads the least recently used idle version when attached memory grows past the limit', async () => {
    const budget = new MemoryBudget({ limitBytes: resident + loading + 2 * reserve, attachedReserveBytes: reserve });
    const [a, b] = [make(budget, 'a'), make(budget, 'b')];
    await answer(a.version);
    await answer(b.version);
    expect(budget.residentVersions).toBe(2);
    // b's windows grow past what is left: a, idle and least recently used, goes; b stays.
    budget.attach(b.version, budget.limitBytes - resident - reserve);
    await eventually(() => a.version.state === 'unloaded');
    expect(b.version.state).toBe('ready');
    expect(budget.usedBytes).toBe(budget.limitBytes - reserve);
    expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes);
    // a loads again only once b's windows shrink (b is idle, so the load unloads it).
    budget.attach(b.version, 0);
    expect(await answer(a.version, [4, 5, 6])).toEqual([4, 5, 6]);
    expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes);
    await Promise.all([a, b].map((m) => m.version.release()));
    expect(budget.usedBytes).toBe(0);
  });
});

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
