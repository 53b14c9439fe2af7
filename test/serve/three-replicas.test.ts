/**
 * The shared mode, proven with three `berth serve` processes on one PostgreSQL database and one
 * S3-compatible store (s3rver), each with a home of its own: a version registered through replica
 * A's API is served by B and C; an alias moved through the CLI is followed by all three within 2 s
 * with no failed request under load; a monitoring report read from any replica merges the
 * windows of all three (requests counted = requests answered); a training job started on A is
 * followed from B; and killing one replica mid-load loses only the requests it had in flight.
 */
import { request } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir, writeIdentityModel, writeShiftModel } from '../helpers/models.js';
import { startTestS3 } from '../helpers/s3-server.js';
import { eventually } from '../helpers/server.js';
import { POSTGRES_SKIP_REASON, POSTGRES_URL, dropSchema, uniqueSchema } from '../helpers/store-backends.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;
const { s3, skip: s3Skip } = await startTestS3();
const skip = !POSTGRES_URL ? POSTGRES_SKIP_REASON : s3Skip;
const work = tempDir('berth-three-');
const schema = uniqueSchema();
const replicas: ServeProcess[] = [];

afterAll(async () => {
  for (const r of replicas) r.child.kill('SIGKILL');
  await s3?.close();
  if (POSTGRES_URL) await dropSchema(POSTGRES_URL, schema);
  rmSync(work, { recursive: true, force: true });
});

/** What one inference request came to. */
interface Outcome {
  readonly replica: number;
  /** Which client of the load sent it (each sends one at a time). */
  readonly client: number;
  /** When it was sent, `performance.now()`. */
  readonly sentAt: number;
  /** HTTP status, or the network error's code when no answer came. */
  readonly status: number | string;
  readonly version?: string;
}

/** POSTs one inference on a connection of its own (so a dead replica refuses the connection rather than a pooled socket failing). */
function infer(url: string, model: string, values: number[]): Promise<{ status: number | string; version?: string }> {
  const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: values }] });
  return new Promise((resolve) => {
    const req = request(`${url}/v2/models/${model}/infer`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let version: string | undefined;
        try {
          version = (JSON.parse(text) as { model_version?: string }).model_version;
        } catch {
          version = undefined;
        }
        resolve({ status: res.statusCode ?? 0, ...(version !== undefined ? { version } : {}) });
      });
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? 'ERROR' }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? 'ERROR' }));
    req.end(body);
  });
}

/**
 * A round-robin load generator: `clients` loops, each sending one request at a time to the next
 * replica in turn, 10 ms apart (steady traffic that leaves the shared machine's CPU to the CLI). A replica that refuses the connection is skipped, as a load balancer does
 * (nothing was sent); every other outcome is kept.
 */
class Load {
  readonly outcomes: Outcome[] = [];
  readonly inFlight = [0, 0, 0];
  #running = true;
  #next = 0;
  readonly #done: Promise<void[]>;

  constructor(urls: readonly string[], model: string, clients: number) {
    this.#done = Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        while (this.#running) {
          let replica = this.#next++ % urls.length;
          for (let tries = 0; tries < urls.length; tries++) {
            const sentAt = performance.now();
            this.inFlight[replica]!++;
            const answer = await infer(urls[replica]!, model, [1, 2, 3]);
            this.inFlight[replica]!--;
            if (answer.status !== 'ECONNREFUSED') {
              this.outcomes.push({ replica, client, sentAt, ...answer });
              break;
            }
            replica = (replica + 1) % urls.length;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      }),
    );
  }

  async stop(): Promise<Outcome[]> {
    this.#running = false;
    await this.#done;
    return this.outcomes;
  }
}

async function served(url: string): Promise<{ model: string; version: string; aliases: string[]; state: string }[]> {
  const response = await fetch(`${url}/api/server`);
  return ((await response.json()) as { served: { model: string; version: string; aliases: string[]; state: string }[] }).served;
}

async function productionVersion(url: string): Promise<string | undefined> {
  return (await served(url).catch(() => [])).find((s) => s.model === 'm' && s.aliases.includes('production'))?.version;
}

