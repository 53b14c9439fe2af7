/**
 * What the prediction log costs on disk and for feedback, now that it is segment files in the blob
 * store (src/monitor/log-segments.ts):
 * - bytes per logged prediction: the blobs' sizes over the predictions logged, for a binary
 *   classifier's named-feature predictions (`label`, `probability_no`, `probability_yes` as the
 *   model's FP32 tensor gives them), with the server's own request ids (UUIDv7 from
 *   src/serve/request-ids.ts) at 10,000 requests/s, segments sealed at the default 10 s; also the
 *   metadata database's growth (one row per segment);
 * - the payload log of the same requests (eight features, five numeric and three categorical);
 * - CPU time per logged request (taking it into the log, encoding, compressing and storing);
 * - what feedback costs per item of 10,000 (recordFeedback, the joined items stored included,
 *   segments read through one cache as a server's monitor does), for consecutive requests and for
 *   every 20th (which reads every segment), and the longest the event loop waited meanwhile (a
 *   setImmediate loop; on a busy machine this includes the time the OS gave other processes).
 * Writes through the real PredictionLog into a FileBlobStore and a fresh SQLite file, with the
 * built code (dist/) and the stores as a server opens them (SQLite writes through its writer thread).
 *
 * Run: npx tsx bench/prediction-log-size.ts [--requests 300000]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { ensureBuild } from './ensure-build.js';
import type * as MonitorModule from '../src/monitor/index.js';
import type * as RequestIdsModule from '../src/serve/request-ids.js';
import type * as StoreModule from '../src/store/index.js';
import type { PredictionEvent } from '../src/monitor/index.js';
import type { StoreTables } from '../src/store/index.js';

ensureBuild();
const DIST = new URL('../dist/', import.meta.url).href;
const { PredictionLog, recordFeedback, SegmentReaders } = (await import(`${DIST}monitor/index.js`)) as typeof MonitorModule;
const { requestIdGenerator } = (await import(`${DIST}serve/request-ids.js`)) as typeof RequestIdsModule;
const { FileBlobStore, monitorStores, openMetadataStore, SQLITE_FILE } = (await import(`${DIST}store/index.js`)) as typeof StoreModule;

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '300000' } } });
const requests = Number(args.requests);
const RATE_PER_MS = 10;
const REGIONS = ['north', 'south', 'east', 'west'];
const PURPOSES = ['car', 'home', 'education', 'business', 'medical'];

/** A deterministic pseudo-random stream (xorshift32), so runs compare. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function events(t0: number): PredictionEvent[] {
  const next = requestIdGenerator();
  const rnd = random(42);
  const out: PredictionEvent[] = [];
  for (let i = 0; i < requests; i++) {
    const at = t0 + Math.floor(i / RATE_PER_MS);
    const yes = Math.fround(rnd());
    const no = Math.fround(1 - yes);
    out.push({
      model: 'loans',
      version: '3',
      // The server makes an id when a request arrives: its clock is `at`.
      requestId: withTime(next(), at),
      at,
      protocol: 'predict',
      rows: 1,
      latencyMs: 1,
      outcome: 'success',
      features: {
        age: [18 + Math.floor(rnd() * 60)],
        income: [Math.round(rnd() * 200_000) / 1],
        amount: [Math.round(rnd() * 50_000)],
        term: [[12, 24, 36, 60][Math.floor(rnd() * 4)]],
        score: [300 + Math.floor(rnd() * 550)],
        region: [REGIONS[Math.floor(rnd() * REGIONS.length)]],
        purpose: [PURPOSES[Math.floor(rnd() * PURPOSES.length)]],
        owner: [rnd() < 0.5 ? 'yes' : 'no'],
      },
      outputs: { label: [yes >= no ? 'yes' : 'no'], probability_no: [no], probability_yes: [yes] },
    });
  }
  return out;
}

/** The id with its time replaced by `at` (the generator's clock is now; the bench's is simulated). */
function withTime(id: string, at: number): string {
  const hex = at.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8)}${id.slice(13)}`;
}

/** Vacuums the SQLite file and folds its write-ahead log in, so that its size is what it holds. */
async function compact(db: Kysely<StoreTables>): Promise<void> {
  await sql`vacuum`.execute(db);
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true })) {
    const s = statSync(join(dir, String(name)));
    if (s.isFile()) total += s.size;
  }
  return total;
}

async function measure(payloadRate: number) {
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-log-'));
  try {
    const store = await openMetadataStore({ home });
    await compact(store.db);
    const dbBefore = statSync(join(home, SQLITE_FILE)).size;
    const blobs = new FileBlobStore(join(home, 'blobs'));
    const stores = monitorStores(store, { blobs });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const clock = { now: t0 };
    const log = new PredictionLog({
      predictions: true,
      payloads: () => ({ rate: payloadRate, retentionDays: 30, fields: ['inputs', 'outputs'] }),
      sampleRate: 0,
      sampleMaxPerMinute: 0,
      sampleMaxBytes: 65_536,
      segmentSealMs: 10_000,
      segmentMaxEntries: 65_536,
      maxPending: 10_000_000,
      now: () => clock.now,
    });
    const all = events(t0);
    const cpu = process.cpuUsage();
    for (const event of all) {
      if (event.at - clock.now >= 1000) {
        clock.now = event.at;
        await log.flush(stores, { seal: 'due' });
      }
      log.add(event);
    }
    await log.flush(stores, { seal: 'all' });
    const used = process.cpuUsage(cpu);
    const cpuUs = (used.user + used.system) / requests;
    const segments = await store.db.selectFrom('monitor_log_segments').select(['kind', 'bytes', 'entries']).execute();
    const bytesOf = (kind: string) => segments.filter((s) => s.kind === kind).reduce((t, s) => t + Number(s.bytes), 0);
    const onDisk = folderBytes(join(blobs.root, 'sha256'));
    await compact(store.db);
    await store.close();
    const dbAfter = statSync(join(home, SQLITE_FILE)).size;
    return { all, home, segments: segments.length, predictionBytes: bytesOf('predictions'), payloadBytes: bytesOf('payloads'), onDisk, cpuUs, dbGrowth: dbAfter - dbBefore };
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
}

async function feedbackCost(home: string, all: readonly PredictionEvent[]) {
  const store = await openMetadataStore({ home });
  const stores = monitorStores(store, { blobs: new FileBlobStore(join(home, 'blobs')) });
  // As a server does: one cache of the segments read last, shared by feedback requests.
  const readers = new SegmentReaders(stores);
  // The writer thread starts once per server; start it before timing, as a server's samples have.
  await recordFeedback(stores, 'loans', [{ requestId: 'warm-up', actual: 'yes' }], Date.now(), { readers });
  // The longest gap between turns of the event loop, in wall time and in the event loop thread's
  // own CPU time within it: on a busy machine a gap also holds the time the OS gave other processes.
  let longest = 0;
  let longestCpu = 0;
  let last = performance.now();
  let lastCpu = loopCpuMs();
  let running = true;
  const tick = () => {
    const now = performance.now();
    const cpu = loopCpuMs();
    longest = Math.max(longest, now - last);
    longestCpu = Math.max(longestCpu, cpu - lastCpu);
    last = now;
    lastCpu = cpu;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const run = async (pick: (i: number) => number) => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ requestId: all[pick(i)]!.requestId, actual: 'yes' }));
    const start = performance.now();
    const cpu = process.cpuUsage();
    const result = await recordFeedback(stores, 'loans', items, Date.now(), { readers });
    const used = process.cpuUsage(cpu);
    const distinct = new Set(items.map((item) => item.requestId)).size;
    if (result.accepted !== distinct) throw new Error(`joined ${result.accepted} of ${distinct}`);
    return { wallUs: ((performance.now() - start) * 1000) / items.length, cpuUs: (used.user + used.system) / items.length };
  };
  const consecutive = await run((i) => 50_000 + i);
  const spread = await run((i) => (i * 20) % all.length);
  running = false;
  await store.close();
  return { consecutive, spread, longest, longestCpu };
}

/** CPU time of the calling thread, ms (Linux's schedstat, in ns); the process's where there is none. */
function loopCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    const cpu = process.cpuUsage();
    return (cpu.user + cpu.system) / 1000;
  }
}

const off = await measure(0);
const fb = await feedbackCost(off.home, off.all);
rmSync(off.home, { recursive: true, force: true });
const on = await measure(1);
rmSync(on.home, { recursive: true, force: true });
const perPrediction = off.predictionBytes / requests;
console.log(`${requests} predictions at ${RATE_PER_MS * 1000}/s, segments sealed every 10 s (${off.segments} segments)`);
console.log(`prediction log: ${perPrediction.toFixed(2)} bytes per prediction in the blob store (${off.predictionBytes} bytes; files on disk ${off.onDisk} bytes)`);
console.log(`metadata database growth: ${off.dbGrowth} bytes (${(off.dbGrowth / requests).toFixed(3)} bytes per prediction)`);
console.log(`CPU per logged request (log, encode, compress, store): ${off.cpuUs.toFixed(2)} µs`);
console.log(`with the payload log of every request too: ${(on.payloadBytes / requests).toFixed(2)} bytes per payload (8 features and the outputs); CPU ${on.cpuUs.toFixed(2)} µs per request`);
console.log(`feedback per item of 10,000, wall (process CPU): ${fb.consecutive.wallUs.toFixed(1)} (${fb.consecutive.cpuUs.toFixed(1)}) µs consecutive, ${fb.spread.wallUs.toFixed(1)} (${fb.spread.cpuUs.toFixed(1)}) µs every 20th`);
console.log(`longest event-loop stall meanwhile: ${fb.longest.toFixed(1)} ms wall; longest CPU time of the event loop's thread between two turns ${fb.longestCpu.toFixed(1)} ms`);
