/**
 * Retraining on its own (app/retraining): kept training data, retraining jobs on training job
 * rows, the challenger judged against the champion, promotion, and the faults that fail a job
 * while the champion stays. Labelled traffic comes from the shared datasets through an in-memory
 * LabelledRowSource (test/helpers/labelled-rows.ts); the server's end-to-end test uses the real
 * payload log. Imported from dist/ because jobs train in worker threads (run `npm run build`).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Retraining } from '../../dist/app/retraining/retraining.js';
import type { TrainingJob, TrainingJobs as TrainingJobsType } from '../../dist/app/training-jobs.js';
import { TrainingJobs } from '../../dist/app/training-jobs.js';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { trainCommand } from '../../dist/cli/commands/train.js';
import { buildConfig } from '../../dist/core/config.js';
import { type Registry, openRegistry } from '../../dist/registry/index.js';
import { RetrainPolicyStore, TrainingJobStore } from '../../dist/store/index.js';
import { MemoryLabelledRows, labelledRowsOf } from '../helpers/labelled-rows.js';
import { tempDir } from '../helpers/models.js';
import { finished } from '../helpers/retraining-jobs.js';
import { startTestS3 } from '../helpers/s3-server.js';
import { DATASETS } from '../helpers/trained.js';

/** The clock of retraining: labelled rows are an hour old, well inside the default 7-day window. */
const NOW = Date.parse('2026-06-01T12:00:00Z');
const AN_HOUR_AGO = NOW - 3_600_000;

async function until(jobs: TrainingJobsType, id: string, reached: (job: TrainingJob) => boolean): Promise<TrainingJob> {
  let done: (job: TrainingJob) => void = () => undefined;
  const job = new Promise<TrainingJob>((resolve) => (done = resolve));
  const unsubscribe = await jobs.subscribe(id, (j) => reached(j) && done(j));
  try {
    return await job;
  } finally {
    unsubscribe();
  }
}

interface Setup {
  readonly registry: Registry;
  readonly labelled: MemoryLabelledRows;
  readonly retraining: Retraining;
  readonly jobs: TrainingJobsType;
}

function retrainingOver(registry: Registry, work: string, RetrainingClass: typeof Retraining = Retraining): Setup {
  const labelled = new MemoryLabelledRows();
  const retraining = new RetrainingClass({ registry, labelled, policies: new RetrainPolicyStore(registry.store.db), now: () => NOW });
  const jobs = new TrainingJobs({ config: buildConfig({}).training, db: registry.store.db, blobs: registry.blobs, workDir: join(work, 'jobs'), retraining });
  retraining.attach(jobs);
  return { registry, labelled, retraining, jobs };
}

