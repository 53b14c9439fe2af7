/**
 * What monitoring costs a real server (issue 6: at most 10% of throughput). A loans model trained
 * by `berth train` and served from a registry answers one-row named-feature predictions at 64
 * connections with monitoring off, with windows only (no prediction log, no samples), and with
 * the defaults (windows, the prediction log that feedback joins against, 1% samples).
 *
 * The three servers run side by side (each on its own copy of the registry) and take the load in
 * turn, in short slices, many cycles, the order rotated each cycle. On the shared 2-core machines
 * this runs on, the speed of the machine drifts by tens of percent within a minute: measured one
 * after the other for several seconds each, the same server differed by up to 40% between rounds.
 * Slices of a few seconds interleaved over a minute or two meet the same drift alike, so the
 * ratio of their totals measures the servers rather than the moment. A server process can also
 * be slow for its whole life (whatever its JIT made of the warm-up): the same configuration
 * measured 10% faster or slower than another in one process pair and the other way round in the
 * next. So the servers are started afresh for each of several generations of cycles. The report
 * also gives each cycle's ratio, whose spread shows what one short measurement would have said.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvFile } from '../src/train/index.js';
import type { LoadResult } from './load-result.js';
import { startNoiseMeter } from './machine-noise.js';
import type { Measurement } from './measurement.js';
import { type BenchRequest, runLoad } from './run-load.js';
import { sampleServer } from './sample-server.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { BERTH_BIN } from './start-berth.js';
import type { SuiteContext } from './suite-context.js';
import { median } from './median.js';

const GROUP = 'Monitoring: named-feature predictions of a trained model, interleaved slices';
const DATA = new URL('../test/fixtures/datasets/', import.meta.url).pathname;
/** Distinct rows the requests cycle through, so the sketches see real, varied values. */
const DISTINCT_REQUESTS = 200;
const CONNECTIONS = 64;

/** The monitoring settings compared, by measurement key. */
const SETTINGS: readonly [key: string, setting: string, monitor: Record<string, unknown>][] = [
  ['off', 'monitoring off', { enabled: false }],
  ['windows', 'windows only', { predictionLog: false, sampleRate: 0 }],
  ['on', 'monitoring on (defaults)', {}],
];

/** How the load is sliced: generations of fresh servers, each taking cycles of one slice per server. */
export function monitorSlicing(quick: boolean): { readonly generations: number; readonly cycles: number; readonly sliceSeconds: number } {
  return quick ? { generations: 1, cycles: 2, sliceSeconds: 1 } : { generations: 4, cycles: 5, sliceSeconds: 2 };
}

/** One slice of load on one server. */
export interface Slice {
  readonly result: LoadResult;
  readonly cpuPercent: number;
  readonly rssPeakMb: number;
  readonly noisePercent: number;
}

