/**
 * How long a large JSON body holds a server's event loop: a model is sent bodies of about 35 MB,
 * one after another, while a worker thread probes `/v2/health/live` every 10 ms and the main
 * thread sends one-row requests back to back. Run once with every body decoded on the event loop
 * (`BERTH_OFF_THREAD_BODY_BYTES=0`) and once with the default, which decodes and encodes bodies
 * of 1 MiB and more in worker threads.
 *
 * `--route oip` (default): an identity model ([batch, 8] FP32) served from a file, sent Open
 * Inference Protocol bodies (its answers are as large). `--route records`: an iris classifier
 * trained by Berth and served from a registry (monitoring off), sent named-feature records to
 * `POST /api/models/iris/predict` (answers of a label and three probabilities per row, about
 * 1.5 times the body's bytes).
 *
 * With `--monitor` the model is registered and served from the registry with monitoring on (the
 * windows, the prediction log, and the payload log of every request with its inputs and
 * outputs), then from its file without monitoring (the floor). BERTH_BENCH_DIST_BEFORE may name
 * a second build folder (a copy of dist/ from before a change, beside a copy of package.json
 * inside the repository) whose monitored server takes the same load first.
 *
 * Reported per setting: the server's CPU time per large request (measured with nothing else
 * sent), the longest event-loop delay the server saw (`berth_nodejs_eventloop_lag_max_seconds`),
 * the slowest health probe and small request, and their p99.
 *
 * With `--sink` (and `--monitor`) the monitored servers also send their payload log to a
 * CloudEvents sink (`monitor.payloads.sink`): a local receiver on a worker thread of the bench
 * that reads each POST whole and answers 200, so every large request's inputs and outputs (about
 * four times the body's bytes as JSON) are also serialised and POSTed by the server. Reported
 * besides: the POSTs and bytes the receiver took per setting.
 *
 * With `--csv` the records are sent as `text/csv` with a header row.
 *
 *   npx tsx bench/event-loop-stall.ts [--mb 35] [--requests 4] [--route oip|records] [--csv] [--monitor [--sink]]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { OnnxElementType } from '../src/core/onnx-proto.js';
import { encodeOnnxModel } from '../src/core/onnx-proto.js';
import { node, onnxModel, tensorValueInfo } from '../src/core/onnx-model-builder.js';
import { ensureBuild } from './ensure-build.js';
import { readTree } from './sample-server.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { BERTH_BIN, type ServedFile, startBerth } from './start-berth.js';

const { values: args } = parseArgs({
  options: {
    mb: { type: 'string', default: '35' },
    requests: { type: 'string', default: '4' },
    route: { type: 'string', default: 'oip' },
    csv: { type: 'boolean', default: false },
    monitor: { type: 'boolean', default: false },
    sink: { type: 'boolean', default: false },
  },
});
const WIDTH = 8;
const TICKS_PER_SECOND = 100;
const route = args.route === 'records' ? 'records' : 'oip';

ensureBuild();
const dir = mkdtempSync(join(tmpdir(), 'berth-stall-'));

/** What the bench serves and sends, per route. */
interface Workload {
  readonly models: readonly ServedFile[];
  /** Extra environment of the server. */
  readonly env: Readonly<Record<string, string>>;
  readonly path: string;
  readonly big: Buffer;
  readonly small: Buffer;
  readonly contentType: string;
  readonly describe: string;
}

/** The identity model [batch, 8] FP32 and OIP bodies of about `mb` megabytes: rows of eight numbers with three decimals. */
function oipWorkload(mb: number): Workload {
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
  const rows = Math.round((mb * 1e6) / (WIDTH * 8));
  const values: string[] = new Array(rows * WIDTH);
  for (let i = 0; i < values.length; i++) values[i] = ((i * 7919) % 100_000 / 1000).toFixed(3);
  return {
    models: [{ name: 'id', path: modelPath }],
    env: {},
    path: '/v2/models/id/infer',
    big: Buffer.from(`{"inputs":[{"name":"x","datatype":"FP32","shape":[${rows},${WIDTH}],"data":[${values.join(',')}]}]}`),
    small: Buffer.from(`{"inputs":[{"name":"x","datatype":"FP32","shape":[1,${WIDTH}],"data":[${new Array(WIDTH).fill(1).join(',')}]}]}`),
    contentType: 'application/json',
    describe: `identity model [batch, ${WIDTH}] FP32 from a file, OIP JSON (answers as large)`,
  };
}

