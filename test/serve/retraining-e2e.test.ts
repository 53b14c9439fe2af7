/**
 * The proof of issue 17's retraining through a real server, driven by the test's clock and
 * explicit ticks (no sleeping, no timing assumptions): a loans model trained by `berth train` on
 * loans_reference.csv with its data kept serves production; stable traffic with feedback queues
 * no retraining; drifted traffic from loans_current_drifted.csv fires the drift alert, whose
 * trigger retrains; the challenger beats the champion on the recent labelled rows, goes through a
 * rollout (shadow first) and becomes production; its lineage names the parent and the data.
 *
 * Labelled rows reach retraining as in production: the payload log (every request logged) joined
 * with the feedback the test sends for each request.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainCommand } from '../../dist/cli/commands/train.js';
import { buildConfig } from '../../dist/core/config.js';
import { payloadLabelledRows } from '../../dist/monitor/index.js';
import { monitorStores } from '../../dist/store/index.js';
import { readCsvFile } from '../../dist/train/index.js';
import { tempDir } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';
import { DATASETS } from '../helpers/trained.js';

type Berth = Awaited<ReturnType<typeof startRegistryServer>>;

const home = tempDir('berth-retraining-e2e-');
const clock = { now: Date.now() };
let berth: Berth;

async function rowsOf(file: string): Promise<{ records: Record<string, string | null>[]; actual: string[] }> {
  const table = await readCsvFile(join(DATASETS, file));
  const target = table.header.indexOf('defaulted');
  return {
    records: table.rows.map((row) => Object.fromEntries(table.header.flatMap((name, j) => (j === target ? [] : [[name, row[j] === '' ? null : row[j]!]])))),
    actual: table.rows.map((row) => row[target]!),
  };
}

/** Sends a dataset to the named-feature API in requests of 250 rows, then its truth as feedback. */
async function traffic(file: string): Promise<number> {
  const { records, actual } = await rowsOf(file);
  for (let i = 0; i < records.length; i += 250) {
    const batch = records.slice(i, i + 250);
    const truth = actual.slice(i, i + 250);
    const answer = await postJson(`${berth.url}/api/models/loans/predict`, { records: batch });
    expect(answer.status).toBe(200);
    const requestId = answer.json.requestId as string;
    const feedback = await postJson(`${berth.url}/api/models/loans/feedback`, [{ requestId, actual: truth }]);
    expect(feedback.json.accepted).toBe(1);
  }
  // A minute on: the traffic's window closes, and the retraining window ([from, now)) holds it.
  clock.now += 60_000;
  return records.length;
}

/** Waits until the payload log holds `rows` labelled rows of the last hour (its segments are sealed and stored). */
async function labelledRows(rows: number): Promise<boolean> {
  const source = payloadLabelledRows(monitorStores(berth.registry.store, { blobs: berth.registry.blobs, logWriter: false }));
  return eventually(async () => (await source.countLabelled('loans', { from: clock.now - 3_600_000, to: clock.now })) === rows, 30_000);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
async function get(path: string): Promise<any> {
  return (await fetch(`${berth.url}${path}`)).json();
}

beforeAll(async () => {
  await trainCommand({ config: buildConfig({ store: { home } }), data: join(DATASETS, 'loans_reference.csv'), target: 'defaulted', name: 'loans', algorithm: 'gbdt', aliases: ['production'], keepData: true });
  berth = await startRegistryServer(
    home,
    {
      monitor: {
        windowMs: 60_000,
        flushIntervalMs: 100,
        alertIntervalMs: 100,
        segmentSealMs: 1000,
        payloads: { rate: 1 },
        rules: [{ id: 'loans-drift', model: 'loans', type: 'drift_share', threshold: 0.3, window: '30m', minRows: 500, fireAfter: 1 }],
      },
    },
    { now: () => clock.now, rolloutTimers: false },
  );
  await eventually(async () => (await fetch(`${berth.url}/v2/models/loans`)).status === 200, 30_000);
  const policy = await fetch(`${berth.url}/api/models/loans/retrain/policy`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ triggers: { onDrift: true }, since: '1h', promote: 'rollout', rollout: { steps: 'shadow,100', bake: '0', interval: '10s', minRequests: 20 } }),
  });
  expect(policy.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await berth?.close();
});