/** Runs the monitoring measurements into `ctx`. */
export async function runMonitorScenario(ctx: SuiteContext): Promise<void> {
  const { generations, cycles, sliceSeconds } = monitorSlicing(ctx.quick);
  console.log(`Monitoring overhead (loans model, named-feature predictions): ${generations} × ${cycles} cycles of ${sliceSeconds} s slices`);
  const root = mkdtempSync(join(tmpdir(), 'berth-bench-monitor-'));
  try {
    const trained = join(root, 'trained');
    execFileSync(process.execPath, [BERTH_BIN, 'train', join(DATA, 'loans_reference.csv'), '--target', 'defaulted', '--name', 'loans', '--register', '--alias', 'production'], {
      env: { ...process.env, BERTH_HOME: trained },
      stdio: 'ignore',
    });
    const requests = await predictRequests();
    const slices: Slice[][] = SETTINGS.map(() => []);
    /** How a setting's server died, with its last output, if one did. */
    const died: (string | undefined)[] = SETTINGS.map(() => undefined);
    for (let generation = 0; generation < generations; generation++) {
      const servers = await startServers(root, trained, generation);
      try {
        for (const server of servers) await runLoad({ url: server.url, requests, connections: CONNECTIONS, seconds: ctx.timing.warmupSeconds, warmupSeconds: 0 });
        for (let cycle = 0; cycle < cycles; cycle++) {
          for (let k = 0; k < SETTINGS.length; k++) {
            const i = (k + cycle + generation) % SETTINGS.length;
            slices[i]!.push(await loadSlice(servers[i]!, requests, sliceSeconds));
          }
        }
      } finally {
        servers.forEach((server, i) => {
          const ended = server.ended();
          if (ended) died[i] ??= `${ended}; its last output: ${server.output().slice(-1500)}`;
        });
        await Promise.all(servers.map((server) => server.stop()));
      }
    }
    SETTINGS.forEach(([key, setting], i) => {
      const measurement = summarise(key, setting, slices[i]!, died[i], generations);
      ctx.measurements.push(measurement);
      console.log(`  ${setting.padEnd(26)} ${Math.round(measurement.result.requestsPerSec).toString().padStart(6)} req/s over ${slices[i]!.length} slices`);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** One server per setting, each on its own copy of the trained registry (they must not share a database they write to). */
async function startServers(root: string, trained: string, generation: number): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  try {
    for (const [key, , monitor] of SETTINGS) {
      const home = join(root, `${key}-${generation}`);
      cpSync(trained, home, { recursive: true });
      const config = join(root, `${key}.json`);
      writeFileSync(config, JSON.stringify({ monitor }));
      servers.push(
        await startServerProcess({
          label: 'Berth',
          command: process.execPath,
          args: [BERTH_BIN, 'serve', '--port', '0', '--log-level', 'info', '--config', config],
          env: { BERTH_HOME: home },
          urlPattern: /serving .* at (http:\/\/[^\s"]+)/,
          readyPath: '/v2/health/ready',
        }),
      );
    }
    return servers;
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
}

/** One slice of load on `server`, with its CPU, memory and the machine's noise meanwhile. */
export async function loadSlice(server: ServerProcess, requests: readonly BenchRequest[], seconds: number): Promise<Slice> {
  const sampler = sampleServer(server.pid);
  const noise = startNoiseMeter();
  const result = await runLoad({ url: server.url, requests, connections: CONNECTIONS, seconds, warmupSeconds: 0 });
  const usage = sampler.stop();
  const machine = noise.stop();
  return { result, cpuPercent: usage.cpuPercent, rssPeakMb: usage.peakRssMb, noisePercent: machine.othersPercent + machine.stealPercent };
}

/** One row for a setting's slices: totals over time for rates, medians of the slices' latencies. */
function summarise(key: string, setting: string, slices: readonly Slice[], died: string | undefined, generations: number): Measurement {
  const seconds = slices.reduce((t, s) => t + s.result.seconds, 0);
  const total = (of: (r: LoadResult) => number) => slices.reduce((t, s) => t + of(s.result) * s.result.seconds, 0) / seconds;
  const sum = (of: (r: LoadResult) => number) => slices.reduce((t, s) => t + of(s.result), 0);
  const mean = (of: (s: Slice) => number) => slices.reduce((t, s) => t + of(s) * s.result.seconds, 0) / seconds;
  const otherStatuses: Record<string, number> = {};
  for (const s of slices) for (const [status, n] of Object.entries(s.result.otherStatuses)) otherStatuses[status] = (otherStatuses[status] ?? 0) + n;
  return {
    id: `monitor.${key}`,
    group: GROUP,
    server: 'Berth',
    request: 'records, 1 row',
    setting: `${setting}, ${slices.length} × ${slices[0]?.result.seconds.toFixed(0) ?? 0} s in ${generations} processes`,
    connections: CONNECTIONS,
    result: {
      seconds,
      requestsPerSec: total((r) => r.requestsPerSec),
      rowsPerSec: total((r) => r.rowsPerSec),
      p50Ms: median(slices.map((s) => s.result.p50Ms)),
      p99Ms: median(slices.map((s) => s.result.p99Ms)),
      errors: sum((r) => r.errors),
      non2xx: sum((r) => r.non2xx),
      otherStatuses,
      clientCpuPercent: total((r) => r.clientCpuPercent),
    },
    rssPeakMb: died ? undefined : Math.max(...slices.map((s) => s.rssPeakMb)),
    serverCpuPercent: died ? undefined : mean((s) => s.cpuPercent),
    noisePercent: mean((s) => s.noisePercent),
    slices: slices.map((s) => s.result.requestsPerSec),
    ...(died ? { serverDied: died } : {}),
  };
}

/** One-row named-feature predictions of the loans model, cycling through real rows. */
export async function predictRequests(): Promise<BenchRequest[]> {
  const table = await readCsvFile(join(DATA, 'loans_current_stable.csv'));
  return table.rows.slice(0, DISTINCT_REQUESTS).map((values) => {
    const record: Record<string, string | number | null> = {};
    table.header.forEach((name, i) => {
      if (name === 'defaulted') return;
      const raw = values[i]!;
      const n = Number(raw);
      record[name] = raw === '' ? null : Number.isNaN(n) ? raw : n;
    });
    return { method: 'POST', path: '/api/models/loans/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [record] }), rows: 1 };
  });
}