describe('retraining', () => {
  const work = tempDir('berth-retraining-');
  const home = join(work, 'home');
  let setup: Setup;

  beforeAll(async () => {
    // The champion: berth train on the reference data, registered as production, its data kept.
    const config = buildConfig({ store: { home } });
    const trained = await trainCommand({ config, data: join(DATASETS, 'loans_reference.csv'), target: 'defaulted', name: 'loans', algorithm: 'gbdt', aliases: ['production'], keepData: true });
    expect(trained.keptData).not.toBeNull();
    // Another model whose data was not kept.
    await trainCommand({ config, data: join(DATASETS, 'loans_current_stable.csv'), target: 'defaulted', name: 'unkept', algorithm: 'linear', aliases: ['production'] });
    setup = retrainingOver(await openRegistry({ home }), work);
  });
  afterAll(async () => {
    await setup?.jobs.close();
    await setup?.registry.close();
  });

  it('keeps the training data of a version trained with --keep-data, by digest, and names it in lineage', async () => {
    const { registry } = setup;
    const bytes = readFileSync(join(DATASETS, 'loans_reference.csv'));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const kept = await registry.keptTrainingData('loans', 1);
    expect(kept).toMatchObject({ model: 'loans', version: 1, digest, size: bytes.length, rows: 20000 });
    expect((await registry.getVersion('loans', 1)).manifest.lineage).toMatchObject({ data: { blob: digest, rows: 20000 } });
    expect(await registry.blobs.stat(digest)).toMatchObject({ size: bytes.length });
    expect(await registry.keptTrainingData('unkept', 1)).toBeUndefined();
  });

  it('keeps a training job\'s upload as the registered version\'s data when asked', async () => {
    const { registry, jobs } = setup;
    const csv = join(work, 'iris-upload.csv');
    copyFileSync(join(DATASETS, 'iris.csv'), csv);
    const digest = `sha256:${createHash('sha256').update(readFileSync(csv)).digest('hex')}`;
    const job = await finished(jobs, (await jobs.submit({ csv, file: 'iris.csv', target: 'species', algorithm: 'linear', keepData: true })).id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.options).toMatchObject({ keepData: true });
    const { version } = await jobs.register(job.id, registry);
    expect(await registry.keptTrainingData('iris', version.version)).toMatchObject({ digest, rows: 150 });
    expect((await registry.getVersion('iris', version.version)).manifest.lineage).toMatchObject({ data: { blob: digest } });
  });

  it('retrains on drifted labelled traffic: the challenger beats the champion and is registered with its parent, data and evaluation', async () => {
    const { registry, labelled, retraining, jobs } = setup;
    labelled.add('loans', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
    const queued = await retraining.retrain('loans', { actor: { interface: 'cli' } });
    expect(queued.retrain).toMatchObject({ model: 'loans', champion: 1, trigger: { kind: 'manual' }, since: '7d', promote: 'manual' });
    // One at a time per model.
    await expect(retraining.retrain('loans')).rejects.toMatchObject({ code: 'BERTH_RETRAIN_ALREADY_RUNNING' });

    const job = await finished(jobs, queued.id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const outcome = job.result!.retrain!;
    expect(outcome).toMatchObject({ challenger: 2, parent: 1, decision: 'registered' });
    expect(outcome.evaluation.better).toBe(true);
    const [recent, original] = outcome.evaluation.table;
    // 30% of each class held out (stratified, so the count rounds per class).
    expect(recent!.rows).toBe('recent');
    expect(Math.abs(recent!.count - 1500)).toBeLessThanOrEqual(2);
    expect(recent!.challenger.logLoss!).toBeLessThan(recent!.champion.logLoss! - 0.005);
    expect(recent!.challenger.rocAuc!).toBeGreaterThan(recent!.champion.rocAuc!);
    expect(original).toMatchObject({ rows: 'original', count: 4000 });
    expect(job.registered).toEqual({ model: 'loans', version: 2 });

    const challenger = await registry.getVersion('loans', 2);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- lineage is free-form JSON, read field by field
    const lineage = challenger.manifest.lineage as Record<string, any>;
    expect(lineage.parent).toBe(1);
    expect(lineage.trigger).toEqual({ kind: 'manual' });
    expect(lineage.retraining.original).toMatchObject({ digest: (await registry.keptTrainingData('loans', 1))!.digest, rows: 20000, validationRows: 4000, seed: 0 });
    expect(lineage.retraining.labelled).toMatchObject({ rows: 5000, trainRows: 5000 - recent!.count, holdoutRows: recent!.count, seed: 0, holdout: 0.3, window: { since: '7d', to: new Date(NOW).toISOString() } });
    expect(lineage.evaluation.better).toBe(true);
    // The challenger keeps its own training data (the original rows and the labelled ones), for the next retraining.
    const kept = await registry.keptTrainingData('loans', 2);
    expect(kept).toMatchObject({ rows: 25000, digest: lineage.data.blob });
    // Promotion was manual: nothing moved.
    expect((await registry.getModel('loans')).aliases.production).toBe(1);
  });

  it('with promote auto, points production at a better challenger', async () => {
    const { registry, retraining, jobs } = setup;
    const job = await finished(jobs, (await retraining.retrain('loans', { promote: 'auto' })).id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    // The same data and seed train the same bundle: the registry finds the version it made before.
    expect(job.result!.retrain).toMatchObject({ challenger: 2, decision: 'promoted' });
    expect((await registry.getModel('loans')).aliases.production).toBe(2);
    await registry.setAlias('loans', 'production', 1);
  });

  it('registers a challenger that is not better as a candidate, with the reason, and moves nothing', async () => {
    const { registry, labelled, retraining, jobs } = setup;
    labelled.clear('loans');
    labelled.add('loans', labelledRowsOf('loans_current_stable.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
    const job = await finished(jobs, (await retraining.retrain('loans', { promote: 'auto' })).id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const outcome = job.result!.retrain!;
    expect(outcome.decision).toBe('candidate');
    expect(outcome.evaluation.better).toBe(false);
    expect(outcome.reason).toMatch(/^registered as a candidate, nothing moved: on the \d+ recent held-out rows its logLoss .* not better by the margin 0\.005/);
    expect((await registry.getVersion('loans', outcome.challenger)).manifest.lineage).toMatchObject({ parent: 1 });
    expect((await registry.getModel('loans')).aliases.production).toBe(1);
  });

  it.each([
    ['too few labelled rows', 'BERTH_RETRAIN_TOO_FEW_ROWS', () => labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO, limit: 40 })],
    [
      'a single class',
      'BERTH_RETRAIN_SINGLE_CLASS',
      () => labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }).filter((row) => row.actual === 0),
    ],
    [
      'a schema change in the logged data (a feature renamed)',
      'BERTH_RETRAIN_SCHEMA_CHANGED',
      () =>
        labelledRowsOf('loans_current_drifted.csv', {
          target: 'defaulted',
          at: AN_HOUR_AGO,
          edit: ({ credit_score, ...rest }) => ({ ...rest, fico: credit_score }),
        }),
    ],
    [
      'feedback with a class the champion does not have',
      'BERTH_RETRAIN_SCHEMA_CHANGED',
      () => labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }).map((row, i) => (i % 10 === 0 ? { ...row, actual: 'maybe' } : row)),
    ],
  ])('fails the job on %s with a catalogue error; the champion stays and nothing is registered', async (_, code, rows) => {
    const { registry, labelled, retraining, jobs } = setup;
    labelled.clear('loans');
    labelled.add('loans', rows());
    const before = await registry.getModel('loans');
    const job = await finished(jobs, (await retraining.retrain('loans', { promote: 'auto' })).id);
    expect(job.state).toBe('failed');
    expect(job.error!.code).toBe(code);
    expect(job.error!.error).toMatch(/champion keeps serving/);
    const after = await registry.getModel('loans');
    expect(after.aliases.production).toBe(1);
    expect(after.latestVersion).toBe(before.latestVersion);
  });

  it('fails the job when the champion kept no training data, saying how to keep it', async () => {
    const { retraining, jobs, labelled } = setup;
    labelled.add('unkept', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
    const job = await finished(jobs, (await retraining.retrain('unkept')).id);
    expect(job.error).toMatchObject({ code: 'BERTH_RETRAIN_DATA_NOT_KEPT' });
    expect(job.error!.error).toMatch(/--keep-data/);
  });

  it('refuses a model without a version trained by Berth, and a bad window, before queueing anything', async () => {
    const { retraining } = setup;
    await expect(retraining.retrain('nope')).rejects.toMatchObject({ code: 'BERTH_REGISTRY_MODEL_NOT_FOUND' });
    await expect(retraining.retrain('loans', { since: 'soon' })).rejects.toMatchObject({ code: 'BERTH_RETRAIN_POLICY_INVALID' });
  });
});

describe('retraining with a blob store that goes away', () => {
  it('fails the job with BERTH_RETRAIN_BLOB_STORE_FAILED when the challenger cannot be stored; nothing is registered or promoted', async () => {
    const started = await startTestS3();
    if (!started.s3) throw new Error(`no S3-compatible server: ${started.skip}`);
    const s3 = started.s3;
    const work = tempDir('berth-retraining-s3-');
    const registry = await openRegistry({ home: join(work, 'home'), blobs: { blobs: s3.url(), s3Endpoint: s3.endpoint, s3ForcePathStyle: true, s3Client: s3.client } });
    // The S3 server stops once the job's data is gathered: the worker trains, then storing fails.
    class StopsS3 extends Retraining {
      override async prepare(...args: Parameters<Retraining['prepare']>) {
        const input = await super.prepare(...args);
        await s3.close();
        return input;
      }
    }
    const setup = retrainingOver(registry, work, StopsS3);
    try {
      const { bundle } = await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', name: 'loans', outDir: join(work, 'bundle'), keepData: true });
      const { version } = await registry.register(bundle.dir, { aliases: ['production'] });
      await registry.keepTrainingData('loans', version.version, { file: join(DATASETS, 'loans_reference.csv'), rows: 20000, source: 'test' });
      setup.labelled.add('loans', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
      const job = await finished(setup.jobs, (await setup.retraining.retrain('loans', { promote: 'auto' })).id);
      expect(job.state).toBe('failed');
      expect(job.error!.code).toBe('BERTH_RETRAIN_BLOB_STORE_FAILED');
      expect(job.error!.error).toMatch(/could not store the challenger's training data in the blob store/);
      const model = await registry.getModel('loans');
      expect(model).toMatchObject({ latestVersion: 1, aliases: { production: 1 } });
    } finally {
      await setup.jobs.close();
      await registry.close();
      await s3.close();
    }
  });
});

describe('a retraining job whose replica died', () => {
  it('is queued again and run by another replica, once; lost again, it fails like a training job, and the model can be retrained at once', async () => {
    const work = tempDir('berth-retraining-lost-');
    const registry = await openRegistry({ home: join(work, 'home') });
    const labelled = new MemoryLabelledRows();
    const policies = new RetrainPolicyStore(registry.store.db);
    const store = new TrainingJobStore(registry.store.db);
    // The replica the job is queued on takes nothing; replicas that then die take it.
    const queueing = new Retraining({ registry, labelled, policies, now: () => NOW });
    const queue = new TrainingJobs({ config: buildConfig({}).training, db: registry.store.db, blobs: registry.blobs, workDir: join(work, 'queue'), retraining: queueing, takes: 'none' });
    queueing.attach(queue);
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const replicas: Setup[] = [];
    // The watching replica looks for stale leases often (a lost job's heartbeat is an hour old);
    // the one that trains keeps the default lease, renewed long before it lapses.
    const replica = (name: string, takes: 'all' | 'none') => {
      const retraining = new Retraining({ registry, labelled, policies, now: () => NOW });
      const config = buildConfig({ training: takes === 'none' ? { leaseMs: 300 } : {} }).training;
      const jobs = new TrainingJobs({ config, db: registry.store.db, blobs: registry.blobs, workDir: join(work, name), retraining, takes });
      retraining.attach(jobs);
      replicas.push({ registry, labelled, retraining, jobs });
      return { retraining, jobs };
    };
    try {
      const { bundle } = await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', name: 'loans', outDir: join(work, 'bundle'), keepData: true });
      const { version } = await registry.register(bundle.dir, { aliases: ['production'] });
      await registry.keepTrainingData('loans', version.version, { file: join(DATASETS, 'loans_reference.csv'), rows: 20000, source: 'test' });
      labelled.add('loans', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));

      // Lost once: a replica that takes nothing finds the lease stale and queues the job again.
      const queued = await queueing.retrain('loans');
      expect(await store.claimNext('gone-host-4242-abcdef', anHourAgo, () => '{}', 'retraining')).toMatchObject({ id: queued.id, state: 'running' });
      const watching = replica('watching', 'none');
      const requeued = await until(watching.jobs, queued.id, (job) => job.state === 'queued');
      expect(requeued.retrain).toMatchObject({ restarts: 1, trigger: { kind: 'manual' } });
      expect(requeued.progress.message).toContain('gone-host-4242-abcdef');

      // Lost twice: it fails, saying why, and frees the model.
      expect(await store.claimNext('gone-host-5353-abcdef', anHourAgo, () => '{}', 'retraining')).toMatchObject({ id: queued.id, state: 'running' });
      const lost = await finished(watching.jobs, queued.id);
      expect(lost).toMatchObject({ state: 'failed', error: { code: 'BERTH_TRAINING_REPLICA_LOST' } });
      expect(lost.error!.error).toContain('gone-host-5353-abcdef');
      expect(lost.registered).toBeUndefined();
      expect(await registry.getModel('loans')).toMatchObject({ latestVersion: 1, aliases: { production: 1 } });

      // Lost once more, a new job is run by a replica with a free trainer, to the end.
      await watching.jobs.close();
      const again = await queueing.retrain('loans');
      expect(await store.claimNext('gone-host-6464-abcdef', anHourAgo, () => '{}', 'retraining')).toMatchObject({ id: again.id });
      const survivor = replica('survivor', 'all');
      const next = await finished(survivor.jobs, again.id);
      expect(next.state, JSON.stringify(next.error)).toBe('succeeded');
      expect(next.retrain).toMatchObject({ restarts: 1 });
      expect(next.result!.retrain).toMatchObject({ challenger: 2, parent: 1, decision: 'registered' });
      expect(next.registered).toEqual({ model: 'loans', version: 2 });
    } finally {
      for (const r of replicas) await r.jobs.close();
      await queue.close();
      await registry.close();
    }
  });

  it('is handed back to the queue by a replica that shuts down, and run by another to the end', async () => {
    const work = tempDir('berth-retraining-handback-');
    const registry = await openRegistry({ home: join(work, 'home') });
    // The replica that shuts down is stopped while it gathers the job's data.
    let entered: () => void = () => undefined;
    const gathering = new Promise<void>((resolve) => (entered = resolve));
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    class Stopped extends Retraining {
      override async prepare(...args: Parameters<Retraining['prepare']>) {
        entered();
        await released;
        return super.prepare(...args);
      }
    }
    const stopping = retrainingOver(registry, join(work, 'stopping'), Stopped);
    stopping.labelled.add('loans', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
    let other: Setup | undefined;
    try {
      const { bundle } = await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', name: 'loans', outDir: join(work, 'bundle'), keepData: true });
      const { version } = await registry.register(bundle.dir, { aliases: ['production'] });
      await registry.keepTrainingData('loans', version.version, { file: join(DATASETS, 'loans_reference.csv'), rows: 20000, source: 'test' });
      const job = await stopping.retraining.retrain('loans');
      await gathering;
      // Closing waits for the job's work to end, which waits for the data: released once the job is handed back.
      const closing = stopping.jobs.close();
      const store = new TrainingJobStore(registry.store.db);
      while ((await store.get(job.id))?.state !== 'queued') await nextTurn(10);
      release();
      await closing;
      const row = await store.get(job.id);
      expect(row).toMatchObject({ state: 'queued', holder: null, retrain_model: 'loans' });
      expect(JSON.parse(row!.progress)).toMatchObject({ stage: 'queued', message: expect.stringContaining('shut down') });

      other = retrainingOver(registry, join(work, 'other'));
      other.labelled.add('loans', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
      const done = await finished(other.jobs, job.id);
      expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
      expect(done.retrain!.restarts).toBeUndefined();
      expect(done.registered).toEqual({ model: 'loans', version: 2 });
    } finally {
      release();
      await stopping.jobs.close();
      await other?.jobs.close();
      await registry.close();
    }
  });
});
