/**
 * Retraining triggers on the replica holding their lease, driven by the test's clock: a schedule
 * (interval and cron), new labelled rows, and drift alerts; one replica of two acts; a trigger
 * that cannot queue a job records why. Jobs are only queued here (no trainer takes them), so each
 * assertion is about what was queued and why.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RetrainTriggers } from '../../dist/app/retraining/retrain-triggers.js';
import { Retraining } from '../../dist/app/retraining/retraining.js';
import { TrainingJobs } from '../../dist/app/training-jobs.js';
import { buildConfig } from '../../dist/core/config.js';
import { type Registry, openRegistry } from '../../dist/registry/index.js';
import { KyselyAlertStore, KyselyLeaseStore, RetrainPolicyStore } from '../../dist/store/index.js';
import { MemoryLabelledRows, labelledRowsOf } from '../helpers/labelled-rows.js';
import { tempDir } from '../helpers/models.js';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { DATASETS } from '../helpers/trained.js';

const clock = { now: Date.parse('2026-06-01T00:30:00Z') };
const work = tempDir('berth-retrain-triggers-');
let registry: Registry;
let jobs: TrainingJobs;
let retraining: Retraining;
const labelled = new MemoryLabelledRows();
const replicas: RetrainTriggers[] = [];

function triggers(replica: string): RetrainTriggers {
  const made = new RetrainTriggers({
    retraining,
    policies: new RetrainPolicyStore(registry.store.db),
    alerts: new KyselyAlertStore(registry.store.db),
    leases: new KyselyLeaseStore(registry.store.db),
    labelled,
    replica,
    now: () => clock.now,
  });
  replicas.push(made);
  return made;
}

/** The retraining jobs queued for `model`, oldest first, as [trigger kind, detail]. */
async function queued(model: string): Promise<[string, string | undefined][]> {
  return (await jobs.list())
    .filter((j) => j.retrain?.model === model)
    .reverse()
    .map((j) => [j.retrain!.trigger.kind, j.retrain!.trigger.detail]);
}

/** Finishes the model's queued job (as a replica would), so the next may be queued. */
async function drain(model: string): Promise<void> {
  await registry.store.db.updateTable('training_jobs').set({ state: 'failed', retrain_model: null }).where('retrain_model', '=', model).execute();
}

beforeAll(async () => {
  registry = await openRegistry({ home: join(work, 'home') });
  for (const model of ['a', 'b', 'c']) {
    const { bundle } = await trainBundle({ csv: { file: join(DATASETS, 'iris.csv') }, target: 'species', algorithm: 'linear', name: model, outDir: join(work, `${model}.bundle`) });
    await registry.register(bundle.dir, { name: model, aliases: ['production'] });
  }
  retraining = new Retraining({ registry, labelled, policies: new RetrainPolicyStore(registry.store.db), now: () => clock.now });
  jobs = new TrainingJobs({ config: buildConfig({}).training, db: registry.store.db, blobs: registry.blobs, workDir: join(work, 'jobs'), takes: 'none' });
  retraining.attach(jobs);
});
afterAll(async () => {
  for (const r of replicas) await r.close();
  await jobs?.close();
  await registry?.close();
});
beforeEach(async () => {
  // Each test sees only the jobs it queued.
  await registry.store.db.deleteFrom('training_jobs').execute();
});

describe('retraining triggers', () => {
  it('retrain on an interval and on a cron schedule, counted from the last retraining, on one replica of two', async () => {
    const [one, two] = [triggers('replica-1'), triggers('replica-2')];
    await retraining.setPolicy('a', { triggers: { every: '1d' } });
    await retraining.setPolicy('b', { triggers: { cron: '0 3 * * *' } });
    await Promise.all([one.tick(), two.tick()]);
    expect(await queued('a')).toEqual([]);
    expect(await queued('b')).toEqual([]);

    clock.now = Date.parse('2026-06-01T03:00:00Z');
    await Promise.all([one.tick(), two.tick()]);
    expect(await queued('a')).toEqual([]);
    expect(await queued('b')).toEqual([['schedule', 'cron 0 3 * * *']]);

    clock.now = Date.parse('2026-06-02T00:30:00Z');
    await drain('b');
    await Promise.all([one.tick(), two.tick()]);
    expect(await queued('a')).toEqual([['schedule', 'every 1d']]);
    expect(await queued('b')).toHaveLength(1);
    // Counted from the run it just queued.
    await drain('a');
    await Promise.all([one.tick(), two.tick()]);
    expect(await queued('a')).toHaveLength(1);
    await retraining.removePolicy('a');
    await retraining.removePolicy('b');
  });

  it('retrains once N new labelled rows have arrived since the last retraining', async () => {
    const replica = triggers('replica-1');
    await retraining.setPolicy('c', { triggers: { newLabelledRows: 100 } });
    labelled.add('c', labelledRowsOf('iris.csv', { target: 'species', at: clock.now + 1000, limit: 60 }));
    clock.now += 60_000;
    await replica.tick();
    expect(await queued('c')).toEqual([]);
    labelled.add('c', labelledRowsOf('iris.csv', { target: 'species', at: clock.now, limit: 60 }));
    clock.now += 60_000;
    await replica.tick();
    expect(await queued('c')).toEqual([['labelled_rows', expect.stringMatching(/^120 new labelled rows since /)]]);
    await retraining.removePolicy('c');
  });

  it('retrains when a drift alert starts firing for the model, once per firing', async () => {
    const replica = triggers('replica-1');
    const alerts = new KyselyAlertStore(registry.store.db);
    await retraining.setPolicy('a', { triggers: { onDrift: true } });
    const fire = (ruleId: string, type: string, since: string) =>
      alerts.putAlert({ ruleId, model: 'a', state: 'firing', since, version: '1', value: 0.5, threshold: 0.3, updatedAt: since, details: JSON.stringify({ name: ruleId, type }) });
    await fire('errors', 'error_rate', '2026-06-02T01:00:00.000Z');
    await replica.tick();
    expect(await queued('a')).toEqual([]);
    await fire('a-drift', 'drift_share', '2026-06-02T01:00:00.000Z');
    await replica.tick();
    expect(await queued('a')).toEqual([['drift_alert', "drift alert 'a-drift' firing since 2026-06-02T01:00:00.000Z"]]);
    await drain('a');
    await replica.tick();
    expect(await queued('a')).toHaveLength(1);
    // Firing again (resolved meanwhile) is a new firing.
    await fire('a-drift', 'drift_share', '2026-06-02T05:00:00.000Z');
    await replica.tick();
    expect(await queued('a')).toHaveLength(2);
    await retraining.removePolicy('a');
  });

  it('records why a trigger could not queue a job, and does not retry it on every tick', async () => {
    const replica = triggers('replica-1');
    await registry.deleteVersion('b', 1, { force: true });
    await retraining.setPolicy('b', { triggers: { every: '1h' } });
    clock.now += 2 * 3_600_000;
    await replica.tick();
    const policy = await retraining.getPolicy('b');
    expect(policy!.state.lastError).toMatchObject({ trigger: 'schedule', code: 'BERTH_RETRAIN_NO_CHAMPION' });
    expect(policy!.state.lastRun).toBe(new Date(clock.now).toISOString());
  });
});
