/**
 * The monitoring service on every store backend: no prediction lost from the counts (across
 * flushes, late requests and two replicas writing one database), the prediction log, feedback and
 * performance, samples and retention, and alert rules with hysteresis.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { v7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/core/errors.js';
import {
  type AlertNotification,
  type AlertNotifier,
  MonitorService,
  type MonitorServiceOptions,
  type PredictionEvent,
  PredictionLog,
  rematchFeedback,
} from '../../src/monitor/index.js';
import { readLogged, SegmentReaders } from '../../src/monitor/log-segments.js';
import { ID_CLOCK_TOLERANCE_MS, SEGMENT_SPAN_MS } from '../../src/monitor/log-segments.js';
import { type PredictionLogOptions } from '../../src/monitor/prediction-log.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { count, event, memoryReferences, monitorConfig, referenceProfile, SCHEMA, storeOn } from './monitor-helpers.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const MINUTE = 60_000;

/** A notifier that remembers what it was given. */
function capturingNotifier(): AlertNotifier & { readonly sent: AlertNotification[] } {
  const sent: AlertNotification[] = [];
  return { sent, notify: async (n) => void sent.push(n), close: async () => undefined };
}

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`monitor service on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A store and a clock, and services on them. */
    async function setup() {
      const at = await storeOn(backend);
      // Every replica shares one blob store, as replicas share S3.
      const blobs = new FileBlobStore(join(at.location.home, 'blobs'));
      const clock = { now: T0 };
      const references = memoryReferences({ 'm:1': { profile: referenceProfile() } }, { m: '1' });
      const services: MonitorService[] = [];
      const service = async (options: Partial<MonitorServiceOptions> = {}, config: Record<string, unknown> = {}) => {
        const store = services.length === 0 ? at.store : await at.open();
        const monitor = new MonitorService({
          stores: monitorStores(store, { logWriter: false, blobs }),
          config: monitorConfig({ windowMs: MINUTE, replicaId: `replica-${services.length + 1}`, sampleRate: 0, ...config }),
          references,
          schemaFor: () => SCHEMA,
          now: () => clock.now,
          timers: false,
          ...options,
        });
        services.push(monitor);
        return monitor;
      };
      cleanups.push(async () => {
        await Promise.all(services.map((s) => s.close()));
        await at.cleanup();
      });
      return { db: at.store.db, blobs, stores: monitorStores(at.store, { logWriter: false, blobs }), references, clock, service };
    }

    it('loses no prediction from the counts: flushes, a late request, two replicas and close', async () => {
      const { clock, service } = await setup();
      const a = await service();
      const b = await service();
      let served = 0;
      let requests = 0;
      const send = (monitor: MonitorService, e: PredictionEvent) => {
        monitor.record(e);
        requests += 1;
        if (e.outcome === 'success') served += e.rows;
      };
      for (let i = 0; i < 150; i++) send(a, event(T0 + i * 1000));
      for (let i = 0; i < 60; i++) send(b, event(T0 + i * 2500));
      send(b, event(T0 + 5000, { rows: 5, features: { age: [30, 31, 32, 33, 34], region: ['north', 'north', 'south', 'east', ''] }, outputs: { label: ['no', 'no', 'yes', 'no', 'no'] } }));
      send(b, event(T0 + 6000, { outcome: 'client_error', rows: 0, features: undefined, outputs: undefined }));
      send(a, event(T0 + 7000, { outcome: 'server_error', rows: 3, features: undefined, outputs: undefined }));

      // Before any flush, a replica's reports hold its own windows in memory.
      const before = await a.reports.traffic('m', { from: new Date(T0).toISOString(), to: new Date(T0 + 10 * MINUTE).toISOString(), step: '10m' });
      expect(before.points[0]).toMatchObject({ requests: 151, rows: 150, serverErrors: 1 });

      clock.now = T0 + 3 * MINUTE + 2000;
      await Promise.all([a.flush(), b.flush()]);
      // A request that arrives late for a window already written merges into the stored row.
      send(a, event(T0 + 10_000));
      await a.flush();
      // The open window: in memory on each replica until flushed.
      for (let i = 0; i < 20; i++) send(a, event(clock.now + i));
      for (let i = 0; i < 7; i++) send(b, event(clock.now + i, { rows: 2, features: { age: [40, 41], region: ['north', 'south'] }, outputs: { label: ['no', 'no'], probability_yes: [0.1, 0.3] } }));
      const range = { from: new Date(T0).toISOString(), to: new Date(T0 + 10 * MINUTE).toISOString() };
      const partial = await a.reports.drift('m', range);
      expect(partial.rows).toBe(served - 14);
      await b.close();

      // Reads racing a flush count every window once.
      const [, traffic, drift] = await Promise.all([a.flush({ all: true }), a.reports.traffic('m', { ...range, step: '1m' }), a.reports.drift('m', range)]);
      const sum = (key: 'rows' | 'requests' | 'errors') => traffic.points.reduce((total, p) => total + p[key], 0);
      expect(sum('rows')).toBe(served);
      expect(sum('requests')).toBe(requests);
      expect(sum('errors')).toBe(2);
      expect(drift.rows).toBe(served);
      expect(drift.version).toBe('1');
      const age = drift.features.find((f) => f.name === 'age')!;
      expect(age.rows.current + age.missing.current + age.invalid.current).toBe(served);
      const region = drift.features.find((f) => f.name === 'region')!;
      expect(region.missing.current).toBe(1);
      expect(region.unseenCategories?.categories).toEqual([['east', 1]]);
      // Outputs a request lacks are missing in each of its rows.
      const probability = drift.predictionDrift!.features.find((f) => f.name === 'probability_yes')!;
      expect(probability.missing.current).toBe(5);
      expect(traffic.points[0]!.latencyMs.p99).toBeGreaterThanOrEqual(traffic.points[0]!.latencyMs.p50!);
    });

    it('keeps windows whose write failed and writes them with the next flush', async () => {
      const { clock, service, db } = await setup();
      const a = await service();
      for (let i = 0; i < 10; i++) a.record(event(T0 + i));
      clock.now = T0 + 2 * MINUTE;
      await db.schema.alterTable('monitor_windows').renameTo('monitor_windows_away').execute();
      await expect(a.flush()).rejects.toThrow();
      await db.schema.alterTable('monitor_windows_away').renameTo('monitor_windows').execute();
      expect((await a.reports.traffic('m', { from: '1h', step: '2h' })).points.reduce((t, p) => t + p.rows, 0)).toBe(10);
      await a.flush();
      expect(await count(db, 'monitor_windows')).toBe(1);
      expect((await a.reports.traffic('m', { from: '1h', step: '2h' })).points.reduce((t, p) => t + p.rows, 0)).toBe(10);
    });

    it('joins feedback to the prediction log, reports unknown ids, and measures performance against training', async () => {
      const { clock, service, stores } = await setup();
      const references = memoryReferences({
        'm:1': {
          profile: referenceProfile(),
          metrics: { accuracy: 0.9, macroF1: 0.85, rocAuc: 0.95 },
          pipeline: { format: 'berth.pipeline/v1', input: 'x', steps: [], output: { task: 'classification', target: 'y', tensor: 'probabilities', labels: ['no', 'yes'] } },
        },
      });
      const a = await service({ references });
      const predictions: [string, string, number][] = [
        ['yes', 'yes', 0.9],
        ['yes', 'no', 0.6],
        ['no', 'no', 0.3],
        ['no', 'yes', 0.4],
      ];
      predictions.forEach(([, predicted, p], i) =>
        a.record(event(T0 + i * 1000, { requestId: `p${i}`, outputs: { label: [predicted], probability_yes: [p], probability_no: [1 - p] } })),
      );
      // An OIP request: probabilities as the pipeline's tensor columns, two rows.
      a.record(event(T0 + 5000, { requestId: 'oip', rows: 2, protocol: 'v2-rest', features: {}, outputs: { 'probabilities[0]': [0.2, 0.7], 'probabilities[1]': [0.8, 0.3] } }));
      const result = await a.feedback('m', [
        ...predictions.map(([actual], i) => ({ requestId: `p${i}`, actual })),
        { requestId: 'oip', actual: ['yes', 'no'] },
        { requestId: 'nobody', actual: 'yes' },
        { requestId: 'late', actual: 'no' },
      ]);
      expect(result).toEqual({ accepted: 5, unknown: ['nobody', 'late'], rejected: [] });
      expect(await a.feedback('m', { requestId: 'oip', actual: 'yes' })).toMatchObject({ accepted: 0, rejected: [{ requestId: 'oip', reason: expect.stringContaining('2 rows') }] });
      await expect(a.feedback('m', [{ requestId: 'x' }])).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_FEEDBACK_INVALID' }));

      // The prediction of 'late' is logged after its feedback came; the rematch joins it.
      a.record(event(T0 + 9000, { requestId: 'late', outputs: { label: ['no'], probability_yes: [0.1], probability_no: [0.9] } }));
      await a.flush();
      expect(await rematchFeedback(stores, T0 - MINUTE)).toBe(1);

      clock.now = T0 + 5 * MINUTE;
      const report = await a.reports.performance('m', { from: '1h', step: '30m' });
      expect(report.task).toBe('classification');
      expect(report.training).toEqual({ accuracy: 0.9, f1: 0.85, rocAuc: 0.95 });
      // Truth: yes no no yes | yes no | no; predicted: yes yes no no | yes no | no.
      expect(report.overall.rows).toBe(7);
      expect(report.overall.accuracy).toBeCloseTo(5 / 7, 12);
      expect(report.unmatched).toBe(1);
      expect(report.points.reduce((t, p) => t + p.rows, 0)).toBe(7);
    });

    /** A prediction log of its own, with the service's defaults but for `overrides`. */
    function predictionLog(clock: { now: number }, overrides: Partial<PredictionLogOptions> = {}): PredictionLog {
      return new PredictionLog({
        predictions: true,
        payloads: () => ({ rate: 0, retentionDays: 30, fields: ['inputs', 'outputs'] }),
        sampleRate: 0,
        sampleMaxPerMinute: 0,
        sampleMaxBytes: 1000,
        segmentSealMs: 10_000,
        segmentMaxEntries: 65_536,
        maxPending: 200_000,
        now: () => clock.now,
        ...overrides,
      });
    }

    /** The request ids and output `value`s of every stored prediction segment, in the order sealed. */
    async function storedValues(stores: ReturnType<typeof monitorStores>): Promise<number[]> {
      const values: number[] = [];
      for await (const entry of readLogged(stores, new SegmentReaders(stores), 'predictions', 'm', 0, Date.parse('9999-01-01'))) values.push(entry.outputs.value![0] as number);
      return values;
    }

    it('logs each request id once for feedback, the later prediction winning, within a segment and across segments', async () => {
      const { service, db } = await setup();
      const a = await service();
      const odd = 'caller\'s "id" \\ 東京';
      a.record(event(T0, { requestId: 'dup', outputs: { label: ['no'], probability_yes: [0.25] } }));
      a.record(event(T0 + 1, { requestId: odd, outputs: { label: ['yes'], probability_yes: [0.75] } }));
      a.record(event(T0 + 2, { requestId: 'dup', outputs: { label: ['yes'], probability_yes: [0.5] } }));
      await a.flush();
      a.record(event(T0 + 3, { requestId: odd, outputs: { label: ['no'], probability_yes: [0.125] } }));
      await a.flush();
      expect(await count(db, 'monitor_log_segments')).toBe(2);
      expect(await a.feedback('m', [{ requestId: 'dup', actual: 'yes' }, { requestId: odd, actual: 'no' }])).toEqual({ accepted: 2, unknown: [], rejected: [] });
      const rows = await db.selectFrom('monitor_feedback').select(['request_id', 'predicted_at', 'outputs']).orderBy('predicted_at').execute();
      expect(rows.map((r) => [r.request_id, r.predicted_at, JSON.parse(r.outputs!) as unknown])).toEqual([
        ['dup', new Date(T0 + 2).toISOString(), { label: ['yes'], probability_yes: [0.5] }],
        [odd, new Date(T0 + 3).toISOString(), { label: ['no'], probability_yes: [0.125] }],
      ]);
    });

    it('finds every prediction by the time in its id, a caller id from a far clock by its Bloom filter, the later of a repeated id winning; retention removes segments and blobs', async () => {
      const { clock, service, db, blobs } = await setup();
      const a = await service();
      const outputs = (p: number) => ({ label: [p >= 0.5 ? 'yes' : 'no'], probability_yes: [p] });
      // 300 server-made ids 300 ms apart: 90 s of ids, more than one segment's span.
      const ids = Array.from({ length: 300 }, (_, i) => v7({ msecs: T0 + i * 300 }));
      ids.forEach((requestId, i) => a.record(event(T0 + i * 300, { requestId, outputs: outputs(i / 1000) })));
      a.record(event(T0 + 2100, { requestId: ids[7], outputs: outputs(0.75) })); // the same id again, later: the later wins
      // A caller's UUIDv7 from a clock a minute off is found through the segment's Bloom filter.
      const skewed = v7({ msecs: T0 - MINUTE });
      a.record(event(T0 + 1000, { requestId: skewed, outputs: outputs(0.25) }));
      await a.flush();
      a.record(event(T0 + 1501, { requestId: ids[5], outputs: outputs(0.99) })); // again, in a later segment
      await a.flush();

      const segments = await db.selectFrom('monitor_log_segments').selectAll().execute();
      expect(segments.reduce((t, s) => t + Number(s.entries), 0)).toBe(303);
      expect(segments.length).toBeGreaterThanOrEqual(3);
      for (const s of segments) expect(Number(s.id_to_ms) - Number(s.id_from_ms)).toBeLessThanOrEqual(SEGMENT_SPAN_MS);
      expect(segments.filter((s) => s.other_ids !== null)).toHaveLength(1);

      const unseen = v7({ msecs: T0 + 5000 });
      const result = await a.feedback('m', [...ids, skewed, unseen, 'nobody'].map((requestId) => ({ requestId, actual: 'yes' })));
      expect(result).toEqual({ accepted: 301, unknown: [unseen, 'nobody'], rejected: [] });
      const joined = await db.selectFrom('monitor_feedback').select(['request_id', 'outputs', 'predicted_at']).where('matched', '=', 1).execute();
      const byId = new Map(joined.map((r) => [r.request_id, r]));
      expect(JSON.parse(byId.get(ids[5]!)!.outputs!)).toEqual(outputs(0.99));
      expect(byId.get(ids[5]!)!.predicted_at).toBe(new Date(T0 + 1501).toISOString());
      expect(JSON.parse(byId.get(ids[7]!)!.outputs!)).toEqual(outputs(0.75));
      expect(JSON.parse(byId.get(ids[250]!)!.outputs!)).toEqual(outputs(0.25));
      expect(JSON.parse(byId.get(skewed)!.outputs!)).toEqual(outputs(0.25));
      // An upper-case UUIDv7 is the same id.
      expect((await a.feedback('m', { requestId: ids[9]!.toUpperCase(), actual: 'no' })).accepted).toBe(1);

      const blobFiles = () => readdirSync(join(blobs.root, 'sha256'), { recursive: true }).filter((f) => String(f).length > 64).length;
      expect(blobFiles()).toBe(segments.length);
      clock.now = T0 + 29 * 86_400_000;
      await a.prune();
      expect(await count(db, 'monitor_log_segments')).toBe(segments.length);
      clock.now = T0 + 31 * 86_400_000;
      await a.prune();
      expect(await count(db, 'monitor_log_segments')).toBe(0);
      expect(blobFiles()).toBe(0);
    });

    it('joins feedback to this replica’s predictions before they are written, and another replica’s once sealed', async () => {
      const { service, db } = await setup();
      const a = await service();
      const b = await service();
      const id = v7({ msecs: T0 });
      a.record(event(T0, { requestId: id, outputs: { label: ['yes'], probability_yes: [0.875] } }));
      expect(await b.feedback('m', { requestId: id, actual: 'yes' })).toEqual({ accepted: 0, unknown: [id], rejected: [] });
      expect(await a.feedback('m', { requestId: id, actual: 'no' })).toEqual({ accepted: 1, unknown: [], rejected: [] });
      expect(await count(db, 'monitor_log_segments')).toBe(0);
      await a.flush();
      expect(await b.feedback('m', { requestId: id, actual: 'yes' })).toEqual({ accepted: 1, unknown: [], rejected: [] });
    });

    it('joins feedback to a prediction whose segment is written while feedback reads the stored segments', async () => {
      const { service, stores, db } = await setup();
      // The flush timer writes the open segment between feedback's look at the stored segments
      // and its look at this replica's unwritten entries (as it does when feedback follows the
      // answer at once): the segment's row lands after the stored look began.
      let flushDuring: (() => Promise<void>) | undefined;
      const segments = new Proxy(stores.segments, {
        get(target, property, receiver) {
          if (property !== 'findByIdTimes') {
            const value: unknown = Reflect.get(target, property, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          }
          return async (...args: Parameters<typeof target.findByIdTimes>) => {
            const found = await target.findByIdTimes(...args);
            const flush = flushDuring;
            flushDuring = undefined;
            await flush?.();
            return found;
          };
        },
      });
      const a = await service({ stores: { ...stores, segments } });
      const id = v7({ msecs: T0 });
      a.record(event(T0, { requestId: id, outputs: { label: ['yes'], probability_yes: [0.875] } }));
      flushDuring = () => a.flush();
      expect(await a.feedback('m', { requestId: id, actual: 'yes' })).toEqual({ accepted: 1, unknown: [], rejected: [] });
      expect(flushDuring).toBeUndefined();
      expect(await count(db, 'monitor_log_segments')).toBe(1);
    });

    it('indexes ids by time within the clock tolerance, and keeps one just beyond it in the Bloom filter', async () => {
      const { clock, db, stores } = await setup();
      const log = predictionLog(clock);
      log.add(event(T0, { requestId: v7({ msecs: T0 - ID_CLOCK_TOLERANCE_MS }), outputs: { value: [0] } }));
      log.add(event(T0, { requestId: v7({ msecs: T0 + ID_CLOCK_TOLERANCE_MS }), outputs: { value: [1] } }));
      await log.flush(stores, { seal: 'all' });
      const [first] = await db.selectFrom('monitor_log_segments').selectAll().execute();
      expect([Number(first!.id_from_ms), Number(first!.id_to_ms), first!.other_ids]).toEqual([T0 - ID_CLOCK_TOLERANCE_MS, T0 + ID_CLOCK_TOLERANCE_MS, null]);
      log.add(event(T0, { requestId: v7({ msecs: T0 + ID_CLOCK_TOLERANCE_MS + 1 }), outputs: { value: [2] } }));
      await log.flush(stores, { seal: 'all' });
      const second = await db.selectFrom('monitor_log_segments').selectAll().orderBy('segment_id', 'desc').executeTakeFirstOrThrow();
      expect([second.id_from_ms, second.id_to_ms, typeof second.other_ids]).toEqual([null, null, 'string']);
      expect(await storedValues(stores)).toEqual([0, 1, 2]);
    });

    it('seals a segment after segmentSealMs or at segmentMaxEntries, and writes sealed ones before the timer', async () => {
      const { clock, stores } = await setup();
      const log = predictionLog(clock, { segmentMaxEntries: 100 });
      for (let i = 0; i <= 100; i++) log.add(event(T0 + i, { requestId: v7({ msecs: T0 + i }), outputs: { value: [i] } }));
      expect(log.full).toBe(true);
      await log.flush(stores, { full: true });
      expect(await storedValues(stores)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect([log.pending, log.full]).toEqual([1, false]);
      await log.flush(stores, { seal: 'due' });
      expect(log.pending).toBe(1);
      clock.now += 10_000;
      await log.flush(stores, { seal: 'due' });
      expect(log.pending).toBe(0);
      expect(await storedValues(stores)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    });

    it('keeps segments whose write failed and writes them with the next flush, dropping and counting what passes the bound', async () => {
      const { clock, db, stores } = await setup();
      const log = predictionLog(clock, { maxPending: 300, segmentMaxEntries: 100 });
      const add = (from: number, to: number) => {
        for (let i = from; i < to; i++) log.add(event(T0 + i, { requestId: v7({ msecs: T0 + i }), outputs: { value: [i] } }));
      };
      add(0, 200);
      await db.schema.alterTable('monitor_log_segments').renameTo('monitor_log_segments_away').execute();
      await expect(log.flush(stores, { seal: 'all' })).rejects.toThrow();
      await db.schema.alterTable('monitor_log_segments_away').renameTo('monitor_log_segments').execute();
      expect([log.pending, log.dropped.predictions]).toEqual([200, 0]);
      add(200, 350);
      expect([log.pending, log.dropped.predictions]).toEqual([300, 50]);
      await log.flush(stores, { seal: 'all' });
      expect(await storedValues(stores)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(log.pending).toBe(0);
    });

    it('samples requests up to the cap per minute, answers the newest, and prunes past retention', async () => {
      const { clock, service, db } = await setup();
      const a = await service({}, { sampleRate: 1, sampleMaxPerMinute: 3, sampleRetentionDays: 7, logRetentionDays: 30 });
      for (let i = 0; i < 10; i++) a.record(event(T0 + i * 1000, { requestId: `s${i}` }));
      a.record(event(T0 + MINUTE + 1, { requestId: 'big', request: { records: [{ text: 'x'.repeat(100_000) }] }, response: { ok: true } }));
      await a.flush();
      expect(await count(db, 'monitor_log_segments')).toBe(1);
      const { requests } = await a.reports.requests('m', { limit: '10' });
      expect(requests.map((r) => r.requestId)).toEqual(['big', 's2', 's1', 's0']);
      expect(requests[1]).toMatchObject({ version: '1', protocol: 'predict', inputs: [{ age: expect.any(Number), region: expect.any(String) }], outputs: [{ label: expect.any(String) }] });
      expect(requests[0]).toMatchObject({ inputs: { truncated: true }, outputs: { ok: true } });
      await expect(a.reports.requests('m', { limit: '0' })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_REQUEST_INVALID' }));

      clock.now = T0 + 8 * 86_400_000;
      await a.prune();
      expect(await count(db, 'monitor_samples')).toBe(0);
      expect(await count(db, 'monitor_log_segments')).toBe(1);
      clock.now = T0 + 31 * 86_400_000;
      await a.prune();
      expect(await count(db, 'monitor_log_segments')).toBe(0);
    });

    it('keeps payload segments for their model\'s retention, deleting rows and blobs past it', async () => {
      const { clock, service, db, blobs } = await setup();
      const a = await service({}, { logRetentionDays: 90, payloads: { rate: 1, retentionDays: 30, models: { brief: { retentionDays: 2 } } } });
      a.record(event(T0, { requestId: v7({ msecs: T0 }) }));
      a.record(event(T0, { model: 'brief', requestId: v7({ msecs: T0 }) }));
      await a.flush();
      const payloadSegments = async () =>
        (await db.selectFrom('monitor_log_segments').select(['model', 'digest']).where('kind', '=', 'payloads').orderBy('model').execute()).map((r) => r.model);
      expect(await payloadSegments()).toEqual(['brief', 'm']);
      const briefDigest = (await db.selectFrom('monitor_log_segments').select('digest').where('kind', '=', 'payloads').where('model', '=', 'brief').executeTakeFirstOrThrow()).digest;
      clock.now = T0 + 3 * 86_400_000;
      await a.prune();
      expect(await payloadSegments()).toEqual(['m']);
      expect(await blobs.stat(briefDigest)).toBeUndefined();
      clock.now = T0 + 31 * 86_400_000;
      await a.prune();
      expect(await payloadSegments()).toEqual([]);
      // The prediction log keeps its own, longer retention.
      expect(await db.selectFrom('monitor_log_segments').select('model').where('kind', '=', 'predictions').execute()).toHaveLength(2);
    });

    it('fires an alert once, keeps it through the hysteresis band, resolves it, and evaluates on one replica only', async () => {
      const { clock, service, db } = await setup();
      const notifier = capturingNotifier();
      const rule = { id: 'errors', model: 'm', type: 'error_rate', errors: 'all', threshold: 0.5, window: '10m', minRows: 4, resolveAfter: 2 };
      const a = await service({ notifier }, { rules: [rule] });
      const b = await service({ notifier }, { rules: [rule] });
      const record = (n: number, outcome: PredictionEvent['outcome']) => {
        for (let i = 0; i < n; i++) a.record(event(clock.now, { outcome, ...(outcome === 'success' ? {} : { rows: 0, features: undefined, outputs: undefined }) }));
      };
      const evaluate = async () => (await a.evaluateAlerts()).map((t) => `${t.notification.state} ${t.notification.value.toFixed(3)}`);
      record(1, 'success');
      record(2, 'server_error');
      expect(await evaluate()).toEqual([]); // 3 requests: fewer than minRows, no judgement
      record(1, 'client_error');
      expect(await evaluate()).toEqual(['firing 0.750']);
      expect(notifier.sent).toHaveLength(1);
      expect(notifier.sent[0]).toMatchObject({ type: 'berth.alert', state: 'firing', model: 'm', value: 0.75, threshold: 0.5, rule: { id: 'errors', type: 'error_rate' } });
      expect(notifier.sent[0]!.message).toContain('error rate');
      expect(await b.evaluateAlerts()).toEqual([]); // the other replica does not hold the lease
      expect(await evaluate()).toEqual([]); // still firing: no second notification
      expect(await a.listAlerts('firing')).toMatchObject([{ rule: 'errors', model: 'm', state: 'firing', value: 0.75, threshold: 0.5 }]);
      record(2, 'success'); // 3/6 = 0.5: still at the threshold
      expect(await evaluate()).toEqual([]);
      record(1, 'success'); // 3/7: below the resolve threshold (0.45) once
      expect(await evaluate()).toEqual([]);
      record(1, 'server_error'); // 4/8: back at the threshold, the streak of clears starts again
      expect(await evaluate()).toEqual([]);
      record(1, 'success'); // 4/9 = 0.444
      expect(await evaluate()).toEqual([]);
      expect(await evaluate()).toEqual(['resolved 0.444']);
      expect(notifier.sent.map((n) => n.state)).toEqual(['firing', 'resolved']);
      expect(await a.listAlerts()).toMatchObject([{ rule: 'errors', state: 'resolved' }]);
      expect(await a.listAlerts('firing')).toEqual([]);

      await a.close(); // gives up the lease
      await b.evaluateAlerts();
      expect((await db.selectFrom('monitor_leases').select('holder').execute()).map((r) => r.holder)).toEqual(['replica-2']);
    });

    it('counts only server errors in an error_rate rule unless it asks for client errors: bad requests cannot fire it', async () => {
      const { clock, service } = await setup();
      const rules = [
        { id: 'server', model: 'm', type: 'error_rate', threshold: 0.5, window: '10m', minRows: 4 },
        { id: 'client', model: 'm', type: 'error_rate', errors: 'client', threshold: 0.5, window: '10m', minRows: 4 },
      ];
      const a = await service({ notifier: capturingNotifier() }, { rules });
      for (let i = 0; i < 4; i++) a.record(event(clock.now, { outcome: 'client_error', rows: 0, features: undefined, outputs: undefined }));
      a.record(event(clock.now, { outcome: 'server_error', rows: 0, features: undefined, outputs: undefined }));
      const fired = (await a.evaluateAlerts()).map((t) => `${t.notification.rule.id} ${t.notification.value.toFixed(1)} ${t.notification.message}`);
      expect(fired).toHaveLength(1);
      expect(fired[0]).toMatch(/^client 0\.8 .*client error rate/);
    });

    it('refuses a rule whose webhook reaches a private or metadata address when it is added, unless allowed', async () => {
      const { service } = await setup();
      const a = await service({}, { webhookAllowPrivate: ['10.0.0.0/8'] });
      const rule = (webhook: string) => ({ type: 'error_rate', threshold: 0.5, webhooks: [webhook] });
      for (const webhook of ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:9/hook', 'http://[::1]:9/hook', 'http://192.168.1.10/hook', 'http://localhost:9/hook', 'http://[::ffff:169.254.169.254]/']) {
        await expect(a.addRule(rule(webhook)), webhook).rejects.toThrow(
          expect.objectContaining({ code: 'BERTH_MONITOR_RULE_INVALID', message: expect.stringContaining('monitor.webhookAllowPrivate') }),
        );
      }
      expect(await a.listRules()).toEqual([]);
      expect((await a.addRule(rule('http://10.1.2.3/hook'))).webhooks).toEqual(['http://10.1.2.3/hook']);
      expect((await a.addRule(rule('https://93.184.216.34/hook'))).webhooks).toEqual(['https://93.184.216.34/hook']);
    });

    it('adds, lists and deletes alert rules through the API, refusing invalid and conflicting ones', async () => {
      const { service, stores, references } = await setup();
      const a = await service({}, { rules: [{ id: 'errors', type: 'error_rate', threshold: 0.2 }] });
      await expect(a.addRule({ type: 'drift_share' })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RULE_INVALID', message: expect.stringContaining('threshold') }));
      await expect(a.addRule({ type: 'latency', threshold: 1 })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RULE_INVALID' }));
      const added = await a.addRule({ id: 'drift', model: 'm', type: 'drift_share', threshold: 0.3 });
      expect(added).toMatchObject({ id: 'drift', source: 'api', window: '1h', fireAfter: 1, resolveAfter: 2 });
      const generated = await a.addRule({ type: 'feature_drift', feature: 'age' });
      expect(generated.id).toMatch(/^rule-[0-9a-f]{8}$/);
      await expect(a.addRule({ id: 'drift', type: 'drift_share', threshold: 0.5 })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RULE_CONFLICT' }));
      await expect(a.addRule({ id: 'errors', type: 'drift_share', threshold: 0.5 })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RULE_CONFLICT' }));
      expect((await a.listRules()).map((r) => `${r.id}:${r.source}`)).toEqual(['errors:config', 'drift:api', `${generated.id}:api`]);
      await expect(a.removeRule('errors')).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RULE_CONFLICT' }));
      await expect(a.removeRule('nope')).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RULE_NOT_FOUND' }));
      expect(await a.removeRule('drift')).toMatchObject({ id: 'drift' });
      expect((await a.listRules()).map((r) => r.id)).toEqual(['errors', generated.id]);
      expect(() => new MonitorService({ stores, references, timers: false, config: monitorConfig({ rules: [{ id: 'x', type: 'error_rate', threshold: 0.1 }, { id: 'x', type: 'error_rate', threshold: 0.2 }] }) })).toThrow(
        expect.objectContaining({ code: 'BERTH_CONFIG_INVALID' }),
      );
    });

    it('refuses rule windows and ranges no date can hold; a broken stored rule is reported and never stops the others', async () => {
      const { clock, service, db } = await setup();
      const logged: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
      const notifier = capturingNotifier();
      const a = await service({ notifier, logger });
      for (const window of ['99999999999999999d', '0s', '400d']) {
        await expect(a.addRule({ type: 'error_rate', threshold: 0.5, window })).rejects.toThrow(
          expect.objectContaining({ code: 'BERTH_MONITOR_RULE_INVALID', message: expect.stringContaining('window') }),
        );
      }
      await expect(a.reports.traffic('m', { from: '99999999999d' })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RANGE_INVALID' }));
      // A rule an older version stored before windows were bounded, listed before a good one.
      const broken = { type: 'error_rate', model: 'm', threshold: 0.5, window: '99999999999999999d', fireAfter: 1, resolveAfter: 2, minRows: 1 };
      await db.insertInto('monitor_alert_rules').values({ id: 'broken', rule: JSON.stringify(broken), created_at: '2000-01-01T00:00:00.000Z' }).execute();
      await a.addRule({ id: 'errors', model: 'm', type: 'error_rate', threshold: 0.5, window: '10m', minRows: 1 });
      a.record(event(clock.now, { outcome: 'server_error', rows: 0, features: undefined, outputs: undefined }));
      const transitions = await a.evaluateAlerts();
      expect(transitions.map((t) => `${t.notification.rule.id} ${t.notification.state}`)).toEqual(['errors firing']);
      expect(logged.some((line) => line.includes('"rule":"broken"') && line.includes('BERTH_MONITOR_RULE_INVALID'))).toBe(true);
    });

    it('explains what is missing: a version without profile, an unknown model, a bad range', async () => {
      const { service } = await setup();
      const a = await service({ references: memoryReferences({ 'm:1': {} }, { m: '1' }) });
      a.record(event(T0));
      await expect(a.reports.drift('m', { from: '1h' })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_PROFILE_MISSING', message: expect.stringContaining('--reference') }));
      await expect(a.reports.drift('nobody', { from: '1h' })).rejects.toThrow(expect.objectContaining({ code: Errors.REGISTRY_MODEL_NOT_FOUND.code }));
      await expect(a.reports.traffic('m', { from: 'yesterday' })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RANGE_INVALID' }));
      await expect(a.reports.traffic('m', { from: '1h', to: '2h' })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RANGE_INVALID' }));
      await expect(a.reports.traffic('m', { from: '30d', step: '1m' })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RANGE_INVALID' }));
      const traffic = await a.reports.traffic('unknown-model', { from: '1h' });
      expect(traffic.points.every((p) => p.requests === 0 && p.latencyMs.p99 === null)).toBe(true);
    });
  });
}
