/**
 * The monitor's stores' contract, run against every metadata-store backend (as the registry's is):
 * windows, log segments and samples, feedback, alert rules and states, and leases.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FileBlobStore, type MetadataStore, type MonitorStores, type WindowRecord, monitorStores, openMetadataStore } from '../../src/store/index.js';
import { STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A window of `requests` one-row requests. */
function window(model: string, version: string, start: number, requests: number) {
  return { model, version, start, windowMs: MINUTE, requests, rows: requests, clientErrors: 0, serverErrors: 1, latency: `{"n":${requests}}`, sketches: `{"v":${requests}}` };
}

/** Adds counts and keeps both latency texts, so a test sees what was merged. */
function sum(stored: WindowRecord, incoming: WindowRecord) {
  return {
    requests: stored.requests + incoming.requests,
    rows: stored.rows + incoming.rows,
    clientErrors: stored.clientErrors + incoming.clientErrors,
    serverErrors: stored.serverErrors + incoming.serverErrors,
    latency: JSON.stringify([JSON.parse(stored.latency), JSON.parse(incoming.latency)]),
    sketches: incoming.sketches,
  };
}

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`monitor stores on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    let store: MetadataStore;
    let stores: MonitorStores;

    beforeEach(async () => {
      location = backend.create();
      store = await openMetadataStore({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema });
      // The background writer needs the compiled build; the SQL is the same either way.
      stores = monitorStores(store, { logWriter: false, blobs: new FileBlobStore(join(location.home, 'blobs')) });
    });
    afterEach(async () => {
      await store.close();
      await location.cleanup();
    });

    describe('windows', () => {
      it('writes windows per replica, merging a window written again, and reads them back oldest first', async () => {
        await stores.windows.write('r1', [window('m', '1', T0, 3), window('m', '2', T0 + MINUTE, 5), window('other', '1', T0, 1)], sum, T0);
        await stores.windows.write('r2', [window('m', '1', T0, 4)], sum, T0);
        await stores.windows.write('r1', [window('m', '1', T0, 2)], sum, T0 + MINUTE);

        const counts = await stores.windows.readCounts({ model: 'm', from: T0, to: T0 + 2 * MINUTE });
        expect(counts.map((w) => [w.version, w.start, w.requests])).toEqual(expect.arrayContaining([['1', T0, 5], ['1', T0, 4], ['2', T0 + MINUTE, 5]]));
        expect(counts.map((w) => w.start)).toEqual([T0, T0, T0 + MINUTE]);
        expect(counts.find((w) => w.requests === 5 && w.version === '1')).toMatchObject({ windowMs: MINUTE, rows: 5, clientErrors: 0, serverErrors: 2, latency: '[{"n":3},{"n":2}]' });
        expect(await stores.windows.readCounts({ model: 'm', version: '2', from: T0, to: T0 + 2 * MINUTE })).toHaveLength(1);
        expect(await stores.windows.readCounts({ model: 'm', from: T0 + MINUTE, to: T0 + 2 * MINUTE })).toHaveLength(1);
      });

      it('visits every window of a range page by page, in order of start, version and replica', async () => {
        const written = [];
        for (let i = 0; i < 7; i++) written.push(window('m', String(1 + (i % 2)), T0 + Math.floor(i / 2) * MINUTE, i + 1));
        await stores.windows.write('r1', written, sum, T0);
        await stores.windows.write('r2', [window('m', '1', T0, 100)], sum, T0);
        const seen: [number, string, number, string][] = [];
        await stores.windows.forEach({ model: 'm', from: T0, to: T0 + 10 * MINUTE }, (w) => seen.push([w.start, w.version, w.requests, w.sketches]), 3);
        expect(seen).toEqual([
          [T0, '1', 1, '{"v":1}'],
          [T0, '1', 100, '{"v":100}'],
          [T0, '2', 2, '{"v":2}'],
          [T0 + MINUTE, '1', 3, '{"v":3}'],
          [T0 + MINUTE, '2', 4, '{"v":4}'],
          [T0 + 2 * MINUTE, '1', 5, '{"v":5}'],
          [T0 + 2 * MINUTE, '2', 6, '{"v":6}'],
          [T0 + 3 * MINUTE, '1', 7, '{"v":7}'],
        ]);
      });

      it('sums rows per version, lists models with windows and deletes old windows', async () => {
        await stores.windows.write('r1', [window('m', '1', T0, 3), window('m', '2', T0, 5), window('m', '1', T0 + MINUTE, 4), window('b', '1', T0 + 5 * MINUTE, 1)], sum, T0);
        expect(await stores.windows.rowsByVersion('m', T0, T0 + 2 * MINUTE)).toEqual(new Map([['1', 7], ['2', 5]]));
        expect(await stores.windows.models(T0, T0 + 10 * MINUTE)).toEqual(['b', 'm']);
        expect(await stores.windows.models(T0 + 2 * MINUTE, T0 + 10 * MINUTE)).toEqual(['b']);
        expect(await stores.windows.deleteBefore(T0 + MINUTE)).toBe(2);
        expect(await stores.windows.models(T0, T0 + 10 * MINUTE)).toEqual(['b', 'm']);
        expect(await stores.windows.rowsByVersion('m', T0, T0 + 2 * MINUTE)).toEqual(new Map([['1', 4]]));
      });
    });

    describe('log segments and samples', () => {
      const segment = (id: string, model: string, kind: 'predictions' | 'payloads', idFromMs: number | undefined, idToMs: number | undefined, lastAtMs: number, otherIds?: string) => ({
        id,
        model,
        kind,
        digest: `sha256:${id.padEnd(64, '0')}`,
        bytes: 100,
        entries: 10,
        idFromMs,
        idToMs,
        otherIds,
        firstAtMs: idFromMs ?? lastAtMs,
        lastAtMs,
      });

      it('finds the segments whose id range may hold an id time, in the order they were sealed, and those with other ids', async () => {
        for (const s of [
          segment('s2', 'm', 'predictions', T0 + 500, T0 + 900, T0 + 900),
          segment('s1', 'm', 'predictions', T0, T0 + 400, T0 + 400),
          segment('s3', 'm', 'predictions', T0 + 2000, T0 + 2500, T0 + 2500, 'AAAA'),
          segment('q1', 'other', 'predictions', T0, T0 + 400, T0 + 400),
          segment('p1', 'm', 'payloads', T0, T0 + 400, T0 + 400),
          segment('s4', 'm', 'predictions', undefined, undefined, T0 + 3000, 'BBBB'),
        ])
          await stores.segments.add(s);
        const ids = async (times: number[], span: number) => (await stores.segments.findByIdTimes('m', 'predictions', times, span)).map((s) => s.id);
        expect(await ids([T0 + 100], 1000)).toEqual(['s1']);
        expect(await ids([T0 + 450], 1000)).toEqual([]);
        expect(await ids([T0 + 600, T0 + 100, T0 + 100], 1000)).toEqual(['s1', 's2']);
        // A segment ending more than the span after the time is not looked at.
        expect(await ids([T0 + 2000], 100)).toEqual([]);
        expect(await ids([T0 + 2000], 1000)).toEqual(['s3']);
        expect(await ids([], 1000)).toEqual([]);
        expect((await stores.segments.findByIdTimes('m', 'payloads', [T0 + 100], 1000)).map((s) => s.id)).toEqual(['p1']);
        const others = await stores.segments.withOtherIds('m', 'predictions');
        expect(others.map((s) => [s.id, s.otherIds, s.idFromMs])).toEqual([
          ['s3', 'AAAA', T0 + 2000],
          ['s4', 'BBBB', undefined],
        ]);
        expect(await stores.segments.models('predictions')).toEqual(['m', 'other']);
        expect((await stores.segments.inRange('m', 'predictions', T0 + 450, T0 + 2001)).map((s) => s.id)).toEqual(['s2', 's3']);
      });

      it('lists expired segments by kind and model, removes their rows, and counts their blobs as referenced until then', async () => {
        await stores.segments.add(segment('s1', 'm', 'predictions', T0, T0, T0));
        await stores.segments.add(segment('s2', 'm', 'predictions', T0 + MINUTE, T0 + MINUTE, T0 + MINUTE));
        await stores.segments.add(segment('p1', 'm', 'payloads', T0, T0, T0));
        await stores.segments.add(segment('p2', 'n', 'payloads', T0, T0, T0));
        expect((await stores.segments.expired('predictions', T0 + 1, 10)).map((s) => s.id)).toEqual(['s1']);
        expect((await stores.segments.expired('payloads', T0 + 1, 10, 'n')).map((s) => s.id)).toEqual(['p2']);
        const digest = segment('s1', 'm', 'predictions', T0, T0, T0).digest;
        expect(await stores.stillReferenced([digest])).toEqual(new Set([digest]));
        await stores.segments.remove(['s1']);
        await stores.segments.remove([]);
        expect(await stores.stillReferenced([digest])).toEqual(new Set());
        expect((await stores.segments.expired('predictions', T0 + 2 * MINUTE, 10)).map((s) => s.id)).toEqual(['s2']);
      });

      it('keeps the first sample of a request id, answers the newest first, and prunes by retention', async () => {
        const sample = (id: string, at: number, inputs: string) => ['m', id, '1', iso(at), 'predict', inputs, '[{"label":"x"}]'];
        await stores.samples.appendSamples(JSON.stringify([sample('a', T0, '[{"age":1}]'), sample('b', T0 + 1000, '[{"age":2}]')]));
        await stores.samples.appendSamples(JSON.stringify([sample('a', T0 + 5000, '[{"age":9}]'), sample('c', T0 + 2000, '[{"age":3}]')]));
        const latest = await stores.samples.latestSamples('m', 2);
        expect(latest).toEqual([
          { requestId: 'c', version: '1', at: iso(T0 + 2000), protocol: 'predict', inputs: '[{"age":3}]', outputs: '[{"label":"x"}]' },
          { requestId: 'b', version: '1', at: iso(T0 + 1000), protocol: 'predict', inputs: '[{"age":2}]', outputs: '[{"label":"x"}]' },
        ]);
        expect((await stores.samples.latestSamples('m', 10)).find((s) => s.requestId === 'a')?.inputs).toBe('[{"age":1}]');
        await stores.samples.prune(T0 + 1500);
        expect((await stores.samples.latestSamples('m', 10)).map((s) => s.requestId)).toEqual(['c']);
      });
    });

    describe('feedback', () => {
      const prediction = { version: '2', at: iso(T0 + 1000), rows: 1, outputs: '{"label":["yes"]}' };

      it('stores joined and waiting feedback, a later item for a request replacing the earlier one', async () => {
        await stores.feedback.upsert([{ model: 'm', requestId: 'a', actual: '"yes"', prediction }, { model: 'm', requestId: 'b', actual: '"no"' }], T0 + 2000);
        await stores.feedback.upsert([], T0);
        expect(await stores.feedback.joined('m', T0, T0 + MINUTE)).toEqual([{ requestId: 'a', version: '2', predictedAt: T0 + 1000, rows: 1, actual: '"yes"', outputs: '{"label":["yes"]}' }]);
        expect(await stores.feedback.waiting(T0, 10)).toEqual([{ model: 'm', requestId: 'b', actual: '"no"' }]);
        expect(await stores.feedback.countWaiting('m', T0, T0 + MINUTE)).toBe(1);
        // A correction of 'a' that no longer finds its prediction waits again.
        await stores.feedback.upsert([{ model: 'm', requestId: 'a', actual: '"no"' }], T0 + 3000);
        expect(await stores.feedback.joined('m', T0, T0 + MINUTE)).toEqual([]);
        expect((await stores.feedback.waiting(T0, 10)).map((f) => [f.requestId, f.actual])).toEqual([['b', '"no"'], ['a', '"no"']]);
      });

      it('stores and joins a batch larger than one statement whole', async () => {
        const ids = Array.from({ length: 450 }, (_, i) => `r${String(i).padStart(3, '0')}`);
        await stores.feedback.upsert(ids.map((requestId, i) => ({ model: 'm', requestId, actual: String(i), ...(i % 2 === 0 ? { prediction } : {}) })), T0);
        expect(await stores.feedback.joined('m', T0, T0 + MINUTE)).toHaveLength(225);
        await stores.feedback.join('m', ids.filter((_, i) => i % 2 === 1).map((requestId) => ({ requestId, prediction })));
        expect((await stores.feedback.joined('m', T0, T0 + MINUTE)).map((f) => f.requestId)).toEqual(ids);
        expect(await stores.feedback.countWaiting('m', T0, T0 + MINUTE)).toBe(0);
      });

      it('joins waiting feedback once, and reads joined feedback by prediction time and version', async () => {
        await stores.feedback.upsert([{ model: 'm', requestId: 'a', actual: '1' }, { model: 'm', requestId: 'b', actual: '2' }, { model: 'n', requestId: 'a', actual: '3' }], T0);
        expect(await stores.feedback.waiting(T0 + 1, 10)).toEqual([]);
        expect(await stores.feedback.waiting(T0, 2)).toHaveLength(2);
        await stores.feedback.join('m', [{ requestId: 'a', prediction }]);
        await stores.feedback.join('m', [
          { requestId: 'a', prediction: { ...prediction, version: '9' } },
          { requestId: 'b', prediction: { ...prediction, version: '3', at: iso(T0 + 2 * MINUTE) } },
        ]);
        expect((await stores.feedback.joined('m', T0, T0 + 3 * MINUTE)).map((f) => f.version)).toEqual(['2', '3']);
        expect((await stores.feedback.joined('m', T0, T0 + 3 * MINUTE, '3')).map((f) => f.predictedAt)).toEqual([T0 + 2 * MINUTE]);
        expect(await stores.feedback.joined('m', T0, T0 + MINUTE)).toHaveLength(1);
        expect(await stores.feedback.countWaiting('m', T0, T0 + MINUTE)).toBe(0);
        expect(await stores.feedback.countWaiting('n', T0, T0 + MINUTE)).toBe(1);
        await stores.feedback.deleteReceivedBefore(T0 + 1);
        expect(await stores.feedback.countWaiting('n', T0, T0 + MINUTE)).toBe(0);
        expect(await stores.feedback.joined('m', T0, T0 + 3 * MINUTE)).toEqual([]);
      });
    });

    describe('alerts', () => {
      it('adds rules once per id, lists them in the order added, and removes a rule with its alerts', async () => {
        expect(await stores.alerts.addRule({ id: 'b', rule: '{"type":"error_rate"}', createdAt: iso(T0) })).toBe(true);
        expect(await stores.alerts.addRule({ id: 'a', rule: '{"type":"drift_share"}', createdAt: iso(T0 + 1) })).toBe(true);
        expect(await stores.alerts.addRule({ id: 'a', rule: '{}', createdAt: iso(T0 + 2) })).toBe(false);
        expect(await stores.alerts.listRules()).toEqual([
          { id: 'b', rule: '{"type":"error_rate"}', createdAt: iso(T0) },
          { id: 'a', rule: '{"type":"drift_share"}', createdAt: iso(T0 + 1) },
        ]);
        const alert = { ruleId: 'a', model: 'm', state: 'firing' as const, since: iso(T0), version: '1', value: 0.5, threshold: 0.3, updatedAt: iso(T0), details: '{}' };
        await stores.alerts.putAlert(alert);
        await stores.alerts.putAlert({ ...alert, ruleId: 'b' });
        await stores.alerts.removeRule('a');
        expect((await stores.alerts.listRules()).map((r) => r.id)).toEqual(['b']);
        expect((await stores.alerts.listAlerts()).map((a) => a.ruleId)).toEqual(['b']);
      });

      it('keeps one state per rule and model: fired, measured, resolved, and pruned once resolved long enough', async () => {
        const alert = { ruleId: 'r', model: 'm', state: 'firing' as const, since: iso(T0), version: null, value: 0.5, threshold: 0.3, updatedAt: iso(T0), details: '{"name":"r"}' };
        await stores.alerts.putAlert(alert);
        await stores.alerts.putAlert({ ...alert, model: 'n', since: iso(T0 + 1) });
        await stores.alerts.putAlert({ ...alert, value: 0.7 });
        await stores.alerts.updateAlert('r', 'm', { version: '2', value: 0.6, threshold: 0.3, updatedAt: iso(T0 + MINUTE) });
        expect(await stores.alerts.listAlerts('firing')).toEqual(
          expect.arrayContaining([{ ...alert, version: '2', value: 0.6, updatedAt: iso(T0 + MINUTE) }, { ...alert, model: 'n', since: iso(T0 + 1) }]),
        );
        await stores.alerts.updateAlert('r', 'm', { version: '2', value: 0.1, threshold: 0.3, updatedAt: iso(T0 + 2 * MINUTE) }, { state: 'resolved', since: iso(T0 + 2 * MINUTE) });
        expect(await stores.alerts.listAlerts('resolved')).toEqual([{ ...alert, state: 'resolved', since: iso(T0 + 2 * MINUTE), version: '2', value: 0.1, updatedAt: iso(T0 + 2 * MINUTE) }]);
        await stores.alerts.deleteResolvedBefore(T0 + 2 * MINUTE);
        expect(await stores.alerts.listAlerts()).toHaveLength(2);
        await stores.alerts.deleteResolvedBefore(T0 + 3 * MINUTE);
        expect((await stores.alerts.listAlerts()).map((a) => a.model)).toEqual(['n']);
        await stores.alerts.deleteAlertsOf('r');
        expect(await stores.alerts.listAlerts()).toEqual([]);
      });
    });

    describe('leases', () => {
      it('gives a lease to one holder until it expires or is released', async () => {
        expect(await stores.leases.acquire('work', 'a', MINUTE, T0)).toBe(true);
        expect(await stores.leases.acquire('work', 'b', MINUTE, T0 + 1000)).toBe(false);
        expect(await stores.leases.acquire('other', 'b', MINUTE, T0 + 1000)).toBe(true);
        // The holder renews; another takes it only once it has expired.
        expect(await stores.leases.acquire('work', 'a', MINUTE, T0 + 30_000)).toBe(true);
        expect(await stores.leases.acquire('work', 'b', MINUTE, T0 + 80_000)).toBe(false);
        expect(await stores.leases.acquire('work', 'b', MINUTE, T0 + 90_001)).toBe(true);
        expect(await stores.leases.acquire('work', 'a', MINUTE, T0 + 90_002)).toBe(false);
        await stores.leases.release('work', 'a');
        expect(await stores.leases.acquire('work', 'a', MINUTE, T0 + 90_003)).toBe(false);
        await stores.leases.release('work', 'b');
        expect(await stores.leases.acquire('work', 'a', MINUTE, T0 + 90_004)).toBe(true);
      });
    });
  });
}
