/**
 * What the request ids cost the prediction log: random UUIDs (v4) against the time-ordered ids
 * Berth makes (UUIDv7, src/serve/request-ids.ts). The prediction log is keyed by (model, request
 * id), so random keys land on random index pages while ordered keys append. Writes through the
 * real PredictionLog and migrations into a fresh SQLite file, in batches of BATCH_ENTRIES, and
 * reports the time per logged request: taking it into the log and writing it.
 *
 * Run: npx tsx bench/prediction-log-ids.ts [--requests 200000]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PredictionLog } from '../src/monitor/index.js';
import { requestIdGenerator } from '../src/serve/request-ids.js';
import { openMetadataStore } from '../src/store/index.js';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '200000' } } });
const requests = Number(args.requests);

async function µsPerRequest(nextId: () => string): Promise<number> {
  const home = mkdtempSync(join(tmpdir(), 'berth-log-ids-'));
  const store = await openMetadataStore({ home });
  try {
    const log = new PredictionLog({ predictions: true, sampleRate: 0, sampleMaxPerMinute: 0, sampleMaxBytes: 65_536 });
    // Made before the clock starts: what is measured is the log, not the id generator.
    const ids = Array.from({ length: requests }, nextId);
    let spent = 0;
    let at = Date.now();
    for (let written = 0; written < requests; ) {
      const adding = performance.now();
      // A flush's worth of answered one-row requests, as the loans model's predictions look.
      for (; !log.full && written < requests; written++) {
        log.add({
          model: 'loans',
          version: '1',
          requestId: ids[written]!,
          at: at++,
          protocol: 'predict',
          rows: 1,
          latencyMs: 1,
          outcome: 'success',
          outputs: { label: ['0'], probability_0: [0.8123456], probability_1: [0.1876544] },
        });
      }
      spent += performance.now() - adding;
      const started = performance.now();
      await log.flush(store.db);
      spent += performance.now() - started;
    }
    return (spent * 1000) / requests;
  } finally {
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

console.log(`Prediction log on SQLite, ${requests.toLocaleString('en-US')} one-row requests:`);
const random = await µsPerRequest(() => randomUUID());
console.log(`  random ids (UUIDv4):       ${random.toFixed(2)} µs per logged request`);
const ordered = await µsPerRequest(requestIdGenerator());
console.log(`  time-ordered ids (UUIDv7): ${ordered.toFixed(2)} µs per logged request (${(random / ordered).toFixed(1)}× faster)`);
