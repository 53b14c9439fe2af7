/**
 * Heap snapshots of the many-models bench's budgeted server (bench/many-models.ts: small MLPs, a
 * budget that holds `--hold` of them, monitoring on unless `--monitor off`): after the first
 * request, after each cold sweep of every model, and after a hot phase of 8 connections over 50
 * models. Node writes a snapshot on SIGUSR2 after a full collection, so it holds live objects only.
 * Read them with bench/heap-retained.ts, or in Chrome's DevTools. The server's RSS here is no
 * measure: writing a snapshot grows it (bench/many-models.ts measures memory).
 *
 * Run: npx tsx bench/heap-snapshots.ts --home <dir> --out <dir> [--models 1000] [--hold 100]
 *      [--sweeps 2] [--monitor on] (the home is registered on the first run and reused after).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuild } from './ensure-build.js';
import { readTree } from './sample-server.js';
import { startServerProcess } from './server-process.js';
import { SMALL_MLP_BODY, writeSmallMlp } from './small-mlp.js';
import { BERTH_BIN } from './start-berth.js';

const { values: args } = parseArgs({
  options: {
    home: { type: 'string' },
    out: { type: 'string' },
    models: { type: 'string', default: '1000' },
    hold: { type: 'string', default: '100' },
    sweeps: { type: 'string', default: '2' },
    monitor: { type: 'string', default: 'on' },
  },
});
if (!args.home || !args.out) throw new Error('--home and --out are required');
const home = args.home;
const out = args.out;
const MODELS = Number(args.models);
const HOLD = Number(args.hold);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

function infer(url: string, model: string, agent: HttpAgent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v2/models/${model}/infer`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(SMALL_MLP_BODY) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(SMALL_MLP_BODY);
  });
}

/** Sends SIGUSR2 and waits for the snapshot file to stop growing; records /metrics just before. */
async function snapshot(pid: number, url: string, label: string): Promise<void> {
  writeFileSync(join(out, `${label}.metrics`), await (await fetch(`${url}/metrics`)).text());
  const before = new Set(readdirSync(out));
  process.kill(pid, 'SIGUSR2');
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const file = readdirSync(out).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (file === undefined) continue;
    const path = join(out, file);
    let size = -1;
    while (statSync(path).size !== size || size === 0) {
      size = statSync(path).size;
      await new Promise((r) => setTimeout(r, 2000));
    }
    writeFileSync(join(out, `${label}.txt`), `${file}\n`);
    console.error(`${label}: ${file}, ${mib(size)} MiB`);
    return;
  }
}

ensureBuild();
mkdirSync(out, { recursive: true });
const files = join(home, '..', 'models');
if (!existsSync(join(home, 'berth.db'))) {
  const { openRegistry } = await import('../dist/registry/index.js');
  const registry = await openRegistry({ home, actor: { interface: 'bench' } });
  mkdirSync(files, { recursive: true });
  for (let i = 0; i < MODELS; i++) await registry.register(writeSmallMlp(files, i), { name: `m${i}` });
  await registry.close();
  console.error(`registered ${MODELS} models in ${home}`);
}
const { estimateVersionBytes } = await import('../dist/runtime/memory-budget.js');
const { OPEN_WINDOW_RESERVE_BYTES } = await import('../dist/monitor/index.js');
const fileBytes = statSync(join(files, 'm0.onnx')).size;
const budget = HOLD * (estimateVersionBytes(fileBytes, 1) + (args.monitor === 'off' ? 0 : OPEN_WINDOW_RESERVE_BYTES));
const config = join(out, 'config.json');
writeFileSync(config, JSON.stringify({ monitor: { enabled: args.monitor !== 'off' } }));
const server = await startServerProcess({
  label: 'snapshots',
  command: process.execPath,
  args: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${out}`, BERTH_BIN, 'serve', '--home', home, '--port', '0', '--threads', '1', '--log-level', 'warn', '--config', config, '--model-memory', String(budget)],
  urlPattern: /serving .* at (http:\/\/[^\s"]+)/,
  readyPath: '/v2/health/ready',
  startTimeoutMs: 600_000,
});
try {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  await infer(server.url, 'm0', agent);
  await new Promise((r) => setTimeout(r, 3000));
  await snapshot(server.pid, server.url, 'first-request');
  for (let sweep = 1; sweep <= Number(args.sweeps); sweep++) {
    for (let i = 0; i < MODELS; i++) {
      const status = await infer(server.url, `m${i}`, agent);
      if (status !== 200) throw new Error(`m${i} answered ${status}`);
    }
    await new Promise((r) => setTimeout(r, 3000));
    await snapshot(server.pid, server.url, `sweep-${sweep}`);
  }
  // Hot phase: 8 connections for 15 s over 50 models, loaded by one pass first.
  for (let i = 0; i < 50; i++) await infer(server.url, `m${i}`, agent);
  const until = performance.now() + 15_000;
  let requests = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const own = new HttpAgent({ keepAlive: true, maxSockets: 1 });
      while (performance.now() < until) {
        await infer(server.url, `m${Math.floor(Math.random() * 50)}`, own);
        requests++;
      }
      own.destroy();
    }),
  );
  console.error(`hot phase: ${requests} requests, RSS ${mib(readTree(server.pid).rssBytes)} MiB`);
  await new Promise((r) => setTimeout(r, 3000));
  await snapshot(server.pid, server.url, 'hot');
  agent.destroy();
} finally {
  await server.stop();
}
