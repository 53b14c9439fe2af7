/**
 * Training jobs (the dashboard's no-code path): the TrainingJobs class and its HTTP routes on a
 * bare Fastify app. Imported from dist/ (run `npm run build` first; `npm test` does) because
 * jobs train in worker threads, which load compiled JavaScript.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../dist/core/config.js';
import type { TrainingJob, TrainingJobs as TrainingJobsType } from '../../dist/app/training-jobs.js';
import { errorBody, toBerthError } from '../../dist/serve/http/error-reply.js';
import { registerTrainingRoutes } from '../../dist/serve/http/training-routes.js';
import { TrainingJobs } from '../../dist/app/training-jobs.js';
import { type Registry, openRegistry } from '../../dist/registry/index.js';
import { tempDir } from '../helpers/models.js';
import { finished } from '../helpers/retraining-jobs.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;
/** A training worker that never answers: its job runs until it is stopped. */
const NEVER_FINISHES = new URL('data:text/javascript,setInterval(() => undefined, 60000)');
const work = tempDir('berth-training-jobs-');
let copies = 0;

/** A copy of a dataset the jobs may own (they delete uploads when done). */
function upload(dataset: string): string {
  const path = join(work, `upload-${copies++}.csv`);
  copyFileSync(`${DATASETS}${dataset}`, path);
  return path;
}

const registries: Registry[] = [];
/** A registry of its own (jobs are rows of its database), so tests never see each other's jobs. */
async function freshRegistry(): Promise<Registry> {
  const opened = await openRegistry({ home: join(work, `home-${registries.length}`) });
  registries.push(opened);
  return opened;
}
afterAll(async () => {
  for (const r of registries) await r.close();
});

/** Training jobs over `registry`'s database and blobs, with `training` settings over the defaults. */
function trainingJobs(registry: Registry, workDir: string, training: Record<string, unknown> = {}): TrainingJobsType {
  return new TrainingJobs({ config: buildConfig({ training }).training, db: registry.store.db, blobs: registry.blobs, workDir });
}

