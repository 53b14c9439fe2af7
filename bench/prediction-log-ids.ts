/**
 * What the prediction log costs per request, by the kind of request id:
 * - random ids (UUIDv4, a caller's own): one row per request, keys landing on random index pages;
 * - time-ordered ids from a clock far from the server's (UUIDv7 a minute off): one row per
 *   request, keys appending to the index;
 * - the server's own ids (UUIDv7 made when the request came): pages of many requests, one row
 *   per page (src/monitor/prediction-pages.ts).
 * Writes through the real PredictionLog and migrations into a fresh SQLite file on the calling
 * thread, and reports the time per logged request: taking it into the log and writing it. Then
 * what it costs feedback to find predictions (recordFeedback, storing the joined items included),
 * per item of 10,000: for consecutive requests, and for every 20th request (feedback on a sample,
 * where a page is read for few of its entries), and the longest the event loop waited meanwhile.
 *
 * Run: npx tsx bench/prediction-log-ids.ts [--requests 200000]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { v7 } from 'uuid';
import { PredictionLog, recordFeedback } from '../src/monitor/index.js';
import { monitorStores, openMetadataStore } from '../src/store/index.js';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '200000' } } });
const requests = Number(args.requests);
/** Requests arrive 10 per millisecond (10,000 per second), as under the monitoring bench's load. */
const arrival = (i: number, t0: number) => t0 + Math.floor(i / 10);

interface Costs {
  /** µs per logged request. */
  readonly logged: number;
  /** µs per feedback item, on consecutive requests and on every 20th. */
  readonly feedbackConsecutive: number;
  readonly feedbackSpread: number;
  /** The longest the event loop waited for a turn while feedback ran, ms. */
  readonly longestStallMs: number;
}

/** Measures the longest gap between turns of the event loop until `stop`. */
function eventLoopStalls(): { stop(): number } {
  let longest = 0;
  let last = performance.now();
  let running = true;
  const turn = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop() {
      running = false;
      return Math.max(longest, performance.now() - last);
    },
  };
}

const FEEDBACK_ITEMS = 10_000;

async function costs(idOf: (at: number) => string): Promise<Costs> {
  const home = mkdtempSync(join(tmpdir(), 'berth-log-ids-'));
  const store = await openMetadataStore({ home });
  const stores = monitorStores(store, { logWriter: false });
  try {
    const log = new PredictionLog({ predictions: true, sampleRate: 0, sampleMaxPerMinute: 0, sampleMaxBytes: 65_536 });
    // Made before the clock starts: what is measured is the log, not the id generator.
    const t0 = Date.now();
    const ids = Array.from({ length: requests }, (_, i) => idOf(arrival(i, t0)));
    let spent = 0;
    for (let written = 0; written < requests; ) {
      const adding = performance.now();
      // A flush's worth of answered one-row requests, as the loans model's predictions look.
      for (; !log.full && written < requests; written++) {
        log.add({
          model: 'loans',
          version: '1',
          requestId: ids[written]!,
          at: arrival(written, t0),
          protocol: 'predict',
          rows: 1,
          latencyMs: 1,
          outcome: 'success',
          outputs: { label: ['0'], probability_0: [0.8123456], probability_1: [0.1876544] },
        });
      }
      spent += performance.now() - adding;
      const started = performance.now();
      await log.flush(stores.predictionLog);
      spent += performance.now() - started;
    }
    const feedback = async (ids: readonly string[]) => {
      const stalls = eventLoopStalls();
      const started = performance.now();
      const result = await recordFeedback(stores, 'loans', ids.map((requestId) => ({ requestId, actual: '0' })), Date.now());
      const longestStallMs = stalls.stop();
      if (result.accepted !== ids.length) throw new Error(`feedback found ${result.accepted} of ${ids.length} predictions`);
      return { µsPerItem: ((performance.now() - started) * 1000) / ids.length, longestStallMs };
    };
    const consecutive = await feedback(ids.slice(0, FEEDBACK_ITEMS));
    const spread = await feedback(ids.filter((_, i) => i % 20 === 10).slice(0, FEEDBACK_ITEMS));
    return {
      logged: (spent * 1000) / requests,
      feedbackConsecutive: consecutive.µsPerItem,
      feedbackSpread: spread.µsPerItem,
      longestStallMs: Math.max(consecutive.longestStallMs, spread.longestStallMs),
    };
  } finally {
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const kinds: [string, (at: number) => string][] = [
  ['random ids (UUIDv4), a row each', () => randomUUID()],
  ['UUIDv7 from a clock a minute off, a row each', (at) => v7({ msecs: at - 60_000 })],
  ["the server's own ids (UUIDv7), in pages", (at) => v7({ msecs: at })],
];
console.log(`Prediction log on SQLite, ${requests.toLocaleString('en-US')} one-row requests; µs per logged request, and per feedback item:`);
console.log(`  ${'request ids'.padEnd(48)} ${'logged'.padStart(7)} ${'consecutive'.padStart(12)} ${'every 20th'.padStart(11)} ${'longest stall'.padStart(14)}`);
for (const [kind, idOf] of kinds) {
  const c = await costs(idOf);
  console.log(`  ${kind.padEnd(48)} ${c.logged.toFixed(2).padStart(7)} ${c.feedbackConsecutive.toFixed(2).padStart(12)} ${c.feedbackSpread.toFixed(2).padStart(11)} ${`${c.longestStallMs.toFixed(1)} ms`.padStart(14)}`);
}
