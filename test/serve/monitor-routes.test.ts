/**
 * The monitoring routes of the management API on a bare Fastify instance over a real store (and a
 * real registry version carrying the reference profile and training metrics): every route of
 * docs/api.md's Monitoring section, and their catalogue errors.
 */
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorService } from '../../src/monitor/index.js';
import { errorBody, toBerthError } from '../../src/serve/http/error-reply.js';
import { registerMonitorRoutes } from '../../src/serve/http/monitor-routes.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { event, monitorConfig, referenceProfile, registerProfiled, registryReferences, SCHEMA, storeOn } from '../monitor/monitor-helpers.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`monitoring routes on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function app(): Promise<{ app: FastifyInstance; monitor: MonitorService; clock: { now: number } }> {
      const at = await storeOn(backend);
      await registerProfiled(at.store, at.location.home, { name: 'm', profile: referenceProfile(), metrics: { accuracy: 0.8, macroF1: 0.7, rocAuc: 0.9 }, aliases: ['production'] });
      await registerProfiled(at.store, at.location.home, { name: 'bare' });
      const clock = { now: T0 };
      const monitor = new MonitorService({
        stores: monitorStores(at.store, { logWriter: false, blobs: new FileBlobStore(join(at.location.home, 'blobs')) }),
        config: monitorConfig({ windowMs: 60_000, sampleRate: 1, rules: [{ id: 'from-config', type: 'error_rate', threshold: 0.5, minRows: 1 }] }),
        references: registryReferences(at.store, at.location.home),
        schemaFor: () => SCHEMA,
        now: () => clock.now,
        timers: false,
      });
      const fastify = Fastify();
      fastify.setErrorHandler((error, request, reply) => {
        const berthError = toBerthError(error, request.id, 1 << 20);
        return reply.code(berthError.httpStatus).send(errorBody(berthError));
      });
      await fastify.register(async (api) => registerMonitorRoutes(api, { monitor }), { prefix: '/api' });
      cleanups.push(async () => {
        await fastify.close();
        await monitor.close();
        await at.cleanup();
      });
      return { app: fastify, monitor, clock };
    }

    it('answers drift, drift history, traffic and the sampled requests', async () => {
      const { app: api, monitor, clock } = await app();
      for (let i = 0; i < 40; i++) monitor.record(event(T0 + i * 3000, { model: 'm', requestId: `q${i}` }));
      monitor.record(event(T0 + 1000, { model: 'm', requestId: 'bad', outcome: 'client_error', rows: 0, features: undefined, outputs: undefined }));
      clock.now = T0 + 5 * 60_000;
      await monitor.flush();

      const drift = await api.inject({ method: 'GET', url: '/api/models/m/monitor/drift?from=1h' });
      expect(drift.statusCode).toBe(200);
      const report = drift.json();
      expect(report).toMatchObject({ model: 'm', version: '1', rows: 40, reference: { rows: 200 }, datasetDrift: false });
      expect(Object.keys(report)).toEqual(expect.arrayContaining(['from', 'to', 'features', 'predictionDrift', 'driftedShare']));
      expect(report.features[0]).toEqual(expect.objectContaining({ name: 'age', kind: 'numeric', method: expect.any(String), statistic: expect.any(Number), threshold: expect.any(Number), drifted: expect.any(Boolean) }));
      expect(report.features[0]).toHaveProperty('pValue');

      const byMethod = (await api.inject({ method: 'GET', url: '/api/models/m/monitor/drift?from=1h&method=psi&version=1' })).json();
      expect(byMethod.features.map((f: { method: string }) => f.method)).toEqual(['psi', 'psi']);

      const history = (await api.inject({ method: 'GET', url: '/api/models/m/monitor/drift/history?from=1h&step=30m' })).json();
      expect(history.points.map((p: { rows: number }) => p.rows)).toEqual([0, 40, 0]);
      expect(history.points[1]).toMatchObject({ from: expect.any(String), to: expect.any(String), driftedShare: expect.any(Number), features: { age: { statistic: expect.any(Number), drifted: expect.any(Boolean) } } });

      const traffic = (await api.inject({ method: 'GET', url: '/api/models/m/monitor/traffic?from=1h&step=1h' })).json();
      expect(traffic.points[0]).toMatchObject({ requests: 41, rows: 40, errors: 1, latencyMs: { p50: expect.any(Number), p99: expect.any(Number) } });

      const requests = (await api.inject({ method: 'GET', url: '/api/models/m/monitor/requests?limit=2' })).json();
      expect(requests.requests.map((r: { requestId: string }) => r.requestId)).toEqual(['q39', 'q38']);
      expect(requests.requests[0]).toMatchObject({ at: expect.any(String), version: '1', inputs: [{ age: expect.any(Number) }], outputs: [{ label: expect.any(String) }] });
    });

    it('joins feedback and answers performance against the training metrics', async () => {
      const { app: api, monitor, clock } = await app();
      monitor.record(event(T0, { model: 'm', requestId: 'a', outputs: { label: ['yes'], probability_yes: [0.9] } }));
      monitor.record(event(T0, { model: 'm', requestId: 'b', outputs: { label: ['no'], probability_yes: [0.2] } }));
      const one = await api.inject({ method: 'POST', url: '/api/models/m/feedback', payload: { requestId: 'a', actual: 'yes' } });
      expect(one.json()).toEqual({ accepted: 1, unknown: [], rejected: [] });
      const list = await api.inject({ method: 'POST', url: '/api/models/m/feedback', payload: [{ requestId: 'b', actual: 'yes' }, { requestId: 'zzz', actual: 'no' }] });
      expect(list.json()).toEqual({ accepted: 1, unknown: ['zzz'], rejected: [] });
      const bad = await api.inject({ method: 'POST', url: '/api/models/m/feedback', payload: { actual: 'yes' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().code).toBe('BERTH_MONITOR_FEEDBACK_INVALID');

      clock.now = T0 + 60_000;
      const performance = (await api.inject({ method: 'GET', url: '/api/models/m/monitor/performance?from=1h&step=1h' })).json();
      expect(performance).toMatchObject({ task: 'classification', training: { accuracy: 0.8, f1: 0.7, rocAuc: 0.9 }, unmatched: 1, overall: { rows: 2, accuracy: 0.5 } });
      expect(performance.points[0]).toMatchObject({ from: expect.any(String), to: expect.any(String), rows: 2, accuracy: 0.5, f1: expect.any(Number) });
    });

    it('lists, adds and deletes alert rules, and lists alerts', async () => {
      const { app: api, monitor } = await app();
      const rules = (await api.inject({ method: 'GET', url: '/api/alerts/rules' })).json();
      expect(rules.rules).toMatchObject([{ id: 'from-config', source: 'config', type: 'error_rate' }]);
      const created = await api.inject({ method: 'POST', url: '/api/alerts/rules', payload: { id: 'm-errors', model: 'm', type: 'error_rate', threshold: 0.2, minRows: 1, window: '10m' } });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ id: 'm-errors', source: 'api' });
      const invalid = await api.inject({ method: 'POST', url: '/api/alerts/rules', payload: { type: 'error_rate' } });
      expect([invalid.statusCode, invalid.json().code]).toEqual([400, 'BERTH_MONITOR_RULE_INVALID']);
      const conflict = await api.inject({ method: 'DELETE', url: '/api/alerts/rules/from-config' });
      expect([conflict.statusCode, conflict.json().code]).toEqual([409, 'BERTH_MONITOR_RULE_CONFLICT']);
      const missing = await api.inject({ method: 'DELETE', url: '/api/alerts/rules/nope' });
      expect([missing.statusCode, missing.json().code]).toEqual([404, 'BERTH_MONITOR_RULE_NOT_FOUND']);

      monitor.record(event(T0, { model: 'm', outcome: 'server_error', rows: 0, features: undefined, outputs: undefined }));
      await monitor.evaluateAlerts();
      const firing = (await api.inject({ method: 'GET', url: '/api/alerts?state=firing' })).json();
      expect([...firing.alerts].sort((a: { rule: string }, b: { rule: string }) => a.rule.localeCompare(b.rule))).toEqual([
        expect.objectContaining({ rule: 'from-config', model: 'm', state: 'firing', since: expect.any(String), value: 1, threshold: 0.5 }),
        expect.objectContaining({ rule: 'm-errors', model: 'm', state: 'firing', value: 1, threshold: 0.2 }),
      ]);
      expect((await api.inject({ method: 'GET', url: '/api/alerts?state=resolved' })).json()).toEqual({ alerts: [] });
      expect((await api.inject({ method: 'GET', url: '/api/alerts?state=odd' })).statusCode).toBe(400);
      const deleted = await api.inject({ method: 'DELETE', url: '/api/alerts/rules/m-errors' });
      expect(deleted.json()).toMatchObject({ id: 'm-errors' });
      expect((await api.inject({ method: 'GET', url: '/api/alerts' })).json().alerts.map((a: { rule: string }) => a.rule)).toEqual(['from-config']);
    });

    it('answers catalogue errors: no profile, unknown model, bad range, bad method', async () => {
      const { app: api, monitor } = await app();
      monitor.record(event(T0, { model: 'bare' }));
      const cases: [string, number, string][] = [
        ['/api/models/bare/monitor/drift', 409, 'BERTH_MONITOR_PROFILE_MISSING'],
        ['/api/models/ghost/monitor/drift', 404, 'BERTH_REGISTRY_MODEL_NOT_FOUND'],
        ['/api/models/m/monitor/traffic?from=soon', 400, 'BERTH_MONITOR_RANGE_INVALID'],
        ['/api/models/m/monitor/drift/history?step=1s', 400, 'BERTH_MONITOR_RANGE_INVALID'],
        ['/api/models/m/monitor/drift?method=magic', 400, 'BERTH_MONITOR_OPTION_INVALID'],
        ['/api/models/m/monitor/requests?limit=5000', 400, 'BERTH_REQUEST_INVALID'],
        // A version is a whole number from 1 up, as in every model reference (core/model-ref.ts).
        ['/api/models/m/monitor/traffic?version=abc', 400, 'BERTH_REGISTRY_REFERENCE_INVALID'],
        ['/api/models/m/monitor/drift?version=01', 400, 'BERTH_REGISTRY_REFERENCE_INVALID'],
      ];
      for (const [url, status, code] of cases) {
        const response = await api.inject({ method: 'GET', url });
        expect([url, response.statusCode, response.json().code]).toEqual([url, status, code]);
      }
      const noProfile = await api.inject({ method: 'GET', url: '/api/models/bare/monitor/drift' });
      expect(noProfile.json().error).toMatch(/berth train.*--reference/);
    });
  });
}
