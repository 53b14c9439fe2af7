/**
 * berth/client against a real registry server: register a trained bundle and an ONNX file,
 * aliases, versions, named-feature prediction (records, columns, CSV), feedback joined to
 * predictions, the audit log and the server's status, with catalogue errors and the admin token.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient, BerthServerError, tensor } from '../../dist/client/index.js';
import { exportBundle } from '../../dist/registry/index.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { eventually, startRegistryServer } from '../helpers/server.js';
import { DATASETS, trainBundle } from '../helpers/trained.js';

const TOKEN = 'client-test-token';
let server: Awaited<ReturnType<typeof startRegistryServer>>;
let berth: BerthClient;

const setosa = { sepal_length_cm: 5.1, sepal_width_cm: 3.5, petal_length_cm: 1.4, petal_width_cm: 0.2 };
const virginica = { sepal_length_cm: 7.7, sepal_width_cm: 3.0, petal_length_cm: 6.1, petal_width_cm: 2.3 };

async function rejection(call: Promise<unknown>): Promise<BerthServerError> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BerthServerError);
  return error as BerthServerError;
}

beforeAll(async () => {
  server = await startRegistryServer(tempDir(), { server: { adminToken: TOKEN }, monitor: { windowMs: 1000, flushIntervalMs: 200, sampleRate: 1 } });
  berth = new BerthClient({ url: server.url, token: TOKEN });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('BerthClient over the management API', () => {
  it('needs the admin token: without it, BERTH_AUTH_REQUIRED', async () => {
    const anonymous = new BerthClient({ url: server.url });
    const error = await rejection(anonymous.models());
    expect([error.status, error.code]).toEqual([401, 'BERTH_AUTH_REQUIRED']);
  });

  it('registers a trained bundle, predicts records, columns and CSV, and joins feedback', async () => {
    const archive = join(tempDir(), 'iris.berth');
    await exportBundle(await trainBundle('iris.csv', 'species', 'iris'), archive);
    const registered = await berth.register(readFileSync(archive), { filename: 'iris.berth', aliases: ['production'], tags: { team: 'client' } });
    expect(registered.version).toMatchObject({ model: 'iris', version: 1, aliases: ['production'], tags: { team: 'client' } });
    expect(await eventually(async () => (await berth.models()).some((m) => m.name === 'iris'))).toBe(true);
    await eventually(() => berth.modelReady('iris'));

    const byRecords = await berth.predict('iris@production', [setosa, virginica]);
    expect(byRecords).toMatchObject({ model: 'iris', version: 1 });
    expect(byRecords.predictions.map((p) => (p as { label: string }).label)).toEqual(['setosa', 'virginica']);
    const names = Object.keys(setosa) as (keyof typeof setosa)[];
    const byColumns = await berth.predict('iris', { columns: Object.fromEntries(names.map((n) => [n, [setosa[n], virginica[n]]])) });
    expect(byColumns.predictions).toEqual(byRecords.predictions);
    const csv = `${names.join(',')}\n${names.map((n) => setosa[n]).join(',')}\n${names.map((n) => virginica[n]).join(',')}\n`;
    expect((await berth.predictCsv('iris:1', csv)).predictions).toEqual(byRecords.predictions);

    const bad = await rejection(berth.predict('iris', [{ ...setosa, petal_width_cm: 'wide' }]));
    expect(bad.status).toBe(400);
    expect(bad.code).toMatch(/^BERTH_SCHEMA_/);

    expect(await eventually(async () => (await berth.feedback('iris', { requestId: byRecords.requestId, actual: ['setosa', 'virginica'] })).accepted === 1, 10_000)).toBe(true);
    const unknown = await berth.feedback('iris', [{ requestId: 'no-such-request', actual: 'setosa' }]);
    expect(unknown.unknown).toEqual(['no-such-request']);
  });

  it('registers an ONNX file and manages versions and aliases', async () => {
    const onnx = readFileSync(writeIdentityModel(tempDir(), 'INT64'));
    const first = await berth.register(onnx, { filename: 'ids.onnx', name: 'ids', description: 'identity' });
    expect(first.version).toMatchObject({ model: 'ids', version: 1 });
    const second = await berth.register(new Blob([onnx]), { filename: 'ids.onnx', name: 'ids', description: 'identity' });
    // The same model and manifest are the same digest: no new version.
    expect(second.version.version).toBe(1);

    expect((await berth.setAlias('ids', 'production', 1)).version).toBe(1);
    const detail = await berth.model('ids');
    expect(detail.model.aliases).toEqual({ production: 1 });
    expect((await berth.versions('ids')).map((v) => v.version)).toEqual([1]);
    const version = await berth.version('ids', 1);
    expect(version.manifest.signature.inputs[0]).toMatchObject({ name: 'x', datatype: 'INT64' });

    await eventually(() => berth.modelReady('ids').catch(() => false));
    const result = await berth.infer('ids', [tensor('x', 'INT64', [1, 3], [9223372036854775807n, -1n, 0n])], { version: 1 });
    expect([...(result.output('y').data as BigInt64Array)]).toEqual([9223372036854775807n, -1n, 0n]);

    const inUse = await rejection(berth.deleteVersion('ids', 1));
    expect([inUse.status, inUse.code]).toEqual([409, 'BERTH_REGISTRY_VERSION_IN_USE']);
    expect((await berth.deleteAlias('ids', 'production')).alias).toBe('production');
    const missing = await rejection(berth.deleteAlias('ids', 'production'));
    expect(missing.code).toBe('BERTH_REGISTRY_ALIAS_NOT_FOUND');
    expect((await berth.deleteVersion('ids', 1)).deleted).toMatchObject({ model: 'ids', version: 1 });

    const audit = await berth.audit({ model: 'ids' });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['version.register', 'alias.set', 'alias.remove', 'version.delete']));
    const status = await berth.server();
    expect(status.served.some((s) => s.model === 'iris')).toBe(true);
    const unknownModel = await rejection(berth.model('nope'));
    expect([unknownModel.status, unknownModel.code]).toEqual([404, 'BERTH_REGISTRY_MODEL_NOT_FOUND']);
  });

  it('trains in the server, follows the job and registers its bundle', async () => {
    const job = await berth.train(readFileSync(join(DATASETS, 'iris.csv')), { target: 'species', algorithm: 'linear', name: 'flowers', seed: 3, folds: 3, strict: true, filename: 'iris.csv' });
    expect(['queued', 'running']).toContain(job.state);
    expect(job.options).toMatchObject({ seed: 3, folds: 3, strict: true });
    const states: string[] = [];
    for await (const event of berth.trainingEvents(job.id)) states.push(event.state);
    // The stream ends by itself once the job has finished.
    expect(states.at(-1)).toBe('succeeded');
    const current = await berth.trainingJob(job.id);
    expect([current.state, current.error, current.result?.algorithm]).toEqual(['succeeded', undefined, 'linear']);
    expect((await berth.trainingJobs()).map((j) => j.id)).toContain(job.id);
    const registered = await berth.registerTrainingJob(job.id, { alias: 'production' });
    expect(registered.version).toMatchObject({ model: 'flowers', version: 1, aliases: ['production'] });
    const early = await rejection(berth.trainingJob('no-such-job'));
    expect([early.status, early.code]).toEqual([404, 'BERTH_TRAINING_JOB_NOT_FOUND']);
  }, 120_000);

  it('adds, lists and deletes alert rules, and reads the monitoring reports', async () => {
    const rule = await berth.addAlertRule({ id: 'iris-errors', model: 'iris', type: 'error_rate', threshold: 0.5, window: '1m' });
    expect(rule).toMatchObject({ id: 'iris-errors', source: 'api', type: 'error_rate' });
    expect((await berth.alertRules()).map((r) => r.id)).toContain('iris-errors');
    const invalid = await rejection(berth.addAlertRule({ type: 'no_such_type', threshold: 1 } as never));
    expect([invalid.status, invalid.code]).toEqual([400, 'BERTH_MONITOR_RULE_INVALID']);
    await berth.deleteAlertRule('iris-errors');
    expect((await berth.alertRules()).map((r) => r.id)).not.toContain('iris-errors');
    expect(Array.isArray(await berth.alerts({ state: 'firing' }))).toBe(true);

    // The predictions of the first test reach the monitor's windows within a flush.
    expect(await eventually(async () => (await berth.traffic('iris', { from: '1h', step: '1m' })).points.some((p) => p.requests > 0), 10_000)).toBe(true);
    const performance = await berth.performance('iris', { from: '1h' });
    expect(performance.task).toBe('classification');
    expect(await eventually(async () => (await berth.loggedRequests('iris', { limit: 5 })).length > 0, 10_000)).toBe(true);
    const noProfile = await berth.drift('iris').then(() => undefined, (e: unknown) => e as BerthServerError);
    // The helper's bundle carries no reference profile: the report says so with its code.
    expect(noProfile?.code).toBe('BERTH_MONITOR_PROFILE_MISSING');
  });
});
