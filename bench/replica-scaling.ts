/**
 * Replica scaling: one, two and three `berth serve` replicas sharing one PostgreSQL database and
 * one S3-compatible store (s3rver on loopback), behind a round-robin load generator (connection i
 * talks to replica i mod n). Measures requests/s, latency, the replicas' CPU per request, and what
 * they write to PostgreSQL (transactions and rows per second, read from pg_stat_database of a
 * database of the bench's own, and rows per table from pg_stat_user_tables), under load and idle,
 * so that PostgreSQL can be sized for many replicas (README, Scaling).
 *
 * Run: npx tsx bench/replica-scaling.ts [--seconds 15] [--connections 12] [--replicas 3]
 *      [--database-url postgres://postgres@127.0.0.1:5432/berth_bench_scale]  (created if missing)
 * Needs npm run build first, and a PostgreSQL the URL's user may create databases on. It prints a
 * Markdown section for BENCHMARKS.md.
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { Agent, request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestS3 } from '../test/helpers/s3-server.js';
import { ensureBuild } from './ensure-build.js';
import { mlpRequest } from './bench-models.js';
import { requestValues } from './infer-requests.js';
import { loadAverage, machineInfo } from './machine-info.js';
import { MLP, writeMlpModel } from './mlp-model.js';
import { readTree } from './sample-server.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { BERTH_BIN } from './start-berth.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '12' },
    replicas: { type: 'string', default: '3' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/berth_bench_scale' },
  },
});
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const MAX_REPLICAS = Number(args.replicas);
const DATABASE_URL = args['database-url']!;
const DATABASE = new URL(DATABASE_URL).pathname.slice(1);

const spec = mlpRequest(1);
const BODY = JSON.stringify({ inputs: [{ name: MLP.inputName, datatype: 'FP32', shape: [1, MLP.inputs], data: requestValues(spec) }] });

/** Database-wide counters of the bench's own database. */
interface DbCounters {
  readonly commits: number;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly tables: ReadonlyMap<string, number>;
}

async function ensureDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: DATABASE_URL.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`create database "${DATABASE}"`);
  } finally {
    await admin.end();
  }
}

async function counters(client: pg.Client, schema: string): Promise<DbCounters> {
  // Statistics reach the views when a backend goes idle; this waits for the replicas' last writes.
  await client.query('select pg_stat_clear_snapshot()');
  const db = await client.query<{ xact_commit: string; tup_inserted: string; tup_updated: string; tup_deleted: string }>(
    'select xact_commit, tup_inserted, tup_updated, tup_deleted from pg_stat_database where datname = $1',
    [DATABASE],
  );
  const rows = await client.query<{ relname: string; writes: string }>(
    'select relname, n_tup_ins + n_tup_upd + n_tup_del as writes from pg_stat_user_tables where schemaname = $1',
    [schema],
  );
  const d = db.rows[0]!;
  return {
    commits: Number(d.xact_commit),
    inserted: Number(d.tup_inserted),
    updated: Number(d.tup_updated),
    deleted: Number(d.tup_deleted),
    tables: new Map(rows.rows.map((r) => [r.relname, Number(r.writes)])),
  };
}

async function connectionCount(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [DATABASE]);
  return Number(rows[0]!.n);
}

