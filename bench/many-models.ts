/**
 * Many models per replica: 1,000 small models registered (an MLP 16 → 32 → 4 each, with weights of
 * its own), served by one `berth serve --model-memory` whose budget holds 100 of them, beside the
 * same registry served without a budget (every version loaded at start). Measures resident memory
 * in each phase against the budget plus the process's baseline (a control server driven through
 * the same phases while holding almost nothing: see runPhases), cold-load latency (p50/p99) over a
 * sweep of every model, the hit rate and the server's CPU per request under Zipf-distributed
 * traffic, and hot throughput over models that fit, with and without the budget, side by side.
 *
 * Run: npx tsx bench/many-models.ts [--models 1000] [--hold 100] [--seconds 15] [--connections 8]
 *      [--monitor off] [--skip-unbudgeted] [--node-flags '--max-semi-space-size=2']
 *      (needs npm run build first). It prints a Markdown section for BENCHMARKS.md.
 */
import { type Agent, request as httpRequest } from 'node:http';
import { Agent as HttpAgent } from 'node:http';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuild } from './ensure-build.js';
import { loadAverage, machineInfo } from './machine-info.js';
import { readTree, sampleServer } from './sample-server.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { HIDDEN, INPUTS, OUTPUTS, SMALL_MLP_BODY, writeSmallMlp } from './small-mlp.js';
import { BERTH_BIN } from './start-berth.js';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: '1000' },
    hold: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '8' },
    'skip-unbudgeted': { type: 'boolean', default: false },
    /** `off` serves with monitoring off, to tell its memory apart from the models'. */
    monitor: { type: 'string', default: 'on' },
    /** Node.js flags for the servers, e.g. `--max-semi-space-size=2` (space-separated). */
    'node-flags': { type: 'string', default: '' },
  },
});
const MODELS = Number(args.models);
const HOLD = Number(args.hold);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
/** Versions the control's budget holds: a load needs room for its probe session beside the version's. */
const CONTROL_HOLD = 3;
const BODY = SMALL_MLP_BODY;

