/**
 * What monitoring costs. Two measurements, side by side with their limit (monitoring off):
 *
 * 1. In process: ns per row of `MonitorService.record()` for the loans data's 9 features and a
 *    classifier's 3 outputs, one-row requests and 32-row requests, against a baseline loop that
 *    builds the same events and hands them to a no-op.
 * 2. Over HTTP: a Fastify server in a worker thread answering named-feature predictions of a
 *    stand-in model (a logistic score computed in JS, cheaper than any real model, so monitoring's
 *    share is the largest it can be), with monitoring off, windows only, and on as by default
 *    (recording off the request path with setImmediate, plus the prediction log and 1% samples
 *    written to SQLite every 2 s), alternated,
 *    reported as requests per second and as the server thread's busy time per request (its event
 *    loop utilisation over the run divided by the requests answered), which is what limits
 *    throughput and is far less disturbed by other load on the machine than requests per second.
 *    The limit: on costs at most 10%.
 *
 * Run: npx tsx bench/monitor-overhead.ts [--requests 20000] [--rounds 3] [--http [--seconds 5] [--connections 16]]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Fastify from 'fastify';
import { MonitorService, type PredictionEvent } from '../src/monitor/index.js';
import { openMetadataStore } from '../src/store/index.js';
import { readCsvFile } from '../src/train/index.js';
import { runLoad } from './run-load.js';
import { startTsWorker } from './start-ts-worker.js';

const FEATURES = ['age', 'annual_income', 'employment', 'region', 'loan_amount', 'term_months', 'credit_score', 'open_accounts', 'has_mortgage'] as const;
const CATEGORICAL = new Set(['employment', 'region']);
type Row = Record<string, number | string | null>;

async function loansRows(limit: number): Promise<Row[]> {
  const table = await readCsvFile(new URL('../test/fixtures/datasets/loans_current_stable.csv', import.meta.url).pathname);
  return table.rows.slice(0, limit).map((row) =>
    Object.fromEntries(FEATURES.map((name) => {
      const raw = row[table.header.indexOf(name)]!;
      return [name, raw === '' ? null : CATEGORICAL.has(name) ? raw : Number(raw)];
    })),
  );
}

/** The stand-in model: a logistic score of a few features. */
function predict(row: Row): { label: string; probabilities: { '0': number; '1': number } } {
  const z = -1 + 0.00001 * Number(row.loan_amount ?? 0) - 0.004 * (Number(row.credit_score ?? 690) - 690) - 0.000005 * Number(row.annual_income ?? 60000);
  const p = 1 / (1 + Math.exp(-z));
  return { label: p >= 0.5 ? '1' : '0', probabilities: { '0': 1 - p, '1': p } };
}

/** The event the data plane would build for rows and their predictions. */
function eventOf(rows: readonly Row[], predictions: ReturnType<typeof predict>[], requestId: string, at: number, latencyMs: number): PredictionEvent {
  const features: Record<string, unknown[]> = {};
  for (const name of FEATURES) features[name] = rows.map((r) => r[name]);
  return {
    model: 'loans',
    version: '1',
    requestId,
    at,
    protocol: 'predict',
    rows: rows.length,
    latencyMs,
    outcome: 'success',
    features,
    outputs: {
      label: predictions.map((p) => p.label),
      probability_0: predictions.map((p) => p.probabilities['0']),
      probability_1: predictions.map((p) => p.probabilities['1']),
    },
  };
}

const SCHEMA = {
  features: FEATURES.map((name) => ({ name, kind: CATEGORICAL.has(name) ? ('categorical' as const) : ('numeric' as const) })),
  outputs: [{ name: 'label', kind: 'categorical' as const }, { name: 'probability_0', kind: 'numeric' as const }, { name: 'probability_1', kind: 'numeric' as const }],
};

/** What is monitored: nothing, the windows only, or the windows plus the prediction log and 1% samples (the default). */
type Mode = 'off' | 'windows' | 'full';

