/**
 * What the payload log costs a real server (issue 17: payload segments written under load at 64
 * connections with ≥ 90% of the throughput without). A loans model trained by `berth train` and
 * served from a registry answers one-row named-feature predictions at 64 connections, by two
 * servers side by side, each on its own copy of the registry: monitoring as by default (windows,
 * the prediction log's segments, 1% samples) with the payload log off, and the same with the
 * payload log of every request on (`monitor.payloads.rate` 1: each request's inputs and outputs
 * into payload segments too). They take the load in turn, in short interleaved slices over fresh
 * server processes (see run-monitor-scenario.ts for why), and the report leads with the server's
 * CPU time per request.
 *
 * Run: npx tsx bench/payload-overhead.ts [--generations 2] [--cycles 4] [--slice 2]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuild } from './ensure-build.js';
import { runLoad } from './run-load.js';
import { loadSlice, predictRequests, type Slice } from './run-monitor-scenario.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { BERTH_BIN } from './start-berth.js';

const { values: args } = parseArgs({ options: { generations: { type: 'string', default: '2' }, cycles: { type: 'string', default: '4' }, slice: { type: 'string', default: '2' } } });
const DATA = new URL('../test/fixtures/datasets/', import.meta.url).pathname;
const SETTINGS: readonly [key: string, label: string, monitor: Record<string, unknown>][] = [
  ['off', 'payload log off (monitoring defaults)', {}],
  ['on', 'payload log of every request', { payloads: { rate: 1 } }],
];

ensureBuild();
const root = mkdtempSync(join(tmpdir(), 'berth-bench-payloads-'));
try {
  const trained = join(root, 'trained');
  execFileSync(process.execPath, [BERTH_BIN, 'train', join(DATA, 'loans_reference.csv'), '--target', 'defaulted', '--name', 'loans', '--register', '--alias', 'production'], {
    env: { ...process.env, BERTH_HOME: trained },
    stdio: 'ignore',
  });
  const requests = await predictRequests();
  const slices: Slice[][] = SETTINGS.map(() => []);
  const blobBytes = SETTINGS.map(() => 0);
  for (let generation = 0; generation < Number(args.generations); generation++) {
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
      for (const server of servers) await runLoad({ url: server.url, requests, connections: 64, seconds: 2, warmupSeconds: 0 });
      for (let cycle = 0; cycle < Number(args.cycles); cycle++) {
        for (let k = 0; k < SETTINGS.length; k++) {
          const i = (k + cycle + generation) % SETTINGS.length;
          slices[i]!.push(await loadSlice(servers[i]!, requests, Number(args.slice)));
        }
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
    SETTINGS.forEach(([key], i) => (blobBytes[i]! += folderBytes(join(root, `${key}-${generation}`, 'blobs'))));
  }
  const summary = SETTINGS.map(([, label], i) => {
    const mine = slices[i]!;
    const seconds = mine.reduce((t, s) => t + s.result.seconds, 0);
    const served = mine.reduce((t, s) => t + s.result.requestsPerSec * s.result.seconds, 0);
    const cpuSeconds = mine.reduce((t, s) => t + (s.cpuPercent / 100) * s.result.seconds, 0);
    const noise = mine.reduce((t, s) => t + s.noisePercent, 0) / mine.length;
    return { label, rps: served / seconds, cpuUs: (cpuSeconds / served) * 1e6, p99: median(mine.map((s) => s.result.p99Ms)), noise, slices: mine.map((s) => s.result.requestsPerSec) };
  });
  console.log(`64 connections, one-row named-feature predictions of the loans model; ${args.generations} server generations × ${args.cycles} cycles of ${args.slice} s slices each`);
  for (const s of summary) {
    console.log(`${s.label.padEnd(40)} server CPU ${s.cpuUs.toFixed(0)} µs/request, ${s.rps.toFixed(0)} req/s, p99 ${s.p99.toFixed(1)} ms, other load on the machine ${s.noise.toFixed(0)}%`);
  }
  const cycleRatios = summary[1]!.slices.map((rps, i) => rps / summary[0]!.slices[i]!);
  console.log(`throughput with the payload log ÷ without: ${((summary[1]!.rps / summary[0]!.rps) * 100).toFixed(1)}% (slices ${Math.min(...cycleRatios).toFixed(2)}–${Math.max(...cycleRatios).toFixed(2)})`);
  console.log(`server CPU per request with ÷ without: ${((summary[1]!.cpuUs / summary[0]!.cpuUs) * 100).toFixed(1)}%`);
  console.log(`blob store after the runs: ${blobBytes.map((b, i) => `${SETTINGS[i]![0]} ${(b / 1024).toFixed(0)} KiB`).join(', ')}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function folderBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir, { recursive: true })) {
      const s = statSync(join(dir, String(name)));
      if (s.isFile()) total += s.size;
    }
  } catch {
    // No blobs folder: nothing was written.
  }
  return total;
}
