/**
 * How long a large JSON body holds a server's event loop: an identity model ([batch, 8] FP32) is
 * sent bodies of about 35 MB (its answers are as large), one after another, while a worker thread
 * probes `/v2/health/live` every 10 ms and the main thread sends one-row requests back to back.
 * Run once with every body decoded on the event loop (`BERTH_OFF_THREAD_BODY_BYTES=0`) and once
 * with the default, which decodes and encodes bodies of 1 MiB and more in worker threads.
 *
 * Reported per setting: the server's CPU time per large request (measured with nothing else
 * sent), the longest event-loop delay the server saw (`berth_nodejs_eventloop_lag_max_seconds`),
 * the slowest health probe and small request, and their p99.
 *
 *   npx tsx bench/event-loop-stall.ts [--mb 35] [--requests 4]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { OnnxElementType } from '../src/core/onnx-proto.js';
import { encodeOnnxModel } from '../src/core/onnx-proto.js';
import { node, onnxModel, tensorValueInfo } from '../src/core/onnx-model-builder.js';
import { ensureBuild } from './ensure-build.js';
import { readTree } from './sample-server.js';
import { startBerth } from './start-berth.js';

const { values: args } = parseArgs({ options: { mb: { type: 'string', default: '35' }, requests: { type: 'string', default: '4' } } });
const WIDTH = 8;
const TICKS_PER_SECOND = 100;

ensureBuild();
const dir = mkdtempSync(join(tmpdir(), 'berth-stall-'));
const modelPath = join(dir, 'identity8.onnx');
writeFileSync(
  modelPath,
  encodeOnnxModel(
    onnxModel({
      nodes: [node('Identity', ['x'], ['y'])],
      inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', WIDTH])],
      outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', WIDTH])],
    }),
  ),
);

/** A body of about `mb` megabytes: rows of eight numbers with three decimals. */
function bigBody(mb: number): Buffer {
  const rows = Math.round((mb * 1e6) / (WIDTH * 8));
  const values: string[] = new Array(rows * WIDTH);
  for (let i = 0; i < values.length; i++) values[i] = ((i * 7919) % 100_000 / 1000).toFixed(3);
  return Buffer.from(`{"inputs":[{"name":"x","datatype":"FP32","shape":[${rows},${WIDTH}],"data":[${values.join(',')}]}]}`);
}

const big = bigBody(Number(args.mb));
const small = Buffer.from(`{"inputs":[{"name":"x","datatype":"FP32","shape":[1,${WIDTH}],"data":[${new Array(WIDTH).fill(1).join(',')}]}]}`);
const requests = Number(args.requests);

/** Probes a URL every `periodMs` from a thread of its own, so the bench's own loop cannot delay it. */
function startProbe(url: string, periodMs: number): { stop(): Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const latencies = []; let running = true;
     parentPort.on('message', () => { running = false; });
     (async () => {
       while (running) {
         const started = performance.now();
         await fetch(workerData.url).then((r) => r.arrayBuffer());
         latencies.push(performance.now() - started);
         await new Promise((r) => setTimeout(r, workerData.periodMs));
       }
       parentPort.postMessage(latencies);
     })();`,
    { eval: true, workerData: { url, periodMs } },
  );
  return {
    stop: () =>
      new Promise((resolve) => {
        worker.once('message', (latencies: number[]) => {
          void worker.terminate();
          resolve(latencies);
        });
        worker.postMessage('stop');
      }),
  };
}

async function post(url: string, body: Buffer): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
}

/** The server's longest event-loop delay since the last scrape, in ms (prom-client resets it on each). */
async function loopLagMaxMs(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const match = /^berth_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
  return match ? Number(match[1]) * 1000 : Number.NaN;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Row {
  readonly setting: string;
  readonly cpuMsPerRequest: number;
  readonly wallMsPerRequest: number;
  readonly loopLagMaxMs: number;
  readonly probes: number;
  readonly probeP99: number;
  readonly probeMax: number;
  readonly smallRequests: number;
  readonly smallP99: number;
  readonly smallMax: number;
}

async function measure(setting: string, env: Record<string, string>): Promise<Row> {
  const server = await startBerth(setting, [{ name: 'id', path: modelPath }], [], env);
  try {
    const infer = `${server.url}/v2/models/id/infer`;
    // Warm-up: threads, sessions and JIT.
    await post(infer, big);
    for (let i = 0; i < 50; i++) await post(infer, small);

    // Server CPU per large request, with nothing else sent.
    const before = readTree(server.pid).cpuTicks;
    const started = performance.now();
    for (let i = 0; i < requests; i++) await post(infer, big);
    const wallMsPerRequest = (performance.now() - started) / requests;
    const cpuMsPerRequest = ((readTree(server.pid).cpuTicks - before) / TICKS_PER_SECOND / requests) * 1000;

    // Stalls: large requests one after another beside probes and small requests.
    await loopLagMaxMs(server.url);
    const probe = startProbe(`${server.url}/v2/health/live`, 10);
    const smallLatencies: number[] = [];
    let sending = true;
    const smallLoop = (async () => {
      while (sending) {
        const t = performance.now();
        await post(infer, small);
        smallLatencies.push(performance.now() - t);
      }
    })();
    for (let i = 0; i < requests; i++) await post(infer, big);
    sending = false;
    await smallLoop;
    const probes = await probe.stop();
    const loopLagMax = await loopLagMaxMs(server.url);
    return {
      setting,
      cpuMsPerRequest,
      wallMsPerRequest,
      loopLagMaxMs: loopLagMax,
      probes: probes.length,
      probeP99: percentile(probes, 99),
      probeMax: Math.max(...probes),
      smallRequests: smallLatencies.length,
      smallP99: percentile(smallLatencies, 99),
      smallMax: Math.max(...smallLatencies),
    };
  } finally {
    await server.stop();
  }
}

const rows = [
  await measure('every body on the event loop (BERTH_OFF_THREAD_BODY_BYTES=0)', { BERTH_OFF_THREAD_BODY_BYTES: '0' }),
  await measure('bodies of 1 MiB and more in worker threads (default)', {}),
];
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : '–');
console.log(`\n${requests} bodies of ${(big.length / 1e6).toFixed(1)} MB (answers as large), identity model [batch, ${WIDTH}] FP32, Node ${process.version}\n`);
console.log('| setting | server CPU per large request | wall per large request | longest event-loop delay (server) | /v2/health/live p99 / max (n) | 1-row request p99 / max (n) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.setting} | ${ms(r.cpuMsPerRequest)} ms | ${ms(r.wallMsPerRequest)} ms | ${ms(r.loopLagMaxMs)} ms | ${ms(r.probeP99)} / ${ms(r.probeMax)} ms (${r.probes}) | ${ms(r.smallP99)} / ${ms(r.smallMax)} ms (${r.smallRequests}) |`,
  );
}