describe.skipIf(skip !== undefined)(`three replicas on PostgreSQL and S3${skip ? ` (${skip})` : ''}`, () => {
  const blobs = s3?.url() ?? '';
  const env = () => ({
    ...s3!.env,
    BERTH_DATABASE_URL: POSTGRES_URL!,
    BERTH_DATABASE_SCHEMA: schema,
    BERTH_BLOBS: blobs,
    BERTH_REGISTRY_POLL_MS: '250',
    BERTH_MONITOR_WINDOW_MS: '1000',
    BERTH_MONITOR_FLUSH_INTERVAL_MS: '200',
    BERTH_THREADS: '1',
    BERTH_LOG_LEVEL: 'warn',
  });
  let urls: string[] = [];
  /** Inference requests to `m` answered 200 so far, on any replica. */
  let answered = 0;

  beforeAll(async () => {
    // Replica C also runs under a model memory budget, pinning production: the shared mode and many
    // models per replica together.
    const flags = [['--home', join(work, 'a')], ['--home', join(work, 'b')], ['--home', join(work, 'c'), '--model-memory', String(256 * 1024 * 1024), '--pin', 'production']];
    for (const [i, extra] of flags.entries()) {
      replicas.push(await startBerthServe(['--port', '0', ...extra], { ...env(), BERTH_MONITOR_REPLICA_ID: `replica-${'abc'[i]}` }));
    }
    urls = replicas.map((r) => r.url);
  }, 60_000);

  it('serves from B and C a version registered through A’s API', async () => {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(writeIdentityModel(work, 'FP32'))]), 'identity.onnx');
    form.append('name', 'm');
    form.append('alias', 'production');
    const registered = await fetch(`${urls[0]}/api/models`, { method: 'POST', body: form });
    expect(registered.status, await registered.clone().text()).toBe(201);
    for (const url of urls) expect(await eventually(async () => (await productionVersion(url)) === '1', 5000)).toBe(true);
    for (const url of urls) {
      const reply = await infer(url, 'm', [4, 5, 6]);
      expect(reply).toEqual({ status: 200, version: '1' });
      answered++;
    }
    // C loaded only its pinned version: the one production points at, ready before any request.
    expect((await served(urls[2]!)).find((s) => s.model === 'm')?.state).toBe('ready');
  });

  it('follows an alias moved through the CLI on all three within 2 s, with no failed request under load', async () => {
    const second = await runBerth(['register', writeShiftModel(work, 10), '--name', 'm', '--home', join(work, 'cli')], env());
    expect(second.code, second.stderr).toBe(0);
    const load = new Load(urls, 'm', 4);
    let followed: boolean[];
    let seconds: number;
    try {
      await new Promise((r) => setTimeout(r, 500));
      const moved = await runBerth(['alias', 'm', 'production', '2', '--home', join(work, 'cli')], env());
      expect(moved.code, moved.stderr).toBe(0);
      const at = Date.now();
      followed = await Promise.all(urls.map((url) => eventually(async () => (await productionVersion(url)) === '2', 2000)));
      seconds = (Date.now() - at) / 1000;
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await load.stop();
    }
    const outcomes = load.outcomes;
    expect(followed, `followed after ${seconds} s`).toEqual([true, true, true]);
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(30);
    // Every replica answered with both versions during the load: the move happened under it.
    for (let r = 0; r < 3; r++) {
      expect(new Set(outcomes.filter((o) => o.replica === r).map((o) => o.version))).toEqual(new Set(['1', '2']));
    }
    answered += outcomes.length;
  }, 120_000);

  it('merges the windows of all three replicas in a monitoring report read from any of them', async () => {
    const counted = async (url: string) => {
      const { points } = (await (await fetch(`${url}/api/models/m/monitor/traffic?from=1h`)).json()) as { points: { requests: number; errors: number }[] };
      return points.reduce((sum, p) => sum + p.requests, 0);
    };
    // Windows close after a second and are written within the flush interval; until a replica has
    // written its last window, only that replica's own reports see it, so each is waited for.
    for (const url of urls) expect(await eventually(async () => (await counted(url)) === answered, 10_000), `${url} counts ${await counted(url)} of ${answered}`).toBe(true);
  });

  it('follows from B a training job started on A', async () => {
    const form = new FormData();
    form.append('target', 'species');
    form.append('algorithm', 'linear');
    form.append('name', 'iris');
    form.append('file', new Blob([readFileSync(`${DATASETS}iris.csv`)]), 'iris.csv');
    const started = await fetch(`${urls[0]}/api/training`, { method: 'POST', body: form });
    expect(started.status, await started.clone().text()).toBe(202);
    const location = started.headers.get('location')!;
    let job: { state: string; result?: { rows: number } } | undefined;
    const finished = await eventually(async () => {
      job = (await (await fetch(`${urls[1]}${location}`)).json()) as typeof job;
      return job!.state === 'succeeded' || job!.state === 'failed';
    }, 60_000);
    expect(finished).toBe(true);
    expect(job).toMatchObject({ state: 'succeeded', result: { rows: 150 } });
  }, 70_000);

  it('loses only the requests a killed replica had in flight; the others answer every request', async () => {
    const clients = 4;
    const load = new Load(urls, 'm', clients);
    let before: number;
    let goneAt: number;
    try {
      await new Promise((r) => setTimeout(r, 1000));
      before = load.outcomes.length;
      replicas[2]!.child.kill('SIGKILL');
      await replicas[2]!.exited;
      goneAt = performance.now();
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await load.stop();
    }
    const outcomes = load.outcomes;
    const failed = outcomes.filter((o) => o.status !== 200);
    // Only requests C had in flight failed: sent to C before it was gone, at most one per client
    // (each client has one request in flight at a time); requests sent after went to A and B.
    expect(failed.every((o) => o.replica === 2 && o.sentAt < goneAt), JSON.stringify(failed)).toBe(true);
    expect(new Set(failed.map((o) => o.client)).size).toBe(failed.length);
    expect(failed.length).toBeLessThanOrEqual(clients);
    expect(outcomes.filter((o) => o.replica === 2 && o.sentAt > goneAt)).toEqual([]);
    const after = outcomes.slice(before);
    for (const r of [0, 1]) expect(after.filter((o) => o.replica === r && o.status === 200).length).toBeGreaterThan(5);
  }, 30_000);
});
