/**
 * What a deployment costs a real server (issue 16: a 50/50 split at least 95% of a single
 * version's requests/s, a 100% shadow at least 70%). Two versions of the loans model, trained by
 * `berth train` with the same trainer and different seeds (so each costs the same to run), are
 * served from a registry three ways: one version takes all traffic; a 50/50 split between them;
 * one version answers and the other shadows every request. One-row named-feature predictions at
 * 64 connections, monitoring on (defaults).
 *
 * As in run-monitor-scenario.ts (which says why): the three servers run side by side, each on its
 * own copy of the registry, and take the load in turn in short slices, many cycles, the order
 * rotated each cycle, over several generations of fresh server processes. The report leads with
 * the server's CPU time per request, then requests/s.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './load-result.js';
import type { Measurement } from './measurement.js';
import { median } from './median.js';
import { runLoad } from './run-load.js';
import { type Slice, loadSlice, monitorSlicing, predictRequests } from './run-monitor-scenario.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { BERTH_BIN } from './start-berth.js';
import type { SuiteContext } from './suite-context.js';

const GROUP = 'Deployments: a 50/50 split and a 100% shadow against one version, interleaved slices';
const DATA = new URL('../test/fixtures/datasets/', import.meta.url).pathname;
const CONNECTIONS = 64;

/** The deployments compared, by measurement key, and the berth commands that make each. */
const SETTINGS: readonly [key: string, setting: string, commands: readonly (readonly string[])[]][] = [
  ['single', 'one version', []],
  ['split', '50/50 split', [['traffic', 'loans', '1=50', '2=50']]],
  ['shadow', 'one version + 100% shadow', [['shadow', 'loans', '2', '--sample', '1']]],
];

/** Runs the deployment measurements into `ctx`. */
export async function runDeployScenario(ctx: SuiteContext): Promise<void> {
  const { generations, cycles, sliceSeconds } = monitorSlicing(ctx.quick);
  console.log(`Deployments (loans model, named-feature predictions): ${generations} × ${cycles} cycles of ${sliceSeconds} s slices`);
  const root = mkdtempSync(join(tmpdir(), 'berth-bench-deploy-'));
  try {
    const trained = join(root, 'trained');
    const berth = (args: readonly string[], home: string) => execFileSync(process.execPath, [BERTH_BIN, ...args], { env: { ...process.env, BERTH_HOME: home }, stdio: 'ignore' });
    berth(['train', join(DATA, 'loans_reference.csv'), '--target', 'defaulted', '--name', 'loans', '--algorithm', 'linear', '--seed', '1', '--register', '--alias', 'production'], trained);
    berth(['train', join(DATA, 'loans_reference.csv'), '--target', 'defaulted', '--name', 'loans', '--algorithm', 'linear', '--seed', '2', '--register'], trained);
    const homes = SETTINGS.map(([key, , commands]) => {
      const home = join(root, key);
      cpSync(trained, home, { recursive: true });
      for (const command of commands) berth(command, home);
      return home;
    });
    const requests = await predictRequests();
    const slices: Slice[][] = SETTINGS.map(() => []);
    const died: (string | undefined)[] = SETTINGS.map(() => undefined);
    for (let generation = 0; generation < generations; generation++) {
      const servers = await startServers(homes);
      try {
        for (const server of servers) await runLoad({ url: server.url, requests, connections: CONNECTIONS, seconds: ctx.timing.warmupSeconds, warmupSeconds: 0 });
        for (let cycle = 0; cycle < cycles; cycle++) {
          for (let k = 0; k < SETTINGS.length; k++) {
            const i = (k + cycle + generation) % SETTINGS.length;
            slices[i]!.push(await loadSlice(servers[i]!, requests, sliceSeconds));
          }
        }
        await noteShadow(ctx, servers[2]!, generation);
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
      const cpu = measurement.serverCpuPercent === undefined ? '' : `, ${((measurement.serverCpuPercent * 1e4) / measurement.result.requestsPerSec).toFixed(0)} µs server CPU per request`;
      console.log(`  ${setting.padEnd(26)} ${Math.round(measurement.result.requestsPerSec).toString().padStart(6)} req/s over ${slices[i]!.length} slices${cpu}`);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function startServers(homes: readonly string[]): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  try {
    for (const home of homes) {
      servers.push(
        await startServerProcess({
          label: 'Berth',
          command: process.execPath,
          args: [BERTH_BIN, 'serve', '--port', '0', '--log-level', 'info'],
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

/** What the shadow did with its copies in one generation: answered, dropped, failed (from its /metrics). */
async function noteShadow(ctx: SuiteContext, server: ServerProcess, generation: number): Promise<void> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const count = (outcome: string) => Number(new RegExp(`berth_shadow_requests_total\\{model="loans",version="2",outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  ctx.notes.push(`Deployments, 100% shadow, server ${generation + 1}: the shadow answered ${count('answered')} copies, dropped ${count('dropped')} (it fell behind), failed ${count('failed')}.`);
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
    id: `deploy.${key}`,
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