/** One inference; resolves with the status and the latency in ms. */
function infer(url: string, model: string, agent: Agent): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v2/models/${model}/infer`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

/** A seeded uniform generator (mulberry32), so every run draws the same models. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws model indexes with Zipf's law (exponent `s`) over `n` models: index 0 is the most asked for. */
function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / (k + 1) ** s;
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface LoadRun {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly latencies: number[];
  readonly cpuPercent: number;
  readonly peakRssMb: number;
}

/** A closed loop of `CONNECTIONS` clients for `seconds`, each asking for the model `pick()` names. */
async function drive(server: ServerProcess, seconds: number, pick: () => number): Promise<LoadRun> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  const sampler = sampleServer(server.pid);
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const { status, ms } = await infer(server.url, `m${pick()}`, agent);
        if (status === 200) latencies.push(ms);
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const usage = sampler.stop();
  agent.destroy();
  return { requests: latencies.length, errors, seconds: elapsed, latencies, cpuPercent: usage.cpuPercent, peakRssMb: usage.peakRssMb };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function metrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const totals = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const name = line.slice(0, line.search(/[{ ]/));
    totals.set(name, (totals.get(name) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return totals;
}

const mib = (bytes: number) => bytes / 2 ** 20;
const f1 = (n: number) => n.toFixed(1);
const f0 = (n: number) => Math.round(n).toLocaleString('en-US');

function startServe(label: string, home: string, flags: readonly string[]): Promise<ServerProcess> {
  const config = join(home, '..', 'config.json');
  writeFileSync(config, JSON.stringify({ monitor: { enabled: args.monitor !== 'off' } }));
  return startServerProcess({
    label,
    command: process.execPath,
    args: [...args['node-flags'].split(' ').filter(Boolean), BERTH_BIN, 'serve', '--home', home, '--port', '0', '--threads', '1', '--log-level', 'warn', '--config', config, ...flags],
    urlPattern: /serving .* at (http:\/\/[^\s"]+)/,
    readyPath: '/v2/health/ready',
    startTimeoutMs: 600_000,
  });
}

/** What one server did over the phases of {@link runPhases}. */
interface Phases {
  readonly start: number;
  readonly baseline: number;
  readonly baselineHeap: number;
  readonly baselineHeapUsed: number;
  readonly firstRss: number;
  readonly cold: number[];
  readonly sweep: { peakRssMb: number };
  readonly afterSweep: Map<string, number>;
  readonly skewed: LoadRun;
  readonly coldLoads: number;
  readonly unloads: number;
  readonly hotRun: LoadRun;
  readonly hotCold: number;
  readonly end: Map<string, number>;
  readonly finalRss: number;
}

/**
 * Starts a budgeted server and drives the phases: a cold sweep of every model (m0, m1, … one
 * request at a time), then Zipf traffic and hot traffic over half the budget's worth, each request
 * of those two for the model `model(i)` where the budgeted server would ask for model i.
 */
async function runPhases(label: string, home: string, budget: number, model: (i: number) => number): Promise<Phases> {
  const started = performance.now();
  const server = await startServe(label, home, ['--model-memory', String(budget)]);
  try {
    const start = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = readTree(server.pid).rssBytes;
    const atStart = await metrics(server.url);
    console.error(`${label} server ready in ${f1(start)} s, ${f1(mib(baseline))} MiB before any request`);

    // Cold sweep: every model once, in order; each request waits for its version's load.
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const sweepSampler = sampleServer(server.pid, 100);
    const cold: number[] = [];
    let firstRss = 0;
    for (let i = 0; i < MODELS; i++) {
      const name = `m${i}`;
      const { status, ms } = await infer(server.url, name, agent);
      if (status !== 200) throw new Error(`${name} answered ${status}`);
      cold.push(ms);
      if (i === 0) firstRss = readTree(server.pid).rssBytes;
    }
    agent.destroy();
    const sweep = sweepSampler.stop();
    const afterSweep = await metrics(server.url);
    console.error(`${label} sweep: p50 ${f1(percentile(cold, 50))} ms, p99 ${f1(percentile(cold, 99))} ms, peak ${f1(sweep.peakRssMb)} MiB`);

    // Zipf traffic over every model (exponent 1): the popular ones stay loaded.
    const draw = zipf(MODELS, 1, uniform(42));
    const order = Array.from({ length: MODELS }, (_, i) => i);
    const shuffle = uniform(7);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const skewed = await drive(server, SECONDS, () => model(order[draw()]!));
    const afterSkewed = await metrics(server.url);
    const coldLoads = (afterSkewed.get('berth_model_cold_loads_total') ?? 0) - (afterSweep.get('berth_model_cold_loads_total') ?? 0);
    const unloads = (afterSkewed.get('berth_model_unloads_total') ?? 0) - (afterSweep.get('berth_model_unloads_total') ?? 0);
    console.error(`${label} zipf: ${f0(skewed.requests / skewed.seconds)} req/s, ${coldLoads} cold loads of ${skewed.requests}, peak ${f1(skewed.peakRssMb)} MiB`);

    // Hot traffic over half the budget's worth of models (all loaded after a first pass).
    const hot = Math.floor(HOLD / 2);
    for (let i = 0; i < hot; i++) await infer(server.url, `m${model(i)}`, new HttpAgent());
    const hotRandom = uniform(3);
    const hotRun = await drive(server, SECONDS, () => model(Math.floor(hotRandom() * hot)));
    const end = await metrics(server.url);
    const hotCold = (end.get('berth_model_cold_loads_total') ?? 0) - (afterSkewed.get('berth_model_cold_loads_total') ?? 0);
    const finalRss = readTree(server.pid).rssBytes;
    console.error(`${label} hot: ${f0(hotRun.requests / hotRun.seconds)} req/s, peak ${f1(hotRun.peakRssMb)} MiB`);
    return {
      start,
      baseline,
      baselineHeap: atStart.get('berth_nodejs_heap_size_total_bytes') ?? 0,
      baselineHeapUsed: atStart.get('berth_nodejs_heap_size_used_bytes') ?? 0,
      firstRss,
      cold,
      sweep,
      afterSweep,
      skewed,
      coldLoads,
      unloads,
      hotRun,
      hotCold,
      end,
      finalRss,
    };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  ensureBuild();
  const { openRegistry } = await import('../dist/registry/index.js');
  const { estimateVersionBytes } = await import('../dist/runtime/memory-budget.js');
  const { OPEN_WINDOW_RESERVE_BYTES } = await import('../dist/monitor/index.js');
  const machine = machineInfo();
  const loadBefore = loadAverage();
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-many-'));
  const home = join(dir, 'home');
  const lines: string[] = [];
  const servers: ServerProcess[] = [];
  try {
    // 1. Register the models.
    let started = performance.now();
    const registry = await openRegistry({ home, actor: { interface: 'bench' } });
    let fileBytes = 0;
    for (let i = 0; i < MODELS; i++) {
      const path = writeSmallMlp(dir, i);
      fileBytes = statSync(path).size;
      await registry.register(path, { name: `m${i}` });
    }
    await registry.close();
    const registerSeconds = (performance.now() - started) / 1000;
    console.error(`registered ${MODELS} models in ${f1(registerSeconds)} s`);

    // 2. The budgeted server: room for HOLD loaded versions (one session each with --threads 1,
    // as tiny models run inline and free their worker sessions), each with its open windows' reserve when monitoring.
    const windowReserve = args.monitor === 'off' ? 0 : OPEN_WINDOW_RESERVE_BYTES;
    const perVersion = estimateVersionBytes(fileBytes, 1) + windowReserve;
    const budget = HOLD * perVersion;
    const many = await runPhases('budgeted', home, budget, (i) => i);
    // The control: the same server and registry with room for CONTROL_HOLD versions (a load
    // reserves a probe session beside the version's own), the same cold sweep (so it keeps the
    // same state for every version that has served), then the same concurrent traffic all for one
    // model. Its peak in each phase is the process baseline for that traffic (heap headroom,
    // buffers, compiled code, per-version state), so the difference is what holding the budget's
    // versions takes.
    const controlBudget = CONTROL_HOLD * perVersion;
    const control = await runPhases('control', home, controlBudget, () => 0);
    const hot = Math.floor(HOLD / 2);

    // 3. The same registry without a budget: every version loaded at start.
    let unbudgeted: { start: number; rss: number; hot: LoadRun } | undefined;
    if (!args['skip-unbudgeted']) {
      started = performance.now();
      const all = await startServe('unbudgeted', home, []);
      servers.push(all);
      const start = (performance.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 1000));
      const rss = readTree(all.pid).rssBytes;
      console.error(`unbudgeted server ready in ${f1(start)} s, ${f1(mib(rss))} MiB`);
      const hotRandomAll = uniform(3);
      const hotAll = await drive(all, SECONDS, () => Math.floor(hotRandomAll() * hot));
      unbudgeted = { start, rss, hot: hotAll };
      await all.stop();
      servers.pop();
    }

    const cpuPerRequestUs = (run: LoadRun) => (run.cpuPercent / 100) * run.seconds * 1e6 / Math.max(1, run.requests);
    const rps = (run: LoadRun) => run.requests / run.seconds;
    const heap = (m: Map<string, number>) => `V8 heap ${f1(mib(m.get('berth_nodejs_heap_size_total_bytes') ?? 0))} MiB (${f1(mib(m.get('berth_nodejs_heap_size_used_bytes') ?? 0))} used)`;
    /** A phase's peak against the control's peak plus the budget: the excess, or the room left. */
    const extra = budget - controlBudget;
    const overOrUnder = (excess: number) => (excess > 0 ? `**${f1(excess)} MiB over**` : `${f1(-excess)} MiB under`);
    const against = (peak: number, controlPeak: number) => {
      const limit = controlPeak + mib(extra);
      return `${f1(peak)} MiB vs ${f1(controlPeak)} + ${f1(mib(extra))} = ${f1(limit)} MiB: ${overOrUnder(peak - limit)}`;
    };
    lines.push(
      `Measured with \`npx tsx bench/many-models.ts\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${machine.cpu}, ${machine.cores} cores, Node ${process.version}; load average before ${loadBefore}, after ${loadAverage()} (a machine shared with other jobs).`,
      `${MODELS} models registered in SQLite (one version each, an MLP ${INPUTS} → ${HIDDEN} → ${OUTPUTS} of ${fileBytes} bytes, weights seeded per model) in ${f1(registerSeconds)} s. Servers run \`berth serve --threads 1 --model-memory ${budget}\` with its other defaults (monitoring ${args.monitor === 'off' ? 'off' : 'on'})${args['node-flags'] ? ` under \`node ${args['node-flags']}\`` : ''}; the load generator is this process, ${CONNECTIONS} keep-alive connections in a closed loop, ${SECONDS} s per phase; server CPU and peak RSS read from /proc. The control is the same server on the same registry with a budget for ${CONTROL_HOLD} versions, the same cold sweep of every model, then the same concurrent phases with every request for one model (m0): its peak in each phase is the process baseline for that traffic, and the budgeted server's peak should stay under it plus the ${HOLD - CONTROL_HOLD} versions' worth of budget the control lacks.`,
      '',
      '| what | measured |',
      '| --- | --- |',
      `| budget | \`--model-memory ${budget}\` (${f1(mib(budget))} MiB: ${HOLD} × ${f0(perVersion)} bytes, the estimate of one loaded version${windowReserve > 0 ? ` with ${f0(windowReserve)} bytes reserved for its open windows` : ''}) |`,
      `| start-up, ${MODELS} versions served unloaded | ${f1(many.start)} s; RSS ${f1(mib(many.baseline))} MiB before any request (control: ${f1(mib(control.baseline))} MiB); V8 heap ${f1(mib(many.baselineHeap))} MiB (${f1(mib(many.baselineHeapUsed))} used) |`,
      `| RSS after the first request (onnxruntime's first session made) | ${f1(mib(many.firstRss))} MiB |`,
      `| peak RSS, cold sweep of all ${MODELS} against the control's peak + the budget it lacks | ${against(many.sweep.peakRssMb, control.sweep.peakRssMb)}; against RSS before any request + the whole budget (${f1(mib(many.baseline) + mib(budget))} MiB): ${overOrUnder(many.sweep.peakRssMb - mib(many.baseline) - mib(budget))}; after it, ${heap(many.afterSweep)} |`,
      `| cold-load latency (request to answer, each of the ${MODELS} once, one at a time) | p50 ${f1(percentile(many.cold, 50))} ms, p99 ${f1(percentile(many.cold, 99))} ms, max ${f1(Math.max(...many.cold))} ms (control, room for ${CONTROL_HOLD}: p50 ${f1(percentile(control.cold, 50))} ms) |`,
      `| Zipf (s = 1) over all ${MODELS}: hit rate | ${f1(100 * (1 - many.coldLoads / Math.max(1, many.skewed.requests)))}% (${f0(many.coldLoads)} cold loads, ${f0(many.unloads)} unloads in ${f0(many.skewed.requests)} requests; ${many.skewed.errors} errors) |`,
      `| Zipf: throughput, latency | ${f0(rps(many.skewed))} req/s, p50 ${f1(percentile(many.skewed.latencies, 50))} ms, p99 ${f1(percentile(many.skewed.latencies, 99))} ms |`,
      `| Zipf: server CPU per request | ${f0(cpuPerRequestUs(many.skewed))} µs (${f0(many.skewed.cpuPercent)}% of a core; control ${f0(cpuPerRequestUs(control.skewed))} µs) |`,
      `| Zipf: peak RSS against the control's peak + the budget it lacks | ${against(many.skewed.peakRssMb, control.skewed.peakRssMb)} |`,
      `| hot: ${hot} models that fit, uniform | ${f0(rps(many.hotRun))} req/s, ${f0(cpuPerRequestUs(many.hotRun))} µs CPU per request, p50 ${f1(percentile(many.hotRun.latencies, 50))} ms, p99 ${f1(percentile(many.hotRun.latencies, 99))} ms; ${many.hotCold} cold loads (control: ${f0(rps(control.hotRun))} req/s, ${f0(cpuPerRequestUs(control.hotRun))} µs) |`,
      `| hot: peak RSS against the control's peak + the budget it lacks | ${against(many.hotRun.peakRssMb, control.hotRun.peakRssMb)} |`,
      `| RSS at the end | ${f1(mib(many.finalRss))} MiB, ${heap(many.end)}, external ${f1(mib(many.end.get('berth_nodejs_external_memory_bytes') ?? 0))} MiB; control ${f1(mib(control.finalRss))} MiB, ${heap(control.end)} |`,
      `| server's own count at the end | ${f0(many.end.get('berth_model_cold_loads_total') ?? 0)} cold loads, ${f0(many.end.get('berth_model_unloads_total') ?? 0)} unloads, ${f0(many.end.get('berth_model_versions_loaded') ?? 0)} versions loaded, ${f1(mib(many.end.get('berth_model_memory_bytes') ?? 0))} MiB estimated |`,
    );
    if (unbudgeted) {
      lines.push(
        `| without a budget: start-up loading all ${MODELS} | ${f1(unbudgeted.start)} s; RSS ${f1(mib(unbudgeted.rss))} MiB |`,
        `| hot, same ${hot} models, without a budget | ${f0(rps(unbudgeted.hot))} req/s, ${f0(cpuPerRequestUs(unbudgeted.hot))} µs CPU per request, p50 ${f1(percentile(unbudgeted.hot.latencies, 50))} ms, p99 ${f1(percentile(unbudgeted.hot.latencies, 99))} ms |`,
        `| hot with ÷ without the budget | ${f0((100 * rps(many.hotRun)) / rps(unbudgeted.hot))}% of the throughput, ${f0((100 * cpuPerRequestUs(many.hotRun)) / cpuPerRequestUs(unbudgeted.hot))}% of the CPU per request |`,
      );
    }
    console.log(lines.join('\n'));
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