describe('TrainingJobs', () => {
  it('trains in a worker while the event loop stays free, reports progress, and registers the result', async () => {
    const registry = await freshRegistry();
    const jobs = trainingJobs(registry, join(work, 'jobs-a'));
    try {
      // The loans data takes a second or two to train; the event loop must keep ticking meanwhile.
      let longestGap = 0;
      let last = performance.now();
      const ticker = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
      }, 5);
      const seen: TrainingJob[] = [];
      const startedAt = performance.now();
      const csv = upload('loans_current_stable.csv');
      const submitted = await jobs.submit({ csv, file: 'loans.csv', target: 'defaulted' });
      expect(submitted).toMatchObject({ state: 'running', file: 'loans.csv', target: 'defaulted', name: 'loans', options: { task: 'auto', algorithm: 'auto' } });
      await jobs.subscribe(submitted.id, (job) => seen.push(job));
      const job = await finished(jobs, submitted.id);
      clearInterval(ticker);
      const trainingMs = performance.now() - startedAt;

      expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.result).toMatchObject({ task: 'classification', rows: 5000, metrics: { task: 'classification' } });
      expect(job.result!.schema.features.map((f) => f.name)).toContain('credit_score');
      expect(job.result!.candidates).toHaveLength(2);
      expect(job.progress).toMatchObject({ stage: 'done', fraction: 1 });
      const fractions = seen.map((j) => j.progress.fraction);
      expect(fractions.length).toBeGreaterThan(5);
      for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
      // Training on the event loop would stall it for the whole run; in a worker it only ever waits
      // for its share of a busy machine.
      expect(longestGap).toBeLessThan(trainingMs / 2);

      const registered = await jobs.register(job.id, registry, { alias: 'production' });
      expect(registered).toMatchObject({ created: true, aliasesSet: ['production'], version: { model: 'loans', version: 1 } });
      expect(registered.version.source).toBe(`training:${job.id} (loans.csv)`);
      const manifest = registered.version.manifest;
      expect(manifest.lineage).toMatchObject({ data: { source: 'loans.csv', rows: 5000 }, target: 'defaulted' });
      expect((manifest.profile as { rows: number }).rows).toBe(5000);
      expect((await jobs.get(job.id)).registered).toEqual({ model: 'loans', version: 1 });
      // The upload is gone once the job has finished.
      await vi.waitFor(() => expect(existsSync(csv)).toBe(false));
    } finally {
      await jobs.close();
    }
    expect(readdirSync(join(work, 'jobs-a'))).toEqual([]);
  });

  it('queues beyond the concurrency limit, refuses beyond the queue, and fails jobs with the data error', async () => {
    const registry = await freshRegistry();
    const jobs = trainingJobs(registry, join(work, 'jobs-b'), { maxConcurrentJobs: 1, maxQueuedJobs: 1, maxUploadBytes: 20_000 });
    try {
      const first = await jobs.submit({ csv: upload('iris.csv'), file: 'iris.csv', target: 'nope' });
      const second = await jobs.submit({ csv: upload('iris.csv'), file: 'flowers.csv', target: 'species', name: 'flowers', algorithm: 'linear' });
      expect([first.state, second.state]).toEqual(['running', 'queued']);
      await expect(jobs.submit({ csv: upload('iris.csv'), file: 'iris.csv', target: 'species' })).rejects.toMatchObject({ code: 'BERTH_TRAINING_QUEUE_FULL' });
      await expect(jobs.register(second.id, registry)).rejects.toMatchObject({ code: 'BERTH_TRAINING_JOB_NOT_FINISHED' });

      const failed = await finished(jobs, first.id);
      expect(failed).toMatchObject({ state: 'failed', error: { code: 'BERTH_TRAIN_TARGET_NOT_FOUND' } });
      expect(failed.error!.error).toContain("'nope'");
      const done = await finished(jobs, second.id);
      expect(done).toMatchObject({ state: 'succeeded', name: 'flowers', result: { algorithm: 'linear' } });
      expect((await jobs.list()).map((j) => j.id)).toEqual([second.id, first.id]);
    } finally {
      await jobs.close();
    }
  });

  it('refuses bad requests before queuing, and removes the upload', async () => {
    const jobs = trainingJobs(await freshRegistry(), join(work, 'jobs-c'), { maxUploadBytes: 1000 });
    try {
      const cases: [Record<string, unknown>, string, string][] = [
        [{ target: undefined }, 'iris.csv', 'BERTH_REQUEST_INVALID'],
        [{ target: 'species', task: 'ranking' }, 'iris.csv', 'BERTH_TRAIN_OPTION_INVALID'],
        [{ target: 'species', algorithm: 'forest' }, 'iris.csv', 'BERTH_TRAIN_OPTION_INVALID'],
        [{ target: 'species', name: 'bad name' }, 'iris.csv', 'BERTH_REGISTRY_NAME_INVALID'],
        [{ target: 'species', classWeight: 'heavy' }, 'iris.csv', 'BERTH_TRAIN_OPTION_INVALID'],
        [{ target: 'species', folds: 1 }, 'iris.csv', 'BERTH_TRAIN_OPTION_INVALID'],
        [{ target: 'progression' }, 'diabetes.csv', 'BERTH_TRAINING_UPLOAD_TOO_LARGE'],
      ];
      for (const [fields, dataset, code] of cases) {
        const csv = upload(dataset);
        await expect(jobs.submit({ csv, file: dataset, target: undefined, ...fields })).rejects.toMatchObject({ code });
        expect(existsSync(csv)).toBe(false);
      }
      expect(await jobs.list()).toEqual([]);
      await expect(jobs.get('missing')).rejects.toMatchObject({ code: 'BERTH_TRAINING_JOB_NOT_FOUND' });
    } finally {
      await jobs.close();
    }
  });

  it('stops a job that trains past training.maxJobMs and fails it with BERTH_TRAINING_TIMEOUT', async () => {
    const registry = await freshRegistry();
    const jobs = new TrainingJobs({
      config: buildConfig({ training: { maxJobMs: 1000 } }).training,
      db: registry.store.db,
      blobs: registry.blobs,
      workDir: join(work, 'jobs-timeout'),
      workerUrl: NEVER_FINISHES,
    });
    try {
      const job = await jobs.submit({ csv: upload('iris.csv'), file: 'iris.csv', target: 'species' });
      const done = await finished(jobs, job.id);
      expect(done).toMatchObject({ state: 'failed', error: { code: 'BERTH_TRAINING_TIMEOUT' } });
      expect(done.error!.error).toContain('training.maxJobMs');
      // The trainer is free again: the next job is taken.
      const next = await jobs.submit({ csv: upload('iris.csv'), file: 'iris.csv', target: 'species' });
      expect(next.state).toBe('running');
    } finally {
      await jobs.close();
    }
  });

  it('fails the jobs still running when closed', async () => {
    const jobs = trainingJobs(await freshRegistry(), join(work, 'jobs-d'));
    const job = await jobs.submit({ csv: upload('loans_current_stable.csv'), file: 'loans.csv', target: 'defaulted' });
    await jobs.close();
    expect(await jobs.get(job.id)).toMatchObject({ state: 'failed', error: { code: 'BERTH_SERVER_SHUTTING_DOWN' } });
    await expect(jobs.uploadPath()).rejects.toMatchObject({ code: 'BERTH_SERVER_SHUTTING_DOWN' });
  });
});

