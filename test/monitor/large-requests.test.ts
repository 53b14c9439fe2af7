/**
 * A request of many rows is recorded without making every row's values at once: its event reads
 * its columns on demand, the window sketches a sample of its rows, and the logs take its rows a
 * slice per turn of the event loop, with the entries that came after it waiting behind. The
 * segments are byte for byte those of the whole columns, every row is logged, and a large entry
 * counts towards the logs' bound by its rows.
 */
import { join } from 'node:path';
import { v7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { type FeatureSchema } from '../../src/core/feature-schema.js';
import { type Prediction } from '../../src/core/prediction.js';
import { type Tensor } from '../../src/core/tensor.js';
import {
  eventFromRecords,
  eventFromTensors,
  LARGE_EVENT_ROWS,
  MonitorService,
  type PredictionEvent,
  PredictionLog,
  readJoinedFeedback,
  type RequestFacts,
  tensorColumns,
  tensorFeatures,
} from '../../src/monitor/index.js';
import { ColumnCatalog } from '../../src/monitor/column-catalog.js';
import { LiveWindow, MAX_SKETCHED_ROWS } from '../../src/monitor/live-window.js';
import { CELLS_PER_TURN, pendingWeight, readLogged, SegmentReaders } from '../../src/monitor/log-segments.js';
import { type PredictionLogOptions } from '../../src/monitor/prediction-log.js';
import { SegmentBuilder } from '../../src/monitor/segment-builder.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { memoryReferences, monitorConfig, storeOn } from './monitor-helpers.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const ROWS = 20_000;

function facts(rows: number, at = T0): RequestFacts {
  return { model: 't', version: '1', requestId: v7({ msecs: at }), at, protocol: 'v2-rest', latencyMs: rows / 1000 };
}

/** A [rows, width] FP32 tensor of values that differ per row and column. */
function tensor(name: string, rows: number, width: number, seed: number): Tensor {
  const data = new Float32Array(rows * width);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919 + seed) % 10_007) / 8;
  return { name, datatype: 'FP32', shape: [rows, width], data };
}

/** A tensor request's event as the data plane builds it: inputs taken before the run. */
function tensorEvent(rows: number, at = T0): { event: PredictionEvent; inputs: Tensor; outputs: Tensor } {
  const inputs = tensor('x', rows, 8, 1);
  const outputs = tensor('y', rows, 3, 2);
  return { event: eventFromTensors(facts(rows, at), rows, tensorFeatures([inputs], rows), [outputs]), inputs, outputs };
}

function predictionLog(overrides: Partial<PredictionLogOptions> = {}): PredictionLog {
  return new PredictionLog({
    predictions: true,
    payloads: () => ({ rate: 1, retentionDays: 30, fields: ['inputs', 'outputs'] }),
    sampleRate: 0,
    sampleMaxPerMinute: 0,
    sampleMaxBytes: 1000,
    segmentSealMs: 10_000,
    segmentMaxEntries: 65_536,
    maxPending: 1_000_000,
    now: () => T0,
    ...overrides,
  });
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the event of a large request', () => {
  it('reads its columns on demand, the values the whole columns hold', () => {
    const { event, inputs, outputs } = tensorEvent(ROWS);
    expect(event).not.toHaveProperty('features');
    expect(event).not.toHaveProperty('outputs');
    const columns = event.rowColumns!;
    const whole = { features: tensorColumns([inputs], ROWS), outputs: tensorColumns([outputs], ROWS) };
    const at = Uint32Array.of(0, 17, ROWS - 1);
    const read = columns.read(at);
    for (const part of ['features', 'outputs'] as const) {
      for (const [name, values] of Object.entries(whole[part])) expect(read[part]![name]).toEqual([...at].map((i) => values[i]));
    }
    expect(columns.read({ from: 100, to: 105 }, { features: false, outputs: true })).toEqual({ outputs: Object.fromEntries(Object.entries(whole.outputs).map(([n, v]) => [n, v.slice(100, 105)])) });
    // The logs read the same slices in turn: the last slice's columns are made once.
    const outputsOnly = columns.read({ from: 200, to: 300 }, { features: false, outputs: true });
    const both = columns.read({ from: 200, to: 300 });
    expect(both.outputs).toBe(outputsOnly.outputs);
    expect(Object.keys(both.features!)).toHaveLength(8);
    // A request of up to LARGE_EVENT_ROWS rows keeps its columns as arrays.
    const small = tensorEvent(LARGE_EVENT_ROWS).event;
    expect(small.rowColumns).toBeUndefined();
    expect(small.outputs!['y[0]']).toHaveLength(LARGE_EVENT_ROWS);
  });

  it('is sketched from the same sampled rows as the whole columns would be', () => {
    const { event, inputs, outputs } = tensorEvent(ROWS);
    const whole: PredictionEvent = { ...event, rowColumns: undefined, features: tensorColumns([inputs], ROWS), outputs: tensorColumns([outputs], ROWS) };
    const windows = [event, whole].map((e) => {
      const window = new LiveWindow(T0, new ColumnCatalog(undefined, 64), {});
      window.record(e);
      return window.toData();
    });
    expect(windows[0]).toEqual(windows[1]);
    expect(windows[0]!.sketches).toMatchObject({ rows: ROWS, rowsSampled: MAX_SKETCHED_ROWS });
  });
});

