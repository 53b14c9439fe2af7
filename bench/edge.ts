/**
 * The loans model outside a server, next to its limits, measured in one run and written into
 * BENCHMARKS.md ("At the edge"):
 *
 * - one row through `model.predict` of the in-process library (`import { loadModel } from 'berth'`),
 *   through `POST /api/models/loans/predict` of `berth serve` (one connection, one request at a
 *   time; the server's CPU time per request read from /proc), through onnxruntime-node alone on
 *   the already-encoded tensor (the limit), and through the `--target node` folder
 *   (onnxruntime-web's WebAssembly in plain Node). The paths take turns in short slices, so a busy
 *   moment of a shared machine falls on all of them; each figure is the median over the slices.
 * - the folder of `berth export --target web`: its size, and in headless Chromium the time from
 *   navigation to the first prediction (a fresh browser context each time: nothing cached), and
 *   the per-call time once loaded.
 *
 * Run: npx tsx bench/edge.ts [--slices 7] [--slice-ms 1000] [--out BENCHMARKS.md]
 * (needs npm run build first, and /usr/bin/chromium for the browser part).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { chromium } from 'playwright-core';
import { loadModel } from '../dist/index.js';
import { Pipeline } from '../dist/runtime/pipeline.js';
import { serveFolders } from '../test/helpers/static-folder.js';
import { ensureBuild } from './ensure-build.js';
import { loadAverage, machineInfo } from './machine-info.js';
import { median } from './median.js';
import { startServerProcess } from './server-process.js';
import { BERTH_BIN } from './start-berth.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const { values: args } = parseArgs({
  options: {
    slices: { type: 'string', default: '7' },
    'slice-ms': { type: 'string', default: '1000' },
    loads: { type: 'string', default: '5' },
    out: { type: 'string', default: join(ROOT, 'BENCHMARKS.md') },
  },
});
const SLICES = Number(args.slices);
const SLICE_MS = Number(args['slice-ms']);
const LOADS = Number(args.loads);
const ROW = { age: 45, annual_income: 42600, employment: 'retired', region: 'east', loan_amount: 16120, term_months: 24, credit_score: 716, open_accounts: 6, has_mortgage: 0 };

/** One way of predicting a row: `call` runs one prediction. */
interface Path {
  readonly name: string;
  call(): Promise<unknown>;
  /** CPU ticks (1/100 s) of a process other than this one that did the work, when there is one. */
  serverTicks?(): number;
}

interface SliceResult {
  readonly wallUs: number;
  /** This process's CPU time per call (every thread), µs. */
  readonly cpuUs: number;
  /** The server's CPU time per call, µs, for the HTTP path. */
  readonly serverCpuUs?: number;
}

async function slice(path: Path): Promise<SliceResult> {
  const ticksBefore = path.serverTicks?.();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let calls = 0;
  while (performance.now() - started < SLICE_MS) {
    await path.call();
    calls++;
  }
  const wallUs = ((performance.now() - started) * 1000) / calls;
  const cpu = process.cpuUsage(cpuBefore);
  const ticks = ticksBefore === undefined ? undefined : path.serverTicks!() - ticksBefore;
  return { wallUs, cpuUs: (cpu.user + cpu.system) / calls, ...(ticks !== undefined ? { serverCpuUs: (ticks * 10_000) / calls } : {}) };
}

function processTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function berth(argv: readonly string[], home: string): string {
  return execFileSync(process.execPath, [BERTH_BIN, ...argv, '--home', home], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
}

function folderBytes(dir: string): Map<string, number> {
  const sizes = new Map<string, number>();
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else sizes.set(path, statSync(join(dir, path)).size);
    }
  };
  walk('');
  return sizes;
}

const fmt = (us: number) => (us >= 100 ? us.toFixed(0) : us.toFixed(1));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

