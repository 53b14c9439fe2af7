/**
 * The rollout runner on every metadata-store backend, driven by the test's clock and explicit
 * ticks (no sleeping): a real registry with its deployments, the monitor's real windows (the
 * requests each version answered are recorded as the data plane records them), the lease store,
 * and alerts delivered to a real webhook on loopback. Two runners over one database stand for two
 * replicas. Serving real ONNX models through a rollout is test/serve/rollout-serving.test.ts.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registryReferenceSource } from '../../src/app/registry-reference-source.js';
import { registryTraffic } from '../../src/app/rollouts/registry-traffic.js';
import { monitorFigureSource } from '../../src/app/rollouts/rollout-figures.js';
import { RolloutRunner } from '../../src/app/rollouts/rollout-runner.js';
import { Rollouts } from '../../src/app/rollouts/rollouts.js';
import { MonitorService } from '../../src/monitor/index.js';
import { type Registry, openRegistry } from '../../src/registry/index.js';
import { KyselyLeaseStore, RolloutStore, monitorStores } from '../../src/store/index.js';
import { monitorConfig } from '../monitor/monitor-helpers.js';
import { ONNX_FIXTURES, STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

const SECOND = 1000;
const ACTOR = { interface: 'test', actor: 'vitest' };

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`rollout runner on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    let registry: Registry;
    let webhook: Server;
    let alerts: Record<string, unknown>[];
    const clock = { now: Date.parse('2026-06-01T12:00:00.000Z') };
    const monitors: MonitorService[] = [];
    const runners: RolloutRunner[] = [];

    beforeEach(async () => {
      location = backend.create();
      registry = await openRegistry({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema, actor: ACTOR });
      await registry.register(ONNX_FIXTURES.relu, { name: 'm', aliases: ['production'] });
      await registry.register(ONNX_FIXTURES.sign, { name: 'm' });
      alerts = [];
      webhook = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          alerts.push(JSON.parse(body) as Record<string, unknown>);
          response.end();
        });
      });
      await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => {
      await Promise.all(runners.splice(0).map((r) => r.close()));
      await Promise.all(monitors.splice(0).map((m) => m.close()));
      await new Promise((resolve) => webhook.close(resolve));
      await registry.close();
      await location.cleanup();
    });

    /** One replica: its monitor (windows on the test's clock) and its runner. */
    function replica(name: string) {
      const address = webhook.address() as { port: number };
      const monitor = new MonitorService({
        stores: monitorStores(registry.store, { logWriter: false, blobs: registry.blobs }),
        config: monitorConfig({ replicaId: name, sampleRate: 0, webhooks: [`http://127.0.0.1:${address.port}/hook`], webhookAllowPrivate: ['127.0.0.1'] }),
        references: registryReferenceSource(registry),
        now: () => clock.now,
        timers: false,
      });
      monitors.push(monitor);
      const traffic = registryTraffic(registry);
      const runner = new RolloutRunner({
        store: new RolloutStore(registry.store.db),
        leases: new KyselyLeaseStore(registry.store.db),
        traffic,
        figures: monitorFigureSource(monitor.reports),
        production: async (model) => (await registry.getModel(model)).aliases.production,
        notify: (notification) => monitor.notify(notification),
        replica: name,
        now: () => clock.now,
      });
      runners.push(runner);
      const rollouts = new Rollouts({ registry, store: new RolloutStore(registry.store.db), traffic, now: () => clock.now });
      /** Records `n` requests answered by `version`, `failed` of them with a server error. */
      const answer = (version: number, n: number, failed = 0, latencyMs = 2) => {
        for (let i = 0; i < n; i++) {
          const ok = i >= failed;
          monitor.record({
            model: 'm',
            version: String(version),
            requestId: `${name}-${version}-${clock.now}-${i}`,
            at: clock.now,
            protocol: 'v2-rest',
            rows: ok ? 1 : 0,
            latencyMs,
            outcome: ok ? 'success' : 'server_error',
            ...(ok ? { outputs: { 'y[0]': [i % 2] } } : {}),
          });
        }
      };
      return { monitor, runner, rollouts, answer };
    }

    const advance = (ms: number) => {
      clock.now += ms;
    };

    it('tells of a pass that cannot read the running rollouts, and does not reject it (the timer does not await it)', async () => {
      // A replica whose connection to the database is gone.
      const gone = await openRegistry({ home: location.home, databaseUrl: location.databaseUrl, schema: location.schema, actor: ACTOR });
      const errors: [unknown, unknown][] = [];
      const { monitor } = replica('a');
      const runner = new RolloutRunner({
        store: new RolloutStore(gone.store.db),
        leases: new KyselyLeaseStore(gone.store.db),
        traffic: registryTraffic(registry),
        figures: monitorFigureSource(monitor.reports),
        production: () => Promise.resolve(undefined),
        replica: 'gone',
        now: () => clock.now,
        onError: (error, rollout) => errors.push([error, rollout]),
      });
      await gone.close();
      await expect(runner.tick()).resolves.toBeUndefined();
      expect(errors).toHaveLength(1);
      expect(errors[0]![0]).toBeInstanceOf(Error);
      expect(errors[0]![1]).toBeUndefined();
      await runner.close();
    });

    it('rolls a failing challenger back during its 10% step, records why and fires an alert', async () => {
      const a = replica('replica-a');
      const started = await a.rollouts.start('m', 2, { steps: '10,50,100', bake: '1m', interval: '10s', minRequests: 20, guards: ['error_rate<0.05', 'p99_ms<1.5x'] }, ACTOR);
      expect(started).toMatchObject({ state: 'running', champion: 1, challenger: 2, step: { index: -1 } });
      await a.runner.tick();
      expect(await registry.getDeployment('m')).toMatchObject({
        variants: [
          { version: 1, weight: 90 },
          { version: 2, weight: 10 },
        ],
        shadows: [],
      });

      // Too few requests to judge: the step waits, whatever they were.
      advance(10 * SECOND);
      a.answer(2, 5, 5);
      a.answer(1, 45);
      await a.runner.tick();
      let rollout = await a.rollouts.get('m', started.id);
      expect(rollout.state).toBe('running');
      expect(rollout.lastCheck).toMatchObject({ waiting: '5 of 20 requests', challenger: { requests: 5, errors: 5 } });
      expect(rollout.lastCheck!.guards.map((g) => g.status)).toEqual(['waiting', 'waiting']);

      advance(10 * SECOND);
      a.answer(2, 35, 9);
      a.answer(1, 315);
      await a.runner.tick();
      rollout = await a.rollouts.get('m', started.id);
      expect(rollout.state).toBe('rolled_back');
      expect(rollout.reason).toBe('guard error_rate<0.05 breached at step 10%: it was 0.35 (limit 0.05, champion 0) over 40 requests; traffic went back to the champion v1');
      expect(rollout.lastCheck!.guards[0]).toEqual({ guard: 'error_rate<0.05', status: 'breached', value: 0.35, limit: 0.05, champion: 0 });
      expect(rollout.events.map((e) => e.kind)).toEqual(['started', 'step', 'rolled_back']);
      expect(await registry.getDeployment('m')).toBeNull();
      expect((await registry.getModel('m')).aliases.production).toBe(1);

      await a.monitor.close();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        type: 'berth.alert',
        state: 'firing',
        rule: { type: 'rollout_guard' },
        model: 'm',
        version: '2',
        value: 0.35,
        threshold: 0.05,
        rollout: { id: started.id, champion: 1, challenger: 2, state: 'rolled_back', guard: 'error_rate<0.05' },
      });

      // It is over: later ticks change nothing, and a new rollout may start.
      advance(60 * SECOND);
      await a.runner.tick();
      expect(await registry.getDeployment('m')).toBeNull();
    });

    it('promotes a healthy challenger after every step has baked, holding each for its time', async () => {
      const a = replica('replica-a');
      const { id } = await a.rollouts.start('m', 2, { steps: '10,100', bake: '30s', interval: '10s', minRequests: 20, guards: ['error_rate<0.05', 'drift<0.2'] }, ACTOR);
      await a.runner.tick();
      advance(10 * SECOND);
      a.answer(2, 30);
      a.answer(1, 270);
      await a.runner.tick();
      let rollout = await a.rollouts.get('m', id);
      expect(rollout.lastCheck).toMatchObject({ waiting: '20s of bake time left' });
      expect(rollout.lastCheck!.guards.map((g) => g.status)).toEqual(['ok', 'ok']);

      advance(20 * SECOND);
      await a.runner.tick();
      expect(await registry.getDeployment('m')).toMatchObject({ variants: [{ version: 2, weight: 100 }] });
      rollout = await a.rollouts.get('m', id);
      expect(rollout.step).toMatchObject({ index: 1, name: '100%' });

      advance(30 * SECOND);
      a.answer(2, 25);
      await a.runner.tick();
      rollout = await a.rollouts.get('m', id);
      expect(rollout.state).toBe('succeeded');
      expect(rollout.events.map((e) => e.kind)).toEqual(['started', 'step', 'step', 'step', 'promoted']);
      expect((await registry.getModel('m')).aliases.production).toBe(2);
      expect(await registry.getDeployment('m')).toBeNull();
      // The promotion is one audited change by the rollout.
      const [last] = await registry.auditLog({ model: 'm', order: 'desc', limit: 1 });
      expect(last).toMatchObject({ interface: 'rollout' });
      await a.monitor.close();
      expect(alerts).toEqual([]);
    });

    it('runs on one replica at a time; when that replica dies, another takes the lease over and goes on', async () => {
      const a = replica('replica-a');
      const b = replica('replica-b');
      const { id } = await a.rollouts.start('m', 2, { steps: '10,100', bake: '0', interval: '10s', minRequests: 20 }, ACTOR);
      await a.runner.tick();
      await b.runner.tick();
      let rollout = await a.rollouts.get('m', id);
      expect(rollout.events.filter((e) => e.kind === 'step').map((e) => e.replica)).toEqual(['replica-a']);

      // A stops without giving its lease up; B cannot step until the lease (3 intervals) lapses.
      advance(10 * SECOND);
      b.answer(2, 25);
      b.answer(1, 200);
      await b.runner.tick();
      expect((await a.rollouts.get('m', id)).step.index).toBe(0);
      advance(25 * SECOND);
      await b.runner.tick();
      rollout = await a.rollouts.get('m', id);
      expect(rollout.events.map((e) => [e.kind, e.replica])).toEqual([
        ['started', undefined],
        ['step', 'replica-a'],
        ['takeover', 'replica-b'],
        ['step', 'replica-b'],
      ]);
      expect(rollout.step.index).toBe(1);
      advance(10 * SECOND);
      b.answer(2, 25);
      await b.runner.tick();
      expect((await a.rollouts.get('m', id)).state).toBe('succeeded');
      expect((await registry.getModel('m')).aliases.production).toBe(2);
    });

    it('stops at an abort: traffic back to the champion, and the runner moves nothing after', async () => {
      const a = replica('replica-a');
      const { id } = await a.rollouts.start('m', 2, { steps: '10,50,100', bake: '0', interval: '10s', minRequests: 1 }, ACTOR);
      await a.runner.tick();
      expect(await registry.getDeployment('m')).not.toBeNull();
      const aborted = await a.rollouts.abort('m', ACTOR);
      expect(aborted).toMatchObject({ id, state: 'aborted', reason: 'aborted by vitest (test)' });
      expect(await registry.getDeployment('m')).toBeNull();
      advance(10 * SECOND);
      a.answer(2, 10);
      await a.runner.tick();
      expect(await registry.getDeployment('m')).toBeNull();
      await expect(a.rollouts.abort('m', ACTOR)).rejects.toMatchObject({ code: 'BERTH_ROLLOUT_NOT_RUNNING' });
    });

    it('fails when production or the deployment is changed under it, and refuses what cannot start', async () => {
      const a = replica('replica-a');
      await registry.register(ONNX_FIXTURES.shrink, { name: 'm' });
      const { id } = await a.rollouts.start('m', 2, { steps: '10,100', bake: '0', interval: '10s', minRequests: 1 }, ACTOR);
      await expect(a.rollouts.start('m', 3, {}, ACTOR)).rejects.toMatchObject({ code: 'BERTH_ROLLOUT_ALREADY_RUNNING' });
      await expect(a.rollouts.rollback('m', { actor: ACTOR })).rejects.toMatchObject({ code: 'BERTH_ROLLOUT_RUNNING' });
      await a.runner.tick();
      await registry.setAlias('m', 'production', 3);
      advance(10 * SECOND);
      await a.runner.tick();
      const failed = await a.rollouts.get('m', id);
      expect(failed).toMatchObject({ state: 'failed', reason: 'production was moved to v3 during the rollout; the rollout stopped and its split was removed' });
      expect(await registry.getDeployment('m')).toBeNull();

      const before = await registry.changeSequence();
      await expect(a.rollouts.start('m', 3, {}, ACTOR)).rejects.toMatchObject({ code: 'BERTH_ROLLOUT_CHALLENGER_INVALID', message: expect.stringContaining('already the production version') });
      await expect(a.rollouts.start('m', 9, {}, ACTOR)).rejects.toMatchObject({ code: 'BERTH_REGISTRY_VERSION_NOT_FOUND' });
      await expect(a.rollouts.start('nope', 2, {}, ACTOR)).rejects.toMatchObject({ code: 'BERTH_REGISTRY_MODEL_NOT_FOUND' });
      await expect(a.rollouts.start('m', 2, { guards: ['p99<5'] }, ACTOR)).rejects.toMatchObject({ code: 'BERTH_ROLLOUT_GUARD_INVALID' });
      await registry.setDeployment('m', { variants: [{ version: 3, weight: 50 }, { version: 2, weight: 50 }] });
      await expect(a.rollouts.start('m', 2, {}, ACTOR)).rejects.toMatchObject({ code: 'BERTH_ROLLOUT_CHALLENGER_INVALID', message: expect.stringContaining('already has a deployment') });
      expect((await a.rollouts.list('m')).map((r) => r.state)).toEqual(['failed']);
      expect(await registry.changeSequence()).toBe(before + 1);
    });
  });
}