/** An iris classifier in a registry (BERTH_HOME of its own, monitoring off) and records bodies of about `mb` megabytes. */
async function recordsWorkload(mb: number): Promise<Workload> {
  const { trainFromCsv } = await import('../src/train/index.js');
  const { openRegistry, packageModel } = await import('../src/registry/index.js');
  const trained = await trainFromCsv({ csv: { file: new URL('../test/fixtures/datasets/iris.csv', import.meta.url).pathname }, target: 'species', algorithm: 'linear', seed: 7 });
  const onnx = join(dir, 'iris.onnx');
  writeFileSync(onnx, trained.onnx);
  const bundle = join(dir, 'bundle');
  await packageModel(onnx, { outDir: bundle, name: 'iris', schema: trained.schema, pipeline: trained.pipeline });
  const home = join(dir, 'home');
  mkdirSync(home);
  const registry = await openRegistry({ home, actor: { interface: 'cli' } });
  await registry.register(bundle, { aliases: ['production'] });
  await registry.close();
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ monitor: { enabled: false } }));
  const row = (i: number) =>
    `{"sepal_length_cm":${(4.3 + (i % 36) / 10).toFixed(1)},"sepal_width_cm":${(2 + (i % 24) / 10).toFixed(1)},"petal_length_cm":${(1 + (i % 59) / 10).toFixed(1)},"petal_width_cm":${(0.1 + (i % 24) / 10).toFixed(1)}}`;
  const header = 'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm';
  const line = (i: number) => Object.values(JSON.parse(row(i)) as Record<string, number>).join(',');
  const rows = Math.round((mb * 1e6) / (args.csv ? line(0).length : row(0).length));
  return {
    models: [],
    env: { BERTH_HOME: home, BERTH_CONFIG: config },
    path: '/api/models/iris/predict',
    big: args.csv
      ? Buffer.from(`${header}\n${Array.from({ length: rows }, (_, i) => line(i)).join('\n')}\n`)
      : Buffer.from(`{"records":[${Array.from({ length: rows }, (_, i) => row(i)).join(',')}]}`),
    small: args.csv ? Buffer.from(`${header}\n${line(0)}\n`) : Buffer.from(`{"records":[${row(0)}]}`),
    contentType: args.csv ? 'text/csv' : 'application/json',
    describe: `${rows.toLocaleString('en')} rows to an iris classifier (linear, trained by Berth) in a registry, named-feature ${args.csv ? 'CSV' : 'records'}, monitoring off`,
  };
}

if (args.monitor && route !== 'oip') throw new Error('--monitor serves the identity model: use it with --route oip');
if (args.sink && !args.monitor) throw new Error('--sink sends the monitored servers\' payload log: use it with --monitor');
const workload = route === 'records' ? await recordsWorkload(Number(args.mb)) : oipWorkload(Number(args.mb));
const { big, small } = workload;
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

/** What a sink receiver took: POSTs answered and their bytes. */
interface Received {
  readonly posts: number;
  readonly bytes: number;
}

/** A CloudEvents sink on a thread of its own: reads each POST whole and answers 200; `take` returns what it got since the last call. */
async function startSinkReceiver(): Promise<{ url: string; take(): Promise<Received>; stop(): Promise<void> }> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const { createServer } = require('node:http');
     let posts = 0, bytes = 0;
     const server = createServer((request, response) => {
       request.on('data', (chunk) => { bytes += chunk.length; });
       request.on('end', () => { posts += 1; response.writeHead(200).end(); });
     });
     server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
     parentPort.on('message', (message) => {
       if (message === 'take') { parentPort.postMessage({ posts, bytes }); posts = 0; bytes = 0; }
       else server.close(() => parentPort.postMessage('closed'));
     });`,
    { eval: true },
  );
  const next = <T>() => new Promise<T>((resolve) => worker.once('message', resolve));
  const { port } = await next<{ port: number }>();
  return {
    url: `http://127.0.0.1:${port}/events`,
    take: () => {
      const received = next<Received>();
      worker.postMessage('take');
      return received;
    },
    stop: async () => {
      const closed = next<string>();
      worker.postMessage('stop');
      await closed;
      await worker.terminate();
    },
  };
}

const receiver = args.sink ? await startSinkReceiver() : undefined;

async function post(url: string, body: Buffer): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': workload.contentType }, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
}

/** The server's longest event-loop delay since the last scrape, in ms (prom-client resets it on each). */
async function loopLagMaxMs(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const match = /^berth_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
  return match ? Number(match[1]) * 1000 : Number.NaN;
}

/** The server's CloudEvents sink counts (`berth_monitor_payload_sink_events_total`) by outcome. */
async function sinkEvents(base: string): Promise<Readonly<Record<string, number>>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^berth_monitor_payload_sink_events_total\{outcome="(\w+)"\} (\S+)$/gm)) counts[match[1]!] = Number(match[2]);
  return counts;
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
  /** What the sink receiver took while this server ran, and the server's sink counts by outcome, with `--sink`. */
  readonly sink: (Received & { readonly events: Readonly<Record<string, number>> }) | undefined;
}