async function main(): Promise<void> {
  ensureBuild();
  const machine = machineInfo();
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-edge-'));
  const home = join(dir, 'home');
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const trained = JSON.parse(berth(['train', join(ROOT, 'examples', 'loans.csv'), '--target', 'defaulted', '--name', 'loans', '--register', '--alias', 'production', '--json'], home)) as {
      algorithm?: string;
      summary?: { algorithm?: string };
    };
    const algorithm = trained.summary?.algorithm ?? trained.algorithm ?? 'auto';
    const webDir = join(dir, 'loans-web');
    const nodeDir = join(dir, 'loans-node');
    berth(['export', 'loans@production', '--target', 'web', '-o', webDir], home);
    berth(['export', 'loans@production', '--target', 'node', '-o', nodeDir], home);

    // The library, the server, onnxruntime alone and the node folder, side by side.
    const model = await loadModel({ registry: home, ref: 'loans@production' });
    closers.push(() => model.close());
    // The same, told to run every request on the calling thread: what a thread hop costs.
    const inline = await loadModel({ registry: home, ref: 'loans@production' }, { config: { runtime: { execution: 'inline' } } });
    closers.push(() => inline.close());
    const server = await startServerProcess({
      label: 'berth serve',
      command: process.execPath,
      args: [BERTH_BIN, 'serve', '--home', home, '--port', '0', '--log-level', 'warn'],
      urlPattern: /serving .* at (http:\/\/[^\s"]+)/,
      readyPath: '/v2/health/ready',
    });
    closers.push(() => server.stop());
    const manifest = JSON.parse(readFileSync(join(nodeDir, 'bundle', 'berth.json'), 'utf8'));
    const pipeline = new Pipeline(manifest.schema, manifest.pipeline);
    const encoded = pipeline.encode([ROW]).tensor;
    const session = await ort.InferenceSession.create(join(nodeDir, 'bundle', manifest.model.file), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    closers.push(() => session.release());
    const feeds = { [encoded.name]: new ort.Tensor('float32', encoded.data as Float32Array, encoded.shape as number[]) };
    const edge = (await import(pathToFileURL(join(nodeDir, 'model.mjs')).href)) as { loadModel(): Promise<{ predict(r: unknown[]): Promise<unknown>; close(): Promise<void> }> };
    const edgeModel = await edge.loadModel();
    closers.push(() => edgeModel.close());

    const body = JSON.stringify({ records: [ROW] });
    const paths: Path[] = [
      { name: 'library: `model.predict([row])` in-process (defaults)', call: () => model.predict([ROW]) },
      { name: "library, `config: { runtime: { execution: 'inline' } }`", call: () => inline.predict([ROW]) },
      {
        name: 'HTTP: `POST /api/models/loans/predict` to `berth serve`',
        call: async () => {
          const response = await fetch(`${server.url}/api/models/loans/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
          return response.json();
        },
        serverTicks: () => processTicks(server.pid),
      },
      { name: 'onnxruntime-node alone: `session.run` on the encoded row', call: () => session.run(feeds) },
      { name: '`--target node` folder: onnxruntime-web (WebAssembly) in Node', call: () => edgeModel.predict([ROW]) },
    ];
    for (const path of paths) for (let i = 0; i < 200; i++) await path.call(); // warm
    const results = new Map<Path, SliceResult[]>(paths.map((p) => [p, []]));
    for (let s = 0; s < SLICES; s++) for (const path of paths) results.get(path)!.push(await slice(path));
    const summary = paths.map((path) => {
      const r = results.get(path)!;
      const serverCpu = r.every((x) => x.serverCpuUs !== undefined) ? median(r.map((x) => x.serverCpuUs!)) : undefined;
      return { path, wallUs: median(r.map((x) => x.wallUs)), cpuUs: median(r.map((x) => x.cpuUs)), serverCpuUs: serverCpu };
    });
    for (const s of summary) console.log(`${s.path.name}: ${fmt(s.wallUs)} µs per call, ${fmt(s.cpuUs)} µs CPU here${s.serverCpuUs !== undefined ? `, ${fmt(s.serverCpuUs)} µs server CPU` : ''}`);

    // The web folder in Chromium.
    const sizes = folderBytes(webDir);
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    let browser: { first: number[]; perCallUs: number } | undefined;
    if (existsSync(CHROMIUM)) {
      const files = await serveFolders({ '/': webDir });
      closers.push(() => files.close());
      const chrome = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
      closers.push(() => chrome.close());
      const first: number[] = [];
      let perCallUs = Number.NaN;
      for (let i = 0; i < LOADS; i++) {
        const context = await chrome.newContext();
        const page = await context.newPage();
        await page.goto(`${files.url}/index.html`);
        await page.waitForFunction(() => 'berthModel' in globalThis, undefined, { timeout: 60_000 });
        // Navigation start to the first answer: the page's load of model.js, the wasm and the bundle, then one predict.
        first.push(
          await page.evaluate(async (row) => {
            await (globalThis as unknown as { berthModel: { predict(r: unknown[]): Promise<unknown> } }).berthModel.predict([row]);
            return performance.now();
          }, ROW),
        );
        if (i === LOADS - 1) {
          perCallUs = await page.evaluate(
            async ({ row, ms }) => {
              const model = (globalThis as unknown as { berthModel: { predict(r: unknown[]): Promise<unknown> } }).berthModel;
              const perCall: number[] = [];
              for (let s = 0; s < 5; s++) {
                const started = performance.now();
                let calls = 0;
                while (performance.now() - started < ms) {
                  await model.predict([row]);
                  calls++;
                }
                perCall.push(((performance.now() - started) * 1000) / calls);
              }
              return perCall.sort((a, b) => a - b)[2]!;
            },
            { row: ROW, ms: SLICE_MS },
          );
        }
        await context.close();
      }
      browser = { first, perCallUs };
      console.log(`Chromium: first prediction ${first.map((t) => t.toFixed(0)).join(', ')} ms after navigation; ${fmt(perCallUs)} µs per call once loaded`);
    }

    const limit = summary.find((s) => s.path.name.startsWith('onnxruntime-node'))!;
    const library = summary[0]!;
    const inlined = summary[1]!;
    const http = summary[2]!;
    const lines = [
      '## At the edge (`npx tsx bench/edge.ts`)',
      '',
      `Measured separately from \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine.cpu}, ${machine.cores} cores shared with other jobs (load average ${loadAverage()} at the end), Node ${machine.node}, onnxruntime-node ${machine.onnxruntime}.`,
      `The loans model is \`berth train examples/loans.csv --target defaulted\` (${algorithm} chosen), one row (${Object.keys(ROW).length} features) per call, one call at a time.`,
      `The paths took turns in ${SLICES} slices of ${SLICE_MS} ms each; figures are medians over the slices.`,
      '',
      '| path | CPU per call (the server\'s, for HTTP) | × onnxruntime alone | time per call | CPU of the calling process per call |',
      '| --- | --- | --- | --- | --- |',
      ...summary.map((s) => {
        const cpu = s.serverCpuUs ?? s.cpuUs;
        return `| ${s.path.name} | ${fmt(cpu)} µs | ${(cpu / limit.cpuUs).toFixed(1)} | ${fmt(s.wallUs)} µs | ${s.serverCpuUs !== undefined ? `${fmt(s.cpuUs)} µs (the client)` : '(same)'} |`;
      }),
      '',
      `In-process, the library spends ${fmt(library.cpuUs)} µs of CPU on a row (${fmt(library.wallUs)} µs from call to answer); the same prediction over HTTP costs the server ${http.serverCpuUs !== undefined ? `${fmt(http.serverCpuUs)} µs of CPU (${(http.serverCpuUs / library.cpuUs).toFixed(0)}× as much)` : 'an unmeasured amount of CPU'} and the client ${fmt(http.cpuUs)} µs more, ${fmt(http.wallUs)} µs round trip. Berth's part of the in-process call (validating the row against the schema, encoding, decoding, the data plane's checks) is ${fmt(library.cpuUs - limit.cpuUs)} µs of CPU above onnxruntime alone. Forced inline it costs ${fmt(inlined.cpuUs)} µs, against ${fmt(library.cpuUs)} µs for the default (\`execution: auto\`, which runs a model inline when its warm run measures under \`runtime.inlineBudgetUs\`, 200 µs, and in a worker thread otherwise).`,
      '',
      `\`berth export loans@production --target web\`: ${mib(total)} in ${sizes.size} files: ${[...sizes.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([path, bytes]) => `\`${path}\` ${bytes >= 1024 * 1024 ? mib(bytes) : `${(bytes / 1024).toFixed(1)} KiB`}`)
        .join(', ')}. onnxruntime-web's WebAssembly runtime is ${(((sizes.get('ort-wasm-simd-threaded.wasm') ?? 0) / total) * 100).toFixed(0)}% of it; \`model.js\` holds the pipeline, the schema checks, the ONNX reader for legacy models and onnxruntime-web's JavaScript.`,
      '',
      browser
        ? `In headless Chromium (Debian's, \`--headless --disable-gpu\`, served from loopback by a static server, a fresh browser context each time so nothing is cached), the first prediction came ${median(browser.first).toFixed(0)} ms after navigation started (median of ${browser.first.length}: ${browser.first.map((t) => t.toFixed(0)).join(', ')} ms): fetching and compiling the WebAssembly, loading the bundle, one run. Once loaded, \`model.predict([row])\` takes ${fmt(browser.perCallUs)} µs in the page.`
        : `Chromium is not installed at ${CHROMIUM}: the browser figures were not measured.`,
      '',
    ];
    const section = lines.join('\n');
    console.log(`\n${section}`);
    const current = readFileSync(args.out!, 'utf8');
    const start = current.indexOf('## At the edge');
    let next = start < 0 ? -1 : current.indexOf('\n## ', start + 1);
    if (next >= 0) next += 1;
    const updated = start < 0 ? `${current.trimEnd()}\n\n${section}` : `${current.slice(0, start)}${section}${next >= 0 ? `\n${current.slice(next)}` : ''}`;
    writeFileSync(args.out!, updated);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