describe('a segment built a slice at a time', () => {
  it('is byte for byte the segment of the whole columns, for tensors and for named features', async () => {
    // Only the names and order of the schema's features make the columns.
    const schema = { features: [{ name: 'amount' }, { name: 'plan' }] } as unknown as FeatureSchema;
    const rows = 6000;
    const values = Array.from({ length: rows }, (_, i) => [i % 7 === 0 ? null : i / 4, i % 300 === 0 ? null : `plan-${i % 5}`]);
    const predictions: Prediction[] = values.map((_, i) => ({ label: i % 3 ? 'no' : 'yes', probabilities: { no: i % 3 ? 0.75 : 0.25, yes: i % 3 ? 0.25 : 0.75 } }));
    const records = eventFromRecords(facts(rows), schema, values, predictions);
    const tensors = tensorEvent(ROWS, T0 + 1);
    const events = [records, tensors.event];
    const whole = (e: PredictionEvent) => e.rowColumns!.read({ from: 0, to: e.rows });
    const eager = new SegmentBuilder();
    for (const e of events) eager.add({ requestId: e.requestId, at: e.at, version: e.version, rows: e.rows, ...whole(e) });
    const sliced = new SegmentBuilder();
    for (const e of events) {
      const entry = { requestId: e.requestId, at: e.at, version: e.version, rows: e.rows };
      sliced.begin(entry);
      for (let from = 0; from < e.rows; from += 1234) {
        const to = Math.min(e.rows, from + 1234);
        sliced.addRows(e.rowColumns!.read({ from, to }), from, to - from);
      }
      sliced.end();
    }
    expect((await sliced.encode()).equals(await eager.encode())).toBe(true);
    expect(sliced.entries).toBe(2);
  });
});

