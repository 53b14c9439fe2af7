/**
 * Training jobs across replicas: jobs are rows of the shared metadata database with their upload
 * and bundle in the shared blob store, so a job started on one replica is shown, followed to the
 * end and registered from another, a queued job is taken by whichever replica has a free trainer,
 * and a job whose replica died is marked failed. Imported from dist/ (run `npm run build` first;
 * `npm test` does) because servers run inference and training in worker threads.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../dist/core/config.js';
import { openRegistry } from '../../dist/registry/index.js';
import { TrainingJobs } from '../../dist/app/training-jobs.js';
import type { TrainingJob } from '../../dist/app/training-jobs.js';
import { TrainingJobStore, openMetadataStore } from '../../dist/store/index.js';
import { type ServeProcess, startBerthServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/models.js';
import { eventually, startRegistryServer } from '../helpers/server.js';
import { POSTGRES_SKIP_REASON, POSTGRES_URL, dropSchema, uniqueSchema } from '../helpers/store-backends.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;

/** Starts a job on the server at `url` with a multipart upload; returns the job and its Location. */
async function startJob(url: string, dataset: string, fields: Record<string, string>): Promise<{ job: TrainingJob; location: string }> {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  body.append('file', new Blob([readFileSync(`${DATASETS}${dataset}`)]), dataset);
  const response = await fetch(`${url}/api/training`, { method: 'POST', body });
  expect(response.status, await response.clone().text()).toBe(202);
  return { job: (await response.json()) as TrainingJob, location: response.headers.get('location')! };
}

/** Reads a job's event stream on `url` to its end: the job states sent, and the names of other events. */
async function follow(url: string, id: string): Promise<{ jobs: TrainingJob[]; named: string[] }> {
  const response = await fetch(`${url}/api/training/${id}/events`);
  expect(response.status).toBe(200);
  const blocks = (await response.text()).split('\n\n').filter((b) => b.trim() !== '' && !b.startsWith(':'));
  return {
    jobs: blocks.filter((b) => b.startsWith('data: ')).map((b) => JSON.parse(b.slice(6)) as TrainingJob),
    named: blocks.filter((b) => b.startsWith('event: ')).map((b) => b.split('\n')[0]!.slice(7)),
  };
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** GETs JSON on a connection of its own (fetch would reuse one, and so reach one process only). */
function getOnNewConnection(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    }).on('error', reject);
  });
}

