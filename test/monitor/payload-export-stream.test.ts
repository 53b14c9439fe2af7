/**
 * The payload export (monitor/payload-export-stream.ts) through the monitoring service, on every
 * store backend, with the service's clock: six hours of logged requests in several segments,
 * feedback for half of them, exported as JSON Lines and CSV; the truth is read a minute at a
 * time, so it must still reach every row of a long range.
 */
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { v7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorService } from '../../src/monitor/index.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { event, memoryReferences, monitorConfig, referenceProfile, SCHEMA, storeOn } from './monitor-helpers.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const MINUTE = 60_000;

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`the payload export on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A monitor logging every payload into a fresh store on this backend, on a clock the test moves. */
    async function loggingMonitor(): Promise<{ clock: { now: number }; monitor: MonitorService }> {
      const at = await storeOn(backend);
      const clock = { now: T0 };
      const monitor = new MonitorService({
        stores: monitorStores(at.store, { logWriter: false, blobs: new FileBlobStore(join(at.location.home, 'blobs')) }),
        config: monitorConfig({ windowMs: MINUTE, replicaId: 'replica-1', sampleRate: 0, payloads: { rate: 1 } }),
        references: memoryReferences({ 'm:1': { profile: referenceProfile() } }, { m: '1' }),
        schemaFor: () => SCHEMA,
        now: () => clock.now,
        timers: false,
      });
      cleanups.push(async () => {
        await monitor.close();
        await at.cleanup();
      });
      return { clock, monitor };
    }

    it('exports every logged row of a long range with its truth, as JSON Lines and as CSV, labelled only and limited', async () => {
      const { clock, monitor } = await loggingMonitor();
      // 40 requests 9 minutes apart, sealed ten to a segment; the truth of every other one.
      const sent = Array.from({ length: 40 }, (_, i) => ({ requestId: v7({ msecs: T0 + i * 9 * MINUTE }), at: T0 + i * 9 * MINUTE, age: 20 + i }));
      for (const [i, s] of sent.entries()) {
        clock.now = s.at;
        monitor.record(event(s.at, { requestId: s.requestId, features: { age: [s.age], region: [i % 2 ? 'north' : 'south'] } }));
        if (i % 10 === 9) await monitor.flush();
      }
      const truth = sent.filter((_, i) => i % 2 === 0).map((s) => ({ requestId: s.requestId, actual: s.age % 3 === 0 ? 'yes' : 'no' }));
      expect(await monitor.feedback('m', truth)).toMatchObject({ accepted: 20, unknown: [] });
      clock.now = T0 + 7 * 60 * MINUTE;

      const jsonl = await monitor.payloadExport('m', { since: '8h' }, 'jsonl');
      expect([jsonl.from, jsonl.to]).toEqual([T0 - MINUTE * 60, clock.now + 1]);
      const lines = (await text(jsonl.stream)).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(jsonl.counts).toEqual({ rows: 40, labelled: 20 });
      expect(Object.keys(lines[0]!)).toEqual(['request_id', 'row', 'at', 'version', 'age', 'region', 'prediction_label', 'prediction_probability_yes', 'actual']);
      expect(lines.map((l) => l.request_id)).toEqual(sent.map((s) => s.requestId));
      expect(lines.map((l) => l.at)).toEqual(sent.map((s) => new Date(s.at).toISOString()));
      expect(lines.map((l) => l.age)).toEqual(sent.map((s) => s.age));
      expect(lines.map((l) => l.actual)).toEqual(sent.map((s, i) => (i % 2 === 0 ? (s.age % 3 === 0 ? 'yes' : 'no') : null)));

      const csv = await monitor.payloadExport('m', { since: new Date(T0).toISOString(), until: new Date(T0 + 90 * MINUTE).toISOString(), labelled: 'true' }, 'csv');
      const rows = parse(await text(csv.stream), { columns: true }) as Record<string, string>[];
      // [T0, T0 + 90 min) holds requests 0 to 9, of which the even ones have the truth.
      expect(rows.map((r) => r.request_id)).toEqual(sent.slice(0, 10).filter((_, i) => i % 2 === 0).map((s) => s.requestId));
      expect(rows.every((r) => r.actual === 'yes' || r.actual === 'no')).toBe(true);
      expect(csv.counts).toEqual({ rows: 5, labelled: 5 });

      const limited = await monitor.payloadExport('m', { limit: '3' }, 'jsonl');
      expect((await text(limited.stream)).trimEnd().split('\n')).toHaveLength(3);
      await expect(monitor.payloadExport('m', { limit: '-1' }, 'csv')).rejects.toThrow(expect.objectContaining({ code: 'BERTH_REQUEST_INVALID' }));
      await expect(monitor.payloadExport('m', { since: '1h', until: '2h' }, 'csv')).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RANGE_INVALID' }));
    });

    it('reads rows only as its reader takes them: a reader that stops after the first rows leaves the rest unread', async () => {
      const { clock, monitor } = await loggingMonitor();
      for (let i = 0; i < 5000; i++) monitor.record(event(T0 + i * 10, { requestId: v7({ msecs: T0 + i * 10 }) }));
      await monitor.flush();
      clock.now = T0 + 60 * MINUTE;
      const exported = await monitor.payloadExport('m', {}, 'csv');
      // The header, then the first rows.
      const taken: string[] = [];
      for await (const chunk of exported.stream) {
        taken.push(String(chunk));
        if (taken.length === 2) break;
      }
      expect(taken[0]).toMatch(/^request_id,row,at,version,age,region/);
      expect(taken[1]!.split('\n').length).toBeGreaterThan(1);
      // The stream stops at its buffer's bound instead of reading the whole range ahead of its reader.
      expect(exported.counts.rows).toBeGreaterThan(0);
      expect(exported.counts.rows).toBeLessThan(2500);
      const all = await monitor.payloadExport('m', {}, 'jsonl');
      await text(all.stream);
      expect(all.counts.rows).toBe(5000);
    });
  });
}
