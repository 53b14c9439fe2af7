/**
 * The training job store's contract, run against every metadata-store backend: SQLite files in
 * temporary folders, and PostgreSQL in a schema of its own when BERTH_TEST_POSTGRES_URL is set.
 * Two stores over one database stand for two replicas.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MetadataStore, type TrainingJobRow, TrainingJobStore, openMetadataStore, referencedDigests, stillReferenced } from '../../src/store/index.js';
import { STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

const T0 = '2026-01-01T00:00:00.000Z';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function queued(id: string, created: string, upload: string): TrainingJobRow {
  return {
    id,
    state: 'queued',
    created_at: created,
    started_at: null,
    finished_at: null,
    file: `${id}.csv`,
    target: 'y',
    name: id,
    options: '{"task":"auto","algorithm":"auto"}',
    progress: '{"stage":"queued","fraction":0,"message":"waiting"}',
    result: null,
    error: null,
    registered: null,
    upload_digest: upload,
    holder: null,
    heartbeat_at: null,
    revision: 1,
  };
}

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`training job store on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let location: StoreLocation;
    let stores: MetadataStore[];
    let a: TrainingJobStore;
    let b: TrainingJobStore;

    beforeEach(async () => {
      location = backend.create();
      const options = { home: location.home, databaseUrl: location.databaseUrl, schema: location.schema };
      stores = [await openMetadataStore(options), await openMetadataStore(options)];
      a = new TrainingJobStore(stores[0]!.db);
      b = new TrainingJobStore(stores[1]!.db);
    });
    afterEach(async () => {
      for (const s of stores) await s.close();
      await location.cleanup();
    });

    it('hands each queued job, oldest first, to exactly one of the replicas racing for it', async () => {
      for (let i = 0; i < 6; i++) await a.insert(queued(`job-${i}`, `2026-01-01T00:00:0${i}.000Z`, digest(i)));
      expect(await b.countQueued()).toBe(6);
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).claimNext(i % 2 === 0 ? 'replica-a' : 'replica-b', T0, (file) => `{"reading":"${file}"}`)),
      );
      const taken = claims.filter((c) => c !== undefined).map((c) => c!.id);
      expect(taken.sort()).toEqual(['job-0', 'job-1', 'job-2', 'job-3', 'job-4', 'job-5']);
      for (const claim of claims.filter((c) => c !== undefined)) {
        expect(claim).toMatchObject({ state: 'running', heartbeat_at: T0, started_at: T0, progress: `{"reading":"${claim!.id}.csv"}`, revision: 2 });
      }
      expect(await a.countQueued()).toBe(0);
      expect(await b.claimNext('replica-b', T0, () => '{}')).toBeUndefined();
      expect((await a.list()).map((j) => j.id)).toEqual(['job-5', 'job-4', 'job-3', 'job-2', 'job-1', 'job-0']);
    });

    it('keeps one retraining job per model queued or running, across replicas, and hands them only to those that run them', async () => {
      const retraining = (id: string, model: string): TrainingJobRow => ({ ...queued(id, T0, digest(90)), upload_digest: null, retrain_model: model });
      const inserted = await Promise.all([a.insertRetraining(retraining('r-1', 'loans')), b.insertRetraining(retraining('r-2', 'loans'))]);
      expect(inserted.filter(Boolean)).toHaveLength(1);
      expect(await a.insertRetraining(retraining('r-3', 'houses'))).toBe(true);
      await a.insert(queued('plain', '2026-01-01T00:00:01.000Z', digest(91)));
      const active = await b.activeRetraining('loans');
      expect(['r-1', 'r-2']).toContain(active?.id);
      // A replica without retraining takes only the plain job; one that runs only retraining, only those.
      expect((await a.claimNext('replica-a', T0, () => '{}', 'plain'))?.id).toBe('plain');
      expect(await a.claimNext('replica-a', T0, () => '{}', 'plain')).toBeUndefined();
      const claimed = await b.claimNext('replica-b', T0, () => '{}', 'retraining');
      expect(claimed?.retrain_model).toBeDefined();
      // Finishing a retraining job frees its model for the next one.
      const model = claimed!.retrain_model!;
      expect(await b.finish(claimed!.id, 'replica-b', { state: 'failed', finished_at: T0, error: '{}' })).toEqual({ upload: null });
      expect(await b.activeRetraining(model)).toBeUndefined();
      expect(await a.insertRetraining(retraining('r-4', model))).toBe(true);
    });

    it('keeps an upload whose data is kept referenced after its job finished', async () => {
      await a.insert({ ...queued('kept', T0, digest(80)), keep_data: 1 });
      await a.insert(queued('dropped', T0, digest(81)));
      for (const id of ['kept', 'dropped']) {
        await a.claimNext('replica-a', T0, () => '{}');
        await a.finish(id, 'replica-a', { state: 'succeeded', finished_at: T0, result: '{}' });
      }
      expect(await stillReferenced(stores[0]!.db, [digest(80), digest(81)])).toEqual(new Set([digest(80)]));
      expect((await referencedDigests(stores[0]!.db)).has(digest(81))).toBe(false);
    });

    it('lets only the holder write progress and the outcome, and fails a job only while its lease stays stale', async () => {
      await a.insert(queued('job', T0, digest(1)));
      const claimed = (await a.claimNext('replica-a', T0, () => '{}'))!;
      expect(await b.progress('job', 'replica-b', '{"fraction":0.5}', T0)).toBe(false);
      expect(await a.progress('job', 'replica-a', '{"fraction":0.5}', '2026-01-01T00:00:05.000Z')).toBe(true);
      expect(await a.get('job')).toMatchObject({ progress: '{"fraction":0.5}', heartbeat_at: '2026-01-01T00:00:05.000Z', revision: claimed.revision + 1 });
      expect(await a.renew('replica-a', ['job', 'other'], '2026-01-01T00:00:10.000Z')).toEqual(new Set(['job']));
      expect(await b.renew('replica-b', ['job'], '2026-01-01T00:00:10.000Z')).toEqual(new Set());

      expect(await b.stale('2026-01-01T00:00:10.000Z')).toEqual([]);
      const stale = await b.stale('2026-01-01T00:00:11.000Z');
      expect(stale.map((j) => j.id)).toEqual(['job']);
      // The holder came back meanwhile: the replica that saw it stale changes nothing.
      await a.renew('replica-a', ['job'], '2026-01-01T00:00:12.000Z');
      const outcome = { state: 'failed' as const, finished_at: '2026-01-01T00:00:13.000Z', error: '{"code":"BERTH_TRAINING_REPLICA_LOST"}' };
      expect(await b.failStale('job', stale[0]!.heartbeat_at!, outcome)).toBe(false);
      expect(await b.failStale('job', '2026-01-01T00:00:12.000Z', outcome)).toEqual({ upload: digest(1) });
      expect(await a.get('job')).toMatchObject({ state: 'failed', holder: 'replica-a', finished_at: '2026-01-01T00:00:13.000Z' });
      // The replica that lost its lease can no longer write anything.
      expect(await a.progress('job', 'replica-a', '{}', T0)).toBe(false);
      expect(await a.finish('job', 'replica-a', { state: 'succeeded', finished_at: T0, files: [{ path: 'berth.json', digest: digest(9), size: 1 }] })).toBe(false);
      expect(await a.files('job')).toEqual([]);
    });

    it('queues a running job again only while its holder or its stale lease still holds, keeping its model', async () => {
      await a.insert({ ...queued('again', T0, digest(70)), upload_digest: null, retrain_model: 'loans' });
      const claimed = (await a.claimNext('replica-a', T0, () => '{}'))!;
      const change = { options: '{"task":"auto","algorithm":"auto","retrain":{"restarts":1}}', progress: '{"stage":"queued","fraction":0,"message":"again"}' };
      expect(await b.requeue('again', { heartbeatAt: '2026-01-01T00:00:01.000Z' }, change)).toBe(false);
      expect(await b.requeue('again', { holder: 'replica-b' }, change)).toBe(false);
      expect(await b.requeue('again', { heartbeatAt: claimed.heartbeat_at! }, change)).toBe(true);
      expect(await a.get('again')).toMatchObject({ state: 'queued', holder: null, heartbeat_at: null, started_at: null, retrain_model: 'loans', ...change, revision: claimed.revision + 1 });
      // The replica that lost it can write nothing; another takes it, and hands it back.
      expect(await a.progress('again', 'replica-a', '{}', T0)).toBe(false);
      expect(await b.requeue('again', { heartbeatAt: claimed.heartbeat_at! }, change)).toBe(false);
      expect(await b.claimNext('replica-b', T0, () => '{}', 'retraining')).toMatchObject({ id: 'again', state: 'running', holder: 'replica-b' });
      expect(await a.requeue('again', { holder: 'replica-a' }, change)).toBe(false);
      expect(await b.requeue('again', { holder: 'replica-b' }, change)).toBe(true);
      expect(await a.get('again')).toMatchObject({ state: 'queued', holder: null, retrain_model: 'loans' });
    });

    it('keeps the blobs of unfinished uploads and kept bundles referenced, and evicts the oldest finished jobs', async () => {
      for (let i = 0; i < 3; i++) {
        await a.insert(queued(`job-${i}`, `2026-01-01T00:00:0${i}.000Z`, digest(i)));
        await a.claimNext('replica-a', T0, () => '{}');
        const files = [
          { path: 'berth.json', digest: digest(100 + i), size: 10 },
          { path: 'model/model.onnx', digest: digest(200), size: 20 },
        ];
        expect(await a.finish(`job-${i}`, 'replica-a', { state: 'succeeded', finished_at: `2026-01-01T00:01:0${i}.000Z`, result: '{}', files })).toEqual({ upload: digest(i) });
      }
      await a.insert(queued('waiting', '2026-01-01T00:00:09.000Z', digest(7)));
      expect(await a.files('job-1')).toEqual([
        { path: 'berth.json', digest: digest(101), size: 10 },
        { path: 'model/model.onnx', digest: digest(200), size: 20 },
      ]);
      expect(await referencedDigests(stores[1]!.db)).toEqual(new Set([digest(100), digest(101), digest(102), digest(200), digest(7)]));
      expect(await stillReferenced(stores[1]!.db, [digest(0), digest(7), digest(101), digest(999)])).toEqual(new Set([digest(7), digest(101)]));

      expect(await a.setRegistered('job-0', '{"model":"m","version":1}')).toBe(true);
      const released = await b.evict(1);
      expect(released.sort()).toEqual([digest(0), digest(1), digest(100), digest(101), digest(200)].sort());
      expect((await a.list()).map((j) => j.id)).toEqual(['waiting', 'job-2']);
      expect(await a.files('job-0')).toEqual([]);
      expect(await a.setRegistered('job-0', '{}')).toBe(false);
      expect(await b.evict(1)).toEqual([]);
    });
  });
}
