/**
 * A shadow's copies are recorded into windows of their own (role `shadow`): per version they have
 * requests, latency and drift like any traffic, but they are never the model's served traffic,
 * in memory or stored, and one version's shadow copies and answers stay apart in one window.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorService, versionFigures } from '../../src/monitor/index.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { event, memoryReferences, monitorConfig, referenceProfile, SCHEMA, storeOn } from './monitor-helpers.js';

const MINUTE = 60_000;
const T0 = Date.parse('2025-06-01T12:00:00.000Z');

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`shadow windows on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it("keeps a shadow's copies per version, apart from the traffic the model answered", async () => {
      const at = await storeOn(backend);
      const clock = { now: T0 };
      const references = memoryReferences({ 'm:1': { profile: referenceProfile() }, 'm:2': { profile: referenceProfile() } }, { m: '1' });
      const services: MonitorService[] = [];
      const service = async (replica: string) => {
        const monitor = new MonitorService({
          stores: monitorStores(services.length === 0 ? at.store : await at.open(), { logWriter: false, blobs: new FileBlobStore(join(at.location.home, 'blobs')) }),
          config: monitorConfig({ windowMs: 10 * MINUTE, replicaId: replica, sampleRate: 0 }),
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
      const recorder = await service('a');
      // Version 1 answers 20 requests; version 2 shadows 30 copies, one of them failed; version 1
      // also ran 5 copies as a shadow in the same window (a shadow becomes a variant mid-window).
      for (let i = 0; i < 20; i++) recorder.record(event(T0 + i * 100));
      for (let i = 0; i < 29; i++) recorder.recordShadow(event(T0 + i * 100, { version: '2', latencyMs: 40 }));
      recorder.recordShadow(event(T0 + 3000, { version: '2', outcome: 'server_error', rows: 0, features: undefined, outputs: undefined }));
      for (let i = 0; i < 5; i++) recorder.recordShadow(event(T0 + i * 100, { version: '1' }));

      const figures = async (monitor: MonitorService) => {
        const point = async (query: Record<string, unknown>) => (await monitor.reports.traffic('m', { ...range, ...query })).points[0]!;
        return {
          model: await point({}),
          v1: await point({ version: '1' }),
          v2: await point({ version: '2' }),
          v1Shadow: await point({ version: '1', role: 'shadow' }),
          v2Shadow: await point({ version: '2', role: 'shadow' }),
          driftV2Shadow: (await monitor.reports.drift('m', { from: range.from, to: range.to, version: '2', role: 'shadow' })).rows,
          driftModel: (await monitor.reports.drift('m', { from: range.from, to: range.to })).rows,
        };
      };
      const expected = (result: Awaited<ReturnType<typeof figures>>) => {
        // The model's traffic is what it answered: version 1's 20 requests, no copies.
        expect(result.model).toMatchObject({ requests: 20, rows: 20, errors: 0 });
        expect(result.v1).toMatchObject({ requests: 20 });
        expect(result.v2).toMatchObject({ requests: 0 });
        // Each shadow's copies, with their errors and latency, and drift over its rows.
        expect(result.v2Shadow).toMatchObject({ requests: 30, rows: 29, errors: 1, serverErrors: 1 });
        expect(result.v2Shadow.latencyMs.p50).toBe(40);
        expect(result.v1Shadow).toMatchObject({ requests: 5, rows: 5 });
        expect(result.driftV2Shadow).toBe(29);
        expect(result.driftModel).toBe(20);
      };
      // In this replica's memory, then stored and read by another replica.
      expected(await figures(recorder));
      // A deployment's figures side by side: the answers of version 1, the copies of shadow 2.
      const sideBySide = async (monitor: MonitorService) => {
        const [v1, v2] = await versionFigures(monitor.reports, 'm', [{ version: 1 }, { version: 2, role: 'shadow' }], '5m');
        expect(v1).toMatchObject({ requests: 20, errors: 0, errorRate: 0, drift: { datasetDrift: expect.any(Boolean) } });
        expect(v1!.latencyMs.p99).toBeGreaterThan(0);
        expect(v2).toMatchObject({ requests: 30, errors: 1, latencyMs: { p50: 40, p99: 40 } });
      };
      await sideBySide(recorder);
      await recorder.flush({ all: true });
      const reader = await service('reader');
      expected(await figures(reader));
      expected(await figures(recorder));
      await sideBySide(reader);
    });
  });
}