/** A job started on A is shown, followed to its end and registered from B. */
async function startOnAFinishOnB(a: string, b: string, model: string): Promise<void> {
  const { job, location } = await startJob(a, 'iris.csv', { target: 'species', algorithm: 'linear', name: model });
  expect(location).toBe(`/api/training/${job.id}`);
  // The Location exists on every replica.
  expect(await getJson(`${b}${location}`)).toMatchObject({ status: 200, body: { id: job.id, file: 'iris.csv', name: model } });
  const list = (await getJson(`${b}/api/training`)).body as { jobs: TrainingJob[] };
  expect(list.jobs.map((j) => j.id)).toContain(job.id);

  const stream = await follow(b, job.id);
  expect(stream.named).toEqual(['end']);
  expect(stream.jobs.at(-1)).toMatchObject({ id: job.id, state: 'succeeded', progress: { stage: 'done', fraction: 1 }, result: { task: 'classification', rows: 150 } });

  const registered = await fetch(`${b}/api/training/${job.id}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ alias: 'staging' }),
  });
  expect(registered.status).toBe(201);
  expect(await registered.json()).toMatchObject({ created: true, aliasesSet: ['staging'], version: { model, version: 1, source: `training:${job.id} (iris.csv)` } });
  expect((await getJson(`${a}${location}`)).body).toMatchObject({ state: 'succeeded', registered: { model, version: 1 } });
}

describe('training jobs on two servers sharing one SQLite home', () => {
  const home = tempDir('berth-training-replicas-');
  const servers: Awaited<ReturnType<typeof startRegistryServer>>[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('starts a job on one server, and shows, follows and registers it on the other', async () => {
    const training = { pollMs: 50 };
    servers.push(await startRegistryServer(home, { training }), await startRegistryServer(home, { training }));
    const [a, b] = servers.map((s) => s.url) as [string, string];
    await startOnAFinishOnB(a, b, 'iris-sqlite');
  });

  it('lets a replica with a free trainer take a job queued on a busy one', async () => {
    const [a, b] = servers.map((s) => s.url) as [string, string];
    // A trains one job at a time: the second waits in the database, where B finds it.
    const first = await startJob(a, 'loans_current_stable.csv', { target: 'defaulted' });
    const second = await startJob(a, 'iris.csv', { target: 'species', algorithm: 'linear', name: 'iris-queued' });
    expect(first.job.state).toBe('running');
    // B may claim it between A's insert and A's answer on a loaded machine: either way A did not run it.
    expect(['queued', 'running']).toContain(second.job.state);
    expect((await follow(a, second.job.id)).jobs.at(-1)).toMatchObject({ state: 'succeeded' });
    expect((await follow(b, first.job.id)).jobs.at(-1)).toMatchObject({ state: 'succeeded' });
    const list = (await getJson(`${b}/api/training`)).body as { jobs: TrainingJob[] };
    expect(list.jobs.slice(0, 2).map((j) => j.id)).toEqual([second.job.id, first.job.id]);
    // Each job's row names the replica that trained it: not the same one.
    const store = new TrainingJobStore(servers[0]!.registry.store.db);
    const holders = await Promise.all([store.get(first.job.id), store.get(second.job.id)]);
    expect(holders[0]!.holder).toBeTruthy();
    expect(holders[1]!.holder).toBeTruthy();
    expect(holders[1]!.holder).not.toBe(holders[0]!.holder);
  });
});

describe('training jobs on berth serve --workers 2 (SQLite)', () => {
  it('answers a job on every worker process, whichever one started it', async () => {
    const home = tempDir('berth-training-workers-');
    const server = await startBerthServe(['--port', '0', '--workers', '2'], { BERTH_HOME: home });
    try {
      const { job, location } = await startJob(server.url, 'iris.csv', { target: 'species', algorithm: 'linear', name: 'iris-workers' });
      // The cluster's primary hands new connections to its workers in turn, so both answer.
      const answers = await Promise.all(Array.from({ length: 6 }, () => getOnNewConnection(`${server.url}${location}`)));
      for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: { id: job.id, name: 'iris-workers' } });
      const stream = await follow(server.url, job.id);
      expect(stream.jobs.at(-1)).toMatchObject({ state: 'succeeded' });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});

describe('a job whose replica died', () => {
  it('is marked failed, with the replica and the reason, by the replica that finds its lease stale', async () => {
    const home = tempDir('berth-training-stale-');
    const registry = await openRegistry({ home });
    const store = new TrainingJobStore(registry.store.db);
    const an = new Date(Date.now() - 3_600_000).toISOString();
    await store.insert({
      id: '0190a0a0-0000-7000-8000-000000000001',
      state: 'running',
      created_at: an,
      started_at: an,
      finished_at: null,
      file: 'loans.csv',
      target: 'defaulted',
      name: 'loans',
      options: JSON.stringify({ task: 'auto', algorithm: 'auto' }),
      progress: JSON.stringify({ stage: 'fit', fraction: 0.4, message: 'fitting' }),
      result: null,
      error: null,
      registered: null,
      upload_digest: null,
      holder: 'gone-host-4242-abcdef',
      heartbeat_at: an,
      revision: 7,
    });
    const jobs = new TrainingJobs({ config: buildConfig({}).training, db: registry.store.db, blobs: registry.blobs, workDir: join(home, 'training') });
    try {
      let failed: TrainingJob | undefined;
      const unsubscribe = await jobs.subscribe('0190a0a0-0000-7000-8000-000000000001', (job) => job.state === 'failed' && (failed = job));
      expect(await eventually(() => failed !== undefined, 10_000)).toBe(true);
      unsubscribe();
      expect(failed).toMatchObject({ state: 'failed', error: { code: 'BERTH_TRAINING_REPLICA_LOST' } });
      expect(failed!.error!.error).toContain('gone-host-4242-abcdef');
      expect(failed!.error!.error).toContain(an);
      expect(failed!.finished).toBeDefined();
      await expect(jobs.register(failed!.id, registry)).rejects.toMatchObject({ code: 'BERTH_TRAINING_JOB_NOT_FINISHED' });
    } finally {
      await jobs.close();
      await registry.close();
    }
  });
});

describe.skipIf(!POSTGRES_URL)(`training jobs on two berth serve processes sharing PostgreSQL${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`, () => {
  const schema = uniqueSchema();
  const home = tempDir('berth-training-pg-');
  const started: ServeProcess[] = [];
  const configFile = join(home, 'berth.config.json');
  writeFileSync(configFile, JSON.stringify({ training: { pollMs: 100, leaseMs: 1500 } }));
  const env = { BERTH_HOME: home, BERTH_DATABASE_URL: POSTGRES_URL ?? '', BERTH_DATABASE_SCHEMA: schema, BERTH_CONFIG: configFile };
  afterAll(async () => {
    for (const s of started) s.child.kill('SIGKILL');
    if (POSTGRES_URL) await dropSchema(POSTGRES_URL, schema);
  });

  it('starts a job on one process, and shows, follows and registers it on the other', async () => {
    started.push(...(await Promise.all([startBerthServe(['--port', '0'], env), startBerthServe(['--port', '0'], env)])));
    const [a, b] = started.map((s) => s.url) as [string, string];
    await startOnAFinishOnB(a, b, 'iris-pg');
  });

  it('marks a job failed when the process training it is killed', async () => {
    const { job } = await startJob(started[0]!.url, 'loans_current_stable.csv', { target: 'defaulted' });
    expect(job.state).toBe('running');
    // Normally the process it was sent to took it, but the other one may have been quicker.
    const store = await openMetadataStore({ home, databaseUrl: POSTGRES_URL, schema });
    let holder: string | null | undefined;
    try {
      holder = (await new TrainingJobStore(store.db).get(job.id))?.holder;
    } finally {
      await store.close();
    }
    const victim = started.find((s) => holder?.includes(`-${s.child.pid}-`))!;
    const survivor = started.find((s) => s !== victim)!;
    expect(victim, `held by ${holder}`).toBeDefined();
    victim.child.kill('SIGKILL');
    await victim.exited;
    const stream = await follow(survivor.url, job.id);
    expect(stream.named).toEqual(['end']);
    const last = stream.jobs.at(-1)!;
    expect(last).toMatchObject({ id: job.id, state: 'failed', error: { code: 'BERTH_TRAINING_REPLICA_LOST' } });
    expect(last.error!.error).toContain(holder!);
    // The survivor carries on: it trains the next job itself.
    const next = await startJob(survivor.url, 'iris.csv', { target: 'species', algorithm: 'linear', name: 'iris-after' });
    expect((await follow(survivor.url, next.job.id)).jobs.at(-1)).toMatchObject({ state: 'succeeded' });
  });
});
