/**
 * Retraining over HTTP and from the command line against a running server: the policy routes,
 * `POST /api/models/{name}/retrain`, and `berth retrain --now --wait` followed to the end while
 * the server (which reads the labelled traffic) runs the job; `berth show` then shows the lineage.
 * Labelled traffic comes from an in-memory source over the shared datasets.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainCommand } from '../../dist/cli/commands/train.js';
import { buildConfig } from '../../dist/core/config.js';
import { runBerth } from '../helpers/cli.js';
import { MemoryLabelledRows, labelledRowsOf } from '../helpers/labelled-rows.js';
import { tempDir } from '../helpers/models.js';
import { postJson, startRegistryServer } from '../helpers/server.js';
import { DATASETS } from '../helpers/trained.js';

const home = tempDir('berth-retrain-api-');
const labelled = new MemoryLabelledRows();
let server: Awaited<ReturnType<typeof startRegistryServer>>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: response.status, json: await response.json() };
}

beforeAll(async () => {
  await trainCommand({ config: buildConfig({ store: { home } }), data: join(DATASETS, 'loans_reference.csv'), target: 'defaulted', name: 'loans', algorithm: 'gbdt', aliases: ['production'], keepData: true });
  labelled.add('loans', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: Date.now() - 3_600_000 }));
  server = await startRegistryServer(home, {}, { labelledRows: labelled });
});
afterAll(async () => {
  await server?.close();
});

describe('retraining over HTTP', () => {
  it('sets, reads and removes a policy, refusing an invalid one with its code', async () => {
    expect(await call('GET', '/api/models/loans/retrain/policy')).toEqual({ status: 200, json: { model: 'loans', policy: null, state: {}, updated: null } });
    const bad = await call('PUT', '/api/models/loans/retrain/policy', { triggers: { every: 'often' } });
    expect([bad.status, bad.json.code]).toEqual([400, 'BERTH_RETRAIN_POLICY_INVALID']);
    expect(bad.json.error).toMatch(/triggers\.every/);
    const often = await call('PUT', '/api/models/loans/retrain/policy', { triggers: { every: '1ms' } });
    expect([often.status, often.json.code]).toEqual([400, 'BERTH_RETRAIN_POLICY_INVALID']);
    expect(often.json.error).toMatch(/triggers\.every is invalid: must be at least 1m/);
    const cron = await call('PUT', '/api/models/loans/retrain/policy', { triggers: { cron: 'at three' } });
    expect([cron.status, cron.json.code]).toEqual([400, 'BERTH_RETRAIN_POLICY_INVALID']);
    const set = await call('PUT', '/api/models/loans/retrain/policy', { triggers: { cron: '0 3 * * *', onDrift: true }, promote: 'rollout', since: '14d' });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ model: 'loans', policy: { triggers: { cron: '0 3 * * *', onDrift: true }, promote: 'rollout', since: '14d', margin: 0.005, minRows: 100 } });
    expect((await call('GET', '/api/models/loans/retrain/policy')).json.policy).toEqual(set.json.policy);
    expect((await call('DELETE', '/api/models/loans/retrain/policy')).json.policy).toEqual(set.json.policy);
    expect((await call('GET', '/api/models/loans/retrain/policy')).json.policy).toBeNull();
    expect((await call('PUT', '/api/models/nope/retrain/policy', {})).json.code).toBe('BERTH_REGISTRY_MODEL_NOT_FOUND');
  });

  it('berth retrain --now --wait follows the server running the job, prints the outcome, and berth show has the lineage', async () => {
    const cli = await runBerth(['retrain', 'loans', '--now', '--wait', '--json', '--home', home], {}, 120_000);
    expect(cli.code, cli.stderr).toBe(0);
    const job = JSON.parse(cli.stdout);
    expect(job).toMatchObject({ state: 'succeeded', retrain: { model: 'loans', champion: 1, trigger: { kind: 'manual' } }, result: { retrain: { challenger: 2, parent: 1, decision: 'registered' } } });
    expect(job.result.retrain.evaluation.better).toBe(true);

    const show = await runBerth(['show', 'loans:2', '--json', '--home', home]);
    expect(show.code, show.stderr).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect(shown.lineage).toEqual(shown.manifest.lineage);
    const lineage = shown.lineage;
    expect(lineage).toMatchObject({ parent: 1, trigger: { kind: 'manual' }, retraining: { labelled: { rows: 5000 } } });

    const listed = await call('GET', '/api/models/loans/retrain/jobs');
    expect(listed.json.map((j: { id: string }) => j.id)).toEqual([job.id]);
    expect((await runBerth(['show', 'loans:2', '--home', home])).stdout).toContain('retrained    from v1 (trigger: manual)');
    const text = await runBerth(['retrain', 'loans', '--home', home]);
    expect(text.stdout).toContain(`${job.id}  manual  succeeded  v2: registered`);
  });

  it('berth retrain refuses flags it would ignore, saying what to add', async () => {
    for (const [flags, problem] of [
      [['--every', '1d'], /--every is invalid: it sets the model's policy; add --policy/],
      [['--guard', 'error_rate<0.01'], /--guard is invalid: it sets the model's policy; add --policy/],
      [['--wait'], /--wait is invalid: it follows a retraining started with --now; add --now/],
      [['--now', '--policy', '--on-drift'], /--now is invalid: .* run them as two commands/],
    ] as const) {
      const cli = await runBerth(['retrain', 'loans', ...flags, '--home', home]);
      expect([cli.code, cli.stderr], flags.join(' ')).toEqual([1, expect.stringMatching(problem)]);
      expect(cli.stderr).toContain('[BERTH_RETRAIN_POLICY_INVALID]');
    }
    expect((await call('GET', '/api/models/loans/retrain/policy')).json.policy).toBeNull();
  });

  it('queues a retraining with POST (202), one at a time per model, with 4xx codes for what cannot start', async () => {
    const first = await call('POST', '/api/models/loans/retrain', { since: '2d', promote: 'manual' });
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({ retrain: { model: 'loans', champion: 1, since: '2d', promote: 'manual', trigger: { kind: 'manual' } } });
    const second = await postJson(`${server.url}/api/models/loans/retrain`, {});
    expect([second.status, second.json.code]).toEqual([409, 'BERTH_RETRAIN_ALREADY_RUNNING']);
    expect((await call('POST', '/api/models/loans/retrain', { since: 'later' })).json.code).toBe('BERTH_RETRAIN_POLICY_INVALID');
    expect((await call('POST', '/api/models/nope/retrain', {})).status).toBe(404);
    expect((await call('POST', '/api/models/loans/retrain', { promote: 'always' })).status).toBe(400);
  });

  it('is in the OpenAPI document', async () => {
    const paths = (await call('GET', '/api/openapi.json')).json.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/api/models/{name}/retrain'] ?? {})).toEqual(['post']);
    expect(Object.keys(paths['/api/models/{name}/retrain/policy'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(paths['/api/models/{name}/retrain/jobs'] ?? {})).toEqual(['get']);
  });
});