describe('the logs under a large request', () => {
  it('take it over several turns of the event loop, with the entries after it waiting behind, in order', async () => {
    const log = predictionLog({ payloads: () => ({ rate: 0, retentionDays: 30, fields: ['outputs'] }) });
    const large = tensorEvent(ROWS);
    const small = tensorEvent(2, T0 + 5);
    log.add(large.event);
    log.add(small.event);
    expect(log.predictions.pending).toBe(pendingWeight(ROWS) + 1);
    // One turn puts CELLS_PER_TURN values in: not the whole request (20,000 rows of 11 columns).
    expect(ROWS * 11).toBeGreaterThan(CELLS_PER_TURN);
    const ids = [large.event.requestId, small.event.requestId];
    const expected = (found: ReturnType<PredictionLog['findPending']>) => {
      expect(found.get(large.event.requestId)).toEqual({ requestId: large.event.requestId, version: '1', at: T0, rows: ROWS, outputs: tensorColumns([large.outputs], ROWS), features: {} });
      expect(found.get(small.event.requestId)).toEqual({ requestId: small.event.requestId, version: '1', at: T0 + 5, rows: 2, outputs: tensorColumns([small.outputs], 2), features: {} });
    };
    // Found while they wait to be sliced in (feedback sent as soon as the answer came), half way, and once in the segment, alike.
    expected(log.findPending('t', ids));
    await turn();
    expected(log.findPending('t', ids));
    await log.settled();
    expected(log.findPending('t', ids));
    expect(log.findPending('other', ids).size).toBe(0);
    expect(log.dropped).toEqual({ predictions: 0, payloads: 0, samples: 0 });
  });

  it('count a large entry by its rows towards maxPending', async () => {
    const log = predictionLog({ maxPending: 100, payloads: () => ({ rate: 0, retentionDays: 30, fields: ['outputs'] }) });
    expect(pendingWeight(6400)).toBe(100);
    log.add(tensorEvent(6400).event);
    log.add(tensorEvent(1, T0 + 1).event);
    expect(log.dropped.predictions).toBe(1);
    await log.settled();
    expect(log.predictions.pending).toBe(100);
  });
});

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`a monitored large request on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('logs every row of its outputs and inputs, in order, and keeps a bounded sample', async () => {
      const at = await storeOn(backend);
      const blobs = new FileBlobStore(join(at.location.home, 'blobs'));
      const stores = monitorStores(at.store, { logWriter: false, blobs });
      const monitor = new MonitorService({
        stores,
        config: monitorConfig({ windowMs: 60_000, sampleRate: 1, sampleMaxPerMinute: 10, sampleMaxBytes: 4096, payloads: { rate: 1, fields: ['inputs', 'outputs'] } }),
        references: memoryReferences({}),
        now: () => T0,
        random: () => 0,
        timers: false,
      });
      cleanups.push(async () => {
        await monitor.close();
        await at.cleanup();
      });
      const before = tensorEvent(3, T0 - 5);
      const large = tensorEvent(ROWS);
      const after = tensorEvent(2, T0 + 5);
      for (const e of [before, large, after]) monitor.record(e.event);
      await monitor.flush({ all: true });

      for (const kind of ['predictions', 'payloads'] as const) {
        const logged = [];
        for await (const entry of readLogged(stores, new SegmentReaders(stores), kind, 't', 0, Date.parse('9999-01-01'))) logged.push(entry);
        expect(logged.map((e) => e.requestId)).toEqual([before, large, after].map((e) => e.event.requestId));
        expect(logged.map((e) => e.rows)).toEqual([3, ROWS, 2]);
        expect(logged[1]!.outputs).toEqual(tensorColumns([large.outputs], ROWS));
        if (kind === 'payloads') expect(logged[1]!.features).toEqual(tensorColumns([large.inputs], ROWS));
      }
      expect(monitor.dropped).toMatchObject({ predictions: 0, payloads: 0, samples: 0, events: 0 });

      const samples = await stores.samples.latestSamples('t', 10);
      const sampleOf = (e: { event: PredictionEvent }) => samples.find((s) => s.requestId === e.event.requestId)!;
      expect(JSON.parse(sampleOf(large).inputs)).toEqual({ truncated: true, rows: ROWS });
      expect(JSON.parse(sampleOf(after).outputs)).toEqual([0, 1].map((i) => ({ 'y[0]': after.outputs.data[i * 3], 'y[1]': after.outputs.data[i * 3 + 1], 'y[2]': after.outputs.data[i * 3 + 2] })));
    });

    it('joins feedback sent before its rows have gone into the prediction log', async () => {
      const at = await storeOn(backend);
      const stores = monitorStores(at.store, { logWriter: false, blobs: new FileBlobStore(join(at.location.home, 'blobs')) });
      const monitor = new MonitorService({ stores, config: monitorConfig({ windowMs: 60_000 }), references: memoryReferences({}), now: () => T0, timers: false });
      cleanups.push(async () => {
        await monitor.close();
        await at.cleanup();
      });
      const large = tensorEvent(ROWS);
      const small = tensorEvent(2, T0 + 5);
      monitor.record(large.event);
      monitor.record(small.event);
      // No turn of the event loop has passed: both wait to be sliced into the log's segment.
      const actual = Array.from({ length: ROWS }, (_, i) => i % 2);
      const result = await monitor.feedback('t', [
        { requestId: large.event.requestId, actual },
        { requestId: small.event.requestId, actual: [0, 1] },
      ]);
      expect(result).toEqual({ accepted: 2, unknown: [], rejected: [] });
      const joined = await readJoinedFeedback(stores.feedback, 't', T0 - 1, T0 + 60_000);
      expect(joined.map((j) => j.rows)).toEqual([ROWS, 2]);
      expect(joined[0]!.outputs).toEqual(tensorColumns([large.outputs], ROWS));
    });
  });
}