/** A server of the workload's model: as the workload serves it, or with `home` from a registry holding it, monitored. */
type ServerStart = () => Promise<ServerProcess>;

const fromWorkload =
  (setting: string, env: Record<string, string>): ServerStart =>
  () =>
    startBerth(setting, workload.models, [], { ...workload.env, ...env });

/**
 * Serves a copy of the registered model with monitoring, the prediction log and the payload log
 * (inputs and outputs) of every request, from the build `bin`; with `--sink` the payload log also
 * goes to the receiver (a POST may take up to a minute: a large request's events are large).
 */
function fromRegistry(bin: string, home: string): ServerStart {
  const config = join(dir, 'monitor.json');
  const sink = receiver !== undefined ? { sink: { url: receiver.url, timeoutMs: 60_000 } } : {};
  writeFileSync(config, JSON.stringify({ monitor: { predictionLog: true, payloads: { rate: 1, fields: ['inputs', 'outputs'], ...sink } } }));
  return () =>
    startServerProcess({
      label: 'Berth',
      command: process.execPath,
      args: [bin, 'serve', '--port', '0', '--log-level', 'info', '--config', config],
      env: { BERTH_HOME: home },
      urlPattern: /serving .* at (http:\/\/[^\s"]+)/,
      readyPath: '/v2/health/ready',
    });
}

async function measure(setting: string, start: ServerStart): Promise<Row> {
  const server = await start();
  await receiver?.take();
  try {
    const infer = `${server.url}${workload.path}`;
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
    const received = await receiver?.take();
    const sink = received !== undefined ? { ...received, events: await sinkEvents(server.url) } : undefined;
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
      sink,
    };
  } finally {
    await server.stop();
  }
}

/** A fresh registry holding the identity model as `id` (production), monitored by default. */
function registry(name: string): string {
  const home = join(dir, name);
  execFileSync(process.execPath, [BERTH_BIN, 'register', workload.models[0]!.path, '--name', 'id', '--alias', 'production'], { env: { ...process.env, BERTH_HOME: home }, stdio: 'ignore' });
  return home;
}

const before = process.env.BERTH_BENCH_DIST_BEFORE;
const rows = args.monitor
  ? [
      ...(before !== undefined
        ? [await measure(`registry, monitoring, prediction and payload logs (build ${before})`, fromRegistry(join(before, 'cli', 'main.js'), registry('before')))]
        : []),
      await measure('registry, monitoring, prediction and payload logs (dist/)', fromRegistry(BERTH_BIN, registry('after'))),
      // The floor: the same load on a server without monitoring.
      await measure('model file, no monitoring (dist/)', fromWorkload('no monitoring', {})),
    ]
  : [
      await measure('every body on the event loop (BERTH_OFF_THREAD_BODY_BYTES=0)', fromWorkload('every body on the event loop', { BERTH_OFF_THREAD_BODY_BYTES: '0' })),
      await measure('bodies of 1 MiB and more in worker threads (default)', fromWorkload('bodies in worker threads', {})),
    ];
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : '–');
await receiver?.stop();
console.log(
  `\n${args.monitor ? 'monitored: ' : ''}${requests} bodies of ${(big.length / 1e6).toFixed(1)} MB, ${args.monitor ? `identity model registered and served with monitoring${args.sink ? ', payload log to a CloudEvents sink' : ''}` : workload.describe}, Node ${process.version}\n`,
);
const sinkColumn = args.sink ? ' sink POSTs (MB) | sink events sent / dropped / failed |' : '';
console.log(`| setting | server CPU per large request | wall per large request | longest event-loop delay (server) | /v2/health/live p99 / max (n) | 1-row request p99 / max (n) |${sinkColumn}`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: |${args.sink ? ' ---: | ---: |' : ''}`);
for (const r of rows) {
  const events = (e: Readonly<Record<string, number>>) => `${e.sent ?? '–'} / ${e.dropped ?? '–'} / ${e.failed ?? '–'}`;
  const sink = args.sink ? (r.sink === undefined ? ' – | – |' : ` ${r.sink.posts} (${(r.sink.bytes / 1e6).toFixed(0)}) | ${events(r.sink.events)} |`) : '';
  console.log(
    `| ${r.setting} | ${ms(r.cpuMsPerRequest)} ms | ${ms(r.wallMsPerRequest)} ms | ${ms(r.loopLagMaxMs)} ms | ${ms(r.probeP99)} / ${ms(r.probeMax)} ms (${r.probes}) | ${ms(r.smallP99)} / ${ms(r.smallMax)} ms (${r.smallRequests}) |${sink}`,
  );
}