async function withMonitor<T>(work: (monitor: MonitorService) => Promise<T>, timers = false, mode: Mode = 'full'): Promise<T> {
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-monitor-'));
  const store = await openMetadataStore({ home });
  const config = mode === 'windows' ? { predictionLog: false, sampleRate: 0 } : { sampleRate: 0.01 };
  const monitor = new MonitorService({ db: store.db, config, schemaFor: () => SCHEMA, timers });
  try {
    return await work(monitor);
  } finally {
    await monitor.close();
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** ns per row of a loop over `events`, best of `repeats`. */
function nsPerRow(events: readonly PredictionEvent[], sink: (event: PredictionEvent) => void, repeats = 5): number {
  const rows = events.reduce((n, e) => n + e.rows, 0);
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const started = process.hrtime.bigint();
    for (const e of events) sink(e);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / rows);
  }
  return best;
}

async function inProcess(): Promise<void> {
  const rows = await loansRows(5000);
  const at = Date.now();
  const build = (size: number) => {
    const events: PredictionEvent[] = [];
    for (let i = 0; i + size <= rows.length; i += size) {
      const slice = rows.slice(i, i + size);
      events.push(eventOf(slice, slice.map(predict), `r${i}`, at, 1));
    }
    return events;
  };
  let sunk = 0;
  const noop = (e: PredictionEvent) => void (sunk += e.rows);
  console.log('record() per row, 9 features + 3 outputs (best of 5 passes over 5,000 rows):');
  for (const size of [1, 32]) {
    const events = build(size);
    const baseline = nsPerRow(events, noop);
    // Warm the monitor up on a first pass (sketches compacting, JIT), then measure.
    const monitored = await withMonitor(async (monitor) => {
      for (const e of events) monitor.record(e);
      return nsPerRow(events, (e) => monitor.record(e));
    });
    console.log(`  ${String(size).padStart(2)}-row requests: ${monitored.toFixed(0)} ns/row (baseline loop ${baseline.toFixed(0)} ns/row)`);
  }
  if (sunk < 0) console.log(sunk);
}

