/**
 * A crash loses seconds of monitoring, not the open window: what an open window holds is written
 * every `openWindowFlushMs` and merged into the stored window, without counting anything twice.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorService } from '../../src/monitor/index.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { event, memoryReferences, monitorConfig, referenceProfile, SCHEMA, storeOn } from './monitor-helpers.js';

const MINUTE = 60_000;
const T0 = Date.parse('2025-06-01T12:00:00.000Z');

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`open windows on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('writes the open window every openWindowFlushMs, so a replica killed then loses only what came since', async () => {
      const at = await storeOn(backend);
      const clock = { now: T0 };
      const references = memoryReferences({ 'm:1': { profile: referenceProfile() } }, { m: '1' });
      const services: MonitorService[] = [];
      const service = async (replica: string) => {
        const monitor = new MonitorService({
          stores: monitorStores(services.length === 0 ? at.store : await at.open(), { logWriter: false, blobs: new FileBlobStore(join(at.location.home, 'blobs')) }),
          config: monitorConfig({ windowMs: 10 * MINUTE, openWindowFlushMs: 5000, replicaId: replica, sampleRate: 0 }),
          references,
          schemaFor: () => SCHEMA,
          now: () => clock.now,
          timers: false,
        });
        services.push(monitor);
        return monitor;
      };
      cleanups.push(async () => {
        await Promise.all(services.map((s) => s.close()));
        await at.cleanup();
      });
      const range = { from: new Date(T0).toISOString(), to: new Date(T0 + 10 * MINUTE).toISOString(), step: '10m' };
      const doomed = await service('doomed');
      for (let i = 0; i < 30; i++) doomed.record(event(T0 + i * 100));
      // Not yet openWindowFlushMs: nothing of the open window is written.
      clock.now = T0 + 4000;
      await doomed.flush();
      const reader = await service('reader');
      expect((await reader.reports.traffic('m', range)).points[0]).toMatchObject({ requests: 0 });
      clock.now = T0 + 6000;
      await doomed.flush();
      expect((await reader.reports.traffic('m', range)).points[0]).toMatchObject({ requests: 30, rows: 30 });
      // Five more, then the replica dies before its next flush: those five are what a crash loses.
      for (let i = 0; i < 5; i++) doomed.record(event(T0 + 7000 + i));
      expect((await reader.reports.traffic('m', range)).points[0]).toMatchObject({ requests: 30 });
      // The replica itself sees stored and open parts once each, and its next flush counts nothing twice.
      expect((await doomed.reports.traffic('m', range)).points[0]).toMatchObject({ requests: 35 });
      clock.now = T0 + 12_000;
      await doomed.flush();
      expect((await reader.reports.traffic('m', range)).points[0]).toMatchObject({ requests: 35, rows: 35 });
      const drift = await reader.reports.drift('m', { from: range.from, to: range.to });
      expect(drift.rows).toBe(35);
    });
  });
}