describe('retraining on live data, end to end', { timeout: 240_000 }, () => {
  it('queues no retraining for stable traffic: no drift, no alert, the trigger stays quiet', async () => {
    const from = new Date(clock.now - 1000).toISOString();
    expect(await traffic('loans_current_stable.csv')).toBe(5000);
    const report = await get(`/api/models/loans/monitor/drift?from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(clock.now).toISOString())}`);
    expect(report.rows, JSON.stringify(report)).toBe(5000);
    expect(report.driftedShare).toBeLessThan(0.3);
    expect(await labelledRows(5000)).toBe(true);
    await berth.retrainTriggers!.tick();
    expect(await get('/api/models/loans/retrain/jobs')).toEqual([]);
    expect((await get('/api/alerts')).alerts.filter((a: { state: string }) => a.state === 'firing')).toEqual([]);
  });

  it('retrains when drifted traffic fires the drift alert; the better challenger is promoted through a rollout, shadow first', async () => {
    // Two hours on: the alert's window and the retraining window see the drifted traffic only.
    clock.now += 2 * 3_600_000;
    expect(await traffic('loans_current_drifted.csv')).toBe(5000);
    expect(await labelledRows(5000)).toBe(true);
    expect(await eventually(async () => (await get('/api/alerts')).alerts.some((a: { state: string; ruleId?: string; rule?: { id: string } }) => a.state === 'firing'), 30_000)).toBe(true);

    await berth.retrainTriggers!.tick();
    const [queued] = await get('/api/models/loans/retrain/jobs');
    expect(queued.retrain).toMatchObject({ model: 'loans', champion: 1, since: '1h', promote: 'rollout', trigger: { kind: 'drift_alert' } });
    expect(queued.retrain.trigger.detail).toMatch(/^drift alert 'loans-drift' firing since /);
    // The alert already acted on does not queue another.
    await berth.retrainTriggers!.tick();
    expect(await get('/api/models/loans/retrain/jobs')).toHaveLength(1);

    expect(await eventually(async () => ['succeeded', 'failed'].includes((await get(`/api/training/${queued.id}`)).state), 120_000)).toBe(true);
    const job = await get(`/api/training/${queued.id}`);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const outcome = job.result.retrain;
    expect(outcome).toMatchObject({ challenger: 2, parent: 1, decision: 'rollout' });
    const [recent] = outcome.evaluation.table;
    expect(recent.rows).toBe('recent');
    expect(recent.challenger.logLoss).toBeLessThan(recent.champion.logLoss);
    expect(recent.challenger.rocAuc).toBeGreaterThan(recent.champion.rocAuc);

    // The rollout: the challenger first sees copies of requests (shadow), then takes all traffic.
    const rolloutId = outcome.rollout as string;
    await berth.rollouts!.runner.tick();
    expect((await get(`/api/models/loans/rollouts/${rolloutId}`)).step).toMatchObject({ name: 'shadow' });
    const { records } = await rowsOf('loans_current_drifted.csv');
    const requests = async (n: number) => {
      for (let i = 0; i < n; i++) expect((await postJson(`${berth.url}/api/models/loans/predict`, { records: records.slice(i * 5, i * 5 + 5) })).status).toBe(200);
    };
    /** Moves the clock and ticks the runner until `done` holds for the rollout. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a rollout as the API answers it
    const until = (done: (rollout: any) => boolean) =>
      eventually(async () => {
        clock.now += 10_000;
        await berth.rollouts!.runner.tick();
        return done(await get(`/api/models/loans/rollouts/${rolloutId}`));
      }, 60_000);
    await requests(30);
    expect(await until((r) => r.state !== 'running' || r.step?.name === '100%')).toBe(true);
    await requests(30);
    expect(await until((r) => r.state !== 'running')).toBe(true);
    const rollout = await get(`/api/models/loans/rollouts/${rolloutId}`);
    expect(rollout.state, JSON.stringify(rollout.events)).toBe('succeeded');
    expect(rollout.events.map((e: { kind: string }) => e.kind)).toContain('promoted');
    expect((await berth.registry.getModel('loans')).aliases.production).toBe(2);

    // Lineage: the parent, the trigger, the data and the window.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- lineage is free-form JSON
    const lineage = (await berth.registry.getVersion('loans', 2)).manifest.lineage as Record<string, any>;
    expect(lineage).toMatchObject({ parent: 1, trigger: { kind: 'drift_alert' }, retraining: { labelled: { rows: 5000 } } });
    expect(lineage.retraining.original.digest).toBe((await berth.registry.keptTrainingData('loans', 1))!.digest);
    expect(lineage.data.blob).toBe((await berth.registry.keptTrainingData('loans', 2))!.digest);
    expect(lineage.retraining.labelled.window.since).toBe('1h');
  });
});
