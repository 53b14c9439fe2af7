/**
 * Crash safety of the log segments: a real child process logs predictions as fast as it can,
 * sealing and writing segments as a server does, and is killed with SIGKILL while it works. Every
 * segment it recorded reads back whole, its entries the ones logged, and what it lost is only its
 * tail: the entries after the last segment written.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLogged, SegmentReaders } from '../../dist/monitor/index.js';
import { FileBlobStore, monitorStores, openMetadataStore } from '../../dist/store/index.js';
import { tempDir } from '../helpers/models.js';

const DIST = new URL('../../dist/', import.meta.url).pathname;

/** The child: logs entries 0, 1, 2 … with the server's own request ids, sealing a segment every 500, and says which segments it has written. */
const CHILD = `
import { requestIdGenerator } from '${DIST}serve/request-ids.js';
import { PredictionLog } from '${DIST}monitor/index.js';
import { FileBlobStore, monitorStores, openMetadataStore } from '${DIST}store/index.js';
const home = process.argv[2];
const store = await openMetadataStore({ home });
const stores = monitorStores(store, { logWriter: false, blobs: new FileBlobStore(home + '/blobs') });
const log = new PredictionLog({
  predictions: true, payloads: () => ({ rate: 0, retentionDays: 30, fields: ['outputs'] }),
  sampleRate: 0, sampleMaxPerMinute: 0, sampleMaxBytes: 1000,
  segmentSealMs: 3_600_000, segmentMaxEntries: 500, maxPending: 1_000_000, now: Date.now,
});
const nextId = requestIdGenerator();
let written = 0;
for (let i = 0; ; i++) {
  const at = Date.now();
  log.add({ model: 'm', version: '1', requestId: nextId(), at, protocol: 'predict', rows: 1, latencyMs: 1, outcome: 'success', outputs: { value: [i] } });
  if (log.full) {
    await log.flush(stores, { full: true });
    written += 1;
    process.stdout.write('written ' + written + '\\n');
  }
}
`;

describe('log segments under SIGKILL', () => {
  it('keeps every written segment whole and loses only the unwritten tail', async () => {
    const home = tempDir();
    const script = join(home, 'child.mjs');
    writeFileSync(script, CHILD);
    const child = spawn(process.execPath, [script, home], { cwd: new URL('../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] });
    let reported = 0;
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`the child exited (${code}) before it was killed`)));
      child.stdout.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line.startsWith('written ')) reported = Number(line.slice(8));
        // Killed while it logs and writes: somewhere in an open segment or the write of one.
        if (reported >= 6) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const store = await openMetadataStore({ home });
    try {
      const stores = monitorStores(store, { logWriter: false, blobs: new FileBlobStore(join(home, 'blobs')) });
      const segments = await store.db.selectFrom('monitor_log_segments').selectAll().orderBy('segment_id').execute();
      // Every segment the child said it wrote is there (one more may have been written before the kill).
      expect(segments.length).toBeGreaterThanOrEqual(reported);
      expect(segments.every((s) => Number(s.entries) === 500)).toBe(true);
      const values: number[] = [];
      let unreadable = 0;
      const readers = new SegmentReaders(stores, () => (unreadable += 1));
      for await (const entry of readLogged(stores, readers, 'predictions', 'm', 0, Date.now() + 60_000)) values.push(entry.outputs.value![0] as number);
      expect(unreadable).toBe(0);
      // The entries 0 … n-1 in order, nothing missing in between and nothing torn: only the tail is lost.
      expect(values).toEqual(Array.from({ length: segments.length * 500 }, (_, i) => i));
    } finally {
      await store.close();
    }
  }, 60_000);
});