async function overHttp(seconds: number, connections: number, rounds: number): Promise<void> {
  const modes: readonly Mode[] = ['off', 'windows', 'full'];
  const results: { mode: Mode; requestsPerSec: number; busyUs: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) {
      const worker = startTsWorker(new URL(import.meta.url), { mode });
      const url = await new Promise<string>((resolve, reject) => {
        worker.once('message', (m: { url: string }) => resolve(m.url));
        worker.once('error', reject);
      });
      const rows = await loansRows(50);
      const requests = rows.map((row) => ({ method: 'POST' as const, path: '/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [row] }), rows: 1 }));
      const result = await runLoad({ url, requests, connections, seconds, warmupSeconds: 2 });
      worker.postMessage('stop');
      const busy = await new Promise<{ activeMs: number; requests: number }>((resolve) => worker.once('message', resolve));
      await new Promise((r) => worker.once('exit', r));
      const busyUs = (busy.activeMs * 1000) / busy.requests;
      results.push({ mode, requestsPerSec: result.requestsPerSec, busyUs });
      console.log(`  ${mode.padEnd(7)}: ${result.requestsPerSec.toFixed(0).padStart(6)} requests/s, p99 ${result.p99Ms.toFixed(2)} ms, server busy ${busyUs.toFixed(1)} µs/request`);
    }
  }
  const median = (mode: Mode, key: 'requestsPerSec' | 'busyUs') => {
    const values = results.filter((r) => r.mode === mode).map((r) => r[key]).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  console.log('  medians (limit: monitoring costs at most 10% of throughput):');
  for (const mode of modes) {
    const busy = median(mode, 'busyUs');
    const extra = busy / median('off', 'busyUs') - 1;
    console.log(
      `    ${mode.padEnd(7)}: server busy ${busy.toFixed(1)} µs/request` +
        (mode === 'off' ? '' : ` (+${(extra * 100).toFixed(1)}%: throughput cost ${((extra / (1 + extra)) * 100).toFixed(1)}%)`) +
        `, ${median(mode, 'requestsPerSec').toFixed(0)} requests/s` +
        (mode === 'off' ? '' : ` (${((1 - median(mode, 'requestsPerSec') / median('off', 'requestsPerSec')) * 100).toFixed(1)}% fewer)`),
    );
  }
}

async function serveInWorker(mode: Mode): Promise<void> {
  const run = async (monitor: MonitorService | undefined) => {
    const app = buildApp(monitor);
    let answered = 0;
    app.addHook('onResponse', async () => {
      answered += 1;
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    const started = performance.eventLoopUtilization();
    parentPort!.postMessage({ url: `http://127.0.0.1:${address.port}` });
    await new Promise((resolve) => parentPort!.once('message', resolve));
    const used = performance.eventLoopUtilization(started);
    parentPort!.postMessage({ activeMs: used.active, requests: answered });
    await app.close();
  };
  if (mode === 'off') await run(undefined);
  else await withMonitor(run, true, mode);
}

/**
 * The same server driven in process with Fastify's inject (routing, hooks, JSON parsing and
 * serialisation, no sockets): runs of `requests` requests per mode, alternated, best of `rounds`.
 * Best-of-N of a CPU-bound loop is steady on a busy machine where requests per second over real
 * sockets are not.
 */
async function inProcessRequests(requests: number, rounds: number): Promise<void> {
  const rows = await loansRows(500);
  const bodies = rows.map((row) => JSON.stringify({ records: [row] }));
  const best = new Map<Mode, number>();
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['off', 'windows', 'full'] as const) {
      const measure = async (monitor: MonitorService | undefined) => {
        const app = buildApp(monitor);
        await app.ready();
        for (let i = 0; i < 2000; i++) await app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'application/json' }, payload: bodies[i % bodies.length]! });
        const started = process.hrtime.bigint();
        for (let i = 0; i < requests; i++) await app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'application/json' }, payload: bodies[i % bodies.length]! });
        // What monitoring left to do for these requests (windows in memory, log entries waiting) is done before the clock stops.
        await monitor?.flush();
        const us = Number(process.hrtime.bigint() - started) / 1000 / requests;
        await app.close();
        return us;
      };
      const us = mode === 'off' ? await measure(undefined) : await withMonitor(measure, true, mode);
      best.set(mode, Math.min(best.get(mode) ?? Infinity, us));
    }
  }
  const off = best.get('off')!;
  console.log(`  off    : ${off.toFixed(1)} µs/request`);
  for (const mode of ['windows', 'full'] as const) {
    const cost = best.get(mode)! / off - 1;
    console.log(`  ${mode.padEnd(7)}: ${best.get(mode)!.toFixed(1)} µs/request (+${(cost * 100).toFixed(1)}%: throughput cost ${((cost / (1 + cost)) * 100).toFixed(1)}%; limit 10%)`);
  }
}

/** The stand-in server: named-feature predictions, recorded off the request path when monitored. */
function buildApp(monitor: MonitorService | undefined) {
  const app = Fastify();
  let sequence = 0;
  app.post<{ Body: { records: Row[] } }>('/predict', async (request, reply) => {
    const rows = request.body.records;
    const predictions = rows.map(predict);
    if (monitor !== undefined) {
      const latencyMs = reply.elapsedTime;
      const id = `r${sequence++}`;
      setImmediate(() => monitor.record(eventOf(rows, predictions, id, Date.now(), latencyMs)));
    }
    return { model: 'loans', version: 1, predictions };
  });
  return app;
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  await inProcess();
  console.log(`\nIn process (Fastify inject), one-row named-feature predictions, best of ${option('rounds', 3)} runs of ${option('requests', 20000)} requests:`);
  await inProcessRequests(option('requests', 20000), option('rounds', 3));
  if (!args.includes('--http')) process.exit(0);
  console.log(`\nOver HTTP, one-row named-feature predictions, ${option('connections', 16)} connections, ${option('seconds', 5)} s per run after 2 s of warm-up:`);
  await overHttp(option('seconds', 5), option('connections', 16), option('rounds', 3));
} else {
  await serveInWorker((workerData as { mode: Mode }).mode);
}
