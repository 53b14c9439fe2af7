/**
 * The rollout half of the management API over HTTP: roll back (`GET`/`POST
 * /api/models/{name}/rollback`), served at once by this replica, with the registry's rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeIdentityModel, writeReluModel } from '../helpers/models.js';
import { postJson, startRegistryServer } from '../helpers/server.js';

let server: Awaited<ReturnType<typeof startRegistryServer>>;

beforeAll(async () => {
  server = await startRegistryServer(tempDir());
  const dir = tempDir();
  await server.registry.register(writeIdentityModel(dir, 'FP32'), { name: 'm', aliases: ['production'] });
  await server.registry.register(writeIdentityModel(dir, 'FP64'), { name: 'm' });
  await server.registry.register(writeIdentityModel(dir, 'INT32'), { name: 'm', aliases: ['staging'] });
});
afterAll(async () => {
  await server?.close();
});

async function getJson(path: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('roll back over HTTP', () => {
  it('says where each alias would go, then rolls production back and serves the version at once', async () => {
    await server.registry.setAlias('m', 'production', 2);
    expect(await getJson('/api/models/m/rollback')).toEqual({
      status: 200,
      json: {
        model: 'm',
        aliases: [
          { alias: 'production', version: 2, target: 1 },
          { alias: 'staging', version: 3, target: 2 },
        ],
      },
    });
    const rolled = await postJson(`${server.url}/api/models/m/rollback`, { reason: 'errors up' });
    expect(rolled.status).toBe(200);
    expect(rolled.json).toMatchObject({ model: 'm', alias: 'production', version: 1, previous: 2 });
    // This replica switched before answering.
    const served = (await getJson('/api/server')).json.served as { model: string; version: string; default: boolean }[];
    expect(served.find((s) => s.model === 'm' && s.default)?.version).toBe('1');
    const audit = (await getJson('/api/audit?model=m&limit=1')).json.entries as { details: Record<string, unknown>; interface: string }[];
    expect(audit[0]).toMatchObject({ interface: 'api', details: { previous: 2, rollback: true, reason: 'errors up' } });
  });

  it('rolls back another alias, and a bodyless POST means production', async () => {
    expect((await postJson(`${server.url}/api/models/m/rollback`, { alias: 'staging' })).json).toMatchObject({ alias: 'staging', version: 2, previous: 3 });
    const bare = await fetch(`${server.url}/api/models/m/rollback`, { method: 'POST' });
    expect(bare.status).toBe(409);
    expect(((await bare.json()) as { code: string }).code).toBe('BERTH_REGISTRY_ROLLBACK_UNAVAILABLE');
  });

  it('answers 4xx with a catalogue code for what cannot be rolled back, changing nothing', async () => {
    const before = await server.registry.changeSequence();
    for (const [path, body, status, code] of [
      ['/api/models/nope/rollback', {}, 404, 'BERTH_REGISTRY_MODEL_NOT_FOUND'],
      ['/api/models/m/rollback', { alias: 'canary' }, 404, 'BERTH_REGISTRY_ALIAS_NOT_FOUND'],
      ['/api/models/m/rollback', { alias: 'production' }, 409, 'BERTH_REGISTRY_ROLLBACK_UNAVAILABLE'],
      ['/api/models/m/rollback', { version: 1 }, 400, 'BERTH_REQUEST_INVALID'],
    ] as const) {
      const answer = await postJson(`${server.url}${path}`, body);
      expect([answer.status, answer.json.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(await server.registry.changeSequence()).toBe(before);
    expect((await getJson('/api/models/nope/rollback')).status).toBe(404);
  });

  it('is in the OpenAPI document', async () => {
    const paths = (await getJson('/api/openapi.json')).json.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/api/models/{name}/rollback'] ?? {}).sort()).toEqual(['get', 'post']);
  });
});

describe('rollouts over HTTP', () => {
  let berth: Awaited<ReturnType<typeof startRegistryServer>>;
  const clock = { now: Date.parse('2026-06-01T12:00:00.000Z') };

  beforeAll(async () => {
    berth = await startRegistryServer(tempDir(), {}, { now: () => clock.now, rolloutTimers: false });
    const dir = tempDir();
    await berth.registry.register(writeIdentityModel(dir, 'FP32'), { name: 'r', aliases: ['production'] });
    await berth.registry.register(writeReluModel(dir), { name: 'r' });
    await berth.registry.register(writeIdentityModel(dir, 'FP64'), { name: 'r' });
  });
  afterAll(async () => {
    await berth?.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${berth.url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> & { code?: string } };
  };

  it('starts a rollout, takes its first step at once, reads it back, and aborts it', async () => {
    const started = await call('POST', '/api/models/r/rollouts', { version: 2, steps: '10,100', bake: '1m', interval: '10s', minRequests: 5, guards: ['error_rate<0.02', 'p99_ms<1.5x'] });
    expect(started.status).toBe(201);
    const id = started.json.id as string;
    expect(started.headers.get('location')).toBe(`/api/models/r/rollouts/${id}`);
    expect(started.json).toMatchObject({
      model: 'r',
      champion: 1,
      challenger: 2,
      state: 'running',
      plan: { steps: ['10%', '100%'], bakeMs: 60_000, intervalMs: 10_000, minRequests: 5, guards: ['error_rate<0.02', 'p99_ms<1.5x'] },
      step: { index: 0, name: '10%' },
      startedBy: { interface: 'api' },
    });
    expect((await berth.registry.getDeployment('r'))?.variants).toEqual([
      { version: 1, weight: 90 },
      { version: 2, weight: 10 },
    ]);

    const again = await call('POST', '/api/models/r/rollouts', { version: 2 });
    expect([again.status, again.json.code]).toEqual([409, 'BERTH_ROLLOUT_ALREADY_RUNNING']);
    const rollback = await call('POST', '/api/models/r/rollback', {});
    expect([rollback.status, rollback.json.code]).toEqual([409, 'BERTH_ROLLOUT_RUNNING']);

    expect((await call('GET', `/api/models/r/rollouts/${id}`)).json).toMatchObject({ id, state: 'running' });
    const list = await call('GET', '/api/models/r/rollouts');
    expect((list.json.rollouts as { id: string }[]).map((r) => r.id)).toEqual([id]);

    const aborted = await call('POST', `/api/models/r/rollouts/${id}/abort`);
    expect(aborted.status).toBe(200);
    expect(aborted.json).toMatchObject({ state: 'aborted', reason: expect.stringMatching(/^aborted by /) });
    expect(await berth.registry.getDeployment('r')).toBeNull();
    const twice = await call('POST', `/api/models/r/rollouts/${id}/abort`);
    expect([twice.status, twice.json.code]).toEqual([409, 'BERTH_ROLLOUT_NOT_RUNNING']);
  });

  it('refuses what cannot start with 4xx and a catalogue code, starting nothing', async () => {
    const before = (await call('GET', '/api/models/r/rollouts')).json.rollouts as unknown[];
    for (const [path, body, status, code] of [
      ['/api/models/r/rollouts', { version: 2, guards: ['error_rate>0.01'] }, 400, 'BERTH_ROLLOUT_GUARD_INVALID'],
      ['/api/models/r/rollouts', { version: 2, steps: '50,10' }, 400, 'BERTH_ROLLOUT_PLAN_INVALID'],
      ['/api/models/r/rollouts', { version: 7 }, 404, 'BERTH_REGISTRY_VERSION_NOT_FOUND'],
      ['/api/models/r/rollouts', { version: 1 }, 409, 'BERTH_ROLLOUT_CHALLENGER_INVALID'],
      ['/api/models/r/rollouts', { steps: '10,100' }, 400, 'BERTH_REQUEST_INVALID'],
      ['/api/models/nope/rollouts', { version: 2 }, 404, 'BERTH_REGISTRY_MODEL_NOT_FOUND'],
    ] as const) {
      const answer = await call('POST', path, body);
      expect([answer.status, answer.json.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect((await call('GET', '/api/models/r/rollouts')).json.rollouts).toEqual(before);
    expect((await call('GET', '/api/models/r/rollouts/no-such-id')).json.code).toBe('BERTH_ROLLOUT_NOT_FOUND');
    expect(await berth.registry.getDeployment('r')).toBeNull();
  });

  it('refuses a challenger that takes other inputs than the champion (409), starting nothing', async () => {
    const refused = await call('POST', '/api/models/r/rollouts', { version: 3, steps: '10,100' });
    expect([refused.status, refused.json.code]).toEqual([409, 'BERTH_ROLLOUT_CHALLENGER_INVALID']);
    expect(refused.json.error).toContain('it takes inputs (x: FP64) and the production version v1 takes (x: FP32)');
    expect(await berth.registry.getDeployment('r')).toBeNull();
  });

  it('is in the OpenAPI document', async () => {
    const response = await fetch(`${berth.url}/api/openapi.json`);
    const paths = ((await response.json()) as { paths: Record<string, Record<string, unknown>> }).paths;
    expect(Object.keys(paths['/api/models/{name}/rollouts'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/api/models/{name}/rollouts/{id}'] ?? {})).toEqual(['get']);
    expect(Object.keys(paths['/api/models/{name}/rollouts/{id}/abort'] ?? {})).toEqual(['post']);
  });
});