describe('training routes', () => {
  let app: FastifyInstance;
  let jobs: TrainingJobsType;
  let registry: Registry;
  let url: string;
  beforeAll(async () => {
    registry = await freshRegistry();
    jobs = trainingJobs(registry, join(work, 'jobs-http'), { maxUploadBytes: 10_000 });
    app = Fastify();
    app.setErrorHandler((error, request, reply) => {
      const berthError = toBerthError(error, request.id, 1 << 20);
      return reply.code(berthError.httpStatus).send(errorBody(berthError));
    });
    registerTrainingRoutes(app, { jobs, registry, heartbeatMs: 50 });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await jobs.close();
  });

  function form(fields: Record<string, string>, file?: { name: string; data: Buffer | string; field?: string }): FormData {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    if (file) body.append(file.field ?? 'file', new Blob([file.data]), file.name);
    return body;
  }

  /** Reads an event stream to its end: the job states sent, and the names of other events. */
  async function events(id: string): Promise<{ jobs: TrainingJob[]; named: string[]; contentType: string | null }> {
    const response = await fetch(`${url}/api/training/${id}/events`);
    const text = await response.text();
    const blocks = text.split('\n\n').filter((b) => b.trim() !== '' && !b.startsWith(':'));
    return {
      contentType: response.headers.get('content-type'),
      jobs: blocks.filter((b) => b.startsWith('data: ')).map((b) => JSON.parse(b.slice(6)) as TrainingJob),
      named: blocks.filter((b) => b.startsWith('event: ')).map((b) => b.split('\n')[0]!.slice(7)),
    };
  }

  it('starts a job from a multipart upload, streams it to the end, and registers it', async () => {
    const response = await fetch(`${url}/api/training`, {
      method: 'POST',
      body: form({ target: 'species', algorithm: 'linear', name: 'iris-api' }, { name: 'iris.csv', data: readFileSync(`${DATASETS}iris.csv`) }),
    });
    expect(response.status).toBe(202);
    const job = (await response.json()) as TrainingJob;
    expect(response.headers.get('location')).toBe(`/api/training/${job.id}`);
    expect(job).toMatchObject({ file: 'iris.csv', target: 'species', name: 'iris-api', options: { algorithm: 'linear' } });

    const stream = await events(job.id);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.named).toEqual(['end']);
    expect(stream.jobs.at(-1)).toMatchObject({ id: job.id, state: 'succeeded', result: { task: 'classification', rows: 150 } });

    const list = (await (await fetch(`${url}/api/training`)).json()) as { jobs: TrainingJob[] };
    expect(list.jobs.map((j) => j.id)).toContain(job.id);
    expect(await (await fetch(`${url}/api/training/${job.id}`)).json()).toMatchObject({ state: 'succeeded' });

    const registered = await fetch(`${url}/api/training/${job.id}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ alias: 'staging' }),
    });
    expect(registered.status).toBe(201);
    expect(await registered.json()).toMatchObject({ created: true, aliasesSet: ['staging'], version: { model: 'iris-api', version: 1 } });
    const entry = (await registry.auditLog({ model: 'iris-api' })).find((e) => e.action === 'version.register');
    expect(entry).toMatchObject({ interface: 'api' });
    // The same bundle again is the same version.
    const again = await fetch(`${url}/api/training/${job.id}/register`, { method: 'POST' });
    expect(again.status).toBe(200);
  });

  it('answers bad uploads with catalogue errors', async () => {
    const iris = readFileSync(`${DATASETS}iris.csv`);
    const cases: [RequestInit, number, string][] = [
      [{ body: form({}, { name: 'iris.csv', data: iris }) }, 400, 'BERTH_REQUEST_INVALID'],
      [{ body: form({ target: 'species' }) }, 400, 'BERTH_REQUEST_INVALID'],
      [{ body: form({ target: 'species' }, { name: 'iris.csv', data: iris, field: 'data' }) }, 400, 'BERTH_REQUEST_INVALID'],
      [{ body: form({ target: 'species', task: 'clustering' }, { name: 'iris.csv', data: iris }) }, 400, 'BERTH_TRAIN_OPTION_INVALID'],
      [{ body: form({ target: 'species', strict: 'yes' }, { name: 'iris.csv', data: iris }) }, 400, 'BERTH_TRAIN_OPTION_INVALID'],
      [{ body: form({ target: 'species', folds: '50' }, { name: 'iris.csv', data: iris }) }, 400, 'BERTH_TRAIN_OPTION_INVALID'],
      [{ body: form({ target: 'y' }, { name: 'big.csv', data: 'y\n' + '1\n'.repeat(10_000) }) }, 413, 'BERTH_TRAINING_UPLOAD_TOO_LARGE'],
      [{ body: JSON.stringify({ target: 'species' }), headers: { 'content-type': 'application/json' } }, 415, 'BERTH_REQUEST_UNSUPPORTED_MEDIA_TYPE'],
    ];
    for (const [init, status, code] of cases) {
      const response = await fetch(`${url}/api/training`, { method: 'POST', ...init });
      expect({ status: response.status, body: await response.json() }).toMatchObject({ status, body: { code } });
    }
    expect(readdirSync(join(work, 'jobs-http')).flatMap((d) => readdirSync(join(work, 'jobs-http', d, 'uploads')))).toEqual([]);
    const missing = await fetch(`${url}/api/training/nope/events`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'BERTH_TRAINING_JOB_NOT_FOUND' });
    const register = await fetch(`${url}/api/training/nope/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' });
    expect(register.status).toBe(400);
  });

  it('trains with class weights, a strict schema and k-fold cross-validation when the upload asks', async () => {
    const response = await fetch(`${url}/api/training`, {
      method: 'POST',
      body: form({ target: 'species', algorithm: 'linear', name: 'iris-options', classWeight: 'balanced', strict: 'true', folds: '4' }, { name: 'iris.csv', data: readFileSync(`${DATASETS}iris.csv`) }),
    });
    expect(response.status).toBe(202);
    const job = (await response.json()) as TrainingJob;
    expect(job.options).toEqual({ task: 'auto', algorithm: 'linear', classWeight: 'balanced', strict: true, folds: 4 });
    const stream = await events(job.id);
    expect(stream.jobs.at(-1)).toMatchObject({ state: 'succeeded', result: { schema: { strict: true }, metrics: { rows: 150 } } });
    const registered = await fetch(`${url}/api/training/${job.id}/register`, { method: 'POST' });
    expect(registered.status).toBe(201);
    const version = await registry.getVersion('iris-options', 1);
    expect(version.manifest.lineage).toMatchObject({ classWeight: 'balanced', folds: 4, trainRows: 150 });
  });

  it('reports a failed job in its stream', async () => {
    writeFileSync(join(work, 'tiny.csv'), 'a,b\n1,x\n2,y\n');
    const response = await fetch(`${url}/api/training`, { method: 'POST', body: form({ target: 'b' }, { name: 'tiny.csv', data: readFileSync(join(work, 'tiny.csv')) }) });
    const job = (await response.json()) as TrainingJob;
    const stream = await events(job.id);
    expect(stream.jobs.at(-1)).toMatchObject({ state: 'failed', error: { code: expect.stringMatching(/^BERTH_TRAIN_/) } });
    const register = await fetch(`${url}/api/training/${job.id}/register`, { method: 'POST' });
    expect(register.status).toBe(409);
  });
});

