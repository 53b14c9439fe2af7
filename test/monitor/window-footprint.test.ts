/**
 * What open windows hold in memory: their estimated bytes (what a memory budget counts) against
 * the heap they really take, and a version's windows written and freed when it leaves memory
 * (`retire`), with every request counted once.
 */
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorService, type PredictionEvent, WindowRecorder } from '../../src/monitor/index.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { event, memoryReferences, monitorConfig, SCHEMA, storeOn } from './monitor-helpers.js';

const T0 = Date.parse('2025-06-01T12:00:00.000Z');

/** An answered tensor request of a 16-input, 4-output model, as the data plane records it. */
function tensorEvent(model: string, i: number): PredictionEvent {
  const features: Record<string, unknown[]> = {};
  for (let j = 0; j < 16; j++) features[`x[${j}]`] = [((i * 31 + j * 7) % 97) / 97];
  const outputs: Record<string, unknown[]> = {};
  for (let j = 0; j < 4; j++) outputs[`probabilities[${j}]`] = [((i + j) % 10) / 10];
  return { model, version: '1', requestId: `${model}-${i}`, at: T0 + i, protocol: 'v2-rest', rows: 1, latencyMs: 1 + (i % 5), outcome: 'success', features, outputs };
}

function heapBytes(gc: () => void): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('open windows in memory', () => {
  it.each([
    [1000, 3],
    [100, 300],
    [20, 5000],
  ])('estimates the bytes of %i windows of %i requests each within what the heap shows', (windows, requests) => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const recorder = new WindowRecorder({
      store: undefined as never,
      replica: 'r',
      windowMs: 3_600_000,
      maxColumns: 256,
      sketchK: 400,
      maxCategories: 256,
      declaredColumns: () => undefined,
      now: () => T0,
    });
    const before = heapBytes(gc);
    for (let m = 0; m < windows; m++) for (let i = 0; i < requests; i++) recorder.record(tensorEvent(`m${m}`, i));
    const measured = heapBytes(gc) - before;
    const estimated = [...recorder.bytesByVersion().values()].reduce((a, b) => a + b, 0);
    expect(recorder.bytesByVersion().size).toBe(windows);
    // The estimate may round up, never far under: the budget counts it in place of the heap.
    expect(estimated).toBeGreaterThan(0.85 * measured);
    expect(estimated).toBeLessThan(1.5 * measured);
  });
});

const sqlite = STORE_BACKENDS.find((b) => b.name === 'sqlite')!;

describe('retiring a version\'s windows', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('writes and frees the windows of a version that left memory; a later request opens a new one, counted once', async () => {
    const at = await storeOn(sqlite);
    const clock = { now: T0 + 1000 };
    const monitor = new MonitorService({
      stores: monitorStores(at.store, { logWriter: false, blobs: new FileBlobStore(join(at.location.home, 'blobs')) }),
      config: monitorConfig({ windowMs: 60_000, sampleRate: 0 }),
      references: memoryReferences({ 'm:1': {}, 'n:1': {} }, { m: '1', n: '1' }),
      schemaFor: () => SCHEMA,
      now: () => clock.now,
      timers: false,
    });
    cleanups.push(async () => {
      await monitor.close();
      await at.cleanup();
    });
    for (let i = 0; i < 5; i++) monitor.record(event(T0 + i));
    monitor.record(event(T0, { model: 'n' }));
    expect([...monitor.windowBytes().keys()].sort()).toEqual(['m\u00001', 'n\u00001']);
    await monitor.retire('m', '1');
    // m's window left memory; n's stays.
    expect([...monitor.windowBytes().keys()]).toEqual(['n\u00001']);
    const range = { from: new Date(T0).toISOString(), to: new Date(T0 + 60_000).toISOString(), step: '1m' };
    expect((await monitor.reports.traffic('m', range)).points[0]).toMatchObject({ requests: 5, rows: 5 });
    // Loaded again and asked twice more in the same minute: the stored window merges the new one.
    monitor.record(event(T0 + 10));
    monitor.record(event(T0 + 11));
    expect((await monitor.reports.traffic('m', range)).points[0]).toMatchObject({ requests: 7, rows: 7 });
    await monitor.flush({ all: true });
    expect((await monitor.reports.traffic('m', range)).points[0]).toMatchObject({ requests: 7, rows: 7 });
    expect((await monitor.reports.traffic('n', range)).points[0]).toMatchObject({ requests: 1 });
    expect(monitor.windowBytes().size).toBe(0);
  });
});