function infer(url: string, agent: Agent): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v2/models/mlp/infer`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Step {
  readonly replicas: number;
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuSeconds: number;
  readonly connections: number;
  readonly load: DbDelta;
  readonly idle: DbDelta;
}

interface DbDelta {
  readonly seconds: number;
  readonly commits: number;
  readonly rows: number;
  readonly tables: ReadonlyMap<string, number>;
}

function delta(a: DbCounters, b: DbCounters, seconds: number): DbDelta {
  const tables = new Map<string, number>();
  for (const [name, writes] of b.tables) if (writes - (a.tables.get(name) ?? 0) > 0) tables.set(name, writes - (a.tables.get(name) ?? 0));
  return { seconds, commits: b.commits - a.commits, rows: b.inserted + b.updated + b.deleted - (a.inserted + a.updated + a.deleted), tables };
}

async function main(): Promise<void> {
  ensureBuild();
  await ensureDatabase();
  const { s3, skip } = await startTestS3();
  if (!s3) throw new Error(skip);
  const machine = machineInfo();
  const loadBefore = loadAverage();
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-replicas-'));
  const schema = `bench_${process.pid}`;
  const env = { ...s3.env, BERTH_DATABASE_URL: DATABASE_URL, BERTH_DATABASE_SCHEMA: schema, BERTH_BLOBS: s3.url() };
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  const servers: ServerProcess[] = [];
  const steps: Step[] = [];
  let tableBytes: (readonly [string, number])[] = [];
  let segments = { count: 0, bytes: 0, entries: 0 };
  // Every request sent, warm-ups included, for bytes per request.
  let sent = 0;
  try {
    const { onnx } = writeMlpModel(dir);
    // Not execFileSync: s3rver answers from this process's event loop.
    await promisify(execFile)(process.execPath, [BERTH_BIN, 'register', onnx, '--name', 'mlp', '--alias', 'production', '--home', join(dir, 'cli')], { env: { ...process.env, ...env } });

    for (let n = 1; n <= MAX_REPLICAS; n++) {
      for (let i = servers.length; i < n; i++) {
        servers.push(
          await startServerProcess({
            label: `replica ${i + 1}`,
            command: process.execPath,
            args: [BERTH_BIN, 'serve', '--home', join(dir, `r${i}`), '--port', '0', '--threads', '1', '--log-level', 'warn'],
            env: { ...env, BERTH_MONITOR_REPLICA_ID: `r${i}` },
            urlPattern: /serving .* at (http:\/\/[^\s"]+)/,
            readyPath: '/v2/health/ready',
          }),
        );
      }
      const agents = servers.map(() => new Agent({ keepAlive: true, maxSockets: CONNECTIONS }));
      // Warm every replica (its version's first runs), then measure.
      for (const [i, s] of servers.entries()) for (let k = 0; k < 50; k++) await infer(s.url, agents[i]!);
      sent += 50 * servers.length;
      await new Promise((r) => setTimeout(r, 3000));
      const dbBefore = await counters(client, schema);
      const cpuBefore = servers.reduce((sum, s) => sum + readTree(s.pid).cpuTicks, 0);
      const latencies: number[] = [];
      let errors = 0;
      let connections = 0;
      const started = performance.now();
      const until = started + SECONDS * 1000;
      const peek = setTimeout(() => void connectionCount(client).then((c) => (connections = c)), (SECONDS * 1000) / 2);
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async (_, c) => {
          const replica = c % servers.length;
          while (performance.now() < until) {
            const { status, ms } = await infer(servers[replica]!.url, agents[replica]!);
            if (status === 200) latencies.push(ms);
            else errors++;
          }
        }),
      );
      clearTimeout(peek);
      const seconds = (performance.now() - started) / 1000;
      const cpuSeconds = (servers.reduce((sum, s) => sum + readTree(s.pid).cpuTicks, 0) - cpuBefore) / 100;
      // Let the last windows and log batches be written (flushes run every 2 s) and reach the
      // statistics views (PostgreSQL 15 reports an idle backend's counts within 10 s), then count.
      await new Promise((r) => setTimeout(r, 11_000));
      const dbAfter = await counters(client, schema);
      // Idle: what the replicas write with no traffic (polls, leases, windows closing).
      const idleStarted = performance.now();
      await new Promise((r) => setTimeout(r, 11_000));
      const dbIdle = await counters(client, schema);
      const idleSeconds = (performance.now() - idleStarted) / 1000;
      for (const a of agents) a.destroy();
      steps.push({
        replicas: n,
        requests: latencies.length,
        errors,
        seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        cpuSeconds,
        connections,
        load: delta(dbBefore, dbAfter, seconds),
        idle: delta(dbAfter, dbIdle, idleSeconds),
      });
      const s = steps.at(-1)!;
      sent += s.requests + s.errors;
      console.error(`${n} replica(s): ${Math.round(s.requests / s.seconds)} req/s, ${s.load.commits} commits, ${s.load.rows} rows, ${s.connections} connections`);
    }
    // What the monitoring tables hold after every request of the run (warm-ups included).
    const sizes = await client.query<{ relname: string; bytes: string }>(
      'select relname, pg_total_relation_size(relid) as bytes from pg_stat_user_tables where schemaname = $1 and relname like $2 order by 2 desc',
      [schema, 'monitor%'],
    );
    tableBytes = sizes.rows.filter((r) => Number(r.bytes) > 16_384).map((r) => [r.relname, Number(r.bytes)] as const);
    // The prediction log goes to the blob store as segment files, one row each in the database.
    const logged = await client.query<{ count: string; bytes: string | null; entries: string | null }>(
      `select count(*) as count, sum(bytes) as bytes, sum(entries) as entries from "${schema}".monitor_log_segments`,
    );
    segments = { count: Number(logged.rows[0]!.count), bytes: Number(logged.rows[0]!.bytes ?? 0), entries: Number(logged.rows[0]!.entries ?? 0) };
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    await client.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await client.end();
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const one = steps[0]!;
  const rps = (s: Step) => s.requests / s.seconds;
  const lines = [
    `Measured with \`npx tsx bench/replica-scaling.ts\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${machine.cpu}, ${machine.cores} cores, Node ${process.version}; load average before ${loadBefore}, after ${loadAverage()} (a machine shared with other jobs). PostgreSQL ${(await pgVersion()).trim()} and s3rver on the same machine.`,
    `Each replica is \`berth serve --threads 1\` with its defaults otherwise (monitoring on: windows of sketches and the prediction log, flushed every 2 s), a home of its own, the database and the bucket shared. The load generator is this process: ${CONNECTIONS} keep-alive connections in a closed loop, connection i to replica i mod n, ${SECONDS} s per step, the MLP of the bench (64 inputs, JSON, one row). Database figures are deltas of pg_stat_database for the bench's own database (commits, rows inserted + updated + deleted), read after the flushes.`,
    '',
    '| replicas | req/s | vs one | p50 / p99 ms | replicas\' CPU per request | DB commits/s (per 1,000 req) | DB rows/s (per 1,000 req) | idle commits/s | connections open | errors |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...steps.map(
      (s) =>
        `| ${s.replicas} | ${Math.round(rps(s)).toLocaleString('en-US')} | ${(rps(s) / rps(one)).toFixed(2)}× | ${s.p50.toFixed(1)} / ${s.p99.toFixed(1)} | ${Math.round((s.cpuSeconds * 1e6) / s.requests)} µs | ${(s.load.commits / s.seconds).toFixed(1)} (${((1000 * s.load.commits) / s.requests).toFixed(1)}) | ${(s.load.rows / s.seconds).toFixed(0)} (${((1000 * s.load.rows) / s.requests).toFixed(0)}) | ${(s.idle.commits / s.idle.seconds).toFixed(2)} | ${s.connections} | ${s.errors} |`,
    ),
    '',
    `Monitoring tables after all ${sent.toLocaleString('en-US')} requests of the run: ${tableBytes.map(([t, b]) => `${t} ${(b / 1024).toFixed(0)} KiB (${((b / sent) * 1000 / 1024).toFixed(1)} KiB per 1,000 requests)`).join(', ')}.`,
    '',
    `Prediction log in the blob store: ${segments.count} segment files (one monitor_log_segments row each) holding ${segments.entries.toLocaleString('en-US')} entries in ${(segments.bytes / 1024).toFixed(0)} KiB (${((segments.bytes / sent) * 1000 / 1024).toFixed(1)} KiB per 1,000 requests).`,
    '',
    `Rows written per table under load, ${MAX_REPLICAS} replicas: ${[...steps.at(-1)!.load.tables].map(([t, w]) => `${t} ${w}`).join(', ')}; idle: ${[...steps.at(-1)!.idle.tables].map(([t, w]) => `${t} ${w}`).join(', ') || 'none'}.`,
  ];
  console.log(lines.join('\n'));
}

async function pgVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
  } finally {
    await client.end();
  }
}

await main();