describe('training routes with the queue full', () => {
  it('refuses an upload with 503 before reading its body', async () => {
    const registry = await freshRegistry();
    const workDir = join(work, 'jobs-full');
    const jobs = new TrainingJobs({ config: buildConfig({ training: { maxConcurrentJobs: 1, maxQueuedJobs: 0 } }).training, db: registry.store.db, blobs: registry.blobs, workDir, workerUrl: NEVER_FINISHES });
    const app = Fastify();
    app.setErrorHandler((error, request, reply) => {
      const berthError = toBerthError(error, request.id, 1 << 20);
      return reply.code(berthError.httpStatus).send(errorBody(berthError));
    });
    registerTrainingRoutes(app, { jobs, registry });
    const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
    try {
      // The only trainer is busy and no job may wait.
      expect((await jobs.submit({ csv: upload('iris.csv'), file: 'iris.csv', target: 'species' })).state).toBe('running');
      // Headers and the start of a body that never ends: the answer cannot have waited for it.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(
          { host: url.hostname, port: url.port, path: '/api/training', method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(100 * 1024 * 1024) } },
          (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () => {
              resolve({ status: response.statusCode!, body });
              // The rest of the body is never sent.
              request.destroy();
            });
          },
        );
        request.on('error', reject);
        request.write('--x\r\ncontent-disposition: form-data; name="file"; filename="big.csv"\r\n\r\na,b\n1,2\n');
      });
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'BERTH_TRAINING_QUEUE_FULL' });
      // The work folder is made lazily, so a refusal may leave none at all.
      expect((existsSync(workDir) ? readdirSync(workDir) : []).flatMap((d) => (existsSync(join(workDir, d, 'uploads')) ? readdirSync(join(workDir, d, 'uploads')) : []))).toEqual([]);
    } finally {
      await app.close();
      await jobs.close();
    }
  });
});

describe('training routes at shutdown', () => {
  it('end open event streams when the app closes, so they never hold a shutdown up', async () => {
    const registry = await freshRegistry();
    const jobs = trainingJobs(registry, join(work, 'jobs-close'));
    const app = Fastify();
    registerTrainingRoutes(app, { jobs, registry });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const job = await jobs.submit({ csv: upload('loans_current_stable.csv'), file: 'loans.csv', target: 'defaulted' });
      const response = await fetch(`${url}/api/training/${job.id}/events`);
      const reader = response.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toMatch(/^data: \{"id":"/);
      const started = Date.now();
      await app.close();
      while (!(await reader.read()).done);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await jobs.close();
    }
  });
});

